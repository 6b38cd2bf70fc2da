"""Every docstring example of the pickgraph packages runs, as the installed modules."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import pickgraph.engine
import pickgraph.graph
import pickgraph.web

MODULES = sorted(
    info.name
    for package in (pickgraph.graph, pickgraph.engine, pickgraph.web)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
) + ["pickgraph.engine", "pickgraph.graph", "pickgraph.web"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
