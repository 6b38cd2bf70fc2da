"""Benchmark: scoring a large index's pages near the page against whole rows.

Past DENSE_MAX topics the index keeps each topic's TRUNCATE best affinities, and a
page is scored from its seeds' truncated rows. ``PageModel.score`` takes the rows made
whole (one float per topic) and reads every feature over every topic;
``PageModel.score_rows`` (what the build uses) reads them only at the sides of the
comparisons it can show. For each synthetic graph, in a fresh process, on the same
sample of pages (half topic pages, half comparison pages) and the same truncated rows
(from power iterations). The graph needs more than FULL_SCAN (20,000) comparisons: below
that both read every comparison and the near path is the same code:

- milliseconds per page for each, in alternating rounds so that both see the same
  machine load, and the ratio of their medians (the reference: whole rows);
- how many pages got the identical lists from both (comparisons and topics, in order,
  with the same probabilities; they must all).

    python benchmarks/pages.py                                 # 10k / 100k
    python benchmarks/pages.py --sizes 100000x1000000 --pages 1000 --json
"""

from __future__ import annotations

import argparse
import json
import sys

from synthetic import parse_sizes, run_child

_CHILD = r"""
import json, statistics, sys, time
sys.path.insert(0, {here!r}); sys.path.insert(0, {root!r})
import numpy as np
from synthetic import Spec, generate_graph, sample_pages
from pickgraph.engine.core import Engine
from pickgraph.engine.index import TRUNCATE, _Affinities
from pickgraph.engine.pagemodel import page_model

topics, comparisons, pages, rounds = {args}
t0 = time.perf_counter()
engine = Engine(generate_graph(Spec(topics, comparisons, max(topics // 10, 10))))
pm = page_model(engine).prepare()
setup_s = time.perf_counter() - t0
n, m = engine.n_topics, len(engine.comparison_ends)
keep = min(TRUNCATE, n)
topic_pages, comparison_pages, seeds = sample_pages(engine, pages, seed=3)
idx = np.zeros((n, keep), np.int32)
val = np.zeros((n, keep), np.float32)
for start in range(0, len(seeds), 16):
    batch = seeds[start : start + 16].tolist()
    aff = pm.affinities(batch, batch=True)
    part = np.argpartition(-aff, keep - 1, axis=1)[:, :keep]
    idx[batch], val[batch] = part, np.take_along_axis(aff, part, axis=1)
rows = _Affinities(n, keep_idx=idx, keep_val=val)
work = [([int(t)], "topic", engine.comparisons_of(int(t))) for t in topic_pages]
work += [
    ([int(x) for x in engine.comparison_ends[c]], "comparison", np.array([c]))
    for c in comparison_pages
]


def whole():
    return [pm.score(s, page, skip, s, aff=rows.rows(s)) for s, page, skip in work]


def near():
    return [
        pm.score_rows(s, page, skip, s, [(idx[x], val[x]) for x in s]) for s, page, skip in work
    ]


def same(a, b):
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("comparisons", "comparison_scores", "topics", "topic_scores")
    )


times = {{"whole": [], "near": []}}
lists = {{}}
for r in range(rounds):
    for name in ("whole", "near") if r % 2 == 0 else ("near", "whole"):
        t = time.perf_counter()
        lists[name] = (whole if name == "whole" else near)()
        times[name].append((time.perf_counter() - t) * 1000 / len(work))
identical = sum(same(a, b) for a, b in zip(lists["whole"], lists["near"]))
whole_ms, near_ms = statistics.median(times["whole"]), statistics.median(times["near"])
print(json.dumps({{
    "topics": n, "comparisons": m, "pages": len(work), "setup_s": round(setup_s, 1),
    "whole_rows_ms": [round(x, 3) for x in times["whole"]],
    "near_page_ms": [round(x, 3) for x in times["near"]],
    "whole_rows_median_ms": round(whole_ms, 3), "near_page_median_ms": round(near_ms, 3),
    "ratio": round(near_ms / whole_ms, 3), "identical_lists": int(identical),
}}))
"""


def run(topics: int, comparisons: int, pages: int, rounds: int) -> dict:
    return run_child(_CHILD, (topics, comparisons, pages, rounds))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--sizes", type=parse_sizes, default="10000x100000", help="TOPICSxCOMPARISONS,..."
    )
    p.add_argument("--pages", type=int, default=2000, help="sampled pages (half of each kind)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds of each method")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    results = []
    for topics, comparisons in args.sizes:
        results.append(run(topics, comparisons, args.pages, args.rounds))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(
            f"{r['topics']:,} topics / {r['comparisons']:,} comparisons, {r['pages']} pages: "
            f"near the page {r['near_page_median_ms']} ms, whole rows "
            f"{r['whole_rows_median_ms']} ms per page (ratio {r['ratio']}); identical "
            f"lists {r['identical_lists']} of {r['pages']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
