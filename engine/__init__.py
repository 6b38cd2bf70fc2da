"""pickgraph's recommendation engine: suggestions with evidence, baselines, evaluation
against reader judgments and by link prediction, the precomputed index, rankings from
picks and missing comparisons.

>>> from pickgraph import engine, graph
>>> rec = engine.Recommender(graph.load())
>>> first = rec.for_topic("kafka", limit=3).comparisons[0]
>>> first.title, first.reasons[0]
('Apache Pulsar vs Redpanda', 'Apache Pulsar is also compared with Apache Kafka')
"""

from __future__ import annotations

from .core import Engine
from .evaluate import evaluate, split
from .gaps import gaps
from .index import SuggestionIndex, build_index
from .methods import DEFAULT_METHOD, METHODS
from .rank import rankings
from .suggest import Recommender, Suggestion, Suggestions

# Evaluation against reader judgments is for the command line and notebooks; its
# pydantic models take a fifth of a second to build, which a server need not pay.
_LAZY = {"evaluate_judged": ".judged", "load_judgments": ".judgments"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "Engine",
    "Recommender",
    "Suggestion",
    "SuggestionIndex",
    "Suggestions",
    "build_index",
    "evaluate",
    "evaluate_judged",
    "gaps",
    "load_judgments",
    "rankings",
    "split",
]
