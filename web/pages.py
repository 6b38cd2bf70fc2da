"""The reader's pages. Every page has a JSON twin at the same path plus ``.json``.

One view builds one context (``context.py``) and renders it either way. Content never
changes within a version, so rendered responses are cached (``cached``); a new version
comes with a new SiteState and so with an empty cache.
"""

from __future__ import annotations

import json
from functools import wraps

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import TooManyRequests

from pickgraph.engine.core import MAX_SEEDS
from pickgraph.graph.errors import BadRequest, NotFound

from . import context, impressions, schemas, serialize
from .explore import explore_context
from .feedback import feedback, same_origin
from .openapi import document
from .search import MAX_QUERY
from .site import current_state, settings, site_url
from .urls import ENDPOINTS, best_url, comparison_url, domain_url, tag_url, topic_url

bp = Blueprint("pages", __name__)

__all__ = ["bp", "cached", "json_response", "records_search_miss"]


def json_response(data, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1)
    return Response(body, status=status, mimetype="application/json")


def records_search_miss(view):
    """Record the search as a search miss when it finds nothing good (also when the
    answer comes from the cache). Only the search page does: the API's search is
    what autocomplete asks as a reader types, letter by letter."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = view(*args, **kwargs)
        if response.status_code == 200:
            query = request.args.get("q", "")[:MAX_QUERY]
            feedback().search_miss(current_state(), query)
        return response

    return wrapper


def cached(*params: str):
    """A GET view answered from the state's response cache, filled on a 200.

    The view sees only the query parameters it names in ``params`` (a link with
    ``utm_source`` or junk added answers as without), and the cache key is exactly
    what the answer depends on: those parameters, the path, and the host when
    absolute URLs are built from it (no SITE_URL). So junk parameters can neither
    change an answer nor fill the cache, and one Host cannot answer for another."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            state = current_state()
            kept = [(k, v) for k, v in request.args.items(multi=True) if k in params]
            request.args = ImmutableMultiDict(kept)
            host = request.host.lower() if settings().site_url is None else ""
            # lists and their impression tokens are drawn once per window
            key = (host, request.path, tuple(sorted(kept)), impressions.current_window())
            hit = state.responses.get(key)
            if hit is not None:
                body, mimetype, headers, shown = hit
                feedback().count_shown(shown)
                return Response(body, 200, headers=headers, mimetype=mimetype)
            response = view(*args, **kwargs)
            shown = tuple(g.pop("pickgraph_shown", ()))
            if response.status_code == 200 and not response.is_streamed:
                response.add_etag()
                headers = [(k, v) for k, v in response.headers if k.lower() in ("link", "etag")]
                entry = (response.get_data(), response.mimetype, headers, shown)
                state.responses.put(key, entry)
                feedback().count_shown(shown)
            return response

        return wrapper

    return decorate


def render(template: str, ctx: dict, as_json: bool, json_url: str, **extra) -> Response:
    if as_json:
        return json_response(ctx)
    html = render_template(template, page=ctx, json_url=json_url, **extra)
    response = Response(html, mimetype="text/html")
    response.headers["Link"] = f'<{json_url}>; rel="alternate"; type="application/json"'
    return response


def _split_json(slug: str) -> tuple[str, bool]:
    if slug.endswith(".json"):
        return slug[: -len(".json")], True
    return slug, False


def _moved(endpoint: str, slug: str, as_json: bool) -> Response:
    """301 to the canonical page (or its JSON twin) for ``slug``."""
    return redirect(url_for(endpoint, slug=slug + (".json" if as_json else "")), 301)


def resolved(kind: str, endpoint: str | None = None):
    """A view of one entity: the slug in the path (with or without ``.json``) is
    resolved once by the content's resolver; a slug named any other way (alias,
    letter case, order of a pair, a tag that is a topic) answers 301 to the canonical
    page, an unknown one the 404 page with close matches; the view gets the
    canonical slug and whether its JSON twin was asked for."""

    def decorate(view):
        @wraps(view)
        def wrapper(slug: str):
            slug, as_json = _split_json(slug)
            found = current_state().tg.resolve(kind, slug)
            if found.moved:
                same = found.kind == kind and endpoint is not None
                return _moved(endpoint if same else ENDPOINTS[found.kind], found.slug, as_json)
            return view(found.slug, as_json)

        return wrapper

    return decorate


@bp.get("/")
@cached()
def home():
    as_json = request.path.endswith(".json")
    ctx = context.home_context(current_state())
    return render("home.html", ctx, as_json, url_for("pages.home_json"))


bp.add_url_rule("/index.json", "home_json", home)


@bp.get("/compare/<slug>")
@cached()
@resolved("comparison")
def comparison(slug: str, as_json: bool):
    if slug.count("-vs-") > 1:  # a set of 3-5 topics
        ctx = context.set_context(current_state(), slug)
        return render("set.html", ctx, as_json, ctx["url"] + ".json")
    ctx = context.comparison_context(current_state(), slug)
    return render(
        "comparison.html",
        ctx,
        as_json,
        ctx["url"] + ".json",
        json_ld=context.comparison_json_ld(ctx, site_url()),
    )


def _entity_page(kind: str, build):
    """The page of a topic, tag or domain: its context in the template of its kind."""

    @resolved(kind)
    def page(slug: str, as_json: bool):
        ctx = build(current_state(), slug)
        return render(f"{kind}.html", ctx, as_json, ctx["url"] + ".json")

    return page


def _add_entity_pages() -> None:
    builds = {
        "topic": context.topic_context,
        "tag": context.tag_context,
        "domain": context.domain_context,
    }
    for kind, build in builds.items():
        bp.add_url_rule(f"/{kind}/<slug>", kind, cached()(_entity_page(kind, build)))


