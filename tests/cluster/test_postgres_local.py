"""The throwaway PostgreSQL server: starts, serves its database, stops, survives a restart."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gazertc.cluster import postgres_local
from gazertc.cluster.postgres_local import (
    LocalPostgres,
    LocalPostgresError,
    PostgresNotFoundError,
    PostgresStartError,
    find_postgres_bindir,
)
from tests.system_programs import require_postgres


@pytest.fixture(autouse=True)
def _postgres_installed() -> None:
    require_postgres()


def _query_one(dsn: str, sql: str) -> object:
    with psycopg.connect(dsn) as connection:
        row = connection.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_serves_the_gazertc_database_then_stops(tmp_path: Path) -> None:
    server = LocalPostgres(tmp_path / "pg")
    with server:
        assert server.dsn == f"postgresql://gazertc@127.0.0.1:{server.port}/gazertc"
        assert _query_one(server.dsn, "SELECT current_database()") == "gazertc"
        dsn = server.dsn
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2)
    server.stop()  # idempotent
    with pytest.raises(LocalPostgresError):
        _ = server.dsn


def test_a_restart_on_the_same_directory_keeps_the_data(tmp_path: Path) -> None:
    with LocalPostgres(tmp_path) as first:
        with psycopg.connect(first.dsn) as connection:
            connection.execute("CREATE TABLE kept (value INTEGER)")
            connection.execute("INSERT INTO kept VALUES (42)")
        port = first.port
    with LocalPostgres(tmp_path, port=port) as second:
        assert second.port == port
        assert _query_one(second.dsn, "SELECT value FROM kept") == 42


def test_listens_on_loopback_only(tmp_path: Path) -> None:
    with LocalPostgres(tmp_path) as server:
        assert _query_one(server.dsn, "SHOW listen_addresses") == "127.0.0.1"


def test_a_taken_port_is_a_start_error_with_the_log(tmp_path: Path) -> None:
    with (
        LocalPostgres(tmp_path / "first") as first,
        pytest.raises(PostgresStartError, match="could not"),
    ):
        LocalPostgres(tmp_path / "second", port=first.port).start()


def test_no_binaries_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(postgres_local, "POSTGRES_BINDIR_GLOB", str(tmp_path / "none" / "*"))
    assert find_postgres_bindir() is None
    with pytest.raises(PostgresNotFoundError, match="make postgresql"):
        LocalPostgres(tmp_path / "pg").start()


@pytest.fixture
def world_reachable_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gazertc-pg-") as directory:
        Path(directory).chmod(0o711)
        yield Path(directory)


@pytest.mark.skipif(os.geteuid() != 0, reason="the setpriv fallback is for root only")
def test_as_root_without_user_namespaces_runs_as_nobody(
    world_reachable_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_local, "_user_namespaces_work", lambda prefix: False)
    with LocalPostgres(world_reachable_dir / "pg") as server:
        assert _query_one(server.dsn, "SELECT current_database()") == "gazertc"
    assert (world_reachable_dir / "pg" / "pgdata").stat().st_uid == postgres_local.UNPRIVILEGED_UID


def test_the_session_fixture_gives_a_working_database(postgres_dsn: str) -> None:
    assert _query_one(postgres_dsn, "SELECT 1 + 1") == 2
