"""Everything the site serves for one content version, built once, read-only after.

A SiteState holds the topic graph, the recommender with its precomputed index, the
search index, and caches of what pages compute from them (rankings, rendered
responses). A content reload builds a new SiteState beside the old one and swaps the
reference; nothing is ever mutated in place.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import threading
import time
from collections import OrderedDict
from functools import cached_property
from pathlib import Path

import graph
from engine.core import Engine
from engine.index import SuggestionIndex, build_index
from engine.rank import rankings
from engine.suggest import Recommender
from graph import TopicGraph

from .search import SearchIndex

__all__ = ["SiteState", "ResponseCache", "content_signature", "cache_folder"]

log = logging.getLogger("pickgraph")

# Bump when what the cache holds changes shape.
CACHE_FORMAT = 1
# $PICKGRAPH_CACHE names the cache folder; set it empty to turn the cache off.
CACHE_ENV = "PICKGRAPH_CACHE"


def content_signature(folder: Path) -> tuple:
    """Names, sizes and modification times of every file: changes when content does."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            out.append((os.path.relpath(path, folder), st.st_size, st.st_mtime_ns))
    return tuple(out)


def cache_folder() -> Path | None:
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return Path(value) if value.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pickgraph"


def _cache_file(folder: Path) -> Path | None:
    base = cache_folder()
    if base is None:
        return None
    key = hashlib.sha256(
        repr((CACHE_FORMAT, str(folder.resolve()), content_signature(folder))).encode()
    ).hexdigest()[:32]
    return base / f"state-{key}.pickle"


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
        self.search = SearchIndex(tg)
        self.loaded_at = time.time()
        self.build_seconds = build_seconds
        self.from_cache = False
        self.responses = ResponseCache()
        self._rankings: dict = {}
        self._lock = threading.Lock()

    @classmethod
    def from_folder(cls, folder: str | Path | None = None, use_cache: bool = True) -> SiteState:
        """Load, validate and index a content folder; ContentError if it is invalid.

        A valid folder's graph and index are kept in the cache folder under a key made
        of every file's name, size and modification time, so a restart on unchanged
        content skips parsing and indexing. Any change to any file misses the cache.
        """
        start = time.perf_counter()
        path = graph.resolve_folder(folder)
        cache = _cache_file(path) if use_cache else None
        if cache is not None and cache.exists():
            state = cls._from_cache(cache, start)
            if state is not None:
                return state
        tg = graph.load(path)
        index = build_index(tg)
        state = cls(tg, index, time.perf_counter() - start)
        if cache is not None:
            state._save(cache)
        return state

    @classmethod
    def _from_cache(cls, cache: Path, start: float) -> SiteState | None:
        try:
            with open(cache, "rb") as f:
                tg, index_bytes = pickle.load(f)
            index = SuggestionIndex.load(io.BytesIO(index_bytes), Engine(tg))
        except Exception as exc:  # a stale or damaged cache is rebuilt, never fatal
            log.warning("pickgraph: ignoring cache %s (%s)", cache, exc)
            return None
        if index is None:
            return None
        state = cls(tg, index, time.perf_counter() - start)
        state.from_cache = True
        return state

    def _save(self, cache: Path) -> None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                pickle.dump(
                    (self.tg, self.recommender.index.to_bytes()),
                    f,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            tmp.replace(cache)
        except OSError as exc:
            log.warning("pickgraph: cannot write cache %s (%s)", cache, exc)

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
            "content": str(self.tg.folder) if self.tg.folder else None,
            "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.loaded_at)),
            "build_seconds": round(self.build_seconds, 3),
            "from_cache": self.from_cache,
            **self.counts,
        }
