"""The recordings' writer survives whatever it is given: a bad row, a failed commit, a full
database, a failing or abandoned command. Real SQLite throughout; the values are pushed straight
into the store or the writer, past the protocol's bounds."""

from __future__ import annotations

import concurrent.futures
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gazertc.recording.backend import Connection, Dialect, open_database
from gazertc.recording.store import RecordingError, RecordingStore, WriteFailure
from gazertc.recording.writer import STOP, Command, RowWrite, Writer
from gazertc.records import EventSource, RecordingState, StoredEvent
from tests.real_samples import real_sample_messages

pytestmark = pytest.mark.timeout(60)

SESSION_A = "a" * 32
SESSION_B = "b" * 32
BEYOND_INT64 = 2**63
"""One more than SQLite's largest integer: binding it raises OverflowError."""


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[RecordingStore]:
    database = open_database(tmp_path, database_url)
    opened = RecordingStore(tmp_path, commit_interval_s=0.01, database=database)
    opened.open()
    yield opened
    opened.close()


def _event(name: str, timestamp_unix_ns: int, session_id: str, recording_id: str) -> StoredEvent:
    return StoredEvent(
        name, timestamp_unix_ns, 1_800_000_000_000_000_000, EventSource.CLIENT, session_id,
        recording_id,
    )  # fmt: skip


def test_an_out_of_range_value_costs_its_row_only(store: RecordingStore) -> None:
    messages = real_sample_messages()[:20]
    recording_a, started_a = store.start(SESSION_A, name="a", metadata={})
    recording_b, started_b = store.start(SESSION_B, name="b", metadata={})
    started_a.result(5)
    started_b.result(5)
    failures: list[WriteFailure] = []
    reported = threading.Event()

    def watcher(failure: WriteFailure) -> None:
        failures.append(failure)
        reported.set()

    store.watch(recording_a, watcher)
    for index, message in enumerate(messages):
        store.add_sample(recording_a, message, "{}")
        store.add_sample(recording_b, message, "{}")
        if index == 5:
            store.add_event(_event("too late", BEYOND_INT64, SESSION_A, recording_a))
            store.add_event(_event("fine", 1_800_000_000_000_000_000, SESSION_B, recording_b))
    assert reported.wait(5)
    info_a = store.finish(recording_a, RecordingState.SAVED).result(5)
    info_b = store.finish(recording_b, RecordingState.SAVED).result(5)

    assert [(f.recording_id, f.rows, f.what) for f in failures] == [
        (recording_a, 1, "event 'too late'")
    ]
    assert "OverflowError" in failures[0].reason
    assert "event 'too late': not stored (OverflowError" in failures[0].describe()
    assert (info_a.state, info_a.sample_count, info_a.event_count) == (RecordingState.SAVED, 20, 0)
    assert info_a.write_errors == 1
    assert info_a.to_dict()["write_errors"] == 1
    assert (info_b.sample_count, info_b.event_count, info_b.write_errors) == (20, 1, 0)
    assert "write_errors" not in info_b.to_dict()
    assert store.rows_lost == 1
    # The writer lives on: later commands and rows still work.
    recording_c, started_c = store.start(SESSION_A, name="c", metadata={})
    started_c.result(5)
    store.add_sample(recording_c, messages[0], "{}")
    assert store.finish(recording_c, RecordingState.SAVED).result(5).sample_count == 1


def test_a_row_the_database_refuses_costs_that_row_only(store: RecordingStore) -> None:
    recording_id, started = store.start(SESSION_A, name="a", metadata={})
    started.result(5)
    failures: list[WriteFailure] = []
    store.watch(recording_id, failures.append)
    nameless_event = RowWrite(
        recording_id,
        "nameless event",
        "INSERT INTO events (recording_id, name, timestamp_unix_ns, received_unix_ns, source) "
        "VALUES (?, ?, ?, ?, ?)",
        (recording_id, None, 1, 1, EventSource.CLIENT.value),  # name is NOT NULL
    )
    for index, message in enumerate(real_sample_messages()[:10]):
        store.add_sample(recording_id, message, "{}")
        if index == 4:
            store._queue.put(nameless_event)
    info = store.finish(recording_id, RecordingState.SAVED).result(5)
    assert (info.sample_count, info.event_count, info.write_errors) == (10, 0, 1)
    assert [(failure.rows, failure.what) for failure in failures] == [(1, "nameless event")]
    assert "NotNull" in failures[0].reason or "NOT NULL" in failures[0].reason


