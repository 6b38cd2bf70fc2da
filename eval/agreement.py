"""How far two judges agree: the second judgments of a sample against the first.

    python eval/agreement.py

``eval/agreement.yaml`` holds a second, independent judge's grades for 200 development
judgments (stratified by grade: 70 judged 2, 65 judged 1, 65 judged 0 first), made blind
to the first grades. The agreement bounds what any method can score against one judge.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pickgraph.engine.judgments import load_judgments  # noqa: E402

SECOND = ROOT / "eval" / "agreement.yaml"


def main() -> int:
    first = load_judgments(ROOT / "eval" / "judgments.yaml")
    grades = {
        (q.id, name, slug): g
        for q in first.queries
        for name in ("comparisons", "topics")
        for slug, g in q.grades[name].items()
    }
    doc = yaml.safe_load(SECOND.read_text())
    pairs = np.array(
        [(grades[(row["query"], row["list"], row["slug"])], row["grade"]) for row in doc["items"]]
    )
    a, b = pairs[:, 0] == 2, pairs[:, 1] == 2
    observed = float((a == b).mean())
    chance = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    exact = np.mean(pairs[:, 0] == pairs[:, 1])
    print(f"{len(pairs)} items judged twice; exact grade agreement {exact:.3f}")
    print(
        f"'worth a click' (2) or not: agreement {observed:.3f}, Cohen's kappa "
        f"{(observed - chance) / (1 - chance):.3f}"
    )
    print(f"of the items the first judge graded 2, the second graded 2: {b[a].mean():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
