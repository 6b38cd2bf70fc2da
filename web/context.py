"""One plain-data context per page: the HTML page renders it, the JSON twin returns it.

Each builder takes the SiteState and a canonical slug and returns JSON-serialisable
data only (strings, numbers, lists, dicts), with the URLs of everything it links.
"""

from __future__ import annotations

from flask import url_for

from pickgraph.engine.suggest import Suggestions
from pickgraph.graph.textpage import first_sentence

from .state import SiteState

__all__ = [
    "comparison_context",
    "stack_context",
    "domain_context",
    "home_context",
    "search_context",
    "tag_context",
    "topic_context",
]


def topic_url(slug: str) -> str:
    return url_for("pages.topic", slug=slug)


def comparison_url(slug: str) -> str:
    return url_for("pages.comparison", slug=slug)


def tag_url(state: SiteState, slug: str) -> str:
    """A tag that is a topic's slug links to the topic."""
    if slug in state.tg.topics:
        return topic_url(slug)
    return url_for("pages.tag", slug=slug)


def tag_item(state: SiteState, slug: str) -> dict:
    tg = state.tg
    name = tg.topics[slug].name if slug in tg.topics else tg.tags[slug].name
    return {"slug": slug, "name": name, "url": tag_url(state, slug), "is_topic": slug in tg.topics}


def comparison_title(state: SiteState, slug: str) -> str:
    c = state.tg.comparisons[slug]
    a, b = sorted((c.a.topic, c.b.topic))
    return f"{state.tg.topics[a].name} vs {state.tg.topics[b].name}"


def _suggestion_items(s: Suggestions) -> tuple[list[dict], list[dict]]:
    comps = [{**x.to_dict(), "url": comparison_url(x.slug)} for x in s.comparisons]
    topics = [{**x.to_dict(), "url": topic_url(x.slug)} for x in s.topics]
    return comps, topics


# Facts of a topic, in the order the pages show them, with their labels.
FACT_LABELS = (
    ("license", "Licence"),
    ("first_release", "First release"),
    ("written_in", "Written in"),
    ("steward", "Steward"),
    ("hosting", "Hosting"),
)
_HOSTING = {
    "self-hosted": "Self-hosted",
    "managed": "Managed service",
    "both": "Self-hosted or managed",
}


def fact_values(topic) -> dict:
    """A topic's facts as display text, only those it has."""
    facts = topic.facts
    if facts is None:
        return {}
    out = {}
    for name, _ in FACT_LABELS:
        value = getattr(facts, name)
        if value is None:
            continue
        if name == "written_in":
            value = ", ".join(value)
        elif name == "hosting":
            value = _HOSTING[value]
        elif name == "license" and value == "proprietary":
            value = "Proprietary"
        out[name] = str(value)
    return out


def facts_table(state: SiteState, sides: list[str]) -> list[dict]:
    """Rows of facts side by side: one per fact either side has."""
    values = [fact_values(state.tg.topics[t]) for t in sides]
    return [
        {"fact": name, "label": label, "values": [v.get(name) for v in values]}
        for name, label in FACT_LABELS
        if any(name in v for v in values)
    ]


