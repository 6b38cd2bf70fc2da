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
import secrets
import sys
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
    "DEFER_INDEX_FROM": "pages from which a start on uncached content serves at once and "
    "builds the index in the background",
    "RESPONSE_CACHE_MB": "memory for rendered responses in each worker, in MB",
    "INSTANCE": "folder for the feedback database and the signing key (default: "
    "<prefix>/var/pickgraph-instance)",
    "DATABASE_URL": "feedback database, an SQLAlchemy URL (default: SQLite in INSTANCE)",
    "SECRET_KEY": "key that signs impression tokens and draws experiment arms (default: "
    "a random key kept in INSTANCE)",
    "EVENT_RATE": "events one client may send per minute",
    "EVENT_DAYS": "days raw events are kept before only daily counts remain",
    "EDITOR_TOKEN": "turns on /editor for whoever presents this token (default: off)",
    "SWAP_SHARE": "share of suggestion lists shown with two adjacent slots swapped (0-0.5)",
    "INTERLEAVE": "candidate ranker (a scoring method) interleaved with the default",
    "INTERLEAVE_SHARE": "share of suggestion lists interleaved with the candidate (0-0.5)",
    "PROXY_COUNT": "reverse proxies in front whose X-Forwarded-For names the client",
}
# Without SITE_URL absolute URLs come from the Host header, so only these hosts are
# answered unless ALLOWED_HOSTS (or, for `serve`, the bound address) says otherwise.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# Addresses that listen on every interface: no single host name to allow.
WILDCARDS = ("0.0.0.0", "::", "")
DEFAULT_MAX_DROP = 0.5
# From this many pages (topics and comparisons) a server starting on content the
# start-up cache does not hold serves at once, computing suggestions on demand, and
# builds the index in a separate process (the size where the build needs a cluster).
DEFAULT_DEFER_INDEX_FROM = 5_000
DEFAULT_RESPONSE_CACHE_MB = 64
DEFAULT_EVENT_RATE = 60
DEFAULT_EVENT_DAYS = 30
# Flask's own default for an installed application's instance folder.
DEFAULT_INSTANCE = Path(sys.prefix) / "var" / "pickgraph-instance"
KEY_FILE = "secret.key"
DATABASE_FILE = "feedback.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Where the content is, the public origin and the hosts answered for, the
    start-up cache folder, the reload guard and the response cache's size."""

    content: Path
    site_url: str | None
    allowed_hosts: tuple[str, ...] | None  # None: any host (SITE_URL builds every URL)
    cache: Path | None
    max_drop: float = DEFAULT_MAX_DROP
    defer_index_from: int = DEFAULT_DEFER_INDEX_FROM
    response_cache_bytes: int = DEFAULT_RESPONSE_CACHE_MB << 20
    instance: Path = DEFAULT_INSTANCE
    database_url: str | None = None  # None: SQLite in the instance folder
    secret_key: str | None = None  # None: a random key kept in the instance folder
    event_rate: int = DEFAULT_EVENT_RATE
    event_days: int = DEFAULT_EVENT_DAYS
    editor_token: str | None = None
    swap_share: float = 0.0
    interleave: str | None = None
    interleave_share: float = 0.0
    proxy_count: int = 0

    def database(self) -> str:
        """The feedback database's URL."""
        return self.database_url or f"sqlite:///{self.instance / DATABASE_FILE}"

    def key(self) -> bytes:
        """The signing key: SECRET_KEY, else one kept in the instance folder (made
        once, readable by this user only, shared by every worker and restart)."""
        if self.secret_key:
            return self.secret_key.encode("utf-8")
        return _instance_key(self.instance)

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
            defer_index_from=int(
                _number(
                    "DEFER_INDEX_FROM",
                    value("DEFER_INDEX_FROM"),
                    DEFAULT_DEFER_INDEX_FROM,
                    0,
                    1e12,
                )
            ),
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
            instance=Path(value("INSTANCE") or DEFAULT_INSTANCE),
            database_url=(value("DATABASE_URL") or "").strip() or None,
            secret_key=value("SECRET_KEY") or None,
            event_rate=int(_number("EVENT_RATE", value("EVENT_RATE"), DEFAULT_EVENT_RATE, 1, 1e9)),
            event_days=int(_number("EVENT_DAYS", value("EVENT_DAYS"), DEFAULT_EVENT_DAYS, 1, 1e5)),
            editor_token=value("EDITOR_TOKEN") or None,
            swap_share=_number("SWAP_SHARE", value("SWAP_SHARE"), 0.0, 0.0, 0.5),
            interleave=(value("INTERLEAVE") or "").strip() or None,
            interleave_share=_number("INTERLEAVE_SHARE", value("INTERLEAVE_SHARE"), 0.0, 0.0, 0.5),
            proxy_count=int(_number("PROXY_COUNT", value("PROXY_COUNT"), 0, 0, 10)),
        )


def database_url() -> str:
    """The feedback database as the environment names it (for Alembic's command)."""
    return Settings.read().database()


def _instance_key(folder: Path) -> bytes:
    """The key kept in ``folder`` (made there first if need be). It is written to a
    file of this process's own and then linked into place, so a process that finds
    the file finds it whole; a file holding no 32-byte key is refused."""
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        mine = folder / f".{KEY_FILE}.{os.getpid()}"
        fd = os.open(mine, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(mine, path)  # the first process to link wins; others read its key
        except FileExistsError:
            pass
        finally:
            mine.unlink()
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        key = b""
    if len(key) < 32:
        raise BadRequest(f"{path} holds no key: delete it or set SECRET_KEY", "SECRET_KEY")
    return key


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