def test_a_failing_or_abandoned_command_leaves_the_writer_serving(store: RecordingStore) -> None:
    with pytest.raises(RecordingError, match="no recording"):
        store.finish("f" * 32, RecordingState.SAVED).result(5)
    recording_id, started = store.start(SESSION_A, name=None, metadata={})
    started.cancel()  # its caller gave up (a timeout): it runs all the same
    store.add_event(_event("onset", 1_800_000_000_000_000_000, SESSION_A, recording_id))
    info = store.finish(recording_id, RecordingState.SAVED).result(5)
    assert (info.state, info.event_count) == (RecordingState.SAVED, 1)


def test_close_is_bounded_when_the_writer_is_stuck(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.open()
    release = threading.Event()
    stuck: concurrent.futures.Future[None] = concurrent.futures.Future()
    store._queue.put(Command(lambda connection: release.wait(30), stuck))
    started = time.monotonic()
    store.close(timeout_s=0.3)
    assert time.monotonic() - started < 1.0
    release.set()
    stuck.result(5)


# -- the writer on its own, on databases built to fail -----------------------------------------

_RECORDINGS = "CREATE TABLE recordings (recording_id TEXT PRIMARY KEY, write_errors INTEGER)"


class _RunningWriter:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.failures: list[WriteFailure] = []
        self.writer = Writer(
            Connection(connection, Dialect.SQLITE),
            self.items,
            commit_interval_s=0.05,
            error_type=RecordingError,
        )
        self.thread = threading.Thread(target=self.writer.run, daemon=True)
        self.thread.start()

    def watch(self, recording_id: str) -> None:
        self.writer.watch(recording_id, self.failures.append)

    def row(self, recording_id: str, sql: str, *values: Any) -> None:
        self.items.put(RowWrite(recording_id, "row", sql, values))

    def ask(self, sql: str) -> Any:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.items.put(Command(lambda connection: connection.execute(sql).fetchall(), future))
        return future.result(5)

    def stop(self) -> None:
        self.items.put(STOP)
        self.thread.join(5)
        assert not self.thread.is_alive()


def test_a_failed_commit_loses_that_batch_counted_per_recording(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "db", check_same_thread=False)
    connection.executescript(
        f"""PRAGMA foreign_keys = ON;
        {_RECORDINGS};
        CREATE TABLE parents (parent_id INTEGER PRIMARY KEY);
        CREATE TABLE rows (recording_id TEXT, parent_id INTEGER
            REFERENCES parents (parent_id) DEFERRABLE INITIALLY DEFERRED);
        INSERT INTO recordings VALUES ('r1', 0), ('r2', 0);
        INSERT INTO parents VALUES (1);"""
    )
    running = _RunningWriter(connection)
    running.watch("r1")
    running.watch("r2")
    # A row with a missing parent is accepted by the statement and refused by the commit.
    running.row("r1", "INSERT INTO rows VALUES (?, ?)", "r1", 1)
    running.row("r2", "INSERT INTO rows VALUES (?, ?)", "r2", 99)
    running.row("r2", "INSERT INTO rows VALUES (?, ?)", "r2", 1)
    time.sleep(0.3)
    running.row("r1", "INSERT INTO rows VALUES (?, ?)", "r1", 1)  # a later batch commits
    assert running.ask("SELECT recording_id, parent_id FROM rows") == [("r1", 1)]
    assert running.ask("SELECT * FROM recordings ORDER BY recording_id") == [("r1", 1), ("r2", 2)]
    assert sorted((f.recording_id, f.rows) for f in running.failures) == [("r1", 1), ("r2", 2)]
    assert all("FOREIGN KEY" in f.reason for f in running.failures)
    running.stop()


def test_a_full_database_fails_rows_and_the_writer_recovers(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "db", check_same_thread=False)
    connection.executescript(
        f"""{_RECORDINGS};
        CREATE TABLE rows (recording_id TEXT, payload BLOB);
        INSERT INTO recordings VALUES ('r1', 0);"""
    )
    (pages,) = connection.execute("PRAGMA page_count").fetchone()
    connection.execute(f"PRAGMA max_page_count = {pages + 2}")
    running = _RunningWriter(connection)
    running.watch("r1")
    for _ in range(20):
        running.row("r1", "INSERT INTO rows VALUES (?, ?)", "r1", b"x" * 3000)
    lost = running.ask("SELECT write_errors FROM recordings")[0][0]
    stored = running.ask("SELECT COUNT(*) FROM rows")[0][0]
    assert stored + sum(f.rows for f in running.failures) == 20
    assert any("full" in f.reason for f in running.failures), running.failures
    # The count needs room too: a later full-disk rollback may take some increments with it.
    assert 0 <= lost <= sum(f.rows for f in running.failures)
    running.ask("DELETE FROM rows")  # room again
    running.row("r1", "INSERT INTO rows VALUES (?, ?)", "r1", b"y")
    assert running.ask("SELECT payload FROM rows") == [(b"y",)]
    running.stop()