def comparison_context(state: SiteState, slug: str) -> dict:
    tg = state.tg
    c = tg.comparisons[slug]
    sides = sorted((c.a, c.b), key=lambda s: s.topic)
    tags: list[str] = []
    for side in sides:
        for t in tg.topics[side.topic].related:
            if t not in tags and t not in (c.a.topic, c.b.topic):
                tags.append(t)
    found = state.recommender.for_comparison(slug)
    suggestions, related = _suggestion_items(found)
    title = comparison_title(state, slug)
    pick_name = tg.topics[c.winner].name if c.winner else None
    return {
        "type": "comparison",
        "slug": slug,
        "url": comparison_url(slug),
        "title": title,
        "description": c.bottom_line,
        "pick": c.winner,
        "pick_name": pick_name,
        "no_pick_reason": c.no_pick_reason,
        "bottom_line": c.bottom_line,
        "verdict": c.verdict,
        "reviewed": c.reviewed.isoformat(),
        "weight": c.weight,
        "sides": [
            {
                "topic": s.topic,
                "name": tg.topics[s.topic].name,
                "kind": tg.topics[s.topic].kind,
                "url": topic_url(s.topic),
                "summary": s.summary or first_sentence(tg.topics[s.topic].summary),
                "pros": list(s.pros),
                "cons": list(s.cons),
                "choose_if": s.choose_if,
                "is_pick": s.topic == c.winner,
            }
            for s in sides
        ],
        "tags": [tag_item(state, t) for t in tags],
        "facts": facts_table(state, [side.topic for side in sides]),
        "sources": [{"url": src.url, "title": src.title} for src in c.sources],
        "suggestions": suggestions,
        "related_topics": related,
        "notes": found.to_dict()["notes"],
    }


def topic_context(state: SiteState, slug: str) -> dict:
    tg = state.tg
    t = tg.topics[slug]
    comparisons = []
    for c in tg.comparisons_of(slug):
        other = c.other(slug)
        result = "no pick" if c.winner is None else ("win" if c.winner == slug else "loss")
        comparisons.append(
            {
                "slug": c.slug,
                "url": comparison_url(c.slug),
                "title": comparison_title(state, c.slug),
                "other": other,
                "other_name": tg.topics[other].name,
                "result": result,
                "bottom_line": c.bottom_line,
            }
        )
    found = state.recommender.for_topic(slug)
    suggestions, related = _suggestion_items(found)
    domain = None
    if t.domain and t.domain in tg.domains:
        domain = {
            "slug": t.domain,
            "name": tg.domains[t.domain].name,
            "url": url_for("pages.domain", slug=t.domain),
        }
    return {
        "type": "topic",
        "slug": slug,
        "url": topic_url(slug),
        "title": t.name,
        "name": t.name,
        "description": t.summary,
        "kind": t.kind,
        "domain": domain,
        "summary": t.summary,
        "aliases": list(t.aliases),
        "homepage": t.homepage,
        "tags": [tag_item(state, x) for x in t.related],
        "record": tg.record(slug),
        "facts": [
            {"fact": name, "label": label, "value": value}
            for (name, label) in FACT_LABELS
            if (value := fact_values(t).get(name)) is not None
        ],
        "comparisons": comparisons,
        "related_topics": related,
        "suggestions": suggestions,
        "notes": found.to_dict()["notes"],
        "explore_url": url_for("pages.explore", slug=slug),
    }


def stack_url(topics: list[str], as_json: bool = False) -> str:
    endpoint = "pages.stack_json" if as_json else "pages.stack"
    return url_for(endpoint, topics=",".join(topics)) if topics else url_for(endpoint)


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
            "suggestions": [],
            "related_topics": [],
            "notes": {"comparisons": None, "topics": None},
        }
    found = state.recommender.for_topics(topics)
    suggestions, related = _suggestion_items(found)
    groups = []
    placed: set[str] = set()
    for part in parts:
        items = [
            s
            for s in suggestions
            if part["slug"] in s.get("serves", ()) and s["slug"] not in placed
        ]
        placed |= {s["slug"] for s in items}
        groups.append({**part, "suggestions": items})
    rest = [s for s in suggestions if s["slug"] not in placed]
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    return {
        "type": "stack",
        "url": stack_url(topics),
        "title": f"Your stack: {listed}",
        "description": f"What to compare next when you use {listed}, part by part, and why.",
        "topics": parts,
        "groups": groups,
        "others": rest,
        "suggestions": suggestions,
        "related_topics": related,
        "notes": found.to_dict()["notes"],
    }


def _comparisons_touching(state: SiteState, topics, both: bool) -> list:
    """Comparisons with both ends (or at least one) among ``topics``, by slug."""
    tg = state.tg
    members = set(topics)
    found = {c.slug: c for t in members for c in tg.comparisons_of(t)}
    return [
        found[s]
        for s in sorted(found)
        if not both or (found[s].a.topic in members and found[s].b.topic in members)
    ]


