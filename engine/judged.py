"""Judged evaluation: what each method shows a reader, scored against reader judgments.

For every judged query page, each method produces exactly the lists the site would
show (the default with its confidence floor, baselines as they rank). Each shown
list is one unit; per unit:

- ``precision``: of all the suggestions shown, the share judged 2, "the reader would
  plausibly click it next"; marginal (1) and unjudged items do not count. This is the
  figure a reader feels: a marginal suggestion is one the reader skips. It pools every
  shown item (so a long list weighs as much as its length); ``precision_per_list`` is
  the mean of each list's own share, over the lists that show something;
- ``precision_lenient``: the share judged 1 or 2 (the TREC convention), for reference;
- ``ndcg@6``: graded DCG (gain 2^grade - 1, log2 discount) of the method's six best
  ranked candidates, over the ideal DCG of the query's judged pool: the quality of the
  ranking, apart from where a confidence floor cuts it (for baselines this is what they
  show); ``ndcg@6_shown`` is the same over the shown list, which a floor can only lower;
- ``judged_share``: the share of shown items that carry a judgment;
- ``shown``: the list's length.

Methods with tied scores are ranked with seeded random tie-breaks (mean over
``tie_seeds`` orders), never by slug. Differences between the default and each other
method come with a paired bootstrap 95% interval over query pages.
"""

from __future__ import annotations

import numpy as np

from pickgraph.graph import TopicGraph

from .judgments import LISTS, PAGES, Judgments, QueryJudgments
from .methods import DEFAULT_METHOD, METHODS, Method, get_method
from .suggest import Recommender

__all__ = ["evaluate_judged", "shown_lists", "TieBroken"]

# Per list; the precision figures are pooled from the counts (see _summary).
KEYS = ("ndcg@6", "ndcg@6_shown", "judged_share", "shown")
COUNTS = ("relevant", "marginal", "judged", "shown")
DEPTH = 6


class TieBroken(Method):
    """``method`` with exact ties broken by a seeded random order, not by slug.

    The jitter is far below float32 resolution, so it reorders only exact ties."""

    def __init__(self, method: Method, seed: int):
        self.inner = method
        self.name = method.name
        self.seed = seed

    def topic_scores(self, engine, seeds):
        scores = np.asarray(self.inner.topic_scores(engine, seeds), dtype=np.float64)
        key = np.random.SeedSequence([self.seed, *sorted(int(s) for s in seeds)])
        noise = np.random.default_rng(key).random(len(scores))
        scale = np.maximum(np.abs(scores), 1e-300) * 1e-12
        return scores + noise * scale


def shown_lists(
    rec: Recommender, q: QueryJudgments, method, floor: bool = True
) -> dict[str, list[str]]:
    """The slugs a reader of ``q``'s page would see in each list under ``method``
    (without ``floor``: the method's six best, where no floor cuts them)."""
    if q.page == "comparison":
        s = rec.for_comparison(q.seeds[0], method=method, floor=floor)
    elif q.page == "topic":
        s = rec.for_topic(q.seeds[0], method=method, floor=floor)
    else:
        s = rec.for_topics(list(q.seeds), method=method, floor=floor)
    return {
        "comparisons": [c.slug for c in s.comparisons],
        "topics": [t.slug for t in s.topics],
    }


def _dcg(grades: list[int]) -> float:
    return float(sum((2**g - 1) / np.log2(i + 2) for i, g in enumerate(grades[:DEPTH])))


def _unit(
    q: QueryJudgments, list_name: str, shown: list[str], ranked: list[str]
) -> dict[str, float] | None:
    pool = q.grades[list_name]
    if not pool:
        return None
    grades = [pool.get(slug) for slug in shown]
    top = [pool.get(slug) or 0 for slug in ranked]
    ideal = _dcg(sorted(pool.values(), reverse=True))
    n = len(shown)
    nan = float("nan")
    return {
        "relevant": float(sum(1 for g in grades if g == 2)),
        "marginal": float(sum(1 for g in grades if g == 1)),
        "judged": float(sum(1 for g in grades if g is not None)),
        "shown": float(n),
        "list_precision": sum(1 for g in grades if g == 2) / n if n else nan,
        "ndcg@6": _dcg(top) / ideal if ideal > 0 else nan,
        "ndcg@6_shown": _dcg([g or 0 for g in grades]) / ideal if ideal > 0 else nan,
        "judged_share": sum(1 for g in grades if g is not None) / n if n else 1.0,
    }


def _mean(units: list[dict], key: str) -> float:
    values = [u[key] for u in units if not np.isnan(u[key])]
    return round(float(np.mean(values)), 4) if values else float("nan")


def _summary(units: list[dict]) -> dict:
    shown = sum(u["shown"] for u in units)
    out = {
        "precision": round(sum(u["relevant"] for u in units) / shown, 4) if shown else 0.0,
        "precision_lenient": (
            round(sum(u["relevant"] + u["marginal"] for u in units) / shown, 4) if shown else 0.0
        ),
        "precision_per_list": _mean(units, "list_precision"),
        "ndcg@6": _mean(units, "ndcg@6"),
        "ndcg@6_shown": _mean(units, "ndcg@6_shown"),
        "judged_share": round(sum(u["judged"] for u in units) / shown, 4) if shown else 1.0,
        "shown": _mean(units, "shown"),
        "empty_lists": sum(1 for u in units if u["shown"] == 0),
        "units": len(units),
    }
    return out


