"""Where reader feedback is kept: SQLAlchemy Core over SQLite or PostgreSQL.

Three tables of events and their bookkeeping (the schema is made by the Alembic
migrations in ``migrations/``; the tables below describe it for queries):

- ``events``: one row per click, vote or search without a result, with the day, the
  client's daily hash (never an address or a user agent) and a ``dedupe`` key that is
  unique, so sending an event again stores nothing;
- ``impressions``: how often each list was shown, per day, page, list and arm
  (counted in each worker's memory and added in batches);
- ``daily``: what raw events older than the retention leave behind, counted per day;
- ``salts``: today's salt for the client hash, deleted when the day ends.

SQLite (the default, a file under the instance folder) runs in WAL mode with a busy
timeout, so several gunicorn workers write to it safely. Every write commits before
the caller answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from pickgraph.graph.errors import BadRequest

__all__ = ["MIGRATIONS", "Store", "open_store"]

log = logging.getLogger("pickgraph")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# SQLite waits this long for another worker's write to finish (ms).
BUSY_TIMEOUT_MS = 10_000

metadata = sa.MetaData()
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("client", sa.String(32), nullable=False),
    sa.Column("dedupe", sa.String(64), nullable=False, unique=True),
    sa.Column("page", sa.String(400)),
    sa.Column("list", sa.String(16)),
    sa.Column("slot", sa.SmallInteger),
    sa.Column("rank", sa.SmallInteger),
    sa.Column("arm", sa.String(16)),
    sa.Column("team", sa.String(1)),
    sa.Column("target", sa.String(300)),
    sa.Column("impression", sa.String(32)),
    sa.Column("comparison", sa.String(300)),
    sa.Column("agree", sa.Boolean),
    sa.Column("comment", sa.Text),
    sa.Column("query", sa.String(200)),
)
impressions = sa.Table(
    "impressions",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("page", sa.String(400), primary_key=True),
    sa.Column("list", sa.String(16), primary_key=True),
    sa.Column("arm", sa.String(16), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)
daily = sa.Table(
    "daily",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("page", sa.String(400)),
    sa.Column("list", sa.String(16)),
    sa.Column("slot", sa.SmallInteger),
    sa.Column("rank", sa.SmallInteger),
    sa.Column("arm", sa.String(16)),
    sa.Column("team", sa.String(1)),
    sa.Column("target", sa.String(300)),
    sa.Column("comparison", sa.String(300)),
    sa.Column("agree", sa.Boolean),
    sa.Column("query", sa.String(200)),
    sa.Column("count", sa.BigInteger, nullable=False),
)
salts = sa.Table(
    "salts",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("salt", sa.String(64), nullable=False),
)

# The columns an event of each kind may carry (besides kind, day, at, client, dedupe).
FIELDS = {
    "click": ("page", "list", "slot", "rank", "arm", "team", "target", "impression"),
    "vote": ("comparison", "agree", "comment"),
    "search-miss": ("query",),
}
# What survives of an event past the retention, counted per day.
AGGREGATED = (
    "page",
    "list",
    "slot",
    "rank",
    "arm",
    "team",
    "target",
    "comparison",
    "agree",
    "query",
)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before the event is acknowledged
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An SQLAlchemy engine for ``url``; BadRequest naming the setting if unusable."""
    try:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise BadRequest(f"DATABASE_URL is not usable: {exc}", "DATABASE_URL") from None
    return engine