_add_entity_pages()


@bp.get("/best/<slug>")
@cached()
@resolved("tag", "pages.best")
def best(slug: str, as_json: bool):
    """A tag's "best of" list; a tag without one answers 404, pointing at its page."""
    state = current_state()
    if slug not in state.best_tags:
        raise NotFound(
            "best-of list",
            slug,
            [],
            f"fewer than 3 of the {state.tg.tags[slug].name} topics are compared with one another",
        )
    ctx = context.best_context(state, slug)
    return render("best.html", ctx, as_json, ctx["url"] + ".json")


@bp.get("/best/")
@cached()
def best_index():
    as_json = request.path.endswith(".json")
    ctx = context.best_index_context(current_state())
    return render("best_index.html", ctx, as_json, url_for("pages.best_index_json"))


bp.add_url_rule("/best.json", "best_index_json", best_index)


@bp.get("/search")
@records_search_miss
@cached("q")
def search():
    query = request.args.get("q", "")[:MAX_QUERY]
    as_json = request.path.endswith(".json")
    ctx = context.search_context(current_state(), query)
    json_url = url_for("pages.search_json", q=query) if query else url_for("pages.search_json")
    return render("search.html", ctx, as_json, json_url)


bp.add_url_rule("/search.json", "search_json", search)


@bp.post("/compare/<slug>/vote")
def vote(slug: str):
    """The vote form, without JavaScript: agree=yes|no and an optional comment."""
    same_origin()
    state = current_state()
    canonical = state.tg.canonical("comparison", slug)
    answer = request.form.get("agree")
    if answer not in ("yes", "no"):
        raise BadRequest("agree must be yes or no", "agree")
    result = feedback().vote(state, canonical, answer == "yes", request.form.get("comment"))
    if result == "limited":
        raise TooManyRequests()
    page = {
        "title": "Thank you",
        "description": "Your vote on this comparison's pick is recorded.",
        "url": request.path,
        "back": comparison_url(canonical),
        "title_of": state.tg.title(canonical),
        "already": result == "duplicate",
    }
    response = Response(render_template("voted.html", page=page), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/privacy")
@cached()
def privacy():
    page = {
        "title": "Privacy",
        "description": "What pickgraph keeps about readers: no cookie, no address.",
        "url": url_for("pages.privacy"),
        "days": settings().event_days,
    }
    return Response(render_template("privacy.html", page=page), mimetype="text/html")


@bp.get("/stack")
@cached("topics")
def stack():
    """A reader's stack (``?topics=a,b,c``): one canonical URL per set of topics, with
    aliases and letter case resolved and the topics in slug order."""
    as_json = request.path.endswith(".json")
    raw = request.args.get("topics", "")[: MAX_QUERY * 4]
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_SEEDS:
        raise BadRequest(f"a stack has at most {MAX_SEEDS} topics, not {len(parts)}", "topics")
    tg = current_state().tg
    canonical = sorted({tg.canonical("topic", "-".join(part.lower().split())) for part in parts})
    if parts and ",".join(canonical) != raw:
        return redirect(context.stack_url(canonical, as_json), 301)
    ctx = context.stack_context(current_state(), canonical)
    return render("stack.html", ctx, as_json, context.stack_url(canonical, True))


bp.add_url_rule("/stack.json", "stack_json", stack)


@bp.get("/explore/<slug>")
@cached()
@resolved("topic", "pages.explore")
def explore(slug: str, as_json: bool):
    ctx = explore_context(current_state(), slug)
    return render("explore.html", ctx, as_json, ctx["url"] + ".json")


@bp.get("/api/")
@cached()
def api_docs():
    page = {
        "type": "api",
        "title": "API",
        "url": url_for("pages.api_docs"),
        "description": "The pickgraph JSON API, generated from its OpenAPI document.",
    }
    return Response(
        render_template("api.html", doc=document(), page=page, json_url=url_for("api.openapi")),
        mimetype="text/html",
    )


@bp.get("/sitemap.xml")
@cached()
def sitemap():
    tg = current_state().tg
    root = site_url()
    paths = [url_for("pages.home")]
    paths += [comparison_url(s) for s in tg.comparisons]
    paths += [topic_url(s) for s in tg.topics]
    paths += [tag_url(tg, s) for s in tg.tags]
    paths += [domain_url(s) for s in tg.domains]
    paths += [url_for("pages.best_index")]
    paths += [best_url(s) for s in sorted(current_state().best_tags)]
    paths += [comparison_url(s) for s in current_state().full_sets]
    body = render_template("sitemap.xml", urls=[root + p for p in paths])
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    body = f"User-agent: *\nAllow: /\nSitemap: {site_url()}/sitemap.xml\n"
    return Response(body, mimetype="text/plain")


@bp.get("/suggestions/<slug>")
@cached()
def suggestions(slug: str):
    """Path-style JSON suggestions for a comparison or topic page (CDN-friendly)."""
    slug, as_json = _split_json(slug)
    if not as_json:
        raise NotFound("suggestions file", slug + ".json", [])
    state = current_state()
    kind, canonical, moved = state.tg.resolve("page", slug)
    if moved:
        return _moved("pages.suggestions", canonical, True)
    rec = state.recommender
    s = rec.for_comparison(slug) if kind == "comparison" else rec.for_topic(slug)
    return json_response(serialize.dump(serialize.suggestions_body(current_state(), s)))


@bp.get("/healthz")
def healthz():
    return json_response(serialize.dump(schemas.HealthBody(**current_state().health())))
