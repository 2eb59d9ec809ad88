"""Long reads come a batch at a time on both backends (``Connection.stream``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazertc.recording.backend import (
    DATABASE_ERRORS,
    STREAM_BATCH_ROWS,
    Connection,
    Dialect,
    open_database,
)

ROWS = STREAM_BATCH_ROWS * 2 + 7
"""More than two batches, and not a whole number of them."""


def _filled(tmp_path: Path, database_url: str | None) -> Connection:
    connection = open_database(tmp_path, database_url).connect()
    connection.execute("CREATE TABLE numbers (n BIGINT NOT NULL, label TEXT NOT NULL)")
    for n in range(ROWS):
        connection.execute("INSERT INTO numbers (n, label) VALUES (?, ?)", (n, f"row {n}"))
    connection.commit()
    return connection


def test_a_stream_gives_every_row_in_order(tmp_path: Path, database_url: str | None) -> None:
    connection = _filled(tmp_path, database_url)
    try:
        rows = list(connection.stream("SELECT n, label FROM numbers WHERE n >= ? ORDER BY n", (5,)))
    finally:
        connection.close()
    assert [row[0] for row in rows] == list(range(5, ROWS))
    assert rows[-1][1] == f"row {ROWS - 1}"


def test_postgresql_keeps_the_rows_on_the_server_while_streaming(
    tmp_path: Path, postgres_database_dsn: str
) -> None:
    writer = _filled(tmp_path, postgres_database_dsn)
    writer.close()
    reader = open_database(tmp_path, postgres_database_dsn).connect(read_only=True)
    try:
        assert reader.dialect is Dialect.POSTGRESQL
        rows = reader.stream("SELECT n FROM numbers ORDER BY n")
        assert next(rows) == (0,)
        # Only a batch has crossed to the client: the rest waits in an open server-side cursor.
        open_cursors = reader.execute("SELECT count(*) FROM pg_cursors").fetchone()[0]
        assert open_cursors == 1
        assert sum(1 for _ in rows) == ROWS - 1
        assert reader.execute("SELECT count(*) FROM pg_cursors").fetchone()[0] == 0
    finally:
        reader.close()


def test_an_abandoned_stream_leaves_the_connection_usable(
    tmp_path: Path, database_url: str | None
) -> None:
    connection = _filled(tmp_path, database_url)
    try:
        rows = connection.stream("SELECT n FROM numbers ORDER BY n")
        assert next(rows) == (0,)
        rows.close()
        assert connection.execute("SELECT count(*) FROM numbers").fetchone()[0] == ROWS
    finally:
        connection.close()


def test_a_refused_query_is_the_databases_error(tmp_path: Path, database_url: str | None) -> None:
    connection = _filled(tmp_path, database_url)
    try:
        with pytest.raises(DATABASE_ERRORS):
            list(connection.stream("SELECT nothing FROM numbers"))
        assert connection.execute("SELECT count(*) FROM numbers").fetchone()[0] == ROWS
    finally:
        connection.close()
