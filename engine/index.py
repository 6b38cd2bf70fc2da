"""The precomputed suggestion index: every comparison and topic page, built once.

Built once per content version, so the site serves a page's suggestions with a
lookup. The index stores each page's ranked candidates before diversity (so any
list length up to the maximum can be cut from it); reasons are derived at lookup.

Building uses the linearity of PageRank: restarting on {A, B} is the mean of the
PageRanks of A and of B. So the build computes one PageRank per topic, in batches of
columns, and every comparison page combines two of them. Up to DENSE_MAX topics the
vectors are kept whole and the index equals on-demand computation exactly; past it
each topic keeps its TRUNCATE best entries (scores then in float32), which leaves the
top of each list intact in practice (docs/performance.md). Large builds run on every
core: this process and forked workers each take ranges of topics, then of pages.
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

from graph import TopicGraph

from .core import Engine
from .methods import DEFAULT_METHOD
from .ppr import PPR, PPRParams
from .scoring import (
    AA_WEIGHT,
    _rows,
    _top_arrays,
    adamic_adar_rows,
    blend,
    rank_comparisons,
    rank_topics,
)
from .suggest import CANDIDATES, MAX_LIMIT, PageCandidates

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
        "ppr": asdict(PPRParams()),
        "aa_weight": AA_WEIGHT,
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


class _DensePages:
    """Exact page lists from whole PageRank vectors (small graphs).

    Same arithmetic as computing a page on demand, so the numbers are identical.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        n = engine.n_topics
        self.ppr = PPR.of(engine)
        self.vectors = np.empty((n, n), dtype=np.float32)
        for lo in range(0, n, DENSE_BATCH):
            ids = list(range(lo, min(n, lo + DENSE_BATCH)))
            self.vectors[:, lo : lo + len(ids)] = self.ppr.vectors([[t] for t in ids])[:n]
        self.aa = adamic_adar_rows(engine, list(range(n)))

    def __call__(self, seeds, skip_comparisons, skip_topics):
        p = self.vectors[:, seeds].mean(axis=1) * self.ppr.damping
        a = np.asarray(self.aa[seeds].sum(axis=0)).ravel()
        scores = blend(p, a, AA_WEIGHT)
        comps = rank_comparisons(
            self.engine, scores, seeds, set(skip_comparisons.tolist()), CANDIDATES
        )
        topics = rank_topics(self.engine, scores, skip_topics, MAX_LIMIT)
        return (
            np.array([c for c, _ in comps], np.int64),
            np.array([v for _, v in comps]),
            np.array([t for t, _ in topics], np.int64),
            np.array([v for _, v in topics]),
        )


class _TruncatedPages:
    """Page lists from each topic's TRUNCATE best PageRank entries (large graphs).

    A page's scores live on the support of its seeds' kept entries and Adamic-Adar
    rows; topics outside it score 0, so only comparisons with both ends inside can
    score at all.
    """

    def __init__(self, engine: Engine, progress=None):
        self.engine = engine
        n = engine.n_topics
        keep = min(TRUNCATE, n)
        self.keep_idx = np.empty((n, keep), dtype=np.int32)
        self.keep_val = np.empty((n, keep), dtype=np.float32)

        def store(bounds, part):
            lo, hi = bounds
            self.keep_idx[lo:hi], self.keep_val[lo:hi] = part

        _WORK["engine"] = engine
        _fan_out(_truncated_vectors, _ranges(n, BATCH * 32), store)
        if progress:
            progress("topic vectors", n, n)
        aa = adamic_adar_rows(engine, list(range(n)))
        self.aa_ptr, self.aa_idx = aa.indptr, aa.indices
        self.aa_val = aa.data.astype(np.float32)
        del aa
        self.where = np.zeros(n, dtype=np.int64)
        self.inside = np.zeros(n, dtype=bool)
        self.full = np.zeros(n)

    def __call__(self, seeds, skip_comparisons, skip_topics):
        e = self.engine
        for s in seeds:
            self.inside[self.keep_idx[s]] = True
            self.inside[self.aa_idx[self.aa_ptr[s] : self.aa_ptr[s + 1]]] = True
        support = np.flatnonzero(self.inside)
        self.where[support] = np.arange(len(support))
        p = np.zeros(len(support))
        a = np.zeros(len(support))
        for s in seeds:
            p[self.where[self.keep_idx[s]]] += self.keep_val[s]
            lo, hi = self.aa_ptr[s], self.aa_ptr[s + 1]
            a[self.where[self.aa_idx[lo:hi]]] += self.aa_val[lo:hi]
        p /= len(seeds)
        score = blend(p, a, AA_WEIGHT)
        # topics
        ts = score.copy()
        out_t = skip_topics[self.inside[skip_topics]]
        ts[self.where[out_t]] = -np.inf
        t_ids, t_sc = _top_arrays(support, ts, MAX_LIMIT)
        finite = np.isfinite(t_sc)
        t_ids, t_sc = t_ids[finite], t_sc[finite]
        # comparisons: seeds no higher than the best other topic (as rank_comparisons)
        seed_pos = self.where[np.asarray(seeds)]
        others = np.ones(len(support), dtype=bool)
        others[seed_pos] = False
        if others.any():
            score[seed_pos] = np.minimum(score[seed_pos], score[others].max())
        self.full[support] = score
        want = CANDIDATES + len(skip_comparisons)
        ends = e.comparison_ends
        k = min(len(support), max(64, want))
        top = support[np.argpartition(-score, k - 1)[:k]]
        threshold = self.full[top].min()
        cand, cs = self._score(_rows(e.topic_comparisons, top), ends)
        if (cs > threshold).sum() < want:
            cand, cs = self._score(_rows(e.topic_comparisons, support), ends)
        if len(skip_comparisons) == 1:
            keep = cand != skip_comparisons[0]
        else:
            keep = ~np.isin(cand, skip_comparisons)
        c_ids, c_sc = _top_arrays(cand[keep], cs[keep], CANDIDATES)
        self.full[support] = 0.0
        self.inside[support] = False
        return c_ids, c_sc, t_ids, t_sc

    def _score(self, cand, ends):
        cand = np.sort(cand)
        cand = cand[np.r_[True, cand[1:] != cand[:-1]]] if len(cand) else cand
        return cand, np.sqrt(self.full[ends[cand, 0]] * self.full[ends[cand, 1]])