def _insert(engine: Engine, table: sa.Table):
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class Store:
    """Reads and writes of feedback for one database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._salt: tuple[dt.date, bytes] | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ schema
    def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic's ``upgrade head``)."""
        from alembic import command  # noqa: PLC0415 - only when a schema is made

        command.upgrade(alembic_config(self.engine), "head")

    def dispose(self) -> None:
        """Forget pooled connections (after a fork: the child opens its own)."""
        self.engine.dispose(close=False)

    # ------------------------------------------------------------------ clients
    def salt(self, day: dt.date | None = None) -> bytes:
        """Today's salt, shared by every worker through the database; yesterday's is
        deleted the first time today's is asked for."""
        day = day or today()
        cached = self._salt
        if cached and cached[0] == day:
            return cached[1]
        with self._lock, self.engine.begin() as conn:
            fresh = secrets.token_hex(32)
            conn.execute(
                _insert(self.engine, salts)
                .values(day=day, salt=fresh)
                .on_conflict_do_nothing(index_elements=["day"])
            )
            value = conn.execute(sa.select(salts.c.salt).where(salts.c.day == day)).scalar_one()
            conn.execute(sa.delete(salts).where(salts.c.day != day))
        self._salt = (day, bytes.fromhex(value))
        return self._salt[1]

    def client(self, address: str, agent: str, day: dt.date | None = None) -> str:
        """The client's hash for today: neither the address nor the agent is kept,
        and once the day's salt is gone the hash cannot be linked back to them."""
        day = day or today()
        digest = hashlib.sha256(self.salt(day))
        digest.update(f"|{day.isoformat()}|{address}|{agent}".encode("utf-8", "replace"))
        return digest.hexdigest()[:32]

    # ------------------------------------------------------------------ writes
    def record(
        self, kind: str, client: str, dedupe: str, fields: Mapping, rate: int | None = None
    ) -> str:
        """Store one event; "stored", "duplicate" or "limited" (the client sent
        ``rate`` events in the last minute). Committed before it returns."""
        now = dt.datetime.now(dt.UTC)
        row = {name: fields.get(name) for name in FIELDS[kind]}
        row.update(kind=kind, day=now.date(), at=now, client=client, dedupe=dedupe)
        with self.engine.begin() as conn:
            if rate is not None:
                recent = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(events)
                    .where(events.c.client == client)
                    .where(events.c.at >= now - dt.timedelta(minutes=1))
                ).scalar_one()
                if recent >= rate:
                    return "limited"
            inserted = conn.execute(
                _insert(self.engine, events)
                .values(**row)
                .on_conflict_do_nothing(index_elements=["dedupe"])
                .returning(events.c.id)
            ).first()
        return "stored" if inserted is not None else "duplicate"

    def add_impressions(self, counts: Mapping[tuple, int]) -> None:
        """Add ``{(day, page, list, arm): n}`` to the shown-list counts."""
        if not counts:
            return
        rows = [
            {"day": d, "page": p, "list": li, "arm": a, "count": n}
            for (d, p, li, a), n in counts.items()
        ]
        stmt = _insert(self.engine, impressions)
        stmt = stmt.on_conflict_do_update(
            index_elements=["day", "page", "list", "arm"],
            set_={"count": impressions.c["count"] + stmt.excluded["count"]},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    def prune(self, keep_days: int, day: dt.date | None = None) -> int:
        """Count raw events older than ``keep_days`` into ``daily``, then delete them.
        Returns how many raw events went."""
        cutoff = (day or today()) - dt.timedelta(days=keep_days)
        cols = [events.c[name] for name in AGGREGATED]
        with self.engine.begin() as conn:
            grouped = (
                sa.select(events.c.day, events.c.kind, *cols, sa.func.count().label("count"))
                .where(events.c.day < cutoff)
                .group_by(events.c.day, events.c.kind, *cols)
            )
            rows = [dict(r._mapping) for r in conn.execute(grouped)]
            outcomes = self._interleave_outcomes(conn, events.c.day < cutoff)
            for (d, page, winner), n in outcomes.items():
                rows.append(
                    {"day": d, "kind": "interleave", "page": page, "team": winner, "count": n}
                )
            if rows:
                conn.execute(sa.insert(daily), [{**dict.fromkeys(AGGREGATED), **r} for r in rows])
            gone = conn.execute(sa.delete(events).where(events.c.day < cutoff)).rowcount
        return gone

    # ------------------------------------------------------------------ reads
    def _interleave_outcomes(self, conn, where) -> Counter:
        """Per (day, page, winner): the outcomes of interleaved list views, a view
        being one client's clicks on one impression ("a", "b" or "" for a tie)."""
        rows = conn.execute(
            sa.select(
                events.c.day, events.c.page, events.c.impression, events.c.client, events.c.team
            )
            .where(events.c.kind == "click", events.c.arm == "interleave", where)
            .order_by(events.c.id)
        )
        views: dict[tuple, Counter] = {}
        for d, page, imp, client, team in rows:
            views.setdefault((d, page, imp, client), Counter())[team] += 1
        out: Counter = Counter()
        for (d, page, _imp, _client), teams in views.items():
            a, b = teams.get("a", 0), teams.get("b", 0)
            out[(d, page, "a" if a > b else "b" if b > a else "")] += 1
        return out

    def counts(self) -> dict[str, int]:
        """Events of each kind, raw and aggregated together."""
        out = {"click": 0, "vote": 0, "search-miss": 0}
        with self.engine.connect() as conn:
            for kind, n in conn.execute(
                sa.select(events.c.kind, sa.func.count()).group_by(events.c.kind)
            ):
                out[kind] = out.get(kind, 0) + n
            for kind, n in conn.execute(
                sa.select(daily.c.kind, sa.func.sum(daily.c.count)).group_by(daily.c.kind)
            ):
                if kind in out:
                    out[kind] += int(n)
        return out

    def grouped(self, kind: str, columns: Iterable[str]) -> list[dict]:
        """Events of ``kind`` counted by ``columns``, raw and aggregated together."""
        columns = list(columns)
        totals: Counter = Counter()
        with self.engine.connect() as conn:
            raw = sa.select(*[events.c[c] for c in columns], sa.func.count())
            raw = raw.where(events.c.kind == kind).group_by(*[events.c[c] for c in columns])
            for *key, n in conn.execute(raw):
                totals[tuple(key)] += n
            agg = sa.select(*[daily.c[c] for c in columns], sa.func.sum(daily.c.count))
            agg = agg.where(daily.c.kind == kind).group_by(*[daily.c[c] for c in columns])
            for *key, n in conn.execute(agg):
                totals[tuple(key)] += int(n)
        return [{**dict(zip(columns, key, strict=True)), "count": n} for key, n in totals.items()]

    def impression_counts(self) -> dict[tuple[str, str, str], int]:
        """Shown-list counts per (page, list, arm), every day summed."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    impressions.c.page,
                    impressions.c.list,
                    impressions.c.arm,
                    sa.func.sum(impressions.c["count"]),
                ).group_by(impressions.c.page, impressions.c.list, impressions.c.arm)
            )
            return {(p, li, a): int(n) for p, li, a, n in rows}

    def interleaving(self) -> Counter:
        """Outcomes of interleaved views: {"a": n, "b": n, "": ties}, all days."""
        out: Counter = Counter()
        with self.engine.connect() as conn:
            for (_d, _page, winner), n in self._interleave_outcomes(conn, sa.true()).items():
                out[winner] += n
            for team, n in conn.execute(
                sa.select(daily.c.team, sa.func.sum(daily.c.count))
                .where(daily.c.kind == "interleave")
                .group_by(daily.c.team)
            ):
                out[team or ""] += int(n)
        return out

    def stored_columns(self) -> dict[str, list[str]]:
        """Every table's columns as the database has them (for the privacy test)."""
        inspector = sa.inspect(self.engine)
        return {
            t: [c["name"] for c in inspector.get_columns(t)] for t in inspector.get_table_names()
        }


def alembic_config(engine: Engine):
    from alembic.config import Config  # noqa: PLC0415 - only when a schema is made

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str, upgrade: bool = True) -> Store:
    """The process's Store for ``url``, its schema brought up to date once.

    BadRequest (naming DATABASE_URL) when the database cannot be reached."""
    with _STORES_LOCK:
        store = _STORES.get(url)
        if store is None:
            store = Store(make_engine(url))
            if upgrade:
                try:
                    store.upgrade()
                except OperationalError as exc:
                    reason = str(exc.orig or exc).strip().splitlines()[0]
                    raise BadRequest(
                        f"DATABASE_URL: cannot open the database: {reason}", "DATABASE_URL"
                    ) from None
            _STORES[url] = store
        return store
