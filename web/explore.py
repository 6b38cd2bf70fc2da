"""A topic's neighbourhood as nodes and edges, for the graph explorer page.

The neighbourhood is the topic, the topics it is compared with, its tags, and the
closest related topics; edges are the comparisons among them (pointing from loser to
winner when there is a pick) and the related links. It is capped so that a hub's
picture stays readable.
"""

from __future__ import annotations

from flask import url_for

from .state import SiteState
from .urls import comparison_url, explore_url, tag_url, topic_url

__all__ = ["neighbourhood", "explore_context", "MAX_NODES"]

MAX_NODES = 40
RELATED = 6


def neighbourhood(state: SiteState, slug: str) -> dict:
    tg = state.tg
    topic = tg.topics[slug]
    topics = [slug]
    for c in tg.heads_of(slug):
        other = c.other(slug)
        if other not in topics:
            topics.append(other)
    for s in state.recommender.for_topic(slug, limit=RELATED).topics:
        if s.slug not in topics:
            topics.append(s.slug)
    topics = topics[: MAX_NODES - len(topic.related)]
    tags = [t for t in topic.related if t not in tg.topics]
    topic_tags = [t for t in topic.related if t in tg.topics and t not in topics]
    topics += topic_tags
    members = set(topics)
    partners = {c.other(slug) for c in tg.heads_of(slug)}
    # ring: 0 is the topic itself, 1 what it is compared with, 2 everything else
    nodes = [
        {
            "id": t,
            "label": tg.topics[t].name,
            "type": "topic",
            "kind": tg.topics[t].kind,
            "url": topic_url(t),
            "center": t == slug,
            "ring": 0 if t == slug else (1 if t in partners else 2),
        }
        for t in topics
    ]
    nodes += [
        {
            "id": f"tag:{t}",
            "label": tg.tags[t].name,
            "type": "tag",
            "url": tag_url(tg, t),
            "center": False,
            "ring": 2,
        }
        for t in tags
    ]
    edges = []
    for c in tg.comparisons_among(members):  # the members' own, never the whole graph
        edge = {
            "id": c.slug,
            "kind": "comparison",
            "url": comparison_url(c.slug),
            "label": tg.title(c.slug),
        }
        if c.winner:
            edge.update(source=c.loser, target=c.winner, winner=c.winner)
        else:
            edge.update(source=c.a.topic, target=c.b.topic, winner=None)
        edges.append(edge)
    for t in tags:
        for member in tg.tags[t].topics:
            if member in members:
                edges.append(
                    {
                        "id": f"{member}~{t}",
                        "kind": "related",
                        "source": member,
                        "target": f"tag:{t}",
                        "winner": None,
                    }
                )
    for t in topics:
        for rel in tg.topics[t].related:
            if rel in members and rel != t:
                edges.append(
                    {
                        "id": f"{t}~{rel}",
                        "kind": "related",
                        "source": t,
                        "target": rel,
                        "winner": None,
                    }
                )
    return {"topic": slug, "name": topic.name, "nodes": nodes, "edges": edges}


def explore_context(state: SiteState, slug: str) -> dict:
    t = state.tg.topics[slug]
    hood = neighbourhood(state, slug)
    names = {n["id"]: n["label"] for n in hood["nodes"]}
    # the graph's edges in words, for readers who cannot see the picture
    picks = [
        {
            "url": e["url"],
            "label": e["label"],
            "pick": names.get(e["winner"]) if e["winner"] else None,
        }
        for e in hood["edges"]
        if e["kind"] == "comparison"
    ]
    related = [
        f"{names[e['source']]} is related to {names[e['target']]}"
        for e in hood["edges"]
        if e["kind"] == "related"
    ]
    return {
        "type": "explore",
        "slug": slug,
        "url": explore_url(slug),
        "title": f"Explore {t.name}",
        "name": t.name,
        "description": f"The neighbourhood of {t.name} in the topic graph: what it is compared "
        f"with, its tags and its closest topics.",
        "topic_url": topic_url(slug),
        "data_url": url_for("api.neighbourhood", slug=slug),
        **{k: hood[k] for k in ("nodes", "edges")},
        "comparison_lines": picks,
        "related_lines": related,
    }
