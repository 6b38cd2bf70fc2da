"""TopicGraph: validated content plus the networkx graph built from it.

Nodes are topics and tags (a tag that is a topic's slug is that topic). Edges are
comparisons between two topics and "related" links from a topic to its tags. The
graph is an undirected ``networkx.Graph``; a pair that is both compared and related
carries one edge of kind ``comparison`` with ``related=True``.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from pathlib import Path

import networkx as nx

from .errors import NotFound, Problem
from .model import NO_PICK, Comparison, DomainInfo, TagInfo, Topic, canonical_slug
from .similar import closest

__all__ = ["TopicGraph", "Tag"]


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
        comparisons: dict[str, Comparison],
        tag_info: dict[str, TagInfo],
        domains: dict[str, DomainInfo],
        aliases: dict[str, str],
        folder: Path | None = None,
        version: str = "",
        sources: dict[str, str] | None = None,
        warnings: list[Problem] | None = None,
    ):
        self.topics = dict(sorted(topics.items()))
        self.comparisons = dict(sorted(comparisons.items()))
        self.domains = domains
        self.aliases = aliases
        self.folder = folder
        self.version = version
        self.sources = sources or {}
        self.warnings = warnings or []
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
        self._by_topic: dict[str, list[str]] = defaultdict(list)
        for slug, comp in self.comparisons.items():
            self._by_topic[comp.a.topic].append(slug)
            self._by_topic[comp.b.topic].append(slug)

    def __repr__(self) -> str:
        return (
            f"TopicGraph(topics={len(self.topics)}, tags={len(self.tags)}, "
            f"comparisons={len(self.comparisons)}, version={self.version!r})"
        )

    # ------------------------------------------------------------ lookups
    def resolve_topic(self, slug: str) -> str | None:
        """The topic slug for a slug or alias in any letter case, or None.

        >>> from pickgraph import graph
        >>> tg = graph.load()
        >>> tg.resolve_topic("postgresql"), tg.resolve_topic("K8s"), tg.resolve_topic("nope")
        ('postgresql', 'kubernetes', None)
        """
        if slug in self.topics:
            return slug
        found = self.aliases.get(slug)
        if found is None and not slug.islower():
            lowered = slug.lower()
            found = lowered if lowered in self.topics else self.aliases.get(lowered)
        return found

    def topic(self, slug: str) -> Topic:
        """The topic with this slug or alias; NotFound with close matches otherwise."""
        resolved = self.resolve_topic(slug)
        if resolved is None:
            raise NotFound("topic", slug, self.similar_topics(slug))
        return self.topics[resolved]

    def similar_topics(self, text: str, n: int = 5) -> list[str]:
        names = {**{s: s for s in self.topics}, **self.aliases}
        out: list[str] = []
        for c in closest(text, names, n=n * 2):
            if names[c] not in out:
                out.append(names[c])
        return out[:n]

    def split_pair(self, slug: str) -> tuple[str, str] | None:
        """Split ``a-vs-b`` into two topic slugs (aliases resolved), or None."""
        parts = slug.split("-vs-")
        if len(parts) != 2 and not slug.islower():
            parts = slug.lower().split("-vs-")
        if len(parts) != 2:
            return None
        a, b = (self.resolve_topic(p) for p in parts)
        if a is None or b is None:
            return None
        return a, b

    def comparison(self, slug: str) -> Comparison:
        """The comparison named ``a-vs-b`` in either order, with aliases; else NotFound."""
        comp = self.find_comparison(slug)
        if comp is None:
            raise NotFound("comparison", slug, self.similar_comparisons(slug))
        return comp

    def find_comparison(self, slug: str) -> Comparison | None:
        if slug in self.comparisons:
            return self.comparisons[slug]
        pair = self.split_pair(slug)
        if pair is None:
            return None
        return self.comparisons.get(canonical_slug(*pair))

    def similar_comparisons(self, slug: str, n: int = 5) -> list[str]:
        parts = [p for p in slug.split("-vs-") if p]
        found: list[str] = []
        resolved = [
            self.resolve_topic(p) or (self.similar_topics(p, 1) or [None])[0] for p in parts
        ]
        resolved = [r for r in resolved if r]
        if len(resolved) == 2:
            pair = canonical_slug(*resolved)
            if pair in self.comparisons:
                found.append(pair)
        for topic in resolved:
            for c in self._by_topic.get(topic, []):
                if c not in found:
                    found.append(c)
        if not found:
            found = closest(slug, self.comparisons, n=n)
        return found[:n]

    def resolve_tag(self, slug: str) -> str | None:
        """The tag slug for a slug in any letter case, or None.

        >>> from pickgraph import graph
        >>> graph.load().resolve_tag("SQL")
        'sql'
        """
        if slug in self.tags:
            return slug
        lowered = slug.lower()
        return lowered if lowered in self.tags else None

    def tag(self, slug: str) -> Tag:
        if slug in self.tags:
            return self.tags[slug]
        raise NotFound("tag", slug, closest(slug, self.tags, n=5))

    def title(self, comparison: str) -> str:
        """A comparison's title, its topics' names in the order of its canonical slug.

        >>> import pickgraph.graph as graph
        >>> graph.load().title("postgresql-vs-mysql")
        'MySQL vs PostgreSQL'
        """
        a, b = sorted(self.comparison(comparison).topics)
        return f"{self.topics[a].name} vs {self.topics[b].name}"

    def comparisons_of(self, topic: str) -> list[Comparison]:
        """Every comparison a topic is in, sorted by slug."""
        return [self.comparisons[s] for s in self._by_topic.get(topic, [])]

    def topics_tagged(self, tag: str) -> list[str]:
        """Topics whose related list names ``tag`` (a tag, or a topic used as a tag)."""
        if tag in self.tags:
            return self.tags[tag].topics
        return sorted(s for s, t in self.topics.items() if tag in t.related)

    def record(self, slug: str) -> dict:
        """Wins, losses and undecided comparisons of one topic."""
        wins = losses = ties = 0
        for comp in self.comparisons_of(slug):
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

    def node_kind(self, node: str) -> str:
        return "topic" if node in self.topics else "tag"


def build_graph(tg: TopicGraph) -> nx.Graph:
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