def _truncated_vectors(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each topic's best damped PageRank entries, for topics lo..hi-1."""
    engine = _WORK["engine"]
    n = engine.n_topics
    ppr = PPR.of(engine)
    damping = ppr.damping.astype(np.float32)[:, None]
    lo, hi = bounds
    keep = min(TRUNCATE, n)
    keep_idx = np.empty((hi - lo, keep), dtype=np.int32)
    keep_val = np.empty((hi - lo, keep), dtype=np.float32)
    for start in range(lo, hi, BATCH):
        ids = list(range(start, min(hi, start + BATCH)))
        cols = ppr.vectors_sparse_start([[t] for t in ids])[:n]
        cols *= damping
        part = np.argpartition(-cols, keep - 1, axis=0)[:keep]
        keep_idx[start - lo : start - lo + len(ids)] = part.T
        keep_val[start - lo : start - lo + len(ids)] = np.take_along_axis(cols, part, axis=0).T
    return keep_idx, keep_val


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
    engine, page, dtype = _WORK["engine"], _WORK["page"], _WORK["dtype"]
    n = engine.n_topics
    lo, hi = bounds
    comps = _Lists.empty(hi - lo, CANDIDATES, dtype)
    topics = _Lists.empty(hi - lo, MAX_LIMIT, dtype)
    for row in range(lo, hi):
        if row < n:
            lists = page([row], engine.comparisons_of(row), np.r_[row, engine.partners(row)])
        else:
            cid = row - n
            a, b = (int(x) for x in engine.comparison_ends[cid])
            lists = page([a, b], np.array([cid]), np.array([a, b]))
        comps.put(row - lo, lists[0], lists[1])
        topics.put(row - lo, lists[2], lists[3])
    return comps, topics


def build_index(tg_or_engine: TopicGraph | Engine, progress=None) -> SuggestionIndex:
    """Compute every page's ranked candidates with the default method."""
    start = time.perf_counter()
    engine = tg_or_engine if isinstance(tg_or_engine, Engine) else Engine(tg_or_engine)
    n, m = engine.n_topics, len(engine.comparison_ends)
    exact = n <= DENSE_MAX
    page = _DensePages(engine) if exact else _TruncatedPages(engine, progress)
    t_vectors = time.perf_counter() - start
    # float64 keeps small builds bit-identical to on-demand pages; float32 halves a
    # large index (whose lists are approximate anyway)
    dtype = np.float64 if exact else np.float32
    comps = _Lists.empty(n + m, CANDIDATES, dtype)
    topics = _Lists.empty(n + m, MAX_LIMIT, dtype)

    def store(bounds, part):
        comps.copy_rows(bounds[0], part[0])
        topics.copy_rows(bounds[0], part[1])

    # rows 0..n-1 are topic pages, n..n+m-1 comparison pages
    _WORK.update(engine=engine, page=page, dtype=dtype)
    try:
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
        "exact": exact,
    }
    return index
