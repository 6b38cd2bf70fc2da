"""Offline link-prediction evaluation: hide comparisons, ask each method to find them.

Protocol v2 (the default; docs/evaluation.md):

1. For each of ``splits`` seeds, hide ``holdout`` of the comparisons and the related
   links between their topics (``holdout.hide``); every method, the learned ranker's
   training included, sees only the rest.
2. From each hidden comparison (A, B), query from A (target B) and from B (target A),
   and rank the full catalogue: every topic but the query and the topics it is still
   compared with. No sampled negatives.
3. Ties count at their expected rank: a target tied with t others is at each of those
   t + 1 places with equal chance (never ordered by slug).
4. Queries whose query or target topic keeps no comparison in training are "cold":
   only the hold-out makes such a topic (real content has none), and a method that
   favours low degree finds them by that alone. They are reported apart, never mixed
   into the main figures.
5. Hits@5/10, MRR and nDCG@10 are means over warm queries of all splits; each
   baseline's difference to the default comes with a paired bootstrap 95% interval
   over those queries. Catalogue coverage: the share of topics in some top-``k`` list.

Protocol v1 (the earlier one, for comparison) keeps related links, breaks ties by slug
and mixes cold queries in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pickgraph.graph import Comparison, TopicGraph
from pickgraph.graph.errors import BadRequest

from .core import Engine
from .holdout import choose_hidden, hide
from .index import open_tasks
from .methods import DEFAULT_METHOD, METHODS, get_method

__all__ = ["DEGREE_BUCKETS", "PROTOCOLS", "Split", "evaluate", "rank_stats", "split"]

PROTOCOLS = ("v1", "v2")
# Query topics grouped by how many comparisons they keep in training.
DEGREE_BUCKETS = (("1", 1, 1), ("2-3", 2, 3), ("4+", 4, 10**9))
METRICS = ("hits@5", "hits@10", "mrr", "ndcg@10")


@dataclass
class Split:
    seed: int
    train: TopicGraph
    held_out: list[Comparison]


def split(tg: TopicGraph, holdout: float = 0.1, seed: int = 0, drop_related: bool = True) -> Split:
    """Hold out a share of comparisons; the training graph never sees them (nor, with
    ``drop_related``, a related link between their two topics).

    >>> from pickgraph import graph
    >>> s = split(graph.load(), 0.1, seed=0)
    >>> len(s.held_out) + len(s.train.comparisons) == len(graph.load().comparisons)
    True
    >>> any(c.slug in s.train.comparisons for c in s.held_out)
    False
    """
    if not 0 < holdout < 1:
        raise BadRequest(f"holdout must be between 0 and 1, not {holdout}", "holdout")
    held_out = choose_hidden(tg, holdout, np.random.default_rng(seed))
    train = hide(tg, held_out, f"train-{seed}", drop_related=drop_related)
    return Split(seed, train, held_out)


def rank_stats(scores: np.ndarray, target: int, excluded: np.ndarray) -> tuple[int, int]:
    """(topics scoring strictly better than ``target``, topics tied with it), among
    every topic not ``excluded``."""
    s = scores[target]
    mask = np.ones(len(scores), dtype=bool)
    mask[excluded] = False
    mask[target] = False
    return int((mask & (scores > s)).sum()), int((mask & (scores == s)).sum())


def _metrics_at(better: int, ties: int, by_slug_rank: int | None = None) -> np.ndarray:
    """Expected Hits@5, Hits@10, reciprocal rank and nDCG@10 when the target is at
    rank better + 1 + U, U uniform on 0..ties (or at exactly ``by_slug_rank``)."""
    if by_slug_rank is not None:
        ranks = np.array([by_slug_rank], dtype=float)
    else:
        ranks = better + 1 + np.arange(ties + 1, dtype=float)
    return np.array(
        [
            (ranks <= 5).mean(),
            (ranks <= 10).mean(),
            (1.0 / ranks).mean(),
            np.where(ranks <= 10, 1.0 / np.log2(ranks + 1), 0.0).mean(),
        ]
    )


def _bucket(degree: int) -> str:
    for name, lo, hi in DEGREE_BUCKETS:
        if lo <= degree <= hi:
            return name
    return "0"


def evaluate_split(s: Split, methods: list[str], k: int, protocol: str) -> dict:
    """Per method: one row of METRICS per query, whether it is cold, its bucket, and
    the split's coverage."""
    engine = Engine(s.train)
    queries = []
    for c in s.held_out:
        a, b = engine.topic_id[c.a.topic], engine.topic_id[c.b.topic]
        queries += [(a, b), (b, a)]
    degree = engine.comparison_degree
    cold = [bool(degree[q] == 0 or degree[t] == 0) for q, t in queries]
    buckets = [_bucket(int(degree[q])) for q, _ in queries]
    rng = np.random.default_rng(s.seed)
    tiebreak = rng.random(engine.n_topics)
    out = {}
    for name in methods:
        method = get_method(name)
        rows = []
        for query, target in queries:
            scores = np.asarray(method.topic_scores(engine, [query]), dtype=np.float64)
            excluded = np.r_[query, engine.partners(query)]
            better, ties = rank_stats(scores, target, excluded)
            if protocol == "v1":  # ties broken by slug: ids below the target win
                s_t = scores[target]
                ids = np.arange(len(scores))
                mask = np.ones(len(scores), dtype=bool)
                mask[excluded] = False
                ahead = (scores > s_t) | ((scores == s_t) & (ids < target))
                rows.append(_metrics_at(better, ties, int((mask & ahead).sum()) + 1))
            else:
                rows.append(_metrics_at(better, ties))
        covered = np.zeros(engine.n_topics, dtype=bool)
        for t in range(engine.n_topics):
            scores = np.asarray(method.topic_scores(engine, [t]), dtype=float).copy()
            scores[t] = -np.inf
            scores[engine.partners(t)] = -np.inf
            top = np.lexsort((tiebreak, -scores))[:k]
            covered[top[np.isfinite(scores[top])]] = True
        out[name] = {"rows": np.array(rows), "coverage": float(covered.mean())}
    return {"methods": out, "cold": cold, "buckets": buckets, "queries": len(queries)}


