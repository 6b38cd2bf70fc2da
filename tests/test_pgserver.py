"""The suite's own PostgreSQL server (tests/pgserver.py): real, local, one database per test."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from pgserver import PostgresServer, PostgresUnavailable, find_server_binaries


def scalar(url: str, query: str):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query)).scalar_one()
    finally:
        engine.dispose()


def test_a_real_postgresql_answers(postgresql_server: PostgresServer):
    assert scalar(postgresql_server.url, "SELECT version()").startswith("PostgreSQL ")
    assert scalar(postgresql_server.url, "SELECT current_database()") == "pickgraph_test"


def test_it_listens_on_loopback_only(postgresql_server: PostgresServer):
    assert scalar(postgresql_server.url, "SHOW listen_addresses") == "127.0.0.1"


def test_fresh_databases_are_independent(postgresql_server: PostgresServer):
    first, second = postgresql_server.fresh_database(), postgresql_server.fresh_database()
    assert first != second

    engine = sa.create_engine(first)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE feedback (id integer PRIMARY KEY)"))
        assert sa.inspect(engine).get_table_names() == ["feedback"]
    finally:
        engine.dispose()

    engine = sa.create_engine(second)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_missing_binaries_fail_with_the_fix(tmp_path: Path):
    with pytest.raises(PostgresUnavailable, match=r"\.ci/install-system-deps"):
        find_server_binaries(path=str(tmp_path), roots=[tmp_path])


def test_the_highest_version_wins(tmp_path: Path):
    for version in ("9.6", "15", "13"):
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        for program in ("initdb", "pg_ctl"):
            (bindir / program).touch()
    assert find_server_binaries(path=str(tmp_path), roots=[tmp_path]) == tmp_path / "15" / "bin"


def test_stop_ends_the_server_and_removes_its_folder():
    server = PostgresServer().start()
    folder, url = server.folder, server.url
    server.stop()
    assert folder is not None and not folder.exists()
    with pytest.raises(sa.exc.OperationalError):
        scalar(url.replace("pickgraph_test", "postgres"), "SELECT 1")
