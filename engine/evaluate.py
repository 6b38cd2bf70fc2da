"""Offline evaluation: hide comparisons, ask each method to find them again.

Protocol (docs/evaluation.md): for each of ``splits`` seeds, hold out a fraction of
the comparisons, build the engine from the rest only, then query from each held-out
comparison's endpoints and rank the full set of candidate topics (every topic but the
query topic and the topics it is already compared with; no sampled negatives). The
other endpoint is the one right answer. Catalogue coverage asks every topic for its
top ``k`` and counts the share of topics that appear in some list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from graph import Comparison, TopicGraph
from graph.errors import BadRequest

from .core import Engine
from .methods import DEFAULT_METHOD, METHODS, get_method

__all__ = ["Split", "split", "evaluate", "rank_of", "DEGREE_BUCKETS"]

# Query topics grouped by how many comparisons they keep in training.
DEGREE_BUCKETS = (("0-1", 0, 1), ("2-3", 2, 3), ("4+", 4, 10**9))


@dataclass
class Split:
    seed: int
    train: TopicGraph
    held_out: list[Comparison]


def split(tg: TopicGraph, holdout: float = 0.1, seed: int = 0) -> Split:
    """Hold out a fraction of comparisons; the training graph never sees them.

    >>> import graph
    >>> s = split(graph.load(), 0.1, seed=0)
    >>> len(s.held_out) + len(s.train.comparisons) == len(graph.load().comparisons)
    True
    >>> any(c.slug in s.train.comparisons for c in s.held_out)
    False
    """
    if not 0 < holdout < 1:
        raise BadRequest(f"holdout must be between 0 and 1, not {holdout}", "holdout")
    slugs = sorted(tg.comparisons)
    count = max(1, round(holdout * len(slugs)))
    rng = np.random.default_rng(seed)
    held = set(rng.choice(len(slugs), size=count, replace=False).tolist())
    train = {s: tg.comparisons[s] for i, s in enumerate(slugs) if i not in held}
    held_out = [tg.comparisons[slugs[i]] for i in sorted(held)]
    train_tg = TopicGraph(
        topics=tg.topics,
        comparisons=train,
        tag_info={},
        domains=tg.domains,
        aliases=tg.aliases,
        version=f"{tg.version}-train-{seed}",
    )
    # keep tag names and descriptions
    for slug, tag in tg.tags.items():
        if slug in train_tg.tags:
            train_tg.tags[slug].name, train_tg.tags[slug].description = tag.name, tag.description
    return Split(seed, train_tg, held_out)


def _order(scores: np.ndarray, engine: Engine) -> np.ndarray:
    """Topic ids by descending score, ties broken by slug (ids are slug-sorted)."""
    return np.lexsort((np.arange(len(scores)), -scores))


def rank_of(scores: np.ndarray, target: int, excluded: np.ndarray) -> int:
    """1-based rank of ``target`` among all topics not ``excluded``; ties by slug."""
    s = scores[target]
    mask = np.ones(len(scores), dtype=bool)
    mask[excluded] = False
    ids = np.arange(len(scores))
    better = mask & ((scores > s) | ((scores == s) & (ids < target)))
    return int(better.sum()) + 1


def _metrics(ranks: list[int]) -> dict[str, float]:
    r = np.asarray(ranks, dtype=float)
    if len(r) == 0:
        return {"hits@5": 0.0, "hits@10": 0.0, "mrr": 0.0, "ndcg@10": 0.0}
    return {
        "hits@5": float((r <= 5).mean()),
        "hits@10": float((r <= 10).mean()),
        "mrr": float((1.0 / r).mean()),
        "ndcg@10": float(np.where(r <= 10, 1.0 / np.log2(r + 1), 0.0).mean()),
    }


def _bucket(degree: int) -> str:
    for name, lo, hi in DEGREE_BUCKETS:
        if lo <= degree <= hi:
            return name
    raise AssertionError(degree)  # pragma: no cover


def evaluate_split(s: Split, methods: list[str], k: int = 10) -> dict:
    engine = Engine(s.train)
    queries = []
    for c in s.held_out:
        a, b = engine.topic_id[c.a.topic], engine.topic_id[c.b.topic]
        queries += [(a, b), (b, a)]
    out = {}
    for name in methods:
        method = get_method(name)
        ranks, by_degree = [], defaultdict(list)
        for query, target in queries:
            scores = method.topic_scores(engine, [query])
            excluded = np.r_[query, engine.partners(query)]
            r = rank_of(scores, target, excluded)
            ranks.append(r)
            by_degree[_bucket(int(engine.comparison_degree[query]))].append(r)
        covered = np.zeros(engine.n_topics, dtype=bool)
        for t in range(engine.n_topics):
            scores = method.topic_scores(engine, [t]).astype(float).copy()
            scores[t] = -np.inf
            scores[engine.partners(t)] = -np.inf
            top = _order(scores, engine)[:k]
            covered[top[np.isfinite(scores[top])]] = True
        result = _metrics(ranks)
        result["coverage"] = float(covered.mean())
        result["queries"] = len(ranks)
        result["by_degree"] = {
            b: {**_metrics(by_degree[b]), "queries": len(by_degree[b])}
            for b, _, _ in DEGREE_BUCKETS
        }
        out[name] = result
    return out


def evaluate(
    tg: TopicGraph,
    methods: list[str] | None = None,
    splits: int = 5,
    holdout: float = 0.1,
    k: int = 10,
    first_seed: int = 0,
) -> dict:
    """Mean metrics over ``splits`` random hold-outs, per method and by topic degree.

    Returns ``{"default": NAME, "methods": {NAME: {"hits@5", "hits@10", "mrr",
    "ndcg@10", "coverage", ...}}, "by_degree": {...}, ...}``.

    >>> import graph
    >>> r = evaluate(graph.load(), ["ppr-aa", "popularity"], splits=1)
    >>> r["methods"]["ppr-aa"]["hits@10"] > r["methods"]["popularity"]["hits@10"]
    True
    >>> sorted(r["by_degree"]["ppr-aa"])
    ['0-1', '2-3', '4+']
    """
    methods = list(methods or METHODS)
    for name in methods:
        get_method(name)
    if splits < 1:
        raise BadRequest("splits must be at least 1", "splits")
    if k < 1:
        raise BadRequest("k must be at least 1", "k")
    per_split = [
        evaluate_split(split(tg, holdout, seed), methods, k)
        for seed in range(first_seed, first_seed + splits)
    ]
    keys = ("hits@5", "hits@10", "mrr", "ndcg@10", "coverage")
    summary, by_degree, spread = {}, {}, {}
    for name in methods:
        rows = [r[name] for r in per_split]
        summary[name] = {key: round(float(np.mean([r[key] for r in rows])), 4) for key in keys}
        spread[name] = {
            key: round(float(np.std([r[key] for r in rows])), 4) for key in ("hits@10", "mrr")
        }
        by_degree[name] = {}
        for bucket, _, _ in DEGREE_BUCKETS:
            cells = [r["by_degree"][bucket] for r in rows]
            n = sum(c["queries"] for c in cells)
            by_degree[name][bucket] = {
                key: round(sum(c[key] * c["queries"] for c in cells) / n, 4) if n else 0.0
                for key in ("hits@5", "hits@10", "mrr", "ndcg@10")
            }
            by_degree[name][bucket]["queries"] = n
    return {
        "default": DEFAULT_METHOD,
        "splits": splits,
        "holdout": holdout,
        "k": k,
        "seeds": list(range(first_seed, first_seed + splits)),
        "queries_per_split": per_split[0][methods[0]]["queries"],
        "methods": summary,
        "std_over_splits": spread,
        "by_degree": by_degree,
    }
