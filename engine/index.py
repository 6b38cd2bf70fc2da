"""The precomputed suggestion index: every comparison and topic page, built once.

Built once per content version, so the site serves a page's suggestions with a
lookup. The index stores each page's ranked candidates before diversity (so any
list length up to the maximum can be cut from it); reasons are derived at lookup.

The build computes each topic's affinity row once (the learned ranker's logit of
every topic for it: one PageRank per topic, in batches of columns); a topic page
reads its row and a comparison page its two sides' rows, then the page model gives
every candidate its probability. Up to DENSE_MAX topics the rows are whole and the
index equals on-demand computation exactly; past it each topic keeps its TRUNCATE
best entries (scores then in float32), which leaves the top of each list intact in
practice (docs/performance.md). Large builds run on every core: this process and
forked workers each take ranges of topics, then of pages.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from pickgraph.graph import TopicGraph

from .candidates import CANDIDATES, MAX_LIMIT, PageCandidates
from .core import Engine
from .features import FEATURE_PPR
from .methods import DEFAULT_METHOD
from .pagemodel import PAGE_WEIGHTS, page_model
from .ranker import TRAINING

__all__ = ["SuggestionIndex", "build_index", "index_signature"]

DENSE_MAX = 4096
TRUNCATE = 512
# Columns per sparse-times-dense product. Small blocks keep the dense side in cache:
# at 100k topics, 16 columns cost 1.4 ms per column and step against 2.0 ms for 64.
BATCH = 16
DENSE_BATCH = 64
# Bump when the saved layout or the meaning of its arrays changes.
FORMAT = 3


@dataclass
class _Lists:
    """One ranked list per page, in a fixed-width table: row i holds lengths[i] items."""

    ids: np.ndarray  # (pages, width) int32
    scores: np.ndarray  # (pages, width)
    lengths: np.ndarray  # (pages,) int32

    @classmethod
    def empty(cls, pages: int, width: int, dtype) -> _Lists:
        return cls(
            np.zeros((pages, width), np.int32),
            np.zeros((pages, width), dtype),
            np.zeros(pages, np.int32),
        )

    def put(self, row: int, ids: np.ndarray, scores: np.ndarray) -> None:
        self.ids[row, : len(ids)] = ids
        self.scores[row, : len(ids)] = scores
        self.lengths[row] = len(ids)

    def copy_rows(self, lo: int, part: _Lists) -> None:
        hi = lo + len(part.lengths)
        self.ids[lo:hi], self.scores[lo:hi], self.lengths[lo:hi] = (
            part.ids,
            part.scores,
            part.lengths,
        )

    def rows(self, lo: int, hi: int) -> _Lists:
        return _Lists(self.ids[lo:hi], self.scores[lo:hi], self.lengths[lo:hi])

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        n = self.lengths[i]
        return self.ids[i, :n].astype(np.int64), self.scores[i, :n].astype(np.float64)

    def used_ids(self) -> np.ndarray:
        mask = np.arange(self.ids.shape[1])[None, :] < self.lengths[:, None]
        return np.unique(self.ids[mask])


_NAMES = ("comparison_comparisons", "comparison_topics", "topic_comparisons", "topic_topics")


@dataclass
class SuggestionIndex:
    """Ranked candidates of every page of one content version."""

    engine: Engine
    version: str
    comparison_comparisons: _Lists
    comparison_topics: _Lists
    topic_comparisons: _Lists
    topic_topics: _Lists
    stats: dict = field(default_factory=dict)

    def get(self, kind: str, slug: str) -> PageCandidates | None:
        if kind == "comparison":
            i = self.engine.comparison_id.get(slug)
            lists = (self.comparison_comparisons, self.comparison_topics)
        else:
            i = self.engine.topic_id.get(slug)
            lists = (self.topic_comparisons, self.topic_topics)
        if i is None:
            return None
        c_ids, c_scores = lists[0].row(i)
        t_ids, t_scores = lists[1].row(i)
        return PageCandidates(c_ids, c_scores, t_ids, t_scores)

    def referenced_comparisons(self) -> set[str]:
        """Every comparison slug the index can suggest (for leak checks)."""
        ids = np.union1d(self.comparison_comparisons.used_ids(), self.topic_comparisons.used_ids())
        return {self.engine.comparison_slugs[i] for i in ids.tolist()}

    # ------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> None:
        """Write the index as a folder of ``.npy`` arrays plus ``header.json``.

        Data only (numpy's format without pickles), so reading it back can never run
        code, and every array can be memory-mapped. The folder appears whole or not at
        all: it is written beside its final name and renamed into place.
        """
        folder = Path(folder)
        tmp = folder.with_name(f".{folder.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        tmp.mkdir(parents=True)
        try:
            for name in _NAMES:
                lists = getattr(self, name)
                for part in ("ids", "scores", "lengths"):
                    np.save(tmp / f"{name}.{part}.npy", getattr(lists, part), allow_pickle=False)
            header = {**self.header(), "stats": self.stats}
            (tmp / "header.json").write_text(json.dumps(header, indent=1))
            if folder.exists():
                shutil.rmtree(folder)
            tmp.rename(folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def header(self) -> dict:
        """What the index was built from: content, id numbering, method and format."""
        return {
            "format": FORMAT,
            "version": self.version,
            "fingerprint": _fingerprint(self.engine),
            "signature": index_signature(),
        }

    @classmethod
    def load(cls, folder: str | Path, engine: Engine, mmap: bool = True) -> SuggestionIndex | None:
        """The index saved in ``folder`` if it was built for this engine's content with
        this engine's method and format, else None. Arrays are memory-mapped unless
        ``mmap`` is false, so processes that load the same index share its pages."""
        folder = Path(folder)
        try:
            header = json.loads((folder / "header.json").read_text())
            expected = {
                "format": FORMAT,
                "version": engine.tg.version,
                "fingerprint": _fingerprint(engine),
                "signature": index_signature(),
            }
            if any(header.get(k) != v for k, v in expected.items()):
                return None
            mode = "r" if mmap else None
            lists = {}
            for name in _NAMES:
                parts = [
                    np.load(folder / f"{name}.{part}.npy", mmap_mode=mode, allow_pickle=False)
                    for part in ("ids", "scores", "lengths")
                ]
                lists[name] = _Lists(*parts)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        n, m = engine.n_topics, len(engine.comparison_slugs)
        rows = {"comparison_comparisons": m, "comparison_topics": m}
        if any(len(lists[k].lengths) != rows.get(k, n) for k in _NAMES):
            return None
        index = cls(engine, engine.tg.version, **lists)
        index.stats = dict(header.get("stats") or {})
        return index


def index_signature() -> dict:
    """The method and sizes an index is built with: a change to any of them makes
    every saved index stale."""
    return {
        "method": DEFAULT_METHOD,
        "features": asdict(FEATURE_PPR),
        "training": asdict(TRAINING),
        "page_weights": PAGE_WEIGHTS.to_dict() if PAGE_WEIGHTS is not None else None,
        "dense_max": DENSE_MAX,
        "truncate": TRUNCATE,
        "candidates": CANDIDATES,
        "topics": MAX_LIMIT,
    }


def _fingerprint(engine: Engine) -> str:
    """Ties an index to the exact id numbering it was built with."""
    h = hashlib.sha256()
    for name in engine.topic_slugs + ["\0"] + engine.comparison_slugs:
        h.update(name.encode() + b"\n")
    return h.hexdigest()[:16]


class _Affinities:
    """Every topic's affinity (the learned ranker's logit) to every topic.

    Up to DENSE_MAX topics the rows are whole and computed exactly as a page computes
    them on demand, so the index equals on-demand pages to the last bit. Past it each
    row keeps its TRUNCATE best entries; the others read as the row's smallest kept
    value, which leaves them behind every kept one.
    """

    def __init__(self, engine: Engine, progress=None):
        self.engine = engine
        self.exact = engine.n_topics <= DENSE_MAX
        n = engine.n_topics
        pm = page_model(engine)
        # fit the ranker and build the feature space once, before any fork
        _ = pm.ranker, pm.space
        _WORK["engine"] = engine
        if self.exact:
            self.full = np.empty((n, n))

            def store(bounds, part):
                self.full[bounds[0] : bounds[1]] = part

            _fan_out(_affinity_rows, _ranges(n, DENSE_BATCH), store)
        else:
            keep = min(TRUNCATE, n)
            self.keep_idx = np.empty((n, keep), dtype=np.int32)
            self.keep_val = np.empty((n, keep), dtype=np.float32)

            def store(bounds, part):
                lo, hi = bounds
                self.keep_idx[lo:hi], self.keep_val[lo:hi] = part

            _fan_out(_truncated_rows, _ranges(n, BATCH * 32), store)
        if progress:
            progress("topic affinities", n, n)

    def rows(self, seeds: list[int]) -> np.ndarray:
        if self.exact:
            return self.full[seeds]
        out = np.empty((len(seeds), self.engine.n_topics))
        for i, s in enumerate(seeds):
            out[i] = self.keep_val[s].min()
            out[i, self.keep_idx[s]] = self.keep_val[s]
        return out


def _affinity_rows(bounds: tuple[int, int]) -> np.ndarray:
    """Whole affinity rows of topics lo..hi-1 (one PageRank batch)."""
    engine = _WORK["engine"]
    return page_model(engine).affinities(list(range(*bounds)))


def _truncated_rows(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The TRUNCATE best affinities of topics lo..hi-1, in batches of BATCH."""
    engine = _WORK["engine"]
    pm = page_model(engine)
    lo, hi = bounds
    keep = min(TRUNCATE, engine.n_topics)
    idx = np.empty((hi - lo, keep), dtype=np.int32)
    val = np.empty((hi - lo, keep), dtype=np.float32)
    for start in range(lo, hi, BATCH):
        rows = pm.affinities(list(range(start, min(hi, start + BATCH))), batch=True)
        part = np.argpartition(-rows, keep - 1, axis=1)[:, :keep]
        idx[start - lo : start - lo + len(rows)] = part
        val[start - lo : start - lo + len(rows)] = np.take_along_axis(rows, part, axis=1)
    return idx, val


