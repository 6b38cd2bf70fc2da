"""Everything the site serves for one content version, built once, read-only after.

A SiteState holds the topic graph, the recommender with its precomputed index, the
search index, and caches of what pages compute from them (rankings, rendered
responses). A content reload builds a new SiteState beside the old one and swaps the
reference; nothing is ever mutated in place.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pickgraph import graph
from pickgraph.engine.core import read_only
from pickgraph.engine.index import build_index
from pickgraph.engine.methods import LearnedRanker
from pickgraph.engine.pagemodel import page_model
from pickgraph.engine.rank import rankings
from pickgraph.engine.ranker import FitAhead
from pickgraph.engine.standings import best_of, best_tags
from pickgraph.engine.suggest import Recommender
from pickgraph.graph import TopicGraph
from pickgraph.graph.topicgraph import SET_SIZES

from .cache import StateCache
from .search import SearchIndex
from .settings import DEFAULT_RESPONSE_CACHE_MB, Settings

__all__ = ["ResponseCache", "SiteState", "too_big_a_drop"]

log = logging.getLogger("pickgraph")

# The home page's "most connected comparisons" list is this long.
HOME_MOST_CONNECTED = 12


class ResponseCache:
    """A thread-safe LRU of rendered responses for one content version, bounded in
    bytes: (body, mimetype, headers, shown lists) entries, each counted by its body,
    key, headers and lists plus a fixed overhead; a body larger than a tenth of the
    bound is not kept."""

    OVERHEAD = 512  # bytes an entry costs beyond its strings (tuple, dict slot, ...)

    def __init__(self, max_bytes: int = DEFAULT_RESPONSE_CACHE_MB << 20):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    @classmethod
    def _cost(cls, key, value) -> int:
        body, mimetype, headers, shown = value
        text = repr(key) + mimetype + "".join(k + v for k, v in headers) + repr(shown)
        return len(body) + len(text) + cls.OVERHEAD

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        cost = self._cost(key, value)
        if cost > self.max_bytes // 10:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= self._cost(key, old)
            self._data[key] = value
            self.bytes += cost
            while self.bytes > self.max_bytes:
                k, v = self._data.popitem(last=False)
                self.bytes -= self._cost(k, v)


@contextmanager
def _collector_paused():
    """Loading a state makes hundreds of thousands of objects and frees almost none, so
    the cyclic collector's passes over the growing heap find nothing; at 10k topics they
    took a second of a two-second warm load. A server freezes the loaded heap anyway
    (``serve._freeze_heap``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Bump when what SiteState.derived saves changes meaning or shape.
DERIVED_FORMAT = 1


class _Derived(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    format: Literal[DERIVED_FORMAT]  # type: ignore[valid-type]
    best_tags: list[str]
    full_sets: list[str]
    sets_by_pair: list[tuple[str, str, list[str]]]
    featured: list[str]
    most_connected: list[str]
    domain_topics: dict[str, list[str]]


class SiteState:
    """One content version, ready to serve."""

    def __init__(
        self,
        tg: TopicGraph,
        index=None,
        build_seconds: float = 0.0,
        on_demand: bool = False,
        derived: bytes | None = None,
    ):
        self.tg = tg
        self.version = tg.version
        if index is None and not on_demand:
            index = build_index(tg)
        with _collector_paused():
            # without an index each page's suggestions are computed on its first
            # request (then kept in the response cache): the same lists, a few
            # milliseconds later
            self.recommender = Recommender(tg, index)
            if index is not None:
                read_only(index)
            self.search = SearchIndex(tg)
            if derived is not None:
                self._adopt(derived)
        self.loaded_at = time.time()
        self.build_seconds = build_seconds
        self.from_cache = False
        self.index_pending = False  # built elsewhere, to be loaded by a reload
        self._ranker_ahead: FitAhead | None = None  # the ranker, fitted by a child
        self.responses = ResponseCache()
        self._rankings: dict = {}
        self._lock = threading.Lock()

    @classmethod
    def from_folder(cls, folder: str | Path | None = None, use_cache: bool = True) -> SiteState:
        """:meth:`from_settings` for ``folder``, the other settings as they are set."""
        settings = Settings.read({"CONTENT": folder})
        return cls.from_settings(settings if use_cache else replace(settings, cache=None))

    @classmethod
    def from_settings(cls, settings: Settings, defer_index: bool = False) -> SiteState:
        """Load, validate and index the content folder; ContentError if it is invalid.

        A valid folder's graph and index are kept in the start-up cache (``cache.py``),
        so a restart on unchanged content skips parsing and indexing. With
        ``defer_index``, content the cache does not hold and of at least
        ``settings.defer_index_from`` pages is not indexed here: the state computes
        suggestions on demand and says so (``index_pending``), and the caller builds
        the index elsewhere (``pickgraph cache fill``) and reloads.
        """
        start = time.perf_counter()
        path = settings.content
        cache = StateCache(settings.cache) if settings.cache is not None else None
        entry, found = None, None
        if cache is not None:
            # named before the files are read, so that an edit during the build is
            # seen; meanwhile the entry written or read last is read, as the one expected
            named = cache.entry_later(path)
            guess = None
            with _collector_paused():
                try:
                    guess = cache.newest(path)
                    if guess is not None:
                        found = cache.load(path, guess, guess=True)
                finally:
                    entry = named()
                if entry != guess and found is not None:  # the content changed since
                    found = None
                    gc.collect()  # the graph read for nothing holds cycles: free them now
                if found is None:  # the named entry, deleted if it fails its checks
                    found = cache.load(path, entry)
        if found is not None:
            tg, index, derived = found
            state = cls(tg, index, time.perf_counter() - start, derived=derived)
            state.from_cache = True
        else:
            # warnings are for editors, never shown here; the loader pauses the collector
            # itself (a server keeps it off until its heap is frozen: serve.py)
            tg = graph.load(path, lint=False)
            pages = len(tg.topics) + len(tg.comparisons)
            if defer_index and cache is not None and pages >= settings.defer_index_from:
                # the ranker, which this start must fit, is fitted by a forked child
                # while this process builds the state and what prepare derives
                ahead = FitAhead.start(tg)
                state = cls(tg, build_seconds=time.perf_counter() - start, on_demand=True)
                state.index_pending = True
                state._ranker_ahead = ahead
            else:
                index = build_index(tg)
                state = cls(tg, index, time.perf_counter() - start)
                if cache is not None:
                    cache.save(path, tg, index, entry, state.derived())
        state.responses = ResponseCache(settings.response_cache_bytes)
        return state

    def prepare(self) -> SiteState:
        """Derive now what pages would otherwise derive on their first request: the
        suggestions' tables (``Recommender.prepare``: the topic ranker, taken from the
        index when it carries one, the page model's tables, the pick records), the tags
        with a "best of" list, the full sets and which pairs they contain, the home
        page's lists, each domain's topics and the counts. A server does this before
        forking, so that its workers share one copy instead of each building its own,
        and no first request waits for it or reads the whole graph (which would touch,
        and so copy into the worker, the memory of every comparison; docs/performance.md
        has the figures). The rankings and "best of" lists of single tags are still
        computed on demand, from the comparisons among their topics only."""
        with _collector_paused():
            # first what needs no ranker, while a forked child (if any) fits it
            ahead, self._ranker_ahead = self._ranker_ahead, None
            try:
                _ = self.best_tags, self.sets_by_pair, self.home_lists, self.domain_topics
                _ = self.counts
                page_model(self.recommender.engine).prepare_tables()
                model = ahead.result() if ahead is not None else None
            finally:
                if ahead is not None:
                    ahead.close()  # not left running if the work above failed
            if model is not None:
                LearnedRanker.install(self.recommender.engine, model)
            self.recommender.prepare()
        return self

    def derived(self) -> bytes:
        """What :meth:`prepare` derives from the content alone (the tags with a "best
        of" list, the full sets and the sets of each pair, the home page's lists, each
        domain's topics), as JSON for the start-up cache; a warm start reads it back
        (:meth:`_adopt`) instead of deriving it (0.6 s at 10k topics)."""
        doc = {
            "format": DERIVED_FORMAT,
            "best_tags": sorted(self.best_tags),
            "full_sets": list(self.full_sets),
            "sets_by_pair": [[a, b, list(sets)] for (a, b), sets in self.sets_by_pair.items()],
            "featured": list(self.home_lists["featured"]),
            "most_connected": list(self.home_lists["most_connected"]),
            "domain_topics": {d: list(ts) for d, ts in self.domain_topics.items()},
        }
        return json.dumps(doc, separators=(",", ":")).encode()

    def _adopt(self, raw: bytes) -> None:
        """Take what :meth:`derived` saved, when it is well formed and names only this
        graph's tags, topics, comparisons and domains; otherwise derive it as usual
        (a line in the log says why)."""
        tg = self.tg
        try:
            doc = _Derived.model_validate_json(raw)
            sets = tuple(doc.full_sets)
            by_pair = {(a, b): tuple(found) for a, b, found in doc.sets_by_pair}
            members = {t for s in sets for t in s.split("-vs-")}
            members |= {t for pair in by_pair for t in pair}
            members |= {t for ts in doc.domain_topics.values() for t in ts}
            pages = [*doc.featured, *doc.most_connected]
            if (
                not set(doc.best_tags) <= tg.tags.keys()
                or not members <= tg.topics.keys()
                or not set(pages) <= tg.heads.keys()
                or doc.domain_topics.keys() != tg.domains.keys()
                or not {s for found in by_pair.values() for s in found} <= set(sets)
            ):
                raise ValueError("it names what this graph does not hold")
        except ValueError as exc:  # pydantic's ValidationError is one
            log.warning("pickgraph: deriving the page lists again (saved ones: %s)", exc)
            return
        self.__dict__.update(
            best_tags=frozenset(doc.best_tags),
            full_sets=sets,
            sets_by_pair=by_pair,
            home_lists={
                "featured": tuple(doc.featured),
                "most_connected": tuple(doc.most_connected),
            },
            domain_topics={d: tuple(ts) for d, ts in doc.domain_topics.items()},
        )

    def rankings(self, tag: str | None = None) -> list[dict]:
        """Rankings from picks for a tag (or overall), computed once."""
        key = tag or ""
        if key not in self._rankings:
            rows = rankings(self.tg, tag)
            with self._lock:
                self._rankings[key] = rows
        return self._rankings[key]

    def best(self, tag: str) -> dict:
        """The "best of" list of ``tag`` (one of ``best_tags``), computed once."""
        key = ("best", tag)
        if key not in self._rankings:
            found = best_of(self.tg, tag)
            with self._lock:
                self._rankings[key] = found
        return self._rankings[key]

    @cached_property
    def best_tags(self) -> frozenset[str]:
        """Tags with a "best of" list: at least MIN_BEST topics compared among them."""
        return frozenset(best_tags(self.tg))

    @cached_property
    def full_sets(self) -> tuple[str, ...]:
        """Sets of 3-5 topics whose every pair has been compared, as canonical slugs:
        the set pages the sitemap lists and pair pages link to."""
        return tuple(sorted("-vs-".join(clique) for clique in compared_sets(self.tg)))

    @cached_property
    def sets_by_pair(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """The full sets that contain each compared pair (a sorted pair of slugs),
        smallest first, then by slug."""
        found: dict[tuple[str, str], list[str]] = {}
        for s in self.full_sets:
            parts = s.split("-vs-")
            for i, a in enumerate(parts):
                for b in parts[i + 1 :]:
                    found.setdefault((a, b), []).append(s)
        return {
            pair: tuple(sorted(sets, key=lambda s: (s.count("-vs-"), s)))
            for pair, sets in found.items()
        }

    @cached_property
    def home_lists(self) -> dict:
        """What the home page lists, derived from the whole graph once: comparisons
        by how connected their two topics are (the sum of both topics' comparison
        counts, then slug) and the best-connected one of each domain (``featured``)."""
        tg = self.tg
        degree = {t: tg.comparison_count(t) for t in tg.topics}

        def connected(c) -> int:
            return degree[c.a.topic] + degree[c.b.topic]

        # keyed by the heads' slugs, not by c.slug (which joins the two topics anew)
        ranked = sorted(tg.heads.items(), key=lambda sc: (-connected(sc[1]), sc[0]))
        featured, seen = [], set()
        for slug, c in ranked:
            domain = tg.topics[c.a.topic].domain
            if domain and domain not in seen:
                seen.add(domain)
                featured.append(slug)
        return {
            "featured": tuple(featured),
            "most_connected": tuple(slug for slug, _ in ranked[:HOME_MOST_CONNECTED]),
        }

    @cached_property
    def domain_topics(self) -> dict[str, tuple[str, ...]]:
        """Each domain's topics, in the content's order."""
        members: dict[str, list[str]] = {d: [] for d in self.tg.domains}
        for slug, t in self.tg.topics.items():
            if t.domain in members:
                members[t.domain].append(slug)
        return {d: tuple(ts) for d, ts in members.items()}

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
            "index": "on demand" if self.recommender.index is None else "precomputed",
            **self.counts,
        }


def compared_sets(tg: TopicGraph) -> list[tuple[str, ...]]:
    """Every set of 3-5 topics whose pairs have all been compared, each as its slugs
    in sorted order: each set grown from its smallest slug through neighbours with
    larger ones, so every set is found once (networkx's clique enumeration found the
    same sets in 5.5 s for 10k topics / 100k comparisons, against 0.26 s)."""
    above: dict[str, set[str]] = {}
    for c in tg.heads.values():
        a, b = sorted(c.topics)
        above.setdefault(a, set()).add(b)
    smallest, largest = min(SET_SIZES), max(SET_SIZES)
    found: list[tuple[str, ...]] = []

    def grow(members: tuple[str, ...], candidates: set[str]) -> None:
        if len(members) >= smallest:
            found.append(members)
        if len(members) == largest:
            return
        for t in candidates:
            grow((*members, t), candidates & above.get(t, set()))

    for a, higher in above.items():
        for b in higher:
            grow((a, b), higher & above.get(b, set()))
    return found


def too_big_a_drop(old: dict, new: dict, max_drop: float) -> str | None:
    """Why a reload from ``old`` counts to ``new`` removes too much at once (more
    than ``max_drop`` of the topics or of the comparisons), or None.

    >>> too_big_a_drop({"topics": 10, "comparisons": 8}, {"topics": 4, "comparisons": 8}, 0.5)
    'it would remove 6 of 10 topics (60%)'
    >>> too_big_a_drop({"topics": 10, "comparisons": 8}, {"topics": 9, "comparisons": 5}, 0.5)
    """
    for what in ("topics", "comparisons"):
        before, after = old.get(what, 0), new.get(what, 0)
        gone = before - after
        if before and gone / before > max_drop:
            return f"it would remove {gone} of {before} {what} ({gone / before:.0%})"
    return None
