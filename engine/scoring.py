"""From topic scores to ranked comparisons and topics.

A comparison (C, D) scores sqrt(score[C] * score[D]): both ends must be close to the
query. Lists exclude the query's own page, break ties by slug (ids are slug-sorted),
and are made diverse on request: no topic may appear in more than half of a list.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .core import Engine
from .ppr import PPR, PPRParams, distinct, slice_positions, spread

__all__ = [
    "AA_WEIGHT",
    "aa_right",
    "adamic_adar_rows",
    "adamic_adar_sum",
    "blend",
    "blended_scores",
    "cap_seeds",
    "comparisons_touching",
    "diversify",
    "pair_scores",
    "rank_comparisons",
    "rank_topics",
]

# Weight of the Adamic-Adar share in the default method (tuned, docs/evaluation.md).
AA_WEIGHT = 0.25
# Up to this many comparisons, score them all; past it, score only the comparisons
# touching the best-scored topics, which gives the same top of the list (see
# rank_comparisons) at a fraction of the cost.
FULL_SCAN_MAX = 20_000


def adamic_adar_rows(engine: Engine, seeds: list[int], with_tags: bool = True) -> sp.csr_matrix:
    """Adamic-Adar scores of every topic against each seed (one sparse row per seed)."""
    adj = engine.node_adjacency if with_tags else engine.comparison_adjacency
    return (adj[seeds] @ aa_right(engine, with_tags)).tocsr()


def adamic_adar_sum(engine: Engine, seeds: list[int]) -> np.ndarray:
    """The sum over ``seeds`` of their Adamic-Adar rows (with tags), as a dense vector.

    Equal to ``adamic_adar_rows(engine, seeds).sum(axis=0)`` up to rounding, without
    building the rows: the seeds' neighbours, counted once per seed, then their
    weighted rows.
    """
    adj = engine.node_adjacency
    ids = np.asarray(seeds, dtype=np.int64)
    middle = spread(adj, ids, np.ones(len(ids)))
    support = np.flatnonzero(middle)
    return spread(aa_right(engine, True), support, middle[support])


def aa_right(engine: Engine, with_tags: bool) -> sp.csr_matrix:
    """diag(1 / log degree) @ adjacency[:, topics], built once per engine: row k is
    what a shared neighbour k adds to each topic's Adamic-Adar score."""

    def build() -> sp.csr_matrix:
        adj = engine.node_adjacency if with_tags else engine.comparison_adjacency
        deg = np.asarray(adj.sum(axis=1)).ravel()
        weight = np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
        return (sp.diags(weight) @ adj[:, : engine.n_topics]).tocsr()

    return engine.derived(("aa-right", with_tags), build)


def blend(ppr: np.ndarray, aa: np.ndarray, aa_weight: float = AA_WEIGHT) -> np.ndarray:
    """Both signals scaled to a maximum of 1, Adamic-Adar added with ``aa_weight``."""
    top_ppr, top_aa = ppr.max(initial=0.0), aa.max(initial=0.0)
    out = ppr / top_ppr if top_ppr > 0 else ppr.copy()
    if top_aa > 0:
        out = out + aa_weight * (aa / top_aa)
    return out


def blended_scores(
    engine: Engine,
    seeds: list[int],
    params: PPRParams | None = None,
    aa_weight: float = AA_WEIGHT,
    per_seed: bool = True,
) -> np.ndarray:
    """The default method's score of every topic for a set of seed topics.

    PageRank restarting uniformly on a set equals the mean of the single-seed
    PageRanks. With ``per_seed`` each seed is one column of a batch, which is how
    the index computes pages, so both give the same numbers to the last bit;
    without it the set is one restart vector, one column: cheaper, for ad-hoc sets.
    """
    ppr = PPR.of(engine, params)
    if per_seed:
        vectors = ppr.vectors([[s] for s in seeds])[: engine.n_topics]
        p = vectors.mean(axis=1) * ppr.damping
    else:
        p = ppr.vector(seeds)[: engine.n_topics] * ppr.damping
        return blend(p, adamic_adar_sum(engine, seeds), aa_weight)
    aa = np.asarray(adamic_adar_rows(engine, seeds).sum(axis=0)).ravel()
    return blend(p, aa, aa_weight)


def cap_seeds(scores: np.ndarray, seeds: list[int]) -> np.ndarray:
    """A copy of ``scores`` in which the seeds score no higher than the best other
    topic, so that comparisons of the query's own topics do not fill every slot."""
    s = np.asarray(scores, dtype=np.float64).copy()
    if len(seeds) and len(seeds) < len(s):
        mask = np.ones(len(s), dtype=bool)
        mask[seeds] = False
        cap = s[mask].max()
        s[seeds] = np.minimum(s[seeds], cap)
    return s


