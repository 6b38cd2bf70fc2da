"""Benchmark: local push against power iterations for the index's topic rows.

Past DENSE_MAX topics the index keeps each topic's TRUNCATE best affinities (the
learned ranker's logits). ``walk="power"`` computes them from full power iterations
(the exact reference); ``walk="push"`` from a local push PageRank with a residual
tolerance (``PPR.push``, ``PageModel.top_affinities``). For each synthetic graph, in
a fresh process, on the same sample of pages:

- cost: milliseconds per topic row, median over batches of 16 rows, and the number
  of topics a row's push reaches;
- agreement of the rows: recall@10 (the share of the exact row's 10 best topics among
  the push row's 10 best) and the share of rows whose 6 best are identical, in order;
- agreement of the pages (what readers see): the same two measures for each sampled
  page's "You might also compare" list, computed from either set of rows.

The reference runs in the same process on the same rows. The chosen tolerance is
the largest with recall@10 >= 0.99 for rows and pages alike.

    python benchmarks/push.py                  # 10k topics / 100k comparisons
    python benchmarks/push.py --closure 0.5    # comparisons that close triangles
    python benchmarks/push.py --sizes 100000x1000000 --pages 1000 --json
"""

from __future__ import annotations

import argparse
import json
import sys

from synthetic import parse_sizes, run_child

TOLERANCES = (1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 3e-7)
TARGET = 0.99

_CHILD = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, {here!r}); sys.path.insert(0, {root!r})
import numpy as np
from synthetic import Spec, generate_graph, sample_pages
from pickgraph.engine.core import Engine
from pickgraph.engine.index import TRUNCATE, _Affinities
from pickgraph.engine.pagemodel import page_model

topics, comparisons, closure, pages, tolerances = {args}
spec = Spec(topics, comparisons, max(topics // 10, 10), closure=closure)
t0 = time.perf_counter()
engine = Engine(generate_graph(spec))
generate_s = time.perf_counter() - t0
t0 = time.perf_counter()
pm = page_model(engine).prepare()
prepare_s = time.perf_counter() - t0
n, m = engine.n_topics, len(engine.comparison_ends)
keep = min(TRUNCATE, n)
# half topic pages, half comparison pages; their seeds are the rows measured
topic_pages, comparison_pages, seeds = sample_pages(engine, pages, seed=11)


def rows(walk, tolerance=None):
    idx = np.empty((n, keep), np.int32)
    val = np.full((n, keep), np.nan, np.float32)
    per_row = []
    for start in range(0, len(seeds), 16):
        batch = seeds[start : start + 16].tolist()
        t = time.perf_counter()
        if walk == "push":
            i, v = pm.top_affinities(batch, keep, tolerance)
        else:
            aff = pm.affinities(batch, batch=True)
            i = np.argpartition(-aff, keep - 1, axis=1)[:, :keep]
            v = np.take_along_axis(aff, i, axis=1)
        per_row.append((time.perf_counter() - t) * 1000 / len(batch))
        idx[batch], val[batch] = i, v
    return _Affinities(n, keep_idx=idx, keep_val=val), statistics.median(per_row)


def best(aff, seed, k):
    ids, vals = aff.keep_idx[seed], aff.keep_val[seed]
    order = ids[np.lexsort((ids, -vals))]
    return order[order != seed][:k]


def page_lists(aff):
    out = []
    for t in topic_pages.tolist():
        cand = pm.score([t], "topic", engine.comparisons_of(t), [t], aff=aff.rows([t]))
        out.append(cand.comparisons)
    for c in comparison_pages.tolist():
        s = [int(x) for x in engine.comparison_ends[c]]
        cand = pm.score(s, "comparison", np.array([c]), s, aff=aff.rows(s))
        out.append(cand.comparisons)
    return out


def agreement(exact, got):
    recall = [
        len(np.intersect1d(a[:10], b[:10])) / max(1, min(10, len(a))) for a, b in zip(exact, got)
    ]
    same = [np.array_equal(a[:6], b[:6]) for a, b in zip(exact, got)]
    return round(float(np.mean(recall)), 4), round(float(np.mean(same)), 4)


power, power_ms = rows("power")
exact_rows = [best(power, s, 10) for s in seeds.tolist()]
exact_pages = page_lists(power)
result = {{"topics": n, "comparisons": m, "closure": closure, "rows": len(seeds),
           "pages": pages, "generate_s": round(generate_s, 1), "prepare_s": round(prepare_s, 1),
           "ranker": dict(zip(pm.ranker.names, [round(c, 3) for c in pm.ranker.coef])),
           "power_ms_per_row": round(power_ms, 3), "push": []}}
for tolerance in tolerances:
    pushed, push_ms = rows("push", tolerance)
    walks = pm.space.ppr.push(seeds[:64].tolist(), tolerance)
    reached = np.diff(walks.indptr).mean()
    r10, r6 = agreement(exact_rows, [best(pushed, s, 10) for s in seeds.tolist()])
    p10, p6 = agreement(exact_pages, page_lists(pushed))
    result["push"].append({{"tolerance": tolerance, "ms_per_row": round(push_ms, 3),
        "speedup": round(power_ms / push_ms, 2), "nodes_reached": round(float(reached), 1),
        "rows_recall@10": r10, "rows_top6_identical": r6,
        "pages_recall@10": p10, "pages_top6_identical": p6}})
result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(result))
"""


def run(topics: int, comparisons: int, closure: float, pages: int, tolerances) -> dict:
    result = run_child(_CHILD, (topics, comparisons, closure, pages, tuple(tolerances)))
    good = [
        p["tolerance"]
        for p in result["push"]
        if p["rows_recall@10"] >= TARGET and p["pages_recall@10"] >= TARGET
    ]
    result["chosen_tolerance"] = max(good) if good else None
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--sizes", type=parse_sizes, default="10000x100000", help="TOPICSxCOMPARISONS,..."
    )
    p.add_argument("--closure", type=float, nargs="+", default=[0.0], help="Spec.closure")
    p.add_argument("--pages", type=int, default=2000, help="sampled pages (half of each kind)")
    p.add_argument("--tolerances", type=float, nargs="+", default=list(TOLERANCES), metavar="T")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    results = []
    for topics, comparisons in args.sizes:
        for closure in args.closure:
            results.append(run(topics, comparisons, closure, args.pages, args.tolerances))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(
            f"{r['topics']} topics / {r['comparisons']} comparisons, closure {r['closure']}: "
            f"{r['rows']} rows of {r['pages']} sampled pages; power iterations "
            f"{r['power_ms_per_row']} ms a row"
        )
        print(f"  ranker weights: {r['ranker']}")
        print(
            f"  {'tolerance':>9} {'ms/row':>7} {'speedup':>7} {'reached':>8} "
            f"{'rows r@10':>9} {'rows top6':>9} {'pages r@10':>10} {'pages top6':>10}"
        )
        for x in r["push"]:
            print(
                f"  {x['tolerance']:>9g} {x['ms_per_row']:>7.2f} {x['speedup']:>7.2f} "
                f"{x['nodes_reached']:>8.0f} {x['rows_recall@10']:>9.4f} "
                f"{x['rows_top6_identical']:>9.4f} {x['pages_recall@10']:>10.4f} "
                f"{x['pages_top6_identical']:>10.4f}"
            )
        print(f"  chosen tolerance (recall@10 >= {TARGET}): {r['chosen_tolerance']}")
        print(f"  peak RSS {r['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
