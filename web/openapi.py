"""The OpenAPI 3.1 document of the JSON API (served at openapi.json).

The operations (paths and parameters) are described here; every schema is generated
from the pydantic models the handlers build their answers with (``schemas.py``), so
the document says what the code returns. The test suite checks every response of
every operation against it (schemathesis) and the document itself with
openapi-spec-validator.
"""

from __future__ import annotations

from functools import cache

from pydantic.json_schema import models_json_schema

from pickgraph.engine.methods import DEFAULT_METHOD, METHODS
from pickgraph.engine.rank import RANK_METHODS
from pickgraph.engine.suggest import DEFAULT_LIMIT, MAX_LIMIT

from . import schemas
from .search import MAX_QUERY

__all__ = ["document"]

_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {
        "description": description,
        "headers": {
            "ETag": {"description": "entity tag; send it back in If-None-Match", "schema": _STR},
            "Cache-Control": {"description": "how long the answer may be cached", "schema": _STR},
        },
        "content": {"application/json": {"schema": schema}},
    }


_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
_NOT_MODIFIED = {"304": {"description": "not modified since the ETag sent in If-None-Match"}}


def _limit(default: int, maximum: int) -> dict:
    return {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"how many items to return (default {default})",
        "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
    }


_METHOD = {
    "name": "method",
    "in": "query",
    "required": False,
    "description": f"scoring method (default {DEFAULT_METHOD})",
    "schema": {"type": "string", "enum": list(METHODS), "default": DEFAULT_METHOD},
}


def _slug(what: str) -> dict:
    return {
        "name": "slug",
        "in": "path",
        "required": True,
        "description": what,
        "schema": {"type": "string"},
    }


# Each response body, by the name the document gives its schema.
BODIES = {
    "Comparison": schemas.ComparisonBody,
    "Set": schemas.SetBody,
    "Topic": schemas.TopicBody,
    "Suggestions": schemas.SuggestionsBody,
    "Gaps": schemas.GapsBody,
    "Rankings": schemas.RankingsBody,
    "SearchResults": schemas.SearchBody,
    "Neighbourhood": schemas.NeighbourhoodBody,
    "Health": schemas.HealthBody,
    "Error": schemas.ErrorBody,
    "EventAccepted": schemas.EventAccepted,
    "ClickEvent": schemas.ClickEvent,
    "VoteEvent": schemas.VoteEvent,
}


def _schemas() -> dict:
    """Every body's JSON schema and the schemas they refer to, as components."""
    bodies = [(BODIES[name], "serialization") for name in BODIES]
    refs, defs = models_json_schema(bodies, ref_template="#/components/schemas/{model}")
    out = dict(defs.get("$defs", {}))
    for name, model in BODIES.items():
        out[name] = out.pop(model.__name__)
    return out


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


