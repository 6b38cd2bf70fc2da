"""Where reader feedback is kept: SQLAlchemy Core over SQLite or PostgreSQL.

Four tables, events and their bookkeeping (the schema is made by the Alembic
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
import os
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from pickgraph.graph.errors import BadRequest

__all__ = ["MIGRATIONS", "Store", "off_the_event_loop", "open_store"]

log = logging.getLogger("pickgraph")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# SQLite waits this long for another worker's write to finish (ms).
BUSY_TIMEOUT_MS = 10_000
# At most this many events are committed in one transaction.
MAX_BATCH = 500
# How long a request waits for its event to be written before it gives up (seconds).
WRITE_TIMEOUT = 30.0
# How long the writer waits for more events before a transaction (seconds).
GATHER_SECONDS = 0.002
# Held only for an instant, with nothing inside that could wait (so it cannot block a
# gevent worker's other greenlets even though it is a plain lock).
_START_LOCK = threading.Lock()

metadata = sa.MetaData()
# What survives of an event past the retention, counted per day.
AGGREGATED_COLUMNS = (
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
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _kept(*names: str) -> list[sa.Column]:
    """The event columns that ``daily`` keeps too (fresh Column objects per table)."""
    types = {
        "page": sa.String(400),
        "list": sa.String(16),
        "slot": sa.SmallInteger(),
        "rank": sa.SmallInteger(),
        "arm": sa.String(16),
        "team": sa.String(1),
        "target": sa.String(300),
        "comparison": sa.String(300),
        "agree": sa.Boolean(),
        "query": sa.String(200),
    }
    return [sa.Column(name, types[name]) for name in names]


events = sa.Table(
    "events",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("client", sa.String(32), nullable=False),
    sa.Column("dedupe", sa.String(64), nullable=False, unique=True),
    sa.Column("source", sa.String(32)),
    *_kept("page", "list", "slot", "rank", "arm", "team", "target"),
    sa.Column("impression", sa.String(32)),
    *_kept("comparison", "agree"),
    sa.Column("comment", sa.Text),
    *_kept("query"),
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
    *_kept(*AGGREGATED_COLUMNS),
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
ALL_FIELDS = tuple(dict.fromkeys(name for names in FIELDS.values() for name in names))
AGGREGATED = AGGREGATED_COLUMNS


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before the event is acknowledged
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # a deleted salt is overwritten on disk, not left in a free page
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An SQLAlchemy engine for ``url``; BadRequest naming the setting if unusable."""
    try:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # a connection may be used by a pool thread (off_the_event_loop), one
            # thread at a time
            args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
            engine = sa.create_engine(parsed, connect_args=args)
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise BadRequest(f"DATABASE_URL is not usable: {exc}", "DATABASE_URL") from None
    return engine