def pair_scores(scores: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The score of comparisons with sides ``ends`` (rows of two topic ids):
    sqrt(score[C] * score[D]), a negative side counting as 0, so both sides must be
    close to the query.

    >>> pair_scores(np.array([0.25, 1.0, -2.0]), np.array([[0, 1], [1, 2]])).tolist()
    [0.5, 0.0]
    """
    return np.sqrt(np.clip(scores[ends[:, 0]], 0, None) * np.clip(scores[ends[:, 1]], 0, None))


def comparisons_touching(engine: Engine, topics: np.ndarray | list[int]) -> np.ndarray:
    """Ids of the comparisons with a side among ``topics``, sorted, each once: the
    candidates of a page whose best topics are ``topics``.

    >>> from pickgraph import graph
    >>> e = Engine(graph.load())
    >>> pg = e.topic_id["postgresql"]
    >>> np.array_equal(comparisons_touching(e, [pg]), np.sort(e.comparisons_of(pg)))
    True
    """
    m = engine.topic_comparisons
    ids = np.asarray(topics, dtype=np.int64)
    return distinct(m.indices[slice_positions(m, ids)[0]])


def _top_arrays(ids: np.ndarray, values: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` best ids and values, by value then id."""
    if len(ids) > count:
        part = np.argpartition(-values, count - 1)[:count]
        kth = values[part].min()
        keep = values >= kth  # keep ties at the boundary so the id tie-break is right
        ids, values = ids[keep], values[keep]
    order = np.lexsort((ids, -values))[:count]
    return ids[order], values[order]


def _top(ids: np.ndarray, values: np.ndarray, count: int) -> list[tuple[int, float]]:
    """The ``count`` best (id, value) pairs, by value then id."""
    top_ids, top_values = _top_arrays(ids, values, count)
    return list(zip(top_ids.tolist(), top_values.tolist(), strict=True))


def rank_comparisons(
    engine: Engine,
    scores: np.ndarray,
    seeds: list[int],
    exclude: set[int] | frozenset[int] = frozenset(),
    count: int = 150,
) -> list[tuple[int, float]]:
    """The ``count`` best comparisons by ``pair_scores`` (seeds capped), no diversity."""
    s = cap_seeds(scores, seeds)
    ends = engine.comparison_ends
    m = len(ends)
    if m == 0:
        return []
    want = count + len(exclude)
    if m > FULL_SCAN_MAX:
        n = min(engine.n_topics, max(64, 2 * want))
        top = np.argpartition(-s, n - 1)[:n]
        threshold = s[top].min()
        cand = comparisons_touching(engine, top)
        cand_scores = pair_scores(s, ends[cand])
        # Any other comparison has both ends below the threshold, so scores below it:
        # if enough candidates beat it, the top of the list is exact.
        if (cand_scores > threshold).sum() >= want:
            ranked = _top(cand, cand_scores, want)
            return [(c, v) for c, v in ranked if c not in exclude][:count]
    ranked = _top(np.arange(m), pair_scores(s, ends), want)
    return [(c, v) for c, v in ranked if c not in exclude][:count]


def rank_topics(
    engine: Engine, scores: np.ndarray, exclude: np.ndarray | list[int], count: int = 50
) -> list[tuple[int, float]]:
    """The ``count`` best topics, excluding ``exclude`` (the query, and so on)."""
    s = np.asarray(scores, dtype=np.float64).copy()
    s[np.asarray(exclude, dtype=np.int64)] = -np.inf
    ranked = _top(np.arange(len(s)), s, count)
    return [(t, v) for t, v in ranked if np.isfinite(v)]


def diversify(
    engine: Engine, ranked: list[tuple[int, float]], limit: int
) -> list[tuple[int, float]]:
    """The first ``limit`` comparisons of ``ranked`` in which no topic appears in more
    than half of the list (at least once). The list may come out shorter than
    ``limit`` when the candidates cannot satisfy that.

    >>> from pickgraph import graph
    >>> e = Engine(graph.load())
    >>> ids = [int(i) for i in e.comparisons_of(e.topic_id["postgresql"])]
    >>> len(diversify(e, [(i, 1.0) for i in ids], 6))
    3
    """
    cap = max(1, limit // 2)
    used: dict[int, int] = {}
    out = []
    for cid, score in ranked:
        a, b = engine.comparison_ends[cid]
        if used.get(a, 0) >= cap or used.get(b, 0) >= cap:
            continue
        used[a] = used.get(a, 0) + 1
        used[b] = used.get(b, 0) + 1
        out.append((cid, score))
        if len(out) == limit:
            break
    return out