@cache
def document() -> dict:
    def op(operation_id, summary, schema_name, parameters, description="", errors=("400", "404")):
        responses = {"200": _json(_ref(schema_name), summary), **_NOT_MODIFIED}
        for code in errors:
            responses[code] = _ERRORS[code]
        out = {
            "summary": summary,
            "operationId": operation_id,
            "parameters": parameters,
            "responses": responses,
        }
        if description:
            out["description"] = description
        return {"get": out}

    comparison_slug = _slug("a comparison, a-vs-b in either order; aliases allowed")
    topic_slug = _slug("a topic slug or alias")
    paths = {
        "/api/v1/comparisons/{slug}": op(
            "getComparison",
            "Get a comparison",
            "Comparison",
            [comparison_slug],
            "A reversed or alias slug is answered for its canonical pair; `slug` in the body "
            "is the canonical one.",
            errors=("404",),
        ),
        "/api/v1/comparisons/{slug}/suggestions": op(
            "suggestForComparison",
            "Suggest what to compare after a comparison",
            "Suggestions",
            [comparison_slug, _limit(DEFAULT_LIMIT, MAX_LIMIT), _METHOD],
        ),
        "/api/v1/sets/{slug}": op(
            "getSet",
            "Compare a set of 3 to 5 topics side by side",
            "Set",
            [
                {
                    **_slug("3 to 5 different topics, a-vs-b-vs-c in any order; aliases allowed"),
                    "schema": {"type": "string", "pattern": "^[^/]+?(-vs-[^/]+?){2,4}$"},
                }
            ],
            "Every pair's pick (or, for a pair not compared yet, its gap score), what the "
            "picks say about an order, and each topic's place with its bootstrap range. "
            "A slug of 2 or more than 5 topics, a topic named twice or an unknown topic "
            "is a 400.",
            errors=("400",),
        ),
        "/api/v1/topics/{slug}": op(
            "getTopic", "Get a topic", "Topic", [topic_slug], errors=("404",)
        ),
        "/api/v1/topics/{slug}/suggestions": op(
            "suggestForTopic",
            "Suggest comparisons and topics for a topic",
            "Suggestions",
            [topic_slug, _limit(DEFAULT_LIMIT, MAX_LIMIT), _METHOD],
        ),
        "/api/v1/topics/{slug}/neighbourhood": op(
            "getNeighbourhood",
            "Get a topic's neighbourhood for the graph explorer",
            "Neighbourhood",
            [topic_slug],
            errors=("404",),
        ),
        "/api/v1/suggestions": op(
            "suggestForTopics",
            "Suggest for a stack of 1-10 topics",
            "Suggestions",
            [
                {
                    "name": "topics",
                    "in": "query",
                    "required": True,
                    "description": "1 to 10 comma-separated topic slugs or aliases",
                    "schema": {
                        "type": "string",
                        # at least one name, at most nine commas
                        "allOf": [{"pattern": "[^,\\s]"}, {"pattern": "^[^,]*(,[^,]*){0,9}$"}],
                    },
                },
                _limit(DEFAULT_LIMIT, MAX_LIMIT),
                _METHOD,
            ],
        ),
        "/api/v1/gaps": op(
            "listGaps",
            "List missing comparisons worth writing",
            "Gaps",
            [
                _limit(20, 100),
                {
                    "name": "tag",
                    "in": "query",
                    "required": False,
                    "description": "only pairs whose topics both carry this tag",
                    "schema": {"type": "string"},
                },
            ],
        ),
        "/api/v1/rankings": op(
            "listRankings",
            "Rank topics from the picks",
            "Rankings",
            [
                {
                    "name": "tag",
                    "in": "query",
                    "required": False,
                    "description": "rank the topics of this tag (default: all topics)",
                    "schema": {"type": "string"},
                },
                {
                    "name": "method",
                    "in": "query",
                    "required": False,
                    "description": "ranking method",
                    "schema": {"type": "string", "enum": list(RANK_METHODS), "default": "pagerank"},
                },
            ],
        ),
        "/api/v1/search": op(
            "search",
            "Search topics, comparisons and tags",
            "SearchResults",
            [
                {
                    "name": "q",
                    "in": "query",
                    "required": False,
                    "description": "the text to search for; typos and aliases are tolerated",
                    "schema": {"type": "string", "maxLength": MAX_QUERY},
                },
                _limit(10, MAX_LIMIT),
            ],
            errors=("400",),
        ),
        "/api/v1/events": {
            "post": {
                "summary": "Report a click on a suggestion or a vote on a pick",
                "operationId": "postEvent",
                "description": (
                    "A click names the list it was in by that list's `impressions` token "
                    "(valid for two days) and the slug clicked, which the list must have "
                    "shown. A vote names a comparison and whether the reader agrees with "
                    "its pick. No cookie is read or set; the same event sent again is "
                    "stored once. Same origin only: a browser's POST from another site "
                    "is refused."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"oneOf": [_ref("ClickEvent"), _ref("VoteEvent")]}
                        }
                    },
                },
                "responses": {
                    "202": {
                        "description": "stored durably (or known already)",
                        "content": {"application/json": {"schema": _ref("EventAccepted")}},
                    },
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "403": _error("the POST came from another origin"),
                    "404": {"$ref": "#/components/responses/NotFound"},
                    "413": _error("the body is larger than 8 KB"),
                    "429": _error("this client sent too many events in the last minute"),
                    "503": _error("the feedback database cannot be reached; retry later"),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {
                    "200": {
                        "description": "the OpenAPI document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_NOT_MODIFIED,
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Health and content version",
                "operationId": "health",
                "responses": {
                    "200": _json(_ref("Health"), "the served content's version and counts")
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pickgraph API",
            "version": "1.0.0",
            "description": (
                "Technology comparisons as a graph: comparisons, topics, suggestions of what to "
                "compare next (each with its reasons), missing comparisons, rankings from "
                "picks and search. All responses are JSON; every GET carries an ETag and "
                "answers If-None-Match with 304."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "responses": {
                "BadRequest": {
                    "description": "a parameter is malformed or out of range",
                    "content": {"application/json": {"schema": _ref("Error")}},
                },
                "NotFound": {
                    "description": "the slug names nothing; candidates lists close matches",
                    "content": {"application/json": {"schema": _ref("Error")}},
                },
            },
        },
    }
