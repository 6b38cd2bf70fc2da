"""TopicGraph: validated content plus the networkx graph built from it.

Nodes are topics and tags (a tag that is a topic's slug is that topic). Edges are
comparisons between two topics and "related" links from a topic to its tags. The
graph is an undirected ``networkx.Graph``; a pair that is both compared and related
carries one edge of kind ``comparison`` with ``related=True``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import NotFound, Problem
from .lazy import LazyComparisons
from .model import (
    NO_PICK,
    Comparison,
    ComparisonHead,
    DomainInfo,
    TagInfo,
    Topic,
    canonical_slug,
)
from .similar import MAX_TEXT, Names

if TYPE_CHECKING:  # networkx is slow to import; only the graph property needs it
    import networkx as nx

__all__ = ["Resolved", "Tag", "TopicGraph"]

# A page comparing a set names this many topics (a pair has a page of its own).
SET_SIZES = range(3, 6)
# Past this many "-vs-" parts a slug is not a page anyone links to.
MAX_PARTS = max(SET_SIZES)
# A comparison nobody has written is looked up fuzzily this often at most (once per
# side of a pair), so a crafted many-part slug costs what a misspelt pair does.
FUZZY_LOOKUPS = 2
# The table each kind of slug names.
_KINDS = {"topic": "topics", "comparison": "comparisons", "tag": "tags", "domain": "domains"}


class Resolved(NamedTuple):
    """Where a requested slug leads: a kind of page and its canonical slug, and whether
    the request named it some other way (alias, letter case, order of a pair, a tag
    that is a topic), which a page answers with a redirect."""

    kind: str
    slug: str
    moved: bool


class Tag:
    """A tag node: its display name, description and the topics that carry it."""

    __slots__ = ("slug", "name", "description", "topics")

    def __init__(self, slug: str, name: str, description: str | None, topics: list[str]):
        self.slug = slug
        self.name = name
        self.description = description
        self.topics = topics

    def __repr__(self) -> str:
        return f"Tag({self.slug!r}, topics={len(self.topics)})"


def _default_name(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


class TopicGraph:
    """Everything loaded from one content folder, with lookups by slug and alias.

    >>> from pickgraph import graph
    >>> tg = graph.load()
    >>> tg.topic("postgres").name  # an alias resolves to its topic
    'PostgreSQL'
    >>> tg.comparison("postgresql-vs-mysql").slug  # either order
    'mysql-vs-postgresql'
    """

    def __init__(
        self,
        topics: dict[str, Topic],
        comparisons: Mapping[str, Comparison],
        tag_info: dict[str, TagInfo],
        domains: dict[str, DomainInfo],
        aliases: dict[str, str],
        folder: Path | None = None,
        version: str = "",
        sources: dict[str, str] | None = None,
        warnings: list[Problem] | None = None,
        extras: Callable[[], tuple[dict[str, str], list[Problem]]] | None = None,
    ):
        self.topics = dict(sorted(topics.items()))
        if isinstance(comparisons, LazyComparisons):  # read back from a cache entry
            self.comparisons: Mapping[str, Comparison] = comparisons
            self.heads: Mapping[str, Comparison | ComparisonHead] = comparisons.heads
        else:
            self.comparisons = dict(sorted(comparisons.items()))
            self.heads = self.comparisons
        self.domains = domains
        self.aliases = aliases
        self.folder = folder
        self.version = version
        self._sources = sources or {}
        self._warnings = warnings or []
        # a snapshot's files and warnings, which serving never reads: read on first use
        self._extras = extras
        users: dict[str, list[str]] = defaultdict(list)
        for slug, topic in self.topics.items():
            for tag in topic.related:
                if tag not in self.topics:
                    users[tag].append(slug)
        self.tags: dict[str, Tag] = {}
        for slug in sorted(set(users) | set(tag_info)):
            info = tag_info.get(slug) or TagInfo()
            self.tags[slug] = Tag(
                slug, info.name or _default_name(slug), info.description, sorted(users[slug])
            )
        self._prepared: dict[str, Names] = {}  # names prepared for "did you mean"
        self._by_topic: dict[str, list[str]] = defaultdict(list)
        for slug, comp in self.heads.items():
            self._by_topic[comp.a.topic].append(slug)
            self._by_topic[comp.b.topic].append(slug)

    def __repr__(self) -> str:
        return (
            f"TopicGraph(topics={len(self.topics)}, tags={len(self.tags)}, "
            f"comparisons={len(self.comparisons)}, version={self.version!r})"
        )

    @property
    def sources(self) -> dict[str, str]:
        """Each content file's path and digest (what the version was computed from)."""
        self._read_extras()
        return self._sources

    @property
    def warnings(self) -> list[Problem]:
        """The lint warnings the load found."""
        self._read_extras()
        return self._warnings

    def _read_extras(self) -> None:
        if self._extras is not None:
            self._sources, self._warnings = self._extras()
            self._extras = None

    # ------------------------------------------------------------ slugs
    # Every slug a reader, the API or a caller gives goes through find/resolve: the
    # one place that knows aliases, letter case, either order of a pair and that a
    # tag which is a topic's slug means that topic.
    def find(self, kind: str, slug: str) -> Resolved | None:
        """Where ``slug`` leads as a ``kind`` (topic, comparison, tag, domain, or page:
        a comparison or else a topic), or None.

        >>> from pickgraph import graph
        >>> tg = graph.load()
        >>> tg.find("topic", "K8s")
        Resolved(kind='topic', slug='kubernetes', moved=True)
        >>> tg.find("comparison", "postgresql-vs-mysql").slug  # either order
        'mysql-vs-postgresql'
        >>> tg.find("tag", "SQL").slug, tg.find("tag", "python").kind  # a topic's slug
        ('sql', 'topic')
        >>> tg.find("topic", "nope") is None
        True
        >>> tg.find("comparison", "sqlite-vs-mysql-vs-postgres")  # 3-5 topics: a set
        Resolved(kind='set', slug='mysql-vs-postgresql-vs-sqlite', moved=True)
        """
        if kind == "page":
            found = self.find("comparison", slug) if "-vs-" in slug else None
            return found or self.find("topic", slug)
        if kind not in _KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        table = getattr(self, _KINDS[kind])
        if slug in table:
            return Resolved(kind, slug, False)
        if kind == "topic":
            found = self.aliases.get(slug) or self.aliases.get(slug.lower())
            if found is None and slug.lower() in self.topics:
                found = slug.lower()
            return Resolved(kind, found, True) if found else None
        if kind == "comparison":
            parts = slug.lower().split("-vs-")
            if len(parts) > 2:
                return self._find_set(slug, parts)
            if len(parts) != 2:
                return None
            a, b = (self.find("topic", p) for p in parts)
            pair = canonical_slug(a.slug, b.slug) if a and b else None
            return Resolved(kind, pair, True) if pair in self.comparisons else None
        if slug.lower() in table:
            return Resolved(kind, slug.lower(), True)
        if kind == "tag":  # a tag that is a topic's slug (or alias) is that topic
            found = self.find("topic", slug)
            return Resolved("topic", found.slug, True) if found else None
        return None

    def _find_set(self, slug: str, parts: list[str]) -> Resolved | None:
        """A set of SET_SIZES distinct topics, canonical in slug order."""
        if len(parts) not in SET_SIZES:
            return None
        found = [self.find("topic", p) for p in parts]
        if None in found:
            return None
        topics = [f.slug for f in found]
        if len(set(topics)) != len(topics):
            return None
        canonical = "-vs-".join(sorted(topics))
        return Resolved("set", canonical, canonical != slug)

    def _set_problem(self, slug: str) -> str | None:
        """Why a slug of three or more parts is no set page, if the parts say."""
        parts = slug.lower().split("-vs-")
        if len(parts) < 3:
            return None
        if len(parts) > max(SET_SIZES):
            return f"a comparison names at most {max(SET_SIZES)} topics, not {len(parts)}"
        found = [self.find("topic", p) for p in parts]
        unknown = [p for p, f in zip(parts, found, strict=True) if f is None]
        if unknown:
            return f"no topic {unknown[0][:MAX_TEXT]!r}"
        known = [f.slug for f in found if f]
        if len(set(known)) < len(known):
            return "a comparison names each topic once"
        return None

    def resolve(self, kind: str, slug: str) -> Resolved:
        """As :meth:`find`, but NotFound with close matches when nothing is found."""
        found = self.find(kind, slug)
        if found is None:
            what = "topic or comparison" if kind == "page" else kind
            reason = self._set_problem(slug) if kind == "comparison" else None
            raise NotFound(what, slug, self.similar(kind, slug), reason)
        return found

    def canonical(self, kind: str, slug: str) -> str:
        """The canonical slug of a topic, comparison or domain; NotFound otherwise."""
        return self.resolve(kind, slug).slug

    def similar(self, kind: str, text: str, n: int = 5) -> list[str]:
        """Close matches for a slug that was not found, best first."""
        if kind == "page":
            kind = "comparison" if "-vs-" in text else "topic"
        if kind == "topic":
            return self._similar_topics(text, n)
        if kind == "comparison":
            return self._similar_comparisons(text, n)
        return self._names(kind).closest(text, n=n)

    def _names(self, kind: str) -> Names:
        """The names of one kind (topics with their aliases), prepared once."""
        if kind not in self._prepared:
            table = getattr(self, _KINDS[kind])
            names = {**{s: s for s in table}, **self.aliases} if kind == "topic" else table
            self._prepared[kind] = Names(names)
        return self._prepared[kind]

    def topic(self, slug: str) -> Topic:
        """The topic with this slug or alias; NotFound with close matches otherwise."""
        return self.topics[self.canonical("topic", slug)]

    def comparison(self, slug: str) -> Comparison:
        """The comparison named ``a-vs-b`` in either order, with aliases; else NotFound."""
        return self.comparisons[self.canonical("comparison", slug)]

    def tag(self, slug: str) -> Tag:
        """The tag with this slug in any letter case; NotFound otherwise."""
        found = self.find("tag", slug)
        if found is None or found.kind != "tag":
            raise NotFound("tag", slug, self.similar("tag", slug))
        return self.tags[found.slug]

    def _similar_topics(self, text: str, n: int) -> list[str]:
        out: list[str] = []
        for c in self._names("topic").closest(text, n=n * 2):
            topic = self.aliases.get(c, c)
            if topic not in out:
                out.append(topic)
        return out[:n]

    def _similar_comparisons(self, slug: str, n: int) -> list[str]:
        # distinct parts only, and no more than a multi-way page names: a crafted
        # a-vs-a-vs-a... costs what a pair does
        parts = list(dict.fromkeys(p for p in slug[: 8 * MAX_TEXT].split("-vs-") if p))
        parts = parts[:MAX_PARTS]
        found: list[str] = []
        resolved = []
        fuzzy = 0  # fuzzy look-ups so far: at most FUZZY_LOOKUPS, as for a plain pair
        for part in parts:
            hit = self.find("topic", part)
            if hit is None and fuzzy < FUZZY_LOOKUPS:
                fuzzy += 1
                hit = next(iter(self._similar_topics(part, 1)), None)
                hit = hit and Resolved("topic", hit, True)
            if hit:
                resolved.append(hit.slug)
        if len(resolved) == 2:
            pair = canonical_slug(*resolved)
            if pair in self.comparisons:
                found.append(pair)
        elif len(resolved) in SET_SIZES and len(set(resolved)) == len(resolved):
            found.append("-vs-".join(sorted(resolved)))
        for topic in resolved:
            for c in self._by_topic.get(topic, []):
                if c not in found:
                    found.append(c)
        if not found and fuzzy < FUZZY_LOOKUPS:
            found = self._names("comparison").closest(slug, n=n)
        return found[:n]

    def set_title(self, slug: str) -> str:
        """The title of a set page: its topics' names in slug order.

        >>> import pickgraph.graph as graph
        >>> graph.load().set_title("mysql-vs-postgresql-vs-sqlite")
        'MySQL vs PostgreSQL vs SQLite'
        """
        return " vs ".join(self.topics[t].name for t in slug.split("-vs-"))

    def title(self, comparison: str) -> str:
        """A comparison's title, its topics' names in the order of its canonical slug.

        >>> import pickgraph.graph as graph
        >>> graph.load().title("postgresql-vs-mysql")
        'MySQL vs PostgreSQL'
        """
        a, b = sorted(self.heads[self.canonical("comparison", comparison)].topics)
        return f"{self.topics[a].name} vs {self.topics[b].name}"

    def heads_of(self, topic: str) -> list[Comparison | ComparisonHead]:
        """Every comparison a topic is in, sorted by slug, as its head: topics, pick
        and weight (the comparison itself where the graph holds it in full)."""
        return [self.heads[s] for s in self._by_topic.get(topic, [])]

    def comparison_count(self, topic: str) -> int:
        """How many comparisons a topic is in (without reading them)."""
        return len(self._by_topic.get(topic, ()))

    def comparisons_of(self, topic: str) -> list[Comparison]:
        """Every comparison a topic is in, sorted by slug."""
        return [self.comparisons[s] for s in self._by_topic.get(topic, [])]

    def comparisons_among(self, topics) -> list[Comparison | ComparisonHead]:
        """The comparisons whose two topics are both in ``topics``, in the order of
        ``comparisons``, as their heads (topics, pick, weight); reads only the members'
        own comparisons, never the rest.

        >>> import pickgraph.graph as graph
        >>> [c.slug for c in graph.load().comparisons_among(["mysql", "postgresql", "go"])]
        ['mysql-vs-postgresql']
        """
        members = set(topics)
        found = {
            s
            for t in members
            for s in self._by_topic.get(t, ())
            if all(side in members for side in self.heads[s].topics)
        }
        return [self.heads[s] for s in sorted(found)]  # ``comparisons`` is by slug

    def topics_tagged(self, tag: str) -> list[str]:
        """Topics whose related list names ``tag`` (a tag, or a topic used as a tag)."""
        if tag in self.tags:
            return self.tags[tag].topics
        return sorted(s for s, t in self.topics.items() if tag in t.related)

    def record(self, slug: str) -> dict:
        """Wins, losses and undecided comparisons of one topic."""
        wins = losses = ties = 0
        for comp in self.heads_of(slug):
            if comp.pick == NO_PICK:
                ties += 1
            elif comp.pick == slug:
                wins += 1
            else:
                losses += 1
        return {"wins": wins, "losses": losses, "no_pick": ties}

    # ------------------------------------------------------------ networkx
    @cached_property
    def graph(self) -> nx.Graph:
        """The networkx graph of topics and tags (built once, then cached).

        Node attribute ``type`` is ``topic`` or ``tag``; edge attribute ``kind`` is
        ``comparison`` or ``related``.
        """
        return build_graph(self)