def _bootstrap(a: np.ndarray, b: np.ndarray, samples: int, seed: int) -> list[float]:
    """Paired bootstrap 95% interval of mean(a - b) over query pages (NaN pairs dropped)."""
    keep = ~(np.isnan(a) | np.isnan(b))
    d = a[keep] - b[keep]
    if len(d) == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(samples, len(d)))].mean(axis=1)
    return [round(float(np.quantile(means, 0.025)), 4), round(float(np.quantile(means, 0.975)), 4)]


def evaluate_judged(
    tg: TopicGraph,
    judgments: Judgments,
    methods: list[str] | None = None,
    sets: tuple[str, ...] = ("test",),
    tie_seeds: int = 5,
    bootstrap: int = 2000,
) -> dict:
    """Every method's shown lists scored on the judged queries of ``sets``.

    >>> from pickgraph import graph
    >>> from pickgraph.engine.judgments import load_judgments
    >>> from pathlib import Path
    >>> j = load_judgments(Path(__file__).resolve().parent.parent / "eval" / "judgments.yaml")
    >>> r = evaluate_judged(graph.load(), j, ["popularity"], tie_seeds=1, bootstrap=10)
    >>> m = r["methods"]["popularity"]
    >>> m["precision"] < 0.2 and {"ndcg@6", "judged_share", "by_page", "by_list"} <= set(m)
    True
    """
    methods = list(dict.fromkeys([DEFAULT_METHOD, *(methods or METHODS)]))
    for name in methods:
        get_method(name)
    queries = judgments.of_set(*sets)
    rec = Recommender(tg)
    known = [q for q in queries if _exists(tg, q)]
    per_method: dict[str, list[list[dict | None]]] = {}
    for name in methods:
        base = get_method(name)
        # a method with continuous scores has no ties to break: one pass is enough
        seeds = range(tie_seeds) if getattr(base, "ties", True) else range(1)
        runs = []
        for seed in seeds:
            method = TieBroken(base, seed) if getattr(base, "ties", True) else base
            units = []
            for q in known:
                lists = shown_lists(rec, q, method)
                ranked = shown_lists(rec, q, method, floor=False)
                units += [_unit(q, ln, lists[ln], ranked[ln]) for ln in LISTS]
            runs.append(units)
        per_method[name] = [_average(list(u)) for u in zip(*runs, strict=True)]
    index = [(q, list_name) for q in known for list_name in LISTS]
    out: dict = {
        "default": DEFAULT_METHOD,
        "sets": list(sets),
        "queries": len(known),
        "skipped": [q.id for q in queries if q not in known],
        "judgments": sum(len(g) for q in known for g in q.grades.values()),
        "methods": {},
        "intervals": {},
    }
    for name, units in per_method.items():
        pairs = [(key, u) for key, u in zip(index, units, strict=True) if u is not None]
        result = _summary([u for _, u in pairs])
        result["by_page"] = {
            page: _summary([u for (q, _), u in pairs if q.page == page]) for page in PAGES
        }
        result["by_list"] = {
            ln: _summary([u for (_, ln_), u in pairs if ln_ == ln]) for ln in LISTS
        }
        out["methods"][name] = result
    default = _per_query(index, per_method[DEFAULT_METHOD])
    for name, units in per_method.items():
        if name == DEFAULT_METHOD:
            continue
        other = _per_query(index, units)
        out["intervals"][name] = {
            key: _bootstrap(default[key], other[key], bootstrap, seed=len(name))
            for key in ("ndcg@6", "precision")
        }
    return out


def _per_query(index, units) -> dict[str, np.ndarray]:
    """Per query page: pooled precision of its lists, mean nDCG@6 (NaN where none)."""
    rows: dict[str, list] = {}
    for (q, _), u in zip(index, units, strict=True):
        if u is not None:
            rows.setdefault(q.id, []).append(u)
    precision, ndcg = [], []
    for us in rows.values():
        shown = sum(u["shown"] for u in us)
        precision.append(sum(u["relevant"] for u in us) / shown if shown else np.nan)
        values = [u["ndcg@6"] for u in us if not np.isnan(u["ndcg@6"])]
        ndcg.append(np.mean(values) if values else np.nan)
    return {"precision": np.array(precision), "ndcg@6": np.array(ndcg)}


def _average(units: list[dict | None]) -> dict | None:
    """One unit from the same unit under several tie-break orders."""
    if units[0] is None:
        return None
    return {k: float(np.mean([u[k] for u in units])) for k in units[0]}


def _exists(tg: TopicGraph, q: QueryJudgments) -> bool:
    if q.page == "comparison":
        return tg.find("comparison", q.seeds[0]) is not None
    return all(tg.find("topic", s) is not None for s in q.seeds)
