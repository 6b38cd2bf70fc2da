"""Write the whole site as static files for a CDN (Frozen-Flask).

Every page and its JSON twin, the sitemap, robots.txt, the API page and OpenAPI
document, each topic's explorer data, and path-style JSON suggestions
(``/suggestions/<slug>.json``, as a CDN cannot serve query strings). Pages are
written without an extension, as their URLs have none: serve them as text/html.

The output folder is the user's: freeze writes only into an empty (or new) folder,
or one an earlier freeze wrote (it leaves a marker file listing what it wrote).
Anything else is refused unless ``force`` is given, and even then freeze deletes only
files its own marker lists. The site is built in a temporary folder beside the
output first, so a failed freeze leaves the output as it was; each file then moves
into place with an atomic rename.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from flask_frozen import Freezer, MissingURLGeneratorWarning

from pickgraph.graph.errors import BadRequest

from . import create_app
from .site import current_state

__all__ = ["MARKER", "freeze"]

# Written into every frozen folder: the files this freeze wrote, so the next one may
# replace them and remove those that no longer exist, and nothing else.
MARKER = ".pickgraph-freeze.json"


def _previous_files(out: Path, force: bool) -> set[str]:
    """Files an earlier freeze wrote into ``out`` (may be replaced or removed).

    BadRequest when ``out`` holds anything else and ``force`` is not given."""
    if not out.exists():
        return set()
    if not out.is_dir():
        raise BadRequest(f"{out} exists and is not a folder", "out")
    marker = out / MARKER
    if marker.is_file():
        try:
            listed = json.loads(marker.read_text(encoding="utf-8"))["files"]
            return {str(f) for f in listed if isinstance(f, str)}
        except (OSError, ValueError, KeyError, TypeError):
            raise BadRequest(f"{marker} is damaged; remove it or freeze elsewhere", "out") from None
    foreign = sorted(p.name for p in out.iterdir())
    if foreign and not force:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        shown = ", ".join(foreign[:3]) + more
        raise BadRequest(
            f"{out} is not empty and was not written by pickgraph freeze (it holds {shown}); "
            "freeze into a new or empty folder, or pass --force to write into it anyway "
            "(files with the same names as pages are overwritten; nothing is deleted)",
            "out",
        )
    return set()


def freeze(
    out: str | Path, content: str | None = None, site_url: str | None = None, force: bool = False
) -> dict:
    """Freeze the site on ``content`` into ``out``; returns counts.

    BadRequest (nothing written) when ``out`` holds files freeze did not write and
    ``force`` is false."""
    out = Path(out).resolve()
    previous = _previous_files(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}.freeze-", dir=out.parent))
    try:
        written = _freeze_into(build, content, site_url)
        _move_into(build, out, previous)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return {"files": written, "out": str(out)}


def _move_into(build: Path, out: Path, previous: set[str]) -> None:
    """Move every built file into ``out`` (atomic renames), then remove the files the
    last freeze wrote that this one did not, then write the marker."""
    files = sorted(str(p.relative_to(build)) for p in build.rglob("*") if p.is_file())
    out.mkdir(exist_ok=True)
    for rel in files:
        target = out / rel
        if target.is_dir():
            raise BadRequest(f"{target} is a folder where freeze writes a page", "out")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(build / rel, target)
    for rel in sorted(previous - set(files)):
        stale = out / rel
        if stale.is_file() and out in stale.resolve().parents:
            stale.unlink()
    tmp = out / (MARKER + ".tmp")
    tmp.write_text(json.dumps({"generator": "pickgraph freeze", "files": files}, indent=0))
    os.replace(tmp, out / MARKER)


def _freeze_into(build: Path, content: str | None, site_url: str | None) -> int:
    config = {
        "CONTENT": content,
        "FREEZER_DESTINATION": str(build),
        "FREEZER_REDIRECT_POLICY": "ignore",
        "FREEZER_DEFAULT_MIMETYPE": "text/html",
        # the build folder is ours alone; the user's folder is never swept
        "FREEZER_REMOVE_EXTRA_FILES": False,
        "FREEZER_IGNORE_MIMETYPE_WARNINGS": True,
        # static files have no server to take clicks and votes: no tokens, no forms
        "STATIC_EXPORT": True,
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
        # the form and its twin; a stack itself needs the live server
        yield "pages.stack", {}
        yield "pages.stack_json", {}
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
        with app.app_context():
            state = current_state()
            best, sets = sorted(state.best_tags), state.full_sets
        yield "pages.best_index", {}
        yield "pages.best_index_json", {}
        for slug in best:
            for s in (slug, slug + ".json"):
                yield "pages.best", {"slug": s}
        for slug in sets:  # the sets pair pages link to (and the sitemap lists)
            for s in (slug, slug + ".json"):
                yield "pages.comparison", {"slug": s}

    with warnings.catch_warnings():
        # the API's query-string endpoints cannot be frozen, and are not meant to be
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)
        urls_written = freezer.freeze()
    return len(urls_written)