def _insert(engine: Engine, table: sa.Table):
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class _Pending:
    """An event waiting for the writer, and then its result."""

    __slots__ = ("client", "dedupe", "done", "error", "fields", "kind", "rate", "result", "source")

    def __init__(
        self, kind: str, client: str, dedupe: str, fields: Mapping, rate: int | None, source: str
    ):
        self.kind, self.client, self.dedupe, self.source = kind, client, dedupe, source
        self.fields, self.rate = fields, rate
        self.result: str | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class Store:
    """Reads and writes of feedback for one database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._salt: tuple[dt.date, bytes] | None = None
        self._lock = threading.Lock()
        self._cond: threading.Condition | None = None
        self._queue: list[_Pending] = []
        self._writer_pid: int | None = None

    # ------------------------------------------------------------------ schema
    def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic's ``upgrade head``).

        A database already at SCHEMA_HEAD is left as it is without importing Alembic
        (0.1 s of every server start)."""
        if self.schema_version() == SCHEMA_HEAD:
            return
        from alembic import command  # noqa: PLC0415 - only when a schema is made

        command.upgrade(alembic_config(self.engine), "head")

    def schema_version(self) -> str | None:
        """The migration the database is at (Alembic's version table), or None when it
        has none yet."""
        if not sa.inspect(self.engine).has_table("alembic_version"):
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        return rows[0][0] if len(rows) == 1 else None

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
            # only days before: a worker still on yesterday must not delete today's
            conn.execute(sa.delete(salts).where(salts.c.day < day))
        self._salt = (day, bytes.fromhex(value))
        return self._salt[1]

    def client(self, address: str, agent: str, day: dt.date | None = None) -> str:
        """The client's hash for today: neither the address nor the agent is kept,
        and once the day's salt is gone the hash cannot be linked back to them."""
        return self._hash(day, address, agent)

    def source(self, address: str, day: dt.date | None = None) -> str:
        """The address's hash for today (the rate limit and one vote per comparison go
        by it: a new user agent is not a new source)."""
        return self._hash(day, address)

    def _hash(self, day: dt.date | None, *parts: str) -> str:
        day = day or today()
        digest = hashlib.sha256(self.salt(day))
        digest.update("|".join((day.isoformat(), *parts)).encode("utf-8", "replace"))
        return digest.hexdigest()[:32]

    # ------------------------------------------------------------------ writes
    def record(
        self,
        kind: str,
        client: str,
        dedupe: str,
        fields: Mapping,
        rate: int | None = None,
        source: str | None = None,
    ) -> str:
        """Store one event; "stored", "duplicate" or "limited" (the client sent
        ``rate`` events in the last minute; ``source``, the address's hash, is what
        is counted, else the client). Committed before it returns.

        Events arriving together are written in one transaction (group commit: one
        sync to disk for the lot) by the process's writer, so that durable writes
        keep up with many concurrent requests."""
        pending = _Pending(kind, client, dedupe, fields, rate, source or client)
        if self._writer_pid != os.getpid():  # the first event of this process
            self._start_writer()
        with self._cond:
            self._queue.append(pending)
            self._cond.notify()
        if not pending.done.wait(WRITE_TIMEOUT):
            raise TimeoutError(f"the event was not written within {WRITE_TIMEOUT:g} s")
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _start_writer(self) -> None:
        """The writer of this process, and the primitives it waits on, made here and
        not in ``__init__``: a gunicorn master makes the Store, then each forked
        worker patches threading for gevent; primitives made before the patch do
        not work between greenlets."""
        with _START_LOCK:
            if self._writer_pid == os.getpid():
                return
            self._cond = threading.Condition()
            self._queue = []
            self._writer_pid = os.getpid()
        # started outside the lock: under gevent, start() waits for the new greenlet
        threading.Thread(target=self._write_forever, name="pickgraph-events", daemon=True).start()

    def _write_forever(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
            # let the requests that are ready (and those a moment away) add theirs first:
            # fewer, larger transactions, each one sync to disk
            time.sleep(GATHER_SECONDS)
            with self._cond:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                off_the_event_loop(self._write, batch)
            except Exception as exc:
                # one event the database refuses must not fail the others: each
                # goes again on its own, and only the ones that fail again fail
                if len(batch) == 1:
                    batch[0].error = exc
                else:
                    for pending in batch:
                        try:
                            off_the_event_loop(self._write, [pending])
                        except Exception as alone:
                            pending.error = alone
            finally:
                for pending in batch:
                    pending.done.set()

    def _write(self, batch: list[_Pending]) -> None:
        """One transaction for the batch: the clients' counts of the last minute in
        one query, the events already stored in another, then the new rows."""
        now = dt.datetime.now(dt.UTC)
        sources = sorted({p.source for p in batch if p.rate is not None})
        keys = sorted({p.dedupe for p in batch})
        with self.engine.begin() as conn:
            counts = Counter()
            if sources:
                recent = (
                    sa.select(events.c.source, sa.func.count())
                    .where(events.c.source.in_(sources))
                    .where(events.c.at >= now - dt.timedelta(minutes=1))
                    .group_by(events.c.source)
                )
                counts.update(dict(conn.execute(recent).all()))
            known = set(
                conn.execute(sa.select(events.c.dedupe).where(events.c.dedupe.in_(keys))).scalars()
            )
            rows = []
            for p in batch:
                if p.dedupe in known:
                    p.result = "duplicate"
                elif p.rate is not None and counts[p.source] >= p.rate:
                    p.result = "limited"
                else:
                    row = {name: p.fields.get(name) for name in FIELDS[p.kind]}
                    row.update(
                        kind=p.kind,
                        day=now.date(),
                        at=now,
                        client=p.client,
                        source=p.source,
                        dedupe=p.dedupe,
                    )
                    rows.append(row)
                    known.add(p.dedupe)
                    counts[p.source] += 1
                    p.result = "stored"
            if rows:
                # a row another process stored since the look-up above is skipped
                insert = _insert(self.engine, events).on_conflict_do_nothing(
                    index_elements=["dedupe"]
                )
                conn.execute(insert, [{**dict.fromkeys(ALL_FIELDS), **row} for row in rows])

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
        Returns how many raw events went.

        The rows counted are exactly the rows deleted (``DELETE ... RETURNING``, in
        one transaction), so two prunes at once cannot count an event twice."""
        cutoff = (day or today()) - dt.timedelta(days=keep_days)
        taken = ("day", "kind", "impression", "client", *AGGREGATED)
        with self.engine.begin() as conn:
            gone = conn.execute(
                sa.delete(events)
                .where(events.c.day < cutoff)
                .returning(*[events.c[name] for name in taken])
            ).all()
            counts: Counter = Counter()
            views: dict[tuple, Counter] = {}
            for row in gone:
                r = dict(zip(taken, row, strict=True))
                counts[(r["day"], r["kind"], *[r[name] for name in AGGREGATED])] += 1
                if r["kind"] == "click" and r["arm"] == "interleave":
                    view = (r["day"], r["page"], r["impression"], r["client"])
                    views.setdefault(view, Counter())[r["team"]] += 1
            rows = [
                {
                    "day": key[0],
                    "kind": key[1],
                    **dict(zip(AGGREGATED, key[2:], strict=True)),
                    "count": n,
                }
                for key, n in counts.items()
            ]
            for (d, page, winner), n in _outcomes(views).items():
                rows.append(
                    {
                        **dict.fromkeys(AGGREGATED),
                        "day": d,
                        "kind": "interleave",
                        "page": page,
                        "team": winner,
                        "count": n,
                    }
                )
            if rows:
                conn.execute(sa.insert(daily), rows)
        return len(gone)

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
        return _outcomes(views)

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

    def grouped(self, kind: str, columns: Iterable[str], sources: bool = False) -> list[dict]:
        """Events of ``kind`` counted by ``columns``, raw and aggregated together.

        With ``sources``, raw events count once per source (address and day): one
        machine clicking a suggestion again and again counts as one reader."""
        columns = list(columns)
        totals: Counter = Counter()
        measure = sa.func.count(sa.distinct(events.c.source)) if sources else sa.func.count()
        with self.engine.connect() as conn:
            raw = sa.select(*[events.c[c] for c in columns], measure)
            raw = raw.where(events.c.kind == kind).group_by(*[events.c[c] for c in columns])
            for *key, n in conn.execute(raw):
                totals[tuple(key)] += n
            agg = sa.select(*[daily.c[c] for c in columns], sa.func.sum(daily.c.count))
            agg = agg.where(daily.c.kind == kind).group_by(*[daily.c[c] for c in columns])
            for *key, n in conn.execute(agg):
                totals[tuple(key)] += int(n)
        return [{**dict(zip(columns, key, strict=True)), "count": n} for key, n in totals.items()]

    def comments(self, limit: int) -> list[dict]:
        """The newest vote comments (kept only as long as their raw event)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(events.c.day, events.c.comparison, events.c.agree, events.c.comment)
                .where(events.c.kind == "vote", events.c.comment.is_not(None))
                .order_by(events.c.id.desc())
                .limit(limit)
            )
            return [
                {"day": str(d), "comparison": c, "agree": bool(a), "comment": text}
                for d, c, a, text in rows
            ]

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


def _outcomes(views: dict[tuple, Counter]) -> Counter:
    """(day, page, winner) counts from each view's clicks per team: the team with
    more clicks wins ("a", "b"), else "" (a tie)."""
    out: Counter = Counter()
    for (d, page, _imp, _client), teams in views.items():
        a, b = teams["a"], teams["b"]
        out[(d, page, "a" if a > b else "b" if b > a else "")] += 1
    return out


def off_the_event_loop(fn, *args):
    """``fn(*args)`` in a native thread when this process runs gevent (a gunicorn
    gevent worker): the database's disk sync then overlaps the worker's other
    requests instead of stopping its event loop. Elsewhere, a plain call."""
    if "gevent" in sys.modules:
        from gevent import get_hub, monkey  # noqa: PLC0415 - only under gevent

        if monkey.is_module_patched("threading"):
            return get_hub().threadpool.apply(fn, args)
    return fn(*args)


# The newest migration in migrations/versions (a test keeps it equal to Alembic's head).
SCHEMA_HEAD = "0002"


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
