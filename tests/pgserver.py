"""A real PostgreSQL server the suite starts itself, from the installed server binaries.

    server = PostgresServer().start()
    engine = sqlalchemy.create_engine(server.fresh_database())
    ...
    server.stop()

Tests get it through the session fixture `postgresql_server`. When no server binaries are
installed the fixture fails (it does not skip): `.ci/install-system-deps` installs
Debian's `postgresql`, so on CI a missing server is a broken machine, not an option.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL

__all__ = ["PostgresServer", "PostgresUnavailable", "find_server_binaries", "postgresql_server"]

# Debian installs each major version's server here, off PATH.
DEBIAN_ROOT = Path("/usr/lib/postgresql")
HOST = "127.0.0.1"
# The superuser initdb creates; with trust authentication any client may log in as it.
ROLE = "pickgraph"
DATABASE = "pickgraph_test"
# PostgreSQL refuses to run as root; as root the server runs as the first of these that
# exists (the Debian package creates `postgres`).
UNPRIVILEGED_USERS = ("postgres", "nobody")
# Another process may take the free port found before the server binds it.
PORT_ATTEMPTS = 3
PORT_TAKEN = "could not create any TCP/IP sockets"
# Seconds: initdb takes about one, start-up well under one on a laptop.
TIMEOUT = 60


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing or the server would not start."""


def find_server_binaries(path: str | None = None, roots: Iterable[Path] = (DEBIAN_ROOT,)) -> Path:
    """The folder holding initdb and pg_ctl: on PATH, else the highest version under roots."""
    on_path = shutil.which("initdb", path=path)
    # Resolved: a link on PATH (/usr/local/bin/initdb) names the folder pg_ctl runs from.
    if on_path and (Path(on_path).resolve().parent / "pg_ctl").exists():
        return Path(on_path).resolve().parent
    versions = [
        bindir
        for root in roots
        for bindir in Path(root).glob("*/bin")
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists()
    ]
    if not versions:
        searched = ", ".join(f"{root}/*/bin" for root in roots)
        raise PostgresUnavailable(
            f"no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in {searched}; "
            "run .ci/install-system-deps to install Debian's postgresql"
        )
    return max(versions, key=lambda bindir: _version_key(bindir.parent.name))


def _version_key(name: str) -> tuple[int, ...]:
    # "15" and "9.6" both sort by number, not as text ("9.6" < "15").
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """The account to run the server as: None for the current one, unless that is root."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailable(
        "running as root, and PostgreSQL refuses root: none of the users "
        f"{', '.join(UNPRIVILEGED_USERS)} exists to run it as "
        "(.ci/install-system-deps installs Debian's postgresql, which creates `postgres`)"
    )


class PostgresServer:
    """One throwaway PostgreSQL cluster in a temporary folder, listening on 127.0.0.1."""

    def __init__(self, database: str = DATABASE):
        self.database = database
        self.port: int | None = None
        self.folder: Path | None = None
        self._user: str | None = None
        self._bindir: Path | None = None
        self._names = itertools.count(1)

    @property
    def datadir(self) -> Path:
        return self._folder / "data"

    @property
    def logfile(self) -> Path:
        return self._folder / "server.log"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the database created at start."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        if self.port is None:
            raise PostgresUnavailable("the server is not running: call start() first")
        url = URL.create(
            "postgresql+psycopg", username=ROLE, host=HOST, port=self.port, database=database
        )
        return url.render_as_string(hide_password=False)

    def start(self) -> PostgresServer:
        if self.folder is not None:
            raise PostgresUnavailable(f"already started, in {self.folder}")
        self._bindir = find_server_binaries()
        self._user = _server_user()
        self.folder = Path(tempfile.mkdtemp(prefix="pickgraph-pg-"))
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        sockets = self._folder / "sockets"
        sockets.mkdir()
        if self._user is not None:
            # The server's account must own its folder, and reach it: the system's
            # temporary folder is open to all (a private TMPDIR makes initdb fail loudly).
            for path in (self._folder, sockets):
                shutil.chown(path, user=self._user)
        self._run(
            "initdb", "-D", str(self.datadir), "-A", "trust", "-U", ROLE, "--no-sync",
            "-E", "UTF8",
            # C needs no generated locales, which a fresh Debian machine may lack.
            "--locale=C",
        )  # fmt: skip
        for attempt in range(PORT_ATTEMPTS):
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {shlex.quote(str(sockets))} "
                f"-c listen_addresses={HOST} -c fsync=off"
            )
            try:
                self._run(
                    "pg_ctl", "start", "-D", str(self.datadir), "-l", str(self.logfile),
                    "-w", "-t", "30", "-o", options,
                )  # fmt: skip
                break
            except PostgresUnavailable as exc:
                if PORT_TAKEN not in str(exc) or attempt == PORT_ATTEMPTS - 1:
                    raise
        self.fresh_database(self.database)

    def fresh_database(self, name: str | None = None) -> str:
        """Create a new, empty database (named, or numbered) and return its URL."""
        if name is None:
            name = f"{self.database}_{next(self._names)}"
        conninfo = psycopg.conninfo.make_conninfo(
            host=HOST, port=self.port, user=ROLE, dbname="postgres"
        )
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def stop(self) -> None:
        """Stop this server (only it: pg_ctl finds it by its data folder) and delete the folder."""
        if self.folder is None:
            return
        try:
            if (self.datadir / "postmaster.pid").exists():
                try:
                    self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "fast", "-w")
                except PostgresUnavailable:
                    self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
            self.port = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def _folder(self) -> Path:
        if self.folder is None:
            raise PostgresUnavailable("the server is not running: call start() first")
        return self.folder

    def _run(self, program: str, *args: str) -> None:
        assert self._bindir is not None
        command = [str(self._bindir / program), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        # The caller's PG* settings (PGDATA, PGPORT, ...) must not steer this cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        try:
            done = subprocess.run(
                command,
                cwd=self._folder,  # the server's account may not be able to read ours
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresUnavailable(f"{program} failed: {exc}{self._log_tail()}") from exc
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"{shlex.join(command)} exited with {done.returncode}:\n"
                f"{done.stdout}{done.stderr}{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except (OSError, PostgresUnavailable):
            return ""
        return "\nserver log:\n" + "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """A running PostgresServer for the whole session; each test takes fresh_database()."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()
