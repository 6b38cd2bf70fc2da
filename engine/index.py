"""The precomputed suggestion index: every comparison and topic page, built once.

Built once per content version, so the site serves a page's suggestions with a
lookup. The index stores each page's ranked candidates before diversity (so any
list length up to the maximum can be cut from it); reasons are derived at lookup.

Building uses the linearity of PageRank: restarting on {A, B} is the mean of the
PageRanks of A and of B. So the build computes one PageRank per topic, in batches of
columns, and every comparison page combines two of them. Up to DENSE_MAX topics the
vectors are kept whole and the index equals on-demand computation exactly; past it
each topic keeps its TRUNCATE best entries, which leaves the top of each list intact
in practice (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graph import TopicGraph

from .core import Engine
from .ppr import PPR
from .scoring import AA_WEIGHT, adamic_adar_rows, blend, rank_comparisons, rank_topics
from .suggest import CANDIDATES, MAX_LIMIT, PageCandidates

__all__ = ["SuggestionIndex", "build_index"]

DENSE_MAX = 4096
TRUNCATE = 512
BATCH = 256
FORMAT = 1


@dataclass
class _Packed:
    """Variable-length ranked lists for many pages, as flat arrays."""

    indptr: np.ndarray
    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def pack(cls, lists: list[tuple[np.ndarray, np.ndarray]]) -> _Packed:
        lengths = np.array([len(ids) for ids, _ in lists], dtype=np.int64)
        indptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        ids = np.concatenate([i for i, _ in lists]) if lists else np.zeros(0, np.int64)
        scores = np.concatenate([s for _, s in lists]) if lists else np.zeros(0)
        return cls(indptr, ids.astype(np.int32), scores.astype(np.float64))

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.ids[lo:hi].astype(np.int64), self.scores[lo:hi]


@dataclass
class SuggestionIndex:
    """Ranked candidates of every page of one content version."""

    engine: Engine
    version: str
    comparison_comparisons: _Packed
    comparison_topics: _Packed
    topic_comparisons: _Packed
    topic_topics: _Packed
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
        ids = np.union1d(self.comparison_comparisons.ids, self.topic_comparisons.ids)
        return {self.engine.comparison_slugs[i] for i in ids.tolist()}

    # ------------------------------------------------------------ persistence
    def to_bytes(self) -> bytes:
        arrays = {"format": np.array([FORMAT])}
        for name in (
            "comparison_comparisons",
            "comparison_topics",
            "topic_comparisons",
            "topic_topics",
        ):
            packed = getattr(self, name)
            arrays[f"{name}.indptr"] = packed.indptr
            arrays[f"{name}.ids"] = packed.ids
            arrays[f"{name}.scores"] = packed.scores
        buf = io.BytesIO()
        np.savez(
            buf,
            version=np.array([self.version]),
            fingerprint=np.array([_fingerprint(self.engine)]),
            **arrays,
        )
        return buf.getvalue()

    def save(self, path: str | Path) -> None:
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(self.to_bytes())
        tmp.replace(path)  # atomic: a reader sees the old index or the new one

    @classmethod
    def load(cls, path: str | Path, engine: Engine) -> SuggestionIndex | None:
        """The index saved at ``path`` if it was built for this engine's content."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"][0]) != FORMAT:
                    return None
                if str(data["version"][0]) != engine.tg.version:
                    return None
                if str(data["fingerprint"][0]) != _fingerprint(engine):
                    return None
                lists = {}
                for name in (
                    "comparison_comparisons",
                    "comparison_topics",
                    "topic_comparisons",
                    "topic_topics",
                ):
                    lists[name] = _Packed(
                        data[f"{name}.indptr"], data[f"{name}.ids"], data[f"{name}.scores"]
                    )
        except (OSError, KeyError, ValueError):
            return None
        return cls(engine, engine.tg.version, **lists)


def _fingerprint(engine: Engine) -> str:
    """Ties an index to the exact id numbering it was built with."""
    h = hashlib.sha256()
    for name in engine.topic_slugs + ["\0"] + engine.comparison_slugs:
        h.update(name.encode() + b"\n")
    return h.hexdigest()[:16]


def build_index(tg_or_engine: TopicGraph | Engine, progress=None) -> SuggestionIndex:
    """Compute every page's ranked candidates with the default method."""
    start = time.perf_counter()
    engine = tg_or_engine if isinstance(tg_or_engine, Engine) else Engine(tg_or_engine)
    n = engine.n_topics
    ppr = PPR.of(engine)
    dense = n <= DENSE_MAX
    # 1. one PageRank per topic, kept whole (dense) or truncated to its best entries
    if dense:
        vectors = np.empty((n, n))
    else:
        keep_idx = np.empty((n, TRUNCATE), dtype=np.int32)
        keep_val = np.empty((n, TRUNCATE))
    for lo in range(0, n, BATCH):
        ids = np.arange(lo, min(n, lo + BATCH))
        cols = ppr.vectors([[int(t)] for t in ids])[:n]
        if dense:
            vectors[:, ids] = cols
        else:
            part = np.argpartition(-cols, TRUNCATE - 1, axis=0)[:TRUNCATE]
            keep_idx[ids] = part.T
            keep_val[ids] = np.take_along_axis(cols, part, axis=0).T
        if progress:
            progress("topic vectors", min(n, lo + BATCH), n)
    aa = adamic_adar_rows(engine, list(range(n)))
    t_vectors = time.perf_counter() - start

    def page_scores(seeds: list[int]) -> np.ndarray:
        if dense:
            p = vectors[:, seeds].mean(axis=1)
        else:
            p = np.zeros(n)
            for s in seeds:
                np.add.at(p, keep_idx[s], keep_val[s])
            p /= len(seeds)
        p = p * ppr.damping
        a = np.asarray(aa[seeds].sum(axis=0)).ravel()
        return blend(p, a, AA_WEIGHT)

    def lists(seeds, skip_c, skip_t):
        scores = page_scores(seeds)
        comps = rank_comparisons(engine, scores, seeds, skip_c, CANDIDATES)
        topics = rank_topics(engine, scores, skip_t, MAX_LIMIT)
        return (
            (np.array([c for c, _ in comps], np.int64), np.array([v for _, v in comps])),
            (np.array([t for t, _ in topics], np.int64), np.array([v for _, v in topics])),
        )

    # 2. topic pages
    tc, tt = [], []
    for t in range(n):
        own = {int(c) for c in engine.comparisons_of(t)}
        c, tp = lists([t], own, [t, *engine.partners(t).tolist()])
        tc.append(c)
        tt.append(tp)
    # 3. comparison pages
    cc, ct = [], []
    for cid, (a, b) in enumerate(engine.comparison_ends.tolist()):
        c, tp = lists([a, b], {cid}, [a, b])
        cc.append(c)
        ct.append(tp)
        if progress and cid % 10_000 == 0:
            progress("comparison pages", cid, len(engine.comparison_ends))
    index = SuggestionIndex(
        engine,
        engine.tg.version,
        _Packed.pack(cc),
        _Packed.pack(ct),
        _Packed.pack(tc),
        _Packed.pack(tt),
    )
    index.stats = {
        "pages": n + len(cc),
        "vectors_s": round(t_vectors, 3),
        "total_s": round(time.perf_counter() - start, 3),
        "exact": dense,
    }
    return index
