"""Choose the confidence floor on the development judgments, query by query held out.

    python eval/tune_floor.py

For every development query, the page model is fitted on the *other* development
queries, then the site's own list assembly (floor, evidence rule, diversity, stack
coverage) runs on that query for each (FLOOR, LOW_FLOOR) pair of a small grid. Prints
precision of what is shown, mean list length and how many lists come out short, per
page type. The test set is never read.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from fit_page_model import JUDGMENTS, fit, page_rows  # noqa: E402

import pickgraph.engine.suggest as suggest  # noqa: E402
from pickgraph import graph  # noqa: E402
from pickgraph.engine.judged import shown_lists  # noqa: E402
from pickgraph.engine.judgments import load_judgments  # noqa: E402
from pickgraph.engine.pagemodel import COMPARISON_FEATURES, TOPIC_FEATURES, PageModel, PageWeights  # noqa: E402
from pickgraph.engine.suggest import Recommender  # noqa: E402

GRID = [(0.6, 0.25), (0.6, 0.3), (0.6, 0.35), (0.65, 0.3), (0.65, 0.35), (0.7, 0.3)]


def main() -> int:
    tg = graph.load()
    judgments = load_judgments(JUDGMENTS)
    comps, topics = page_rows(tg, judgments)
    results: dict = defaultdict(lambda: defaultdict(list))
    for q in judgments.of_set("dev"):
        weights = PageWeights(
            fit([r for r in comps if r[0] != q.id], COMPARISON_FEATURES),
            fit([r for r in topics if r[0] != q.id], TOPIC_FEATURES),
        )
        rec = Recommender(tg)
        rec.engine.derived("page-model", lambda w=weights, e=rec.engine: PageModel(e, w))
        for floor, low in GRID:
            suggest.FLOOR, suggest.LOW_FLOOR = floor, low
            lists = shown_lists(rec, q, None)
            for name in ("comparisons", "topics"):
                pool = q.grades[name]
                shown = lists[name]
                good = sum(1 for s in shown if pool.get(s) == 2)
                judged = sum(1 for s in shown if s in pool)
                cell = results[(floor, low)]
                for key in (q.page, "all"):
                    cell[(key, "good")].append(good)
                    cell[(key, "judged")].append(judged)
                    cell[(key, "length")].append(len(shown))
                    cell[(key, "short")].append(len(shown) < 3)
    print(
        f"{'floor':>5} {'low':>5} | {'precision':>9} {'judged':>6} | "
        + " | ".join(f"{p:^22}" for p in ("comparison", "topic", "stack"))
    )

    def precision(cell, key):
        return sum(cell[(key, "good")]) / max(1, sum(cell[(key, "length")]))

    for (floor, low), cell in results.items():
        pages = " | ".join(
            f"P {precision(cell, p):.3f} len {np.mean(cell[(p, 'length')]):.2f}"
            f" s {np.mean(cell[(p, 'short')]):.2f}"
            for p in ("comparison", "topic", "stack")
        )
        judged = sum(cell[("all", "judged")]) / max(1, sum(cell[("all", "length")]))
        print(f"{floor:>5} {low:>5} | {precision(cell, 'all'):>9.3f} {judged:>6.2f} | {pages}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
