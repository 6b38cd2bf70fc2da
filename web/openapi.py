"""The hand-written OpenAPI 3.1 document of the JSON API (served at openapi.json).

The schemas are what the handlers return; the test suite checks every response of
every operation against them (schemathesis) and the document itself with
openapi-spec-validator.
"""

from __future__ import annotations

from functools import cache

from pickgraph.engine.methods import DEFAULT_METHOD, METHODS
from pickgraph.engine.rank import RANK_METHODS
from pickgraph.engine.suggest import DEFAULT_LIMIT, MAX_LIMIT

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


@cache
def document() -> dict:
    suggestion = {
        "type": "object",
        "required": ["kind", "slug", "title", "score", "reasons", "topics", "url"],
        "properties": {
            "kind": {"type": "string", "enum": ["comparison", "topic"]},
            "slug": _STR,
            "title": _STR,
            "score": {"type": "number"},
            "reasons": {"type": "array", "items": _STR, "minItems": 1},
            "topics": {"type": "array", "items": _STR},
            "url": _STR,
        },
    }
    suggestions = {
        "type": "object",
        "required": ["ok", "query", "method", "comparisons", "topics"],
        "properties": {
            "ok": {"const": True},
            "query": {
                "type": "object",
                "required": ["type", "topics"],
                "properties": {
                    "type": {"type": "string", "enum": ["comparison", "topic", "topics"]},
                    "slug": _STR,
                    "topics": {"type": "array", "items": _STR},
                },
            },
            "method": _STR,
            "comparisons": {"type": "array", "items": _ref("Suggestion")},
            "topics": {"type": "array", "items": _ref("Suggestion")},
        },
    }
    tag = {
        "type": "object",
        "required": ["slug", "name", "url", "is_topic"],
        "properties": {"slug": _STR, "name": _STR, "url": _STR, "is_topic": {"type": "boolean"}},
    }
    side = {
        "type": "object",
        "required": ["topic", "name", "pros", "cons", "choose_if", "url"],
        "properties": {
            "topic": _STR,
            "name": _STR,
            "pros": {"type": "array", "items": _STR, "minItems": 1},
            "cons": {"type": "array", "items": _STR, "minItems": 1},
            "choose_if": _STR,
            "summary": _STR_OR_NULL,
            "url": _STR,
        },
    }
    comparison = {
        "type": "object",
        "required": [
            "ok",
            "slug",
            "requested",
            "title",
            "pick",
            "verdict",
            "bottom_line",
            "reviewed",
            "weight",
            "sides",
            "tags",
            "url",
        ],
        "properties": {
            "ok": {"const": True},
            "slug": {"type": "string", "description": "the canonical slug of the pair"},
            "requested": {"type": "string", "description": "the slug as asked for"},
            "title": _STR,
            "url": _STR,
            "pick": {"type": ["string", "null"], "description": "winning topic, or null"},
            "no_pick_reason": _STR_OR_NULL,
            "verdict": _STR,
            "bottom_line": _STR,
            "reviewed": {"type": "string", "format": "date"},
            "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "sides": {"type": "array", "items": _ref("Side"), "minItems": 2, "maxItems": 2},
            "tags": {"type": "array", "items": _ref("Tag")},
        },
    }
    record = {
        "type": "object",
        "required": ["wins", "losses", "no_pick"],
        "properties": {k: {"type": "integer", "minimum": 0} for k in ("wins", "losses", "no_pick")},
    }
    topic = {
        "type": "object",
        "required": [
            "ok",
            "slug",
            "requested",
            "name",
            "kind",
            "summary",
            "aliases",
            "tags",
            "record",
            "comparisons",
            "url",
        ],
        "properties": {
            "ok": {"const": True},
            "slug": _STR,
            "requested": _STR,
            "name": _STR,
            "kind": _STR,
            "domain": _STR_OR_NULL,
            "summary": _STR,
            "aliases": {"type": "array", "items": _STR},
            "homepage": _STR_OR_NULL,
            "tags": {"type": "array", "items": _ref("Tag")},
            "record": _ref("Record"),
            "url": _STR,
            "comparisons": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["slug", "title", "other", "result", "url"],
                    "properties": {
                        "slug": _STR,
                        "title": _STR,
                        "other": _STR,
                        "url": _STR,
                        "result": {"type": "string", "enum": ["win", "loss", "no pick"]},
                    },
                },
            },
        },
    }
    gaps = {
        "type": "object",
        "required": ["ok", "tag", "gaps"],
        "properties": {
            "ok": {"const": True},
            "tag": _STR_OR_NULL,
            "gaps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["slug", "topics", "title", "score", "reasons"],
                    "properties": {
                        "slug": _STR,
                        "topics": {"type": "array", "items": _STR, "minItems": 2, "maxItems": 2},
                        "title": _STR,
                        "score": {"type": "number"},
                        "reasons": {"type": "array", "items": _STR, "minItems": 1},
                    },
                },
            },
        },
    }
    rankings = {
        "type": "object",
        "required": ["ok", "tag", "method", "rankings"],
        "properties": {
            "ok": {"const": True},
            "tag": _STR_OR_NULL,
            "method": {"type": "string", "enum": list(RANK_METHODS)},
            "rankings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "rank",
                        "topic",
                        "name",
                        "pagerank",
                        "strength",
                        "wins",
                        "losses",
                        "no_pick",
                        "comparisons",
                        "url",
                    ],
                    "properties": {
                        "rank": {"type": "integer", "minimum": 1},
                        "topic": _STR,
                        "name": _STR,
                        "pagerank": {"type": "number"},
                        "strength": {"type": "number"},
                        "wins": {"type": "integer"},
                        "losses": {"type": "integer"},
                        "no_pick": {"type": "integer"},
                        "comparisons": {"type": "integer"},
                        "url": _STR,
                    },
                },
            },
        },
    }
    hit = {
        "type": "object",
        "required": ["kind", "slug", "title", "detail", "score", "url"],
        "properties": {
            "kind": {"type": "string", "enum": ["topic", "comparison", "tag"]},
            "slug": _STR,
            "title": _STR,
            "detail": _STR,
            "score": {"type": "number"},
            "url": _STR,
        },
    }
    search = {
        "type": "object",
        "required": ["ok", "query", "topics", "comparisons", "tags"],
        "properties": {
            "ok": {"const": True},
            "query": _STR,
            "topics": {"type": "array", "items": _ref("SearchHit")},
            "comparisons": {"type": "array", "items": _ref("SearchHit")},
            "tags": {"type": "array", "items": _ref("SearchHit")},
        },
    }
    neighbourhood = {
        "type": "object",
        "required": ["ok", "topic", "name", "nodes", "edges"],
        "properties": {
            "ok": {"const": True},
            "topic": _STR,
            "name": _STR,
            "nodes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "label", "type", "url", "center", "ring"],
                    "properties": {
                        "id": _STR,
                        "label": _STR,
                        "url": _STR,
                        "kind": _STR,
                        "ring": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 2,
                            "description": "0 the topic, 1 compared with it, 2 others",
                        },
                        "type": {"type": "string", "enum": ["topic", "tag"]},
                        "center": {"type": "boolean"},
                    },
                },
            },
            "edges": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "kind", "source", "target", "winner"],
                    "properties": {
                        "id": _STR,
                        "source": _STR,
                        "target": _STR,
                        "url": _STR,
                        "label": _STR,
                        "kind": {"type": "string", "enum": ["comparison", "related"]},
                        "winner": _STR_OR_NULL,
                    },
                },
            },
        },
    }
    error = {
        "type": "object",
        "required": ["ok", "error", "status"],
        "properties": {
            "ok": {"const": False},
            "error": {"type": "string", "description": "what went wrong, for a person"},
            "status": {"type": "integer"},
            "parameter": {"type": "string", "description": "the parameter at fault"},
            "kind": {"type": "string"},
            "slug": {"type": "string", "description": "the slug that named nothing"},
            "candidates": {
                "type": "array",
                "description": "did you mean",
                "items": {"type": "object"},
            },
        },
    }
    health = {
        "type": "object",
        "required": ["ok", "version", "topics", "comparisons", "tags"],
        "properties": {
            "ok": {"const": True},
            "version": {"type": "string", "description": "a hash of the content served"},
            "content": _STR_OR_NULL,
            "loaded_at": _STR,
            "build_seconds": {"type": "number"},
            "from_cache": {"type": "boolean"},
            "topics": {"type": "integer"},
            "comparisons": {"type": "integer"},
            "tags": {"type": "integer"},
            "domains": {"type": "integer"},
        },
    }

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
            "schemas": {
                "Suggestion": suggestion,
                "Suggestions": suggestions,
                "Tag": tag,
                "Side": side,
                "Comparison": comparison,
                "Record": record,
                "Topic": topic,
                "Gaps": gaps,
                "Rankings": rankings,
                "SearchHit": hit,
                "SearchResults": search,
                "Neighbourhood": neighbourhood,
                "Error": error,
                "Health": health,
            },
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
