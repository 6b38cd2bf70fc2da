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
    "ALLOWED_HOSTS": "host names the site answers for, comma-separated",
    "CACHE": "start-up cache folder; empty turns the cache off",
    "MAX_DROP": "largest share of topics or comparisons a reload may remove (0-1)",
    "RESPONSE_CACHE_MB": "memory for rendered responses in each worker, in MB",
}
# Without SITE_URL absolute URLs come from the Host header, so only these hosts are
# answered unless ALLOWED_HOSTS (or, for `serve`, the bound address) says otherwise.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# Addresses that listen on every interface: no single host name to allow.
WILDCARDS = ("0.0.0.0", "::", "")
DEFAULT_MAX_DROP = 0.5
DEFAULT_RESPONSE_CACHE_MB = 64


@dataclass(frozen=True)
class Settings:
    """Where the content is, the public origin and the hosts answered for, the
    start-up cache folder, the reload guard and the response cache's size."""

    content: Path
    site_url: str | None
    allowed_hosts: tuple[str, ...] | None  # None: any host (SITE_URL builds every URL)
    cache: Path | None
    max_drop: float = DEFAULT_MAX_DROP
    response_cache_bytes: int = DEFAULT_RESPONSE_CACHE_MB << 20

    @classmethod
    def read(cls, given: Mapping[str, object] | None = None, bound: str | None = None) -> Settings:
        """Settings from ``given`` (names as in SETTINGS; None means not given), else
        the environment, else the defaults. ``bound`` is the address a server listens
        on: without SITE_URL or ALLOWED_HOSTS it is answered for besides localhost."""
        given = {k: str(v) for k, v in (given or {}).items() if k in SETTINGS and v is not None}

        def value(name: str) -> str | None:
            return given.get(name, os.environ.get(PREFIX + name))

        site_url = _origin(value("SITE_URL"))
        hosts = value("ALLOWED_HOSTS")
        if hosts is not None and hosts.strip():
            allowed = tuple(h.strip().lower() for h in hosts.split(",") if h.strip())
        elif site_url:
            allowed = None
        else:
            named = bound and bound not in WILDCARDS and bound not in LOCAL_HOSTS
            allowed = LOCAL_HOSTS + ((bound.lower(),) if named else ())
        return cls(
            content=resolve_folder(given.get("CONTENT")),
            site_url=site_url,
            allowed_hosts=allowed,
            cache=_cache_folder(value("CACHE")),
            max_drop=_number("MAX_DROP", value("MAX_DROP"), DEFAULT_MAX_DROP, 0.0, 1.0),
            response_cache_bytes=int(
                _number(
                    "RESPONSE_CACHE_MB",
                    value("RESPONSE_CACHE_MB"),
                    DEFAULT_RESPONSE_CACHE_MB,
                    0,
                    1 << 20,
                )
                * (1 << 20)
            ),
        )


def _number(name: str, value: str | None, default: float, low: float, high: float) -> float:
    if value is None or not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # also refuses nan
        raise BadRequest(f"{name} must be a number from {low:g} to {high:g}, not {value!r}", name)
    return number


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
