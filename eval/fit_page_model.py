"""Fit the page model's weights on the development judgments; write engine/page_model.json.

    python eval/fit_page_model.py [--check]

Only queries of the ``dev`` set are used: the ``test`` set is never seen by any
fitting or tuning. Prints leave-one-query-out figures (so the fit can be judged on
queries it did not see), then writes the weights fitted on every dev query.
``--check`` fits and compares with the committed file instead of writing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pickgraph import graph  # noqa: E402
from pickgraph.engine.core import Engine  # noqa: E402
from pickgraph.engine.judgments import load_judgments  # noqa: E402
from pickgraph.engine.pagemodel import (  # noqa: E402
    COMPARISON_FEATURES,
    TOPIC_FEATURES,
    WEIGHTS_FILE,
    PageModel,
    PageWeights,
)
from pickgraph.engine.ranker import LinearModel  # noqa: E402

JUDGMENTS = ROOT / "eval" / "judgments.yaml"
# Inverse L2 strength: mild; a dozen standardised features over ~1,000 rows.
C = 1.0


def page_rows(tg, judgments, sets=("dev",)):
    """(query id, page, grade, features) for every judged comparison and topic."""
    e = Engine(tg)
    pm = PageModel(e, weights=None)
    comps, topics = [], []
    for q in judgments.of_set(*sets):
        if q.page == "comparison":
            found = tg.find("comparison", q.seeds[0])
            if found is None:
                continue
            seeds = [e.topic_id[t] for t in tg.comparisons[found.slug].topics]
        else:
            found = [tg.find("topic", s) for s in q.seeds]
            if None in found:
                continue
            seeds = [e.topic_id[f.slug] for f in found]
        aff, rel = pm.affinities(seeds), pm.relations(seeds)
        judged = [(s, g) for s, g in q.grades["comparisons"].items() if s in e.comparison_id]
        if judged:
            ids = np.array([e.comparison_id[s] for s, _ in judged])
            x = pm.comparison_features(seeds, ids, aff, rel, q.page)
            comps += [(q.id, q.page, g, row) for (_, g), row in zip(judged, x, strict=True)]
        judged = [(s, g) for s, g in q.grades["topics"].items() if s in e.topic_id]
        if judged:
            ids = np.array([e.topic_id[s] for s, _ in judged])
            x = pm.topic_features(ids, aff, rel, q.page)
            topics += [(q.id, q.page, g, row) for (_, g), row in zip(judged, x, strict=True)]
    return comps, topics


def fit(rows, names) -> LinearModel:
    """Logistic regression of "judged 2" on standardised features, as raw weights."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([r[3] for r in rows])
    y = np.array([r[2] == 2 for r in rows], dtype=int)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    lr = LogisticRegression(C=C, max_iter=5000).fit((x - mean) / scale, y)
    coef = lr.coef_[0] / scale
    intercept = float(lr.intercept_[0] - (lr.coef_[0] * mean / scale).sum())
    return LinearModel(names, tuple(float(c) for c in coef), intercept, len(y), int(y.sum()))


def leave_one_query_out(rows, names) -> np.ndarray:
    queries = np.array([r[0] for r in rows])
    p = np.zeros(len(rows))
    for q in sorted(set(queries)):
        held = queries == q
        model = fit([r for r, h in zip(rows, held, strict=True) if not h], names)
        x = np.array([r[3] for r, h in zip(rows, held, strict=True) if h])
        p[held] = 1 / (1 + np.exp(-model.logits(x)))
    return p


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    args = parser.parse_args()
    from sklearn.metrics import roc_auc_score

    tg = graph.load()
    judgments = load_judgments(JUDGMENTS)
    comps, topics = page_rows(tg, judgments)
    for label, rows, names in (
        ("comparisons", comps, COMPARISON_FEATURES),
        ("topics", topics, TOPIC_FEATURES),
    ):
        p = leave_one_query_out(rows, names)
        y = np.array([r[2] == 2 for r in rows])
        print(
            f"{label}: {len(rows)} judged, {int(y.sum())} judged 2; "
            f"leave-one-query-out AUC {roc_auc_score(y, p):.3f}"
        )
    queries = len({r[0] for r in comps + topics})
    weights = PageWeights(
        fit(comps, COMPARISON_FEATURES),
        fit(topics, TOPIC_FEATURES),
        f"eval/judgments.yaml, dev set: {queries} queries, {len(comps) + len(topics)} "
        f"judgments; content version {tg.version}",
    )
    text = json.dumps(weights.to_dict(), indent=1) + "\n"
    if args.check:
        same = WEIGHTS_FILE.exists() and WEIGHTS_FILE.read_text() == text
        print("engine/page_model.json is " + ("up to date" if same else "OUT OF DATE"))
        return 0 if same else 1
    WEIGHTS_FILE.write_text(text)
    print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")
    print(json.dumps(weights.to_dict(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
