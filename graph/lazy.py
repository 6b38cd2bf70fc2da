"""Comparisons whose texts stay on disk until a page asks for them.

A start-up cache entry (``graph.snapshot.write``) keeps every comparison as one JSON
line, and beside the rest of the content each comparison's head: its two topics, its
pick and its weight, which is all the graph's structure needs. Read back
(``snapshot.read``), the graph holds the heads and a ``LazyComparisons`` mapping that
parses and validates a comparison, with the same strict model as the YAML, when it is
looked up, from a memory-mapped file that every process of a server shares, and keeps
the most recently used ones. A process then holds at most those, not all of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping

from .model import Comparison, ComparisonHead

__all__ = ["LazyComparisons"]


class LazyComparisons(Mapping[str, Comparison]):
    """Comparisons by slug, in slug order, parsed on look-up by ``fetch``.

    ``heads`` must be in slug order, and ``fetch(slug)`` must return the comparison
    whose head it is (checked: a mismatch raises ValueError, as for a damaged file).
    Iterating over the values parses every comparison; code that needs only the
    topics, pick and weight reads ``heads`` instead.
    """

    # Parsed comparisons a process keeps (the most recently used): enough for every
    # comparison a page shows several times over, and a bound on what a crawler that
    # reads every page makes each worker hold (parsing one takes about 20 us, and
    # rendered pages are cached anyway).
    KEEP = 1024

    def __init__(self, heads: dict[str, ComparisonHead], fetch: Callable[[str], Comparison]):
        self.heads = heads
        self._fetch = fetch
        self._recent: OrderedDict[str, Comparison] = OrderedDict()
        self._lock = threading.Lock()
        self.parsed = 0  # how many look-ups this process has parsed

    def __getitem__(self, slug: str) -> Comparison:
        with self._lock:
            found = self._recent.get(slug)
            if found is not None:
                self._recent.move_to_end(slug)
                return found
        head = self.heads[slug]  # KeyError for an unknown slug, as a dict
        comp = self._fetch(slug)
        if comp.slug != slug or (comp.topics, comp.pick, comp.weight) != (
            head.topics,
            head.pick,
            head.weight,
        ):
            raise ValueError(f"the stored comparison {slug!r} does not match its head")
        with self._lock:
            self.parsed += 1
            self._recent[slug] = comp
            while len(self._recent) > self.KEEP:
                self._recent.popitem(last=False)
        return comp

    def __contains__(self, slug: object) -> bool:
        return slug in self.heads

    def __iter__(self) -> Iterator[str]:
        return iter(self.heads)

    def __len__(self) -> int:
        return len(self.heads)
