"""One plain-data context per page: the HTML page renders it, the JSON twin returns it.

Each builder takes the SiteState and a canonical slug and returns JSON-serialisable
data only (strings, numbers, lists, dicts), with the URLs of everything it links.
"""

from __future__ import annotations

from flask import current_app, url_for

from . import serialize
from .state import SiteState
from .urls import (
    best_url,
    comparison_url,
    domain_url,
    entity_url,
    explore_url,
    stack_url,
    tag_url,
    topic_url,
)

__all__ = [
    "best_context",
    "best_index_context",
    "comparison_context",
    "set_context",
    "stack_context",
    "domain_context",
    "home_context",
    "search_context",
    "tag_context",
    "topic_context",
]


def _suggestions(state: SiteState, found) -> dict:
    """A page's suggestion lists, serialised as the API serialises them."""
    body = serialize.dump(serialize.suggestions_body(state, found))
    return {
        "suggestions": body["comparisons"],
        "related_topics": body["topics"],
        "notes": body["notes"],
        "impressions": body["impressions"],
    }


# A pair page links at most this many fully compared sets that contain the pair.
SETS_PER_PAIR = 4


def comparison_context(state: SiteState, slug: str) -> dict:
    """The comparison entity (as the API gives it), with its page and suggestions,
    and the fully compared sets of 3-5 topics it belongs to (smallest first)."""
    entity = serialize.comparison_entity(state, slug)
    found = state.recommender.for_comparison(slug)
    sets = state.sets_by_pair.get(tuple(sorted(state.tg.comparisons[slug].topics)), ())
    return serialize.dump(
        entity,
        type="comparison",
        description=entity.bottom_line,
        sets=[
            {"slug": s, "url": comparison_url(s), "title": state.tg.set_title(s)}
            for s in sets[:SETS_PER_PAIR]
        ],
        agreement=current_app.extensions["pickgraph"].feedback.agreement(slug),
        vote_url=url_for("pages.vote", slug=slug),
        **_suggestions(state, found),
    )


def set_context(state: SiteState, slug: str) -> dict:
    """A set of 3-5 topics: the entity (as the API gives it), its pick matrix, and
    suggestions for the set as for a reader's stack."""
    entity = serialize.set_entity(state, slug)
    topics = slug.split("-vs-")
    by_pair = {tuple(p.topics): p for p in entity.pairs}
    matrix = []
    for row in topics:
        cells = []
        for col in topics:
            pair = by_pair.get(tuple(sorted((row, col))))
            cells.append(None if pair is None else serialize.dump(pair))
        matrix.append({"topic": row, "name": state.tg.topics[row].name, "cells": cells})
    found = state.recommender.for_topics(topics)
    return serialize.dump(
        entity,
        type="set",
        description=entity.order.statement,
        matrix=matrix,
        **_suggestions(state, found),
    )


def best_context(state: SiteState, tag: str) -> dict:
    entity = serialize.best_entity(state, tag)
    leader = entity.ranked[0].name
    return serialize.dump(
        entity,
        type="best",
        title=f"Best {entity.name.lower()}: ranked from {entity.comparisons} comparisons",
        description=f"{leader} leads the {entity.name} topics by the picks among them.",
    )


def best_index_context(state: SiteState) -> dict:
    tg = state.tg
    return {
        "type": "best-index",
        "url": url_for("pages.best_index"),
        "title": "Best of: rankings from picks",
        "description": "Every tag whose topics are compared among themselves, ranked.",
        "lists": [
            {
                "tag": t,
                "name": tg.tags[t].name,
                "url": best_url(t),
                "leader": tg.topics[state.best(t)["ranked"][0]["topic"]].name,
                "topics": len(state.best(t)["ranked"]),
            }
            for t in sorted(state.best_tags, key=lambda t: tg.tags[t].name.lower())
        ],
    }


def _best_links(state: SiteState, topic: str) -> list[dict]:
    """The "best of" lists a topic is ranked in, with its position in each."""
    tg = state.tg
    out = []
    for tag in tg.topics[topic].related:
        if tag not in state.best_tags:
            continue
        ranked = [r["topic"] for r in state.best(tag)["ranked"]]
        if topic in ranked:
            out.append(
                {
                    "tag": tag,
                    "name": tg.tags[tag].name,
                    "url": best_url(tag),
                    "position": ranked.index(topic) + 1,
                    "of": len(ranked),
                }
            )
    return out


def topic_context(state: SiteState, slug: str) -> dict:
    """The topic entity (as the API gives it), with its page and suggestions."""
    tg = state.tg
    entity = serialize.topic_entity(state, slug)
    domain = tg.topics[slug].domain
    found = state.recommender.for_topic(slug)
    return serialize.dump(
        entity,
        type="topic",
        title=entity.name,
        description=entity.summary,
        domain_page=(
            {"slug": domain, "name": tg.domains[domain].name, "url": domain_url(domain)}
            if domain and domain in tg.domains
            else None
        ),
        explore_url=explore_url(slug),
        best=_best_links(state, slug),
        **_suggestions(state, found),
    )


