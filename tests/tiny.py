"""Tiny topic graphs built in code, whose right answers are known by hand."""

from __future__ import annotations

import datetime as dt

from pickgraph.graph import TopicGraph
from pickgraph.graph.model import Comparison, DomainInfo, Side, Topic

TEXT = "Text written for a small test graph"


def tiny_graph(related: dict[str, list[str]], pairs: list[tuple], domains=None) -> TopicGraph:
    """Topics with their related tags, and comparisons (a, b[, pick[, weight]])."""
    topics = {
        slug: Topic(
            slug=slug,
            name=slug.upper(),
            kind="tool",
            summary=TEXT,
            related=tags,
            domain=(domains or {}).get(slug),
        )
        for slug, tags in related.items()
    }
    comparisons = {}
    for pair in pairs:
        a, b = pair[0], pair[1]
        pick = pair[2] if len(pair) > 2 else a
        weight = pair[3] if len(pair) > 3 else 1.0

        def side(t: str) -> Side:
            return Side(topic=t, pros=[TEXT, TEXT + " again"], cons=[TEXT + " too"], choose_if=TEXT)

        c = Comparison(
            a=side(a),
            b=side(b),
            pick=pick,
            verdict=TEXT,
            bottom_line=TEXT,
            reviewed=dt.date(2026, 1, 1),
            weight=weight,
            no_pick_reason=TEXT if pick == "none" else None,
        )
        comparisons[c.slug] = c
    doms = {d: DomainInfo(name=d.title()) for d in set((domains or {}).values())}
    return TopicGraph(topics, comparisons, {}, doms, {}, version="tiny")
