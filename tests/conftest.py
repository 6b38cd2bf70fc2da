"""Shared fixtures: a small valid content folder that each test may break."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from pgserver import postgresql_server  # noqa: F401 - the suite's own PostgreSQL

# Every app and server the tests start (subprocesses included) caches its built
# content here, not in the user's cache folder.
os.environ["PICKGRAPH_CACHE"] = tempfile.mkdtemp(prefix="pickgraph-test-cache-")
# ... and keeps its feedback database and signing key here, not in the environment's
# instance folder.
os.environ["PICKGRAPH_INSTANCE"] = tempfile.mkdtemp(prefix="pickgraph-test-instance-")


@pytest.fixture(autouse=True)
def _one_time_window(monkeypatch):
    """Lists and their impression tokens are redrawn every 10 minutes; within the
    suite's processes time stands still, so two answers to one request are the same
    bytes however close to a window's edge a test runs."""
    from pickgraph.web import impressions

    monkeypatch.setattr(impressions, "current_window", lambda now=None: _WINDOW)


_WINDOW = int(time.time() // 600)
FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class ContentDir:
    """A writable copy of a content folder."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def replace(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        assert old in text, f"{old!r} not in {rel}"
        self.write(rel, text.replace(old, new, 1))

    def __fspath__(self) -> str:
        return str(self.root)

    def __truediv__(self, other: str) -> Path:
        return self.root / other


@pytest.fixture
def mini(tmp_path) -> ContentDir:
    """A copy of tests/fixtures/mini: 6 topics, 4 comparisons, valid under --strict."""
    root = tmp_path / "content"
    shutil.copytree(MINI, root)
    return ContentDir(root)


@pytest.fixture(scope="session")
def bundled():
    """The bundled content, loaded once per test session."""
    from pickgraph import graph

    return graph.load()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app():
    """The site on the bundled content (read-only, so one per session)."""
    from pickgraph.web import create_app

    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
