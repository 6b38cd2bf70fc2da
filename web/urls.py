"""Every URL the site builds for an entity, in one place."""

from __future__ import annotations

from flask import url_for

from pickgraph.graph import TopicGraph

__all__ = [
    "best_url",
    "comparison_url",
    "domain_url",
    "entity_url",
    "explore_url",
    "stack_url",
    "suggestions_url",
    "tag_url",
    "topic_url",
]

# The page endpoint of each kind of entity.
ENDPOINTS = {
    "comparison": "pages.comparison",
    "set": "pages.comparison",  # a set of 3-5 topics: /compare/a-vs-b-vs-c
    "best": "pages.best",
    "topic": "pages.topic",
    "tag": "pages.tag",
    "domain": "pages.domain",
}


def _json(slug: str, as_json: bool) -> str:
    return slug + ".json" if as_json else slug


def comparison_url(slug: str, as_json: bool = False) -> str:
    return url_for("pages.comparison", slug=_json(slug, as_json))


def topic_url(slug: str, as_json: bool = False) -> str:
    return url_for("pages.topic", slug=_json(slug, as_json))


def tag_url(tg: TopicGraph, slug: str, as_json: bool = False) -> str:
    """A tag that is a topic's slug is that topic: its page is the topic's."""
    if slug in tg.topics:
        return topic_url(slug, as_json)
    return url_for("pages.tag", slug=_json(slug, as_json))


def domain_url(slug: str, as_json: bool = False) -> str:
    return url_for("pages.domain", slug=_json(slug, as_json))


def best_url(tag: str, as_json: bool = False) -> str:
    return url_for("pages.best", slug=_json(tag, as_json))


def explore_url(slug: str, as_json: bool = False) -> str:
    return url_for("pages.explore", slug=_json(slug, as_json))


def stack_url(topics: list[str], as_json: bool = False) -> str:
    endpoint = "pages.stack_json" if as_json else "pages.stack"
    return url_for(endpoint, topics=",".join(topics)) if topics else url_for(endpoint)


def suggestions_url(slug: str) -> str:
    """The path-style JSON suggestions of a page (a CDN cannot answer query strings)."""
    return url_for("pages.suggestions", slug=slug + ".json")


def entity_url(tg: TopicGraph, kind: str, slug: str, as_json: bool = False) -> str:
    """The page of any entity by kind: comparison, topic, tag or domain."""
    if kind == "tag":
        return tag_url(tg, slug, as_json)
    return url_for(ENDPOINTS[kind], slug=_json(slug, as_json))
