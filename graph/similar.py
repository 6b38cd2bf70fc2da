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

from bisect import bisect_left
from collections.abc import Iterable

from rapidfuzz import fuzz, process

__all__ = ["Names", "closest", "words"]

# Below this WRatio (0-100) a fuzzy match is noise.
CUTOFF = 70
# At most this many fuzzy candidates are looked at before ranking.
FUZZY_POOL = 50
# Only this much of a text is matched: no name is longer, and a crafted path of
# thousands of characters must cost what a short one does.
MAX_TEXT = 100


def words(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


class Names:
    """A set of names prepared once for repeated look-ups (a loaded graph keeps one
    per kind), so a look-up costs the match alone.

    >>> Names(["kubernetes", "kustomize"]).closest("kube", n=1)
    ['kubernetes']
    """

    def __init__(self, names: Iterable[str]):
        self.keyed: dict[str, str] = {}
        for name in names:
            self.keyed.setdefault(words(name), name)
        self.keys = list(self.keyed)
        # every word of every name, sorted: the names with a word starting with the
        # text are one binary search away
        self.word_index = sorted((w, key) for key in self.keys for w in set(key.split()))
        self.word_list = [w for w, _ in self.word_index]

    def closest(self, text: str, n: int = 5, cutoff: float = CUTOFF) -> list[str]:
        """Up to ``n`` names most like ``text``, best first (ties by name)."""
        q = words(text[:MAX_TEXT])
        if not q:
            return []
        scores: dict[str, float] = {}
        for key, score, _ in process.extract(
            q, self.keys, scorer=fuzz.WRatio, score_cutoff=cutoff, limit=FUZZY_POOL
        ):
            # WRatio scores a name found inside the text as a near match ("r" in
            # "plorb" scores 90): a name under half the text's length is no misspelling
            if 2 * len(key) >= len(q):
                scores[key] = score
        for i in range(bisect_left(self.word_list, q), len(self.word_list)):
            word, key = self.word_index[i]
            if not word.startswith(q):
                break
            scores[key] = max(scores.get(key, 0.0), 200.0 - len(key) / 100)
        if q in self.keyed:
            scores[q] = 300.0
        ranked = sorted(scores, key=lambda k: (-scores[k], k))
        return [self.keyed[k] for k in ranked[:n]]


def closest(text: str, names: Iterable[str], n: int = 5, cutoff: float = CUTOFF) -> list[str]:
    """Up to ``n`` of ``names`` most like ``text``, best first (ties by name)."""
    return Names(names).closest(text, n, cutoff)
