"""Write the whole site as static files for a CDN (Frozen-Flask).

Every page and its JSON twin, the sitemap, robots.txt, the API page and OpenAPI
document, each topic's explorer data, and path-style JSON suggestions
(``/suggestions/<slug>.json``, as a CDN cannot serve query strings). Pages are
written without an extension, as their URLs have none: serve them as text/html.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from flask_frozen import Freezer, MissingURLGeneratorWarning

__all__ = ["freeze"]


def freeze(out: str | Path, content: str | None = None, site_url: str | None = None) -> dict:
    """Freeze the site on ``content`` into ``out``; returns counts."""
    from . import create_app
    from .site import current_state

    config = {
        "CONTENT": content,
        "FREEZER_DESTINATION": str(Path(out).resolve()),
        "FREEZER_REDIRECT_POLICY": "ignore",
        "FREEZER_DEFAULT_MIMETYPE": "text/html",
        "FREEZER_REMOVE_EXTRA_FILES": True,
        "FREEZER_IGNORE_MIMETYPE_WARNINGS": True,
    }
    if site_url:
        config["SITE_URL"] = site_url
    app = create_app(config)
    freezer = Freezer(app, with_no_argument_rules=False, log_url_for=False)

    @freezer.register_generator
    def urls():
        with app.app_context():
            tg = current_state().tg
        yield "pages.home", {}
        yield "pages.home_json", {}
        yield "pages.search", {}
        yield "pages.sitemap", {}
        yield "pages.robots", {}
        yield "pages.api_docs", {}
        yield "pages.healthz", {}
        yield "api.openapi", {}
        for slug in tg.comparisons:
            for s in (slug, slug + ".json"):
                yield "pages.comparison", {"slug": s}
            yield "pages.suggestions", {"slug": slug + ".json"}
        for slug in tg.topics:
            for s in (slug, slug + ".json"):
                yield "pages.topic", {"slug": s}
                yield "pages.explore", {"slug": s}
            yield "pages.suggestions", {"slug": slug + ".json"}
            yield "api.neighbourhood", {"slug": slug}
        for slug in tg.tags:
            for s in (slug, slug + ".json"):
                yield "pages.tag", {"slug": s}
        for slug in tg.domains:
            for s in (slug, slug + ".json"):
                yield "pages.domain", {"slug": s}

    with warnings.catch_warnings():
        # the API's query-string endpoints cannot be frozen, and are not meant to be
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)
        urls_written = freezer.freeze()
    return {"files": len(urls_written), "out": str(out)}
