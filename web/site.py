"""The app's shared machinery: the current SiteState, response headers, errors.

Errors raised anywhere (a domain NotFound, a BadRequest, an unknown route) are turned
into a response here, once: a JSON body ``{"ok": false, "error", "status", ...}`` for
the API and ``.json`` twins, an HTML page with "did you mean" links otherwise.
"""

from __future__ import annotations

import json
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

from pickgraph.graph.errors import BadRequest, NotFound

from .feedback import Feedback, FeedbackUnavailable
from .schemas import ErrorBody
from .search import MAX_QUERY
from .settings import Settings
from .state import SiteState
from .urls import ENDPOINTS, entity_url

__all__ = ["current_state", "error_body", "install", "site_url", "wants_json"]

# Same-origin only, no inline script or style: every asset is served by the app.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# Content changes only with a new version; a CDN may keep pages this long (seconds).
PAGE_MAX_AGE = 300


class AppState(NamedTuple):
    """What an app is created with: its settings, the content state it serves and
    its reader feedback."""

    settings: Settings
    state: SiteState
    feedback: Feedback


def current_state() -> SiteState:
    return current_app.extensions["pickgraph"].state


def settings() -> Settings:
    return current_app.extensions["pickgraph"].settings


def site_url() -> str:
    """The public origin of the site: SITE_URL when set (a CDN), else this request's."""
    return settings().site_url or request.host_url.rstrip("/")


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path.endswith(".json")


def error_body(status: int, message: str, **extra) -> dict:
    """The one error shape of every JSON answer (``schemas.ErrorBody``)."""
    return ErrorBody(error=message, status=status, **extra).model_dump(mode="json")


def json_error(status: int, message: str, **extra) -> Response:
    body = json.dumps(error_body(status, message, **extra), ensure_ascii=False)
    response = Response(body, status=status, mimetype="application/json")
    return response


def _candidates_for(path: str) -> list[dict]:
    """'Did you mean' links for a path that matched nothing."""
    state = current_state()
    last = path.rstrip("/").rsplit("/", 1)[-1][:MAX_QUERY]
    last = last.removesuffix(".json").replace("-vs-", " vs ").replace("-", " ")
    return [_candidate(state, r["kind"], r["slug"]) for r in state.search.suggest(last, 5)]


def _candidate(state, kind: str, slug: str) -> dict:
    """A 'did you mean' link: the entity's title and page, whatever its kind."""
    tg = state.tg
    if slug in tg.comparisons:
        kind, title = "comparison", tg.title(slug)
    elif slug in tg.topics:
        kind, title = "topic", tg.topics[slug].name
    elif slug in tg.tags:
        kind, title = "tag", tg.tags[slug].name
    elif slug in tg.domains:
        kind, title = "domain", tg.domains[slug].name
    elif (found := tg.find("comparison", slug)) and found.kind == "set":
        kind, title = "set", tg.set_title(found.slug)
    else:
        title = slug
    return {"title": title, "url": entity_url(tg, kind, slug), "kind": kind, "slug": slug}


def not_found(
    message: str, candidates: list[dict], what: str | None = None, slug: str | None = None
) -> Response:
    if wants_json():
        extra = {"candidates": candidates}
        if what:
            extra.update({"kind": what, "slug": slug})
        return json_error(404, message, **extra)
    html = render_template(
        "404.html",
        message=message,
        candidates=candidates,
        page={"title": "Not found", "description": message, "url": request.path},
    )
    return Response(html, status=404, mimetype="text/html")


def _host_refused() -> Response:
    """400 for a Host header the site does not answer for, built without it."""
    message = "this site does not answer for that host name"
    if wants_json():
        return json_error(400, message, parameter="Host")
    return Response(message + "\n", status=400, mimetype="text/plain")


def install(app: Flask) -> None:
    app.jinja_env.globals.update(site_url=site_url, counts=lambda: current_state().counts)

    @app.errorhandler(NotFound)
    def domain_not_found(exc: NotFound):
        state = current_state()
        kind = exc.what if exc.what in ENDPOINTS else "topic"
        candidates = [_candidate(state, kind, c) for c in exc.candidates]
        if not candidates and exc.what not in ("comparison", "topic", "topic or comparison"):
            # a topic or comparison slug was already matched fuzzily, part by part
            candidates = _candidates_for(request.path)
        return not_found(str(exc), candidates, exc.what, exc.slug)

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest):
        extra = {"parameter": exc.parameter} if exc.parameter else {}
        if wants_json():
            return json_error(400, str(exc), **extra)
        html = render_template(
            "error.html",
            status=400,
            message=str(exc),
            page={"title": "Bad request", "description": str(exc), "url": request.path},
        )
        return Response(html, status=400, mimetype="text/html")

    @app.errorhandler(FeedbackUnavailable)
    def feedback_unavailable(exc: FeedbackUnavailable):
        current_app.logger.error("feedback database unavailable: %s", exc)
        message = "feedback cannot be stored right now; try again later"
        if wants_json():
            response = json_error(503, message)
        else:
            html = render_template(
                "error.html",
                status=503,
                message=message,
                page={"title": "Unavailable", "description": message, "url": request.path},
            )
            response = Response(html, status=503, mimetype="text/html")
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, SecurityError):  # a Host not allowed: no URL can be built
            return _host_refused()
        if exc.code == 404:
            return not_found(f"no page at {request.path}", _candidates_for(request.path))
        status = exc.code or 500
        message = exc.description or exc.name
        if wants_json():
            response = json_error(status, message)
        else:
            html = render_template(
                "error.html",
                status=status,
                message=exc.name,
                page={"title": exc.name, "description": message, "url": request.path},
            )
            response = Response(html, status=status, mimetype="text/html")
        if status == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return http_error(exc)
        current_app.logger.exception("unexpected error on %s", request.path)
        if wants_json():
            return json_error(500, "internal error")
        html = render_template(
            "error.html",
            status=500,
            message="Something went wrong",
            page={"title": "Error", "description": "internal error", "url": request.path},
        )
        return Response(html, status=500, mimetype="text/html")

    @app.after_request
    def headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "strict-origin-when-cross-origin"
        h["X-Frame-Options"] = "DENY"
        location = h.get("Location", "")
        if "://" in location:  # werkzeug's own redirects (a doubled slash) name the host
            h["Location"] = urlsplit(location)._replace(scheme="", netloc="").geturl()
        if request.method in ("GET", "HEAD"):
            if response.status_code == 200 and not response.direct_passthrough:
                if "Cache-Control" not in h:
                    h["Cache-Control"] = f"public, max-age={PAGE_MAX_AGE}"
                if not h.get("ETag"):
                    response.add_etag()
                response.make_conditional(request)
            elif "Cache-Control" not in h:
                h["Cache-Control"] = (
                    "no-store" if response.status_code >= 500 else "public, max-age=60"
                )
        return response
