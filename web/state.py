"""Everything the site serves for one content version, built once, read-only after.

A SiteState holds the topic graph, the recommender with its precomputed index, the
search index, and caches of what pages compute from them (rankings, rendered
responses). A content reload builds a new SiteState beside the old one and swaps the
reference; nothing is ever mutated in place.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from pickgraph import graph
from pickgraph.engine.core import read_only
from pickgraph.engine.index import build_index
from pickgraph.engine.rank import rankings
from pickgraph.engine.suggest import Recommender
from pickgraph.graph import TopicGraph

from .cache import StateCache
from .search import SearchIndex
from .settings import Settings

__all__ = ["ResponseCache", "SiteState"]

log = logging.getLogger("pickgraph")


class ResponseCache:
    """A bounded, thread-safe LRU of rendered responses for one content version."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


class SiteState:
    """One content version, ready to serve."""

    def __init__(self, tg: TopicGraph, index=None, build_seconds: float = 0.0):
        self.tg = tg
        self.version = tg.version
        self.recommender = Recommender(tg, index if index is not None else build_index(tg))
        read_only(self.recommender.index)
        self.search = SearchIndex(tg)
        self.loaded_at = time.time()
        self.build_seconds = build_seconds
        self.from_cache = False
        self.responses = ResponseCache()
        self._rankings: dict = {}
        self._lock = threading.Lock()

    @classmethod
    def from_folder(cls, folder: str | Path | None = None, use_cache: bool = True) -> SiteState:
        """:meth:`from_settings` for ``folder``, the other settings as they are set."""
        settings = Settings.read({"CONTENT": folder})
        return cls.from_settings(settings if use_cache else replace(settings, cache=None))

    @classmethod
    def from_settings(cls, settings: Settings) -> SiteState:
        """Load, validate and index the content folder; ContentError if it is invalid.

        A valid folder's graph and index are kept in the start-up cache (``cache.py``),
        so a restart on unchanged content skips parsing and indexing.
        """
        start = time.perf_counter()
        path = settings.content
        cache = StateCache(settings.cache) if settings.cache is not None else None
        found = cache.load(path) if cache is not None else None
        if found is not None:
            state = cls(*found, build_seconds=time.perf_counter() - start)
            state.from_cache = True
            return state
        tg = graph.load(path)
        index = build_index(tg)
        state = cls(tg, index, time.perf_counter() - start)
        if cache is not None:
            cache.save(path, tg, index)
        return state

    def rankings(self, tag: str | None = None) -> list[dict]:
        """Rankings from picks for a tag (or overall), computed once."""
        key = tag or ""
        if key not in self._rankings:
            rows = rankings(self.tg, tag)
            with self._lock:
                self._rankings[key] = rows
        return self._rankings[key]

    @cached_property
    def counts(self) -> dict:
        return {
            "topics": len(self.tg.topics),
            "comparisons": len(self.tg.comparisons),
            "tags": len(self.tg.tags),
            "domains": len(self.tg.domains),
        }

    def health(self) -> dict:
        return {
            "ok": True,
            "version": self.version,
            "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.loaded_at)),
            "build_seconds": round(self.build_seconds, 3),
            "from_cache": self.from_cache,
            **self.counts,
        }