def build_graph(tg: TopicGraph) -> nx.Graph:
    import networkx as nx

    g = nx.Graph(version=tg.version)
    for slug, t in tg.topics.items():
        attrs = {
            "type": "topic",
            "name": t.name,
            "kind": t.kind,
            "summary": t.summary,
            "aliases": list(t.aliases),
        }
        if t.domain:
            attrs["domain"] = t.domain
        if t.homepage:
            attrs["homepage"] = t.homepage
        g.add_node(slug, **attrs)
    for slug, tag in tg.tags.items():
        attrs = {"type": "tag", "name": tag.name}
        if tag.description:
            attrs["description"] = tag.description
        g.add_node(slug, **attrs)
    for slug, t in tg.topics.items():
        for tag in t.related:
            g.add_edge(slug, tag, kind="related", weight=1.0)
    for slug, c in tg.comparisons.items():
        related = g.has_edge(c.a.topic, c.b.topic)
        attrs = {
            "kind": "comparison",
            "slug": slug,
            "a": c.a.topic,
            "b": c.b.topic,
            "pick": c.pick,
            "weight": c.weight,
            "verdict": c.verdict,
            "bottom_line": c.bottom_line,
            "reviewed": c.reviewed.isoformat(),
            "related": related,
        }
        for side in ("a", "b"):
            s = getattr(c, side)
            attrs[f"{side}_pros"] = list(s.pros)
            attrs[f"{side}_cons"] = list(s.cons)
            attrs[f"{side}_choose_if"] = s.choose_if
            if s.summary:
                attrs[f"{side}_summary"] = s.summary
        if c.no_pick_reason:
            attrs["no_pick_reason"] = c.no_pick_reason
        if related:
            g.remove_edge(c.a.topic, c.b.topic)
        g.add_edge(c.a.topic, c.b.topic, **attrs)
    return g
