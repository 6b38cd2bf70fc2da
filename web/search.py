"""Search over topics, comparisons and tags, tolerant of typos and aliases.

Every entry has a few names (display name, slug, aliases) in lower case. A query
matches a name exactly, as a prefix, as the prefix of one of its words, inside it, or
approximately (rapidfuzz's ratio, in C over every name at once); "a vs b" and "a b"
also find the comparison of the two topics the words name.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rapidfuzz import fuzz, process

from pickgraph.graph import TopicGraph, canonical_slug
from pickgraph.graph.similar import Names
from pickgraph.graph.topicgraph import SET_SIZES

__all__ = ["SearchIndex", "MAX_QUERY"]

# Longer queries are cut: nothing in the index is this long.
MAX_QUERY = 100
# Below this similarity (0-100) an approximate match is noise.
FUZZY_CUTOFF = 72
# Approximate matches looked at per query (the best by similarity).
FUZZY_POOL = 100


# A search whose best result scores below this found nothing good (a search miss).
GOOD_RESULT = 45.0
# How many queries' miss verdicts a SearchIndex remembers (oldest forgotten first).
MISS_CACHE = 4096
_UNKNOWN = object()
_SEPARATOR = re.compile(r"\s(?:vs\.?|versus|or)\s|,")


class Entry(NamedTuple):  # a tuple: 100,000 of them are made on every start at 10k
    kind: str  # topic, comparison or tag
    slug: str
    title: str
    names: tuple[str, ...]
    detail: str


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w+#.]+", " ", text.lower()).split())


class SearchIndex:
    """Search entries for one TopicGraph.

    >>> from pickgraph import graph
    >>> s = SearchIndex(graph.load())
    >>> [r["slug"] for r in s.search("postgre")["topics"]][:1]
    ['postgresql']
    >>> s.search("kubernets")["topics"][0]["slug"]
    'kubernetes'
    >>> [r["slug"] for r in s.search("react or vue")["topics"]][:2]
    ['react', 'vue']
    """

    def __init__(self, tg: TopicGraph):
        self.tg = tg
        self._misses: dict[str, str | None] = {}
        self.entries: list[Entry] = []
        for slug, t in tg.topics.items():
            names = {
                _norm(t.name),
                slug,
                slug.replace("-", " "),
                *t.aliases,
                *(a.replace("-", " ") for a in t.aliases),
            }
            self.entries.append(Entry("topic", slug, t.name, tuple(sorted(names)), t.kind))
        # a comparison's title and its normal form, put together from its topics' (as
        # TopicGraph.title and _norm give them, without a slug look-up and a regular
        # expression per comparison); its bottom line is read when it is shown
        normal = {slug: _norm(t.name) for slug, t in tg.topics.items()}
        for slug, head in tg.heads.items():
            a, b = sorted(head.topics)
            title = f"{tg.topics[a].name} vs {tg.topics[b].name}"
            names = {
                " ".join(filter(None, (normal[a], "vs", normal[b]))),
                slug,
                slug.replace("-", " "),
            }
            self.entries.append(Entry("comparison", slug, title, tuple(sorted(names)), ""))
        for slug, tag in tg.tags.items():
            names = {_norm(tag.name), slug, slug.replace("-", " ")}
            self.entries.append(
                Entry("tag", slug, tag.name, tuple(sorted(names)), tag.description or "")
            )
        self._topic_names = {}
        for e in self.entries:
            if e.kind == "topic":
                for n in e.names:
                    self._topic_names.setdefault(n, e.slug)
        self._topic_lookup = Names(self._topic_names)
        # every name once, with the entries it names: the fuzzy tier scans these in C
        self._names: list[str] = []
        self._owners: list[list[int]] = []
        where: dict[str, int] = {}
        for i, e in enumerate(self.entries):
            for name in e.names:
                if name not in where:
                    where[name] = len(self._names)
                    self._names.append(name)
                    self._owners.append([])
                self._owners[where[name]].append(i)

    def _detail(self, e: Entry) -> str:
        if e.kind == "comparison":
            return self.tg.comparisons[e.slug].bottom_line
        return e.detail

    def _scores(self, q: str) -> dict[int, float]:
        """Entry index -> score: exact 100, prefix 60-80, word prefix 60, inside 50,
        approximate up to 40."""
        scores: dict[int, float] = {}

        def give(k: int, score: float) -> None:
            for i in self._owners[k]:
                if score > scores.get(i, 0.0):
                    scores[i] = score

        if len(q) >= 3:
            for _, ratio, k in process.extract(
                q, self._names, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=FUZZY_POOL
            ):
                give(k, 0.4 * ratio)
        for k, name in enumerate(self._names):
            if name == q:
                give(k, 100.0)
            elif name.startswith(q):
                give(k, 80.0 - min(len(name) - len(q), 20))
            elif q in name:
                give(k, 60.0 if any(w.startswith(q) for w in name.split()) else 50.0)
        return scores

    def _topic_for(self, word: str) -> str | None:
        if word in self._topic_names:
            return self._topic_names[word]
        close = self._topic_lookup.closest(word, n=1, cutoff=75)
        return self._topic_names[close[0]] if close else None

    def _parts(self, q: str) -> list[str]:
        """The topics named by the parts of 'a vs b', 'a or b', 'a, b' or 'a b' (each
        part may be misspelt); empty for a one-part query."""
        parts = [p.strip() for p in re.split(r"\s+(?:vs\.?|versus|or)\s+|\s*,\s*", q) if p.strip()]
        if len(parts) < 2:
            parts = q.split()
        if len(parts) < 2:
            return []
        # a short part only counts when it is a name ("go", "k8s"): spelled a letter
        # off, it would name something else ("cd" is one letter from "cdk")
        named = [
            self._topic_for(p) if len(p) >= 4 else self._topic_names.get(p) for p in parts[:10]
        ]
        return list(dict.fromkeys(t for t in named if t))

    def _pair(self, named: list[str]) -> str | None:
        """The comparison of the two topics a query names, if there is one."""
        if len(named) == 2:
            slug = canonical_slug(*named)
            if slug in self.tg.comparisons:
                return slug
        return None

    def search(self, query: str, limit: int = 10) -> dict:
        """Results grouped as {"query", "topics", "comparisons", "tags"}."""
        q = _norm(query[:MAX_QUERY])
        groups: dict[str, list] = {"topics": [], "comparisons": [], "tags": []}
        if q in ("", "vs", "versus"):
            return {"query": query[:MAX_QUERY], **groups}
        scored = []
        parts = self._parts(q)
        pair = self._pair(parts)
        # a query that names one topic (even misspelt) finds its comparisons too
        named = self._topic_for(q) if len(q) >= 2 else None
        base = self._scores(q)
        for i, entry in enumerate(self.entries):
            score = base.get(i, 0.0)
            if entry.slug == pair:
                score = 100.0
            elif entry.kind == "topic" and entry.slug in parts:
                score = max(score, 90.0)  # each topic a several-part query names
            elif named and entry.kind == "comparison" and named in entry.slug.split("-vs-"):
                score = max(score, 45.0)
            if score > 0:
                scored.append((score, entry))
        scored.sort(key=lambda se: (-se[0], se[1].kind, se[1].title.lower(), se[1].slug))
        if len(parts) in SET_SIZES:  # "kafka vs rabbitmq vs nats": the three side by side
            slug = "-vs-".join(sorted(parts))
            groups["comparisons"].append(
                {
                    "kind": "set",
                    "slug": slug,
                    "title": self.tg.set_title(slug),
                    "detail": f"{len(parts)} topics side by side: every pair's pick",
                    "score": 100.0,
                }
            )
        for score, e in scored:
            group = groups[e.kind + "s"]
            if len(group) < limit:
                group.append(
                    {
                        "kind": e.kind,
                        "slug": e.slug,
                        "title": e.title,
                        "detail": self._detail(e),
                        "score": round(score, 2),
                    }
                )
        return {"query": query[:MAX_QUERY], **groups}

    def miss(self, query: str) -> str | None:
        """:meth:`_miss`, remembered for the last MISS_CACHE queries."""
        known = self._misses.get(query, _UNKNOWN)
        if known is _UNKNOWN:
            known = self._miss(query)
            if len(self._misses) >= MISS_CACHE:
                self._misses.pop(next(iter(self._misses)))
            self._misses[query] = known
        return known

    def _miss(self, query: str) -> str | None:
        """The query, normalised, when it finds nothing good; None when it does.

        Nothing good: two topics named with no comparison of them ("python vs rust",
        recorded as the two slugs in order, so every spelling counts together), or no
        result scoring at least GOOD_RESULT (a close title or name). Empty: None.
        """
        q = _norm(query[:MAX_QUERY])
        if q in ("", "vs", "versus"):
            return None
        if _SEPARATOR.search(q):  # "a vs b", "a or b", "a, b": topics side by side
            parts = self._parts(q)
            if len(parts) == 2 and self._pair(parts) is None:
                return " vs ".join(sorted(parts))
            if len(parts) > 2:
                return None  # a set: its page exists for any 3-5 topics
        found = self.search(q, limit=1)
        best = max(
            (r["score"] for g in ("topics", "comparisons", "tags") for r in found[g]), default=0
        )
        return None if best >= GOOD_RESULT else q

    def suggest(self, text: str, limit: int = 5) -> list[dict]:
        """Best few results of any kind, for 'did you mean' and autocomplete."""
        r = self.search(text, limit)
        merged = r["comparisons"] + r["topics"] + r["tags"]
        merged.sort(key=lambda x: -x["score"])
        return merged[:limit]