def _comparison_item(state: SiteState, c) -> dict:
    return {
        "slug": c.slug,
        "url": comparison_url(c.slug),
        "title": comparison_title(state, c.slug),
        "pick_name": state.tg.topics[c.winner].name if c.winner else None,
    }


def tag_context(state: SiteState, slug: str) -> dict:
    tg = state.tg
    tag = tg.tags[slug]
    comps = _comparisons_touching(state, tag.topics, both=True)
    return {
        "type": "tag",
        "slug": slug,
        "url": url_for("pages.tag", slug=slug),
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
            {**_comparison_item(state, c), "bottom_line": c.bottom_line} for c in comps
        ],
        "ranking": [{**row, "url": topic_url(row["topic"])} for row in state.rankings(slug)],
    }


def domain_context(state: SiteState, slug: str) -> dict:
    tg = state.tg
    d = tg.domains[slug]
    topics = [s for s, t in tg.topics.items() if t.domain == slug]
    comps = _comparisons_touching(state, topics, both=False)
    return {
        "type": "domain",
        "slug": slug,
        "url": url_for("pages.domain", slug=slug),
        "title": d.name,
        "name": d.name,
        "description": d.description or d.name,
        "topics": [
            {
                "slug": t,
                "name": tg.topics[t].name,
                "kind": tg.topics[t].kind,
                "url": topic_url(t),
                "comparisons": len(tg.comparisons_of(t)),
            }
            for t in topics
        ],
        "comparisons": [_comparison_item(state, c) for c in comps],
    }


def _connectedness(state: SiteState, slug: str) -> int:
    c = state.tg.comparisons[slug]
    return len(state.tg.comparisons_of(c.a.topic)) + len(state.tg.comparisons_of(c.b.topic))


def home_context(state: SiteState) -> dict:
    tg = state.tg
    ranked = sorted(tg.comparisons, key=lambda s: (-_connectedness(state, s), s))
    # featured: the best-connected comparison of each domain, so every section shows
    featured, seen = [], set()
    for slug in ranked:
        c = tg.comparisons[slug]
        domain = tg.topics[c.a.topic].domain
        if domain and domain not in seen:
            seen.add(domain)
            featured.append(slug)

    def item(slug: str) -> dict:
        c = tg.comparisons[slug]
        return {**_comparison_item(state, c), "bottom_line": c.bottom_line}

    domains = []
    for dslug, d in tg.domains.items():
        members = [s for s, t in tg.topics.items() if t.domain == dslug]
        domains.append(
            {
                "slug": dslug,
                "name": d.name,
                "description": d.description,
                "url": url_for("pages.domain", slug=dslug),
                "topics": len(members),
            }
        )
    return {
        "type": "home",
        "url": url_for("pages.home"),
        "title": "pickgraph: technology comparisons with a pick",
        "description": (
            f"{len(tg.comparisons)} technology comparisons across {len(tg.topics)} topics, each "
            "with a pick, both sides' pros and cons, and what to compare next."
        ),
        "counts": state.counts,
        "featured": [item(s) for s in featured],
        "most_connected": [item(s) for s in ranked[:12]],
        "domains": domains,
        "tags": [
            {
                "slug": s,
                "name": t.name,
                "url": url_for("pages.tag", slug=s),
                "topics": len(t.topics),
            }
            for s, t in tg.tags.items()
        ],
    }


def search_context(state: SiteState, query: str) -> dict:
    results = state.search.search(query, limit=20)
    urls = {
        "topic": topic_url,
        "comparison": comparison_url,
        "tag": lambda s: url_for("pages.tag", slug=s),
    }
    for group in ("topics", "comparisons", "tags"):
        for r in results[group]:
            r["url"] = urls[r["kind"]](r["slug"])
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
