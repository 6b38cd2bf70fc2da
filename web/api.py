"""The JSON API under /api/v1, described by the OpenAPI document at openapi.json.

Every error has one shape, ``{"ok": false, "error": ..., "status": ...}`` (plus
``parameter`` for a bad parameter, ``candidates`` for an unknown slug). Successful
bodies carry ``"ok": true``.
"""

from __future__ import annotations

from flask import Blueprint, request, url_for

from pickgraph.engine.gaps import gaps
from pickgraph.engine.methods import METHODS
from pickgraph.engine.rank import RANK_METHODS, rankings
from pickgraph.engine.suggest import DEFAULT_LIMIT, MAX_LIMIT
from pickgraph.graph.errors import BadRequest, NotFound

from .context import (
    comparison_title,
    comparison_url,
    fact_values,
    facts_table,
    tag_item,
    topic_url,
)
from .pages import cached, json_response
from .search import MAX_QUERY
from .site import current_state

bp = Blueprint("api", __name__, url_prefix="/api/v1")

__all__ = ["bp"]

MAX_GAPS = 100


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}", name) from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}", name)
    return value


def _method_param() -> str | None:
    method = request.args.get("method")
    if method is not None and method not in METHODS:
        raise BadRequest(f"method must be one of {', '.join(METHODS)}", "method")
    return method


def _suggestion_body(s) -> dict:
    body = s.to_dict()
    for c in body["comparisons"]:
        c["url"] = comparison_url(c["slug"])
    for t in body["topics"]:
        t["url"] = topic_url(t["slug"])
    return {"ok": True, **body}


def _comparison(slug: str):
    tg = current_state().tg
    comp = tg.find_comparison(slug)
    if comp is None:
        raise NotFound("comparison", slug, tg.similar_comparisons(slug))
    return comp


def _topic(slug: str):
    return current_state().tg.topic(slug)


@bp.get("/comparisons/<slug>")
@cached
def comparison(slug: str):
    state = current_state()
    c = _comparison(slug)
    sides = []
    for s in sorted((c.a, c.b), key=lambda s: s.topic):
        sides.append(
            {
                "topic": s.topic,
                "name": state.tg.topics[s.topic].name,
                "pros": s.pros,
                "cons": s.cons,
                "choose_if": s.choose_if,
                "summary": s.summary,
                "url": topic_url(s.topic),
            }
        )
    tags = []
    for s in sides:
        for t in state.tg.topics[s["topic"]].related:
            if t not in [x["slug"] for x in tags] and t not in c.topics:
                tags.append(tag_item(state, t))
    return json_response(
        {
            "ok": True,
            "slug": c.slug,
            "requested": slug,
            "title": comparison_title(state, c.slug),
            "url": comparison_url(c.slug),
            "pick": c.winner,
            "no_pick_reason": c.no_pick_reason,
            "verdict": c.verdict,
            "bottom_line": c.bottom_line,
            "reviewed": c.reviewed.isoformat(),
            "weight": c.weight,
            "sides": sides,
            "tags": tags,
            "facts": facts_table(state, [s["topic"] for s in sides]),
            "sources": [{"url": src.url, "title": src.title} for src in c.sources],
        }
    )


@bp.get("/comparisons/<slug>/suggestions")
@cached
def comparison_suggestions(slug: str):
    limit = _int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    method = _method_param()
    c = _comparison(slug)
    s = current_state().recommender.for_comparison(c.slug, limit, method)
    return json_response(_suggestion_body(s))


@bp.get("/topics/<slug>")
@cached
def topic(slug: str):
    state = current_state()
    t = _topic(slug)
    comps = []
    for c in state.tg.comparisons_of(t.slug):
        result = "no pick" if c.winner is None else ("win" if c.winner == t.slug else "loss")
        comps.append(
            {
                "slug": c.slug,
                "title": comparison_title(state, c.slug),
                "other": c.other(t.slug),
                "result": result,
                "url": comparison_url(c.slug),
            }
        )
    return json_response(
        {
            "ok": True,
            "slug": t.slug,
            "requested": slug,
            "name": t.name,
            "kind": t.kind,
            "domain": t.domain,
            "summary": t.summary,
            "aliases": t.aliases,
            "homepage": t.homepage,
            "tags": [tag_item(state, x) for x in t.related],
            "record": state.tg.record(t.slug),
            "facts": fact_values(t),
            "comparisons": comps,
            "url": topic_url(t.slug),
        }
    )


@bp.get("/topics/<slug>/suggestions")
@cached
def topic_suggestions(slug: str):
    limit = _int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    method = _method_param()
    t = _topic(slug)
    s = current_state().recommender.for_topic(t.slug, limit, method)
    return json_response(_suggestion_body(s))


@bp.get("/topics/<slug>/neighbourhood")
@cached
def neighbourhood(slug: str):
    from .explore import neighbourhood as build

    t = _topic(slug)
    return json_response({"ok": True, **build(current_state(), t.slug)})


@bp.get("/suggestions")
@cached
def stack_suggestions():
    raw = request.args.get("topics")
    if raw is None or not raw.strip():
        raise BadRequest("topics is required: 1 to 10 comma-separated topic slugs", "topics")
    topics = [t.strip() for t in raw.split(",") if t.strip()]
    limit = _int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    method = _method_param()
    s = current_state().recommender.for_topics(topics, limit, method)
    return json_response(_suggestion_body(s))


@bp.get("/gaps")
@cached
def missing():
    limit = _int_param("limit", 20, 1, MAX_GAPS)
    tag = request.args.get("tag") or None
    rows = gaps(current_state().recommender.engine, limit, tag)
    return json_response({"ok": True, "tag": tag, "gaps": rows})


@bp.get("/rankings")
@cached
def ranking():
    tag = request.args.get("tag") or None
    method = request.args.get("method", "pagerank")
    if method not in RANK_METHODS:
        raise BadRequest(f"method must be one of {', '.join(RANK_METHODS)}", "method")
    state = current_state()
    rows = state.rankings(tag) if method == "pagerank" else rankings(state.tg, tag, method)
    for row in rows:
        row["url"] = topic_url(row["topic"])
    return json_response({"ok": True, "tag": tag, "method": method, "rankings": rows})


@bp.get("/search")
@cached
def search():
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"q must be at most {MAX_QUERY} characters", "q")
    limit = _int_param("limit", 10, 1, MAX_LIMIT)
    result = current_state().search.search(query, limit)
    endpoints = {"topic": "pages.topic", "comparison": "pages.comparison", "tag": "pages.tag"}
    for group in ("topics", "comparisons", "tags"):
        for r in result[group]:
            r["url"] = url_for(endpoints[r["kind"]], slug=r["slug"])
    return json_response({"ok": True, **result})


@bp.get("/ping")
def ping():
    """The smallest JSON answer the app gives: the reference of the load benchmark."""
    return json_response({"ok": True})


@bp.get("/openapi.json")
@cached
def openapi():
    from .openapi import document

    return json_response(document())
