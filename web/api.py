"""The JSON API under /api/v1, described by the OpenAPI document at openapi.json.

Every error has one shape, ``{"ok": false, "error": ..., "status": ...}`` (plus
``parameter`` for a bad parameter, ``candidates`` for an unknown slug). Successful
bodies carry ``"ok": true``.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, request
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from pickgraph.engine.gaps import gaps
from pickgraph.engine.methods import METHODS
from pickgraph.engine.rank import RANK_METHODS, rankings
from pickgraph.engine.suggest import DEFAULT_LIMIT, MAX_LIMIT
from pickgraph.graph.errors import BadRequest, NotFound

from . import schemas, serialize
from .context import search_results
from .explore import neighbourhood as neighbourhood_of
from .feedback import feedback, same_origin
from .openapi import document
from .pages import cached, json_response
from .search import MAX_QUERY
from .site import current_state
from .urls import topic_url

bp = Blueprint("api", __name__, url_prefix="/api/v1")

__all__ = ["bp"]

MAX_GAPS = 100
_DIGITS = re.compile(r"[0-9]+")


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # ASCII digits only: int() would also take "1_0", "٥" and full-width digits
    if not _DIGITS.fullmatch(raw) or len(raw) > 6:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}", name)
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}", name)
    return value


def _method_param() -> str | None:
    method = request.args.get("method")
    if method is not None and method not in METHODS:
        raise BadRequest(f"method must be one of {', '.join(METHODS)}", "method")
    return method


def _answer(model) -> Response:
    """A body model as the JSON response."""
    return json_response(serialize.dump(model))


# A comparison and a topic: the entity (with the slug as asked for) and its page's
# suggestions, the same serialisers as the page twins use.
_ENTITIES = {
    "comparison": (serialize.comparison_entity, schemas.ComparisonBody),
    "topic": (serialize.topic_entity, schemas.TopicBody),
}


def _entity_view(kind: str):
    build, body = _ENTITIES[kind]

    def entity(slug: str):
        state = current_state()
        found = build(state, state.tg.canonical(kind, slug))
        return _answer(body(**found.model_dump(), requested=slug))

    return entity


def _suggestions_view(kind: str):
    def suggestions(slug: str):
        limit = _int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        method = _method_param()
        state = current_state()
        found = state.recommender.for_page(kind, state.tg.canonical(kind, slug), limit, method)
        return _answer(serialize.suggestions_body(state, found))

    return suggestions


def _add_entity_routes() -> None:
    for kind in _ENTITIES:
        rule = f"/{kind}s/<slug>"
        bp.add_url_rule(rule, kind, cached()(_entity_view(kind)))
        suggestions = cached("limit", "method")(_suggestions_view(kind))
        bp.add_url_rule(f"{rule}/suggestions", f"{kind}_suggestions", suggestions)


_add_entity_routes()


@bp.get("/sets/<slug>")
@cached()
def comparison_set(slug: str):
    """A set of 3-5 topics; any slug that names no such set is a bad request."""
    state = current_state()
    try:
        found = state.tg.resolve("comparison", slug)
    except NotFound as exc:
        raise BadRequest(str(exc), "slug") from None
    if found.kind != "set":
        raise BadRequest(
            f"a set names 3 to 5 different topics; {found.slug!r} is a pair, at "
            f"/api/v1/comparisons/{found.slug}",
            "slug",
        )
    entity = serialize.set_entity(state, found.slug)
    return _answer(schemas.SetBody(**entity.model_dump(), requested=slug))


@bp.get("/topics/<slug>/neighbourhood")
@cached()
def neighbourhood(slug: str):
    state = current_state()
    body = neighbourhood_of(state, state.tg.canonical("topic", slug))
    return _answer(schemas.NeighbourhoodBody(**body))


@bp.get("/suggestions")
@cached("topics", "limit", "method")
def stack_suggestions():
    raw = request.args.get("topics")
    if raw is None or not raw.strip():
        raise BadRequest("topics is required: 1 to 10 comma-separated topic slugs", "topics")
    topics = [t.strip() for t in raw.split(",") if t.strip()]
    limit = _int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    method = _method_param()
    state = current_state()
    return _answer(
        serialize.suggestions_body(state, state.recommender.for_topics(topics, limit, method))
    )


@bp.get("/gaps")
@cached("limit", "tag")
def missing():
    limit = _int_param("limit", 20, 1, MAX_GAPS)
    tag = request.args.get("tag") or None
    rows = gaps(current_state().recommender.engine, limit, tag)
    return _answer(schemas.GapsBody(tag=tag, gaps=rows))


@bp.get("/rankings")
@cached("tag", "method")
def ranking():
    tag = request.args.get("tag") or None
    method = request.args.get("method", "pagerank")
    if method not in RANK_METHODS:
        raise BadRequest(f"method must be one of {', '.join(RANK_METHODS)}", "method")
    state = current_state()
    rows = state.rankings(tag) if method == "pagerank" else rankings(state.tg, tag, method)
    # the rows are cached state: each answer gets its own copies, with URLs
    items = [schemas.Ranking(**row, url=topic_url(row["topic"])) for row in rows]
    return _answer(schemas.RankingsBody(tag=tag, method=method, rankings=items))


@bp.get("/search")
@cached("q", "limit")
def search():
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"q must be at most {MAX_QUERY} characters", "q")
    limit = _int_param("limit", 10, 1, MAX_LIMIT)
    return _answer(schemas.SearchBody(**search_results(current_state(), query, limit)))


# An event body is a few hundred bytes (its largest valid form about 5 KB); anything
# past this is refused unread (413).
MAX_EVENT_BODY = 8192


@bp.post("/events")
def events():
    """A click on a suggestion or a vote on a pick: 202 once durably stored (or known
    already: an event sent again is stored once), 400 for a bad event, 403 from another
    origin, 413 past MAX_EVENT_BODY bytes, 429 past the client's rate."""
    same_origin()
    if request.content_length is not None and request.content_length > MAX_EVENT_BODY:
        raise RequestEntityTooLarge(f"an event body is at most {MAX_EVENT_BODY} bytes")
    raw = request.stream.read(MAX_EVENT_BODY + 1)
    if len(raw) > MAX_EVENT_BODY:
        raise RequestEntityTooLarge(f"an event body is at most {MAX_EVENT_BODY} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadRequest("the body must be a JSON object", "body") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", "body")
    model = _EVENTS.get(body.get("type")) if isinstance(body.get("type"), str) else None
    if model is None:
        raise BadRequest("type must be click or vote", "type")
    try:  # the documented shape, field by field (strict: "yes" is no boolean)
        event = model.model_validate(body, strict=True)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "body"
        raise BadRequest(f"{field}: {problem['msg']}", field) from None
    fb = feedback()
    state = current_state()
    if isinstance(event, schemas.ClickEvent):
        result = fb.click(state, event.impression, event.to)
    else:
        result = fb.vote(state, event.comparison, event.agree, event.comment)
    if result == "limited":
        raise TooManyRequests("too many events from this client; try again in a minute")
    if result == "duplicate":
        return _accepted(recorded=False, reason="already recorded")
    if result == "bot":
        return _accepted(recorded=False, reason="not recorded from a crawler or tool")
    return _accepted(recorded=True)


# The bodies the endpoint takes, as the OpenAPI document describes them.
_EVENTS = {"click": schemas.ClickEvent, "vote": schemas.VoteEvent}


def _accepted(recorded: bool, reason: str | None = None) -> Response:
    response = Response(_ACCEPTED[(recorded, reason)], status=202, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


# The few answers an accepted event gets, serialised once (the endpoint's hot path).
_ACCEPTED = {
    (recorded, reason): json.dumps(
        serialize.dump(schemas.EventAccepted(recorded=recorded, reason=reason)), indent=1
    )
    for recorded, reason in (
        (True, None),
        (False, "already recorded"),
        (False, "not recorded from a crawler or tool"),
    )
}


@bp.get("/ping")
def ping():
    """The smallest JSON answer the app gives: the reference of the load benchmark."""
    return json_response({"ok": True})


@bp.get("/openapi.json")
@cached()
def openapi():
    return json_response(document())
