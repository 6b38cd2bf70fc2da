"""The site's settings, read once into one frozen object.

A setting comes from what the caller gives (``create_app``'s config, the command
line), else the environment variable ``PICKGRAPH_<NAME>``, else its default. The app
reads them once, when it is created, and keeps the result (``site.settings()``);
nothing else in ``web/`` reads the environment. The content folder is resolved by
``graph.resolve_folder``, which every command shares.

>>> Settings.read({"SITE_URL": "https://example.org/"}).site_url
'https://example.org'
>>> Settings.read({"CACHE": ""}).cache is None  # empty: no start-up cache
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pickgraph.graph.errors import BadRequest
from pickgraph.graph.loader import resolve_folder

__all__ = ["SETTINGS", "Settings"]

PREFIX = "PICKGRAPH_"

# Every setting and what it does (docs/operations.md documents each; a test checks).
SETTINGS = {
    "CONTENT": "content folder to serve (default: the bundled content)",
    "SITE_URL": "public origin for canonical links and the sitemap (default: the request's)",
    "CACHE": "start-up cache folder; empty turns the cache off",
}


@dataclass(frozen=True)
class Settings:
    """Where the content is, the public origin, and the start-up cache folder."""

    content: Path
    site_url: str | None
    cache: Path | None

    @classmethod
    def read(cls, given: Mapping[str, object] | None = None) -> Settings:
        """Settings from ``given`` (names as in SETTINGS; None means not given), else
        the environment, else the defaults."""
        given = {k: str(v) for k, v in (given or {}).items() if k in SETTINGS and v is not None}

        def value(name: str) -> str | None:
            return given.get(name, os.environ.get(PREFIX + name))

        return cls(
            content=resolve_folder(given.get("CONTENT")),
            site_url=_origin(value("SITE_URL")),
            cache=_cache_folder(value("CACHE")),
        )


def _origin(value: str | None) -> str | None:
    """An absolute http(s) origin without its trailing slash; BadRequest otherwise."""
    if value is None or not value.strip():
        return None
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")) or any(c.isspace() for c in value):
        raise BadRequest(f"SITE_URL must be an absolute http(s) URL, not {value!r}", "SITE_URL")
    return value


def _cache_folder(value: str | None) -> Path | None:
    """The folder given (empty: no cache), else $XDG_CACHE_HOME/pickgraph, else
    ~/.cache/pickgraph."""
    if value is not None:
        return Path(value) if value.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pickgraph"