# Objects forked workers read (set before the fork, inherited copy-on-write).
_WORK: dict = {}
# Below this many pages (or topics) one process is quicker than starting a pool.
PARALLEL_MIN = 5_000


def _ranges(total: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(total, lo + size)) for lo in range(0, total, size)]


def _fan_out(func, ranges: list[tuple[int, int]], consume) -> None:
    """``consume(range, func(range))`` for every range, in order. This process takes
    a share of the ranges and forked workers the rest, so every core works; each
    result is consumed as it arrives, so they are never all in memory at once."""
    total = ranges[-1][1] if ranges else 0
    cores = min(os.cpu_count() or 1, 8)
    if total < PARALLEL_MIN or cores < 2 or "fork" not in mp.get_all_start_methods():
        for r in ranges:
            consume(r, func(r))
        return
    own = max(1, len(ranges) // cores)
    with ProcessPoolExecutor(cores - 1, mp_context=mp.get_context("fork")) as pool:
        pending = pool.map(func, ranges[own:])
        for r in ranges[:own]:
            consume(r, func(r))
        for r, result in zip(ranges[own:], pending, strict=True):
            consume(r, result)


def _page_rows(bounds: tuple[int, int]) -> tuple[_Lists, _Lists]:
    """Candidate lists for index rows lo..hi-1 (topic pages, then comparisons)."""
    engine, aff, dtype = _WORK["engine"], _WORK["affinities"], _WORK["dtype"]
    pm = page_model(engine)
    n = engine.n_topics
    lo, hi = bounds
    comps = _Lists.empty(hi - lo, CANDIDATES, dtype)
    topics = _Lists.empty(hi - lo, MAX_LIMIT, dtype)
    for row in range(lo, hi):
        if row < n:
            seeds, page, skip_c = [row], "topic", engine.comparisons_of(row)
        else:
            cid = row - n
            seeds = [int(x) for x in engine.comparison_ends[cid]]
            page, skip_c = "comparison", np.array([cid])
        cand = pm.score(seeds, page, skip_c, seeds, aff=aff.rows(seeds))
        comps.put(row - lo, cand.comparisons, cand.comparison_scores)
        topics.put(row - lo, cand.topics, cand.topic_scores)
    return comps, topics


def build_index(tg_or_engine: TopicGraph | Engine, progress=None) -> SuggestionIndex:
    """Compute every page's ranked candidates with the default method."""
    start = time.perf_counter()
    engine = tg_or_engine if isinstance(tg_or_engine, Engine) else Engine(tg_or_engine)
    n, m = engine.n_topics, len(engine.comparison_ends)
    try:
        affinities = _Affinities(engine, progress)
        t_vectors = time.perf_counter() - start
        # float64 keeps small builds bit-identical to on-demand pages; float32 halves a
        # large index (whose lists are approximate anyway)
        dtype = np.float64 if affinities.exact else np.float32
        comps = _Lists.empty(n + m, CANDIDATES, dtype)
        topics = _Lists.empty(n + m, MAX_LIMIT, dtype)

        def store(bounds, part):
            comps.copy_rows(bounds[0], part[0])
            topics.copy_rows(bounds[0], part[1])

        # rows 0..n-1 are topic pages, n..n+m-1 comparison pages
        _WORK.update(engine=engine, affinities=affinities, dtype=dtype)
        _fan_out(_page_rows, _ranges(n + m, 5_000), store)
    finally:
        _WORK.clear()
    if progress:
        progress("pages", n + m, n + m)
    index = SuggestionIndex(
        engine,
        engine.tg.version,
        comps.rows(n, n + m),
        topics.rows(n, n + m),
        comps.rows(0, n),
        topics.rows(0, n),
    )
    index.stats = {
        "pages": n + m,
        "vectors_s": round(t_vectors, 3),
        "total_s": round(time.perf_counter() - start, 3),
        "exact": affinities.exact,
    }
    return index
