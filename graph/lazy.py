"""Comparisons whose texts stay on disk until a page asks for them.

A start-up cache entry (``graph.snapshot.write``) keeps every comparison as one JSON
line, and beside the rest of the content each comparison's head: its two topics, its
pick and its weight, which is all the graph's structure needs. Read back
(``snapshot.read``), the graph holds the heads and a ``LazyComparisons`` mapping that
parses and validates a comparison, with the same strict model as the YAML, the first
time it is looked up, from a memory-mapped file that every process of a server
shares. A process then holds the comparisons it has served, not all of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping

from .model import Comparison, ComparisonHead

__all__ = ["LazyComparisons"]


class LazyComparisons(Mapping[str, Comparison]):
    """Comparisons by slug, in slug order, parsed on first look-up by ``fetch``.

    ``heads`` must be in slug order, and ``fetch(slug)`` must return the comparison
    whose head it is (checked: a mismatch raises ValueError, as for a damaged file).
    Iterating over the values parses every comparison; code that needs only the
    topics, pick and weight reads ``heads`` instead.
    """

    def __init__(self, heads: dict[str, ComparisonHead], fetch: Callable[[str], Comparison]):
        self.heads = heads
        self._fetch = fetch
        self._parsed: dict[str, Comparison] = {}
        self._lock = threading.Lock()

    def __getitem__(self, slug: str) -> Comparison:
        found = self._parsed.get(slug)
        if found is not None:
            return found
        head = self.heads[slug]  # KeyError for an unknown slug, as a dict
        comp = self._fetch(slug)
        if comp.slug != slug or (comp.topics, comp.pick) != (head.topics, head.pick):
            raise ValueError(f"the stored comparison {slug!r} does not match its head")
        with self._lock:
            return self._parsed.setdefault(slug, comp)

    def __contains__(self, slug: object) -> bool:
        return slug in self.heads

    def __iter__(self) -> Iterator[str]:
        return iter(self.heads)

    def __len__(self) -> int:
        return len(self.heads)

    @property
    def parsed(self) -> int:
        """How many comparisons this process has parsed so far."""
        return len(self._parsed)