def stack_context(state: SiteState, topics: list[str]) -> dict:
    """A reader's stack: suggestions grouped by the part of the stack they serve."""
    tg = state.tg
    parts = [{"slug": t, "name": tg.topics[t].name, "url": topic_url(t)} for t in topics]
    names = [p["name"] for p in parts]
    if not topics:
        return {
            "type": "stack",
            "url": stack_url([]),
            "title": "What should my stack compare next?",
            "description": "Name the technologies you use; pickgraph suggests the comparisons "
            "that bear on them, part by part.",
            "topics": [],
            "groups": [],
            "others": [],
            "suggestions": [],
            "related_topics": [],
            "notes": {"comparisons": None, "topics": None},
            "impressions": {"comparisons": None, "topics": None},
        }
    lists = _suggestions(state, state.recommender.for_topics(topics))
    groups = []
    placed: set[str] = set()
    for part in parts:
        items = [
            s
            for s in lists["suggestions"]
            if part["slug"] in (s["serves"] or ()) and s["slug"] not in placed
        ]
        placed |= {s["slug"] for s in items}
        groups.append({**part, "suggestions": items})
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    return {
        "type": "stack",
        "url": stack_url(topics),
        "title": f"Your stack: {listed}",
        "description": f"What to compare next when you use {listed}, part by part, and why.",
        "topics": parts,
        "groups": groups,
        "others": [s for s in lists["suggestions"] if s["slug"] not in placed],
        **lists,
    }


def _comparisons_touching(state: SiteState, topics, both: bool) -> list:
    """Comparisons with both ends (or at least one) among ``topics``, by slug."""
    tg = state.tg
    members = set(topics)
    found = {c.slug: c for t in members for c in tg.heads_of(t)}
    return [
        found[s]
        for s in sorted(found)
        if not both or (found[s].a.topic in members and found[s].b.topic in members)
    ]


def _comparison_item(state: SiteState, c) -> dict:
    return {
        "slug": c.slug,
        "url": comparison_url(c.slug),
        "title": state.tg.title(c.slug),
        "pick_name": state.tg.topics[c.winner].name if c.winner else None,
    }


def tag_context(state: SiteState, slug: str) -> dict:
    tg = state.tg
    tag = tg.tags[slug]
    comps = _comparisons_touching(state, tag.topics, both=True)
    return {
        "type": "tag",
        "slug": slug,
        "url": tag_url(tg, slug),
        "title": tag.name,
        "name": tag.name,
        "description": tag.description or f"Topics tagged {tag.name}.",
        "topics": [
            {
                "slug": t,
                "name": tg.topics[t].name,
                "kind": tg.topics[t].kind,
                "url": topic_url(t),
                "summary": tg.topics[t].summary,
            }
            for t in tag.topics
        ],
        "comparisons": [
            {**_comparison_item(state, c), "bottom_line": tg.comparisons[c.slug].bottom_line}
            for c in comps
        ],
        "best": (
            {
                "url": best_url(slug),
                "leaders": [r.name for r in serialize.best_entity(state, slug).ranked[:3]],
            }
            if slug in state.best_tags
            else None
        ),
    }


def domain_context(state: SiteState, slug: str) -> dict:
    tg = state.tg
    d = tg.domains[slug]
    topics = state.domain_topics[slug]
    comps = _comparisons_touching(state, topics, both=False)
    return {
        "type": "domain",
        "slug": slug,
        "url": domain_url(slug),
        "title": d.name,
        "name": d.name,
        "description": d.description or d.name,
        "topics": [
            {
                "slug": t,
                "name": tg.topics[t].name,
                "kind": tg.topics[t].kind,
                "url": topic_url(t),
                "comparisons": tg.comparison_count(t),
            }
            for t in topics
        ],
        "comparisons": [_comparison_item(state, c) for c in comps],
    }


def home_context(state: SiteState) -> dict:
    tg = state.tg
    lists = state.home_lists  # derived from the whole graph once, not per request

    def item(slug: str) -> dict:
        c = tg.comparisons[slug]
        return {**_comparison_item(state, c), "bottom_line": c.bottom_line}

    domains = [
        {
            "slug": dslug,
            "name": d.name,
            "description": d.description,
            "url": domain_url(dslug),
            "topics": len(state.domain_topics[dslug]),
        }
        for dslug, d in tg.domains.items()
    ]
    return {
        "type": "home",
        "url": url_for("pages.home"),
        "title": "pickgraph: technology comparisons with a pick",
        "description": (
            f"{len(tg.comparisons)} technology comparisons across {len(tg.topics)} topics, each "
            "with a pick, both sides' pros and cons, and what to compare next."
        ),
        "counts": state.counts,
        "featured": [item(s) for s in lists["featured"]],
        "most_connected": [item(s) for s in lists["most_connected"]],
        "domains": domains,
        "best_url": url_for("pages.best_index"),
        "best_lists": len(state.best_tags),
        "tags": [
            {
                "slug": s,
                "name": t.name,
                "url": tag_url(tg, s),
                "topics": len(t.topics),
            }
            for s, t in tg.tags.items()
        ],
    }


def search_context(state: SiteState, query: str) -> dict:
    results = search_results(state, query, 20)
    total = sum(len(results[g]) for g in ("topics", "comparisons", "tags"))
    return {
        "type": "search",
        "url": url_for("pages.search", q=query) if query else url_for("pages.search"),
        "title": f"Search: {query}" if query else "Search",
        "description": "Search topics, comparisons and tags.",
        "query": results["query"],
        "total": total,
        "topics": results["topics"],
        "comparisons": results["comparisons"],
        "tags": results["tags"],
    }


def search_results(state: SiteState, query: str, limit: int) -> dict:
    """Search results with each hit's URL (the search page and the API share them)."""
    results = state.search.search(query, limit=limit)
    for group in ("topics", "comparisons", "tags"):
        for r in results[group]:
            r["url"] = entity_url(state.tg, r["kind"], r["slug"])
    return results


def comparison_json_ld(ctx: dict, origin: str) -> dict:
    """schema.org data for a comparison page (an Article about two things)."""
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": ctx["title"],
        "description": ctx["bottom_line"],
        "dateModified": ctx["reviewed"],
        "url": origin + ctx["url"],
        "about": [
            {"@type": "Thing", "name": s["name"], "url": origin + s["url"]} for s in ctx["sides"]
        ],
        "articleBody": ctx["verdict"],
    }