def _evaluate_seed(tg: TopicGraph, setup: tuple, seed: int) -> dict:
    """One task: the split of ``seed`` and its evaluation."""
    holdout, drop_related, methods, k, protocol = setup
    return evaluate_split(split(tg, holdout, seed, drop_related), methods, k, protocol)


def _bootstrap(diff: np.ndarray, samples: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(samples, len(diff)))].mean(axis=1)
    return [round(float(np.quantile(means, 0.025)), 4), round(float(np.quantile(means, 0.975)), 4)]


def _summary(rows: np.ndarray) -> dict:
    if len(rows) == 0:
        return {**{m: 0.0 for m in METRICS}, "queries": 0}
    return {
        **{m: round(float(v), 4) for m, v in zip(METRICS, rows.mean(axis=0), strict=True)},
        "queries": len(rows),
    }


def evaluate(
    tg: TopicGraph,
    methods: list[str] | None = None,
    splits: int | None = None,
    holdout: float = 0.1,
    k: int = 10,
    first_seed: int = 0,
    protocol: str = "v2",
    bootstrap: int = 2000,
    scheduler=None,
) -> dict:
    """Link-prediction metrics per method (see the module docstring).

    The splits are independent tasks: with ``scheduler`` (or $PICKGRAPH_SCHEDULER)
    they run where ``index.open_tasks`` says, "local" for a LocalCluster on this
    machine; by default, one after the other in this process. Either way the
    results are gathered in split order.

    Returns ``{"protocol", "default", "methods": {NAME: {"hits@5", "hits@10", "mrr",
    "ndcg@10", "coverage", "queries"}}, "cold": {...}, "by_degree": {...},
    "intervals": {NAME: {"mrr": [lo, hi], "hits@10": [lo, hi]}}, ...}``; an interval
    is that of the default's mean minus the method's.

    >>> from pickgraph import graph
    >>> r = evaluate(graph.load(), ["ppr-aa", "popularity"], splits=1, bootstrap=100)
    >>> r["methods"]["ppr-aa"]["hits@10"] > r["methods"]["popularity"]["hits@10"]
    True
    >>> r["intervals"]["popularity"]["mrr"][0] > 0
    True
    """
    if protocol not in PROTOCOLS:
        raise BadRequest(f"protocol must be one of {', '.join(PROTOCOLS)}", "protocol")
    splits = splits if splits is not None else (30 if protocol == "v2" else 5)
    methods = list(dict.fromkeys([DEFAULT_METHOD, *(methods or METHODS)]))
    for name in methods:
        get_method(name)
    if splits < 1:
        raise BadRequest("splits must be at least 1", "splits")
    if k < 1:
        raise BadRequest("k must be at least 1", "k")
    seeds = list(range(first_seed, first_seed + splits))
    setup = (holdout, protocol == "v2", methods, k, protocol)
    by_seed: dict[int, dict] = {}
    with open_tasks(scheduler) as tasks:
        shared = (tasks.share(tg), setup)
        tasks.run(_evaluate_seed, shared, seeds, by_seed.__setitem__)
    results = [by_seed[seed] for seed in seeds]
    cold = np.concatenate([r["cold"] for r in results])
    buckets = np.concatenate([r["buckets"] for r in results])
    warm = ~cold if protocol == "v2" else np.ones(len(cold), dtype=bool)
    rows = {m: np.vstack([r["methods"][m]["rows"] for r in results]) for m in methods}
    out: dict = {
        "protocol": protocol,
        "default": DEFAULT_METHOD,
        "splits": splits,
        "holdout": holdout,
        "k": k,
        "seeds": seeds,
        "queries": int(warm.sum()),
        "cold_queries": int((~warm).sum()),
        "methods": {},
        "std_over_splits": {},
        "cold": {},
        "by_degree": {},
        "intervals": {},
    }
    for m in methods:
        summary = _summary(rows[m][warm])
        coverage = np.mean([r["methods"][m]["coverage"] for r in results])
        summary["coverage"] = round(float(coverage), 4)
        out["methods"][m] = summary
        per_split = []
        start = 0
        for r in results:
            n = r["queries"]
            w = warm[start : start + n]
            per_split.append(rows[m][start : start + n][w].mean(axis=0) if w.any() else np.zeros(4))
            start += n
        per_split = np.array(per_split)
        out["std_over_splits"][m] = {
            "hits@10": round(float(per_split[:, 1].std()), 4),
            "mrr": round(float(per_split[:, 2].std()), 4),
        }
        out["cold"][m] = _summary(rows[m][~warm]) if protocol == "v2" else None
        out["by_degree"][m] = {
            b: _summary(rows[m][warm & (buckets == b)]) for b, _, _ in DEGREE_BUCKETS
        }
    base = rows[DEFAULT_METHOD][warm]
    for m in methods:
        if m == DEFAULT_METHOD:
            continue
        other = rows[m][warm]
        out["intervals"][m] = {
            "mrr": _bootstrap(base[:, 2] - other[:, 2], bootstrap, seed=1),
            "hits@10": _bootstrap(base[:, 1] - other[:, 1], bootstrap, seed=2),
        }
    return out
