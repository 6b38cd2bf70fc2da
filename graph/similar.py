"""'Did you mean': the names most like a misspelt or unknown one.

Names are compared as words (hyphens and case ignored). An exact name comes first, then
names with a word that starts with the text, then fuzzy matches scored by rapidfuzz's
WRatio (a C implementation: a few microseconds a name, where difflib scanned every
entry in Python). So "databases" proposes the tags about
databases before "dataframes", and "kubernets" still finds Kubernetes.

>>> closest("databases", ["dataframes", "relational-databases", "document-databases"])
['document-databases', 'relational-databases', 'dataframes']
>>> closest("kubernets", ["kubernetes", "kustomize", "nomad"], n=1)
['kubernetes']
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

__all__ = ["closest", "words"]

# Below this WRatio (0-100) a fuzzy match is noise.
CUTOFF = 70
# At most this many fuzzy candidates are looked at before ranking.
FUZZY_POOL = 50


def words(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


def closest(text: str, names: Iterable[str], n: int = 5, cutoff: float = CUTOFF) -> list[str]:
    """Up to ``n`` of ``names`` most like ``text``, best first (ties by name)."""
    q = words(text)
    if not q:
        return []
    keyed: dict[str, str] = {}
    for name in names:
        keyed.setdefault(words(name), name)
    scores: dict[str, float] = {}
    for key, score, _ in process.extract(
        q, list(keyed), scorer=fuzz.WRatio, score_cutoff=cutoff, limit=FUZZY_POOL
    ):
        scores[key] = score
    for key in keyed:
        if key == q:
            scores[key] = 300.0
        elif any(w.startswith(q) for w in key.split()):
            scores[key] = max(scores.get(key, 0.0), 200.0 - len(key) / 100)
    ranked = sorted(scores, key=lambda k: (-scores[k], k))
    return [keyed[k] for k in ranked[:n]]
