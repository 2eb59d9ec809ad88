"""Several nodes on one PostgreSQL database: each sees the others' recordings, a restart marks
only its own running recordings incomplete, and a password never shows."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gazertc.recording.backend import open_database, redact_url
from gazertc.recording.export import export_csv
from gazertc.recording.store import RecordingError, RecordingStore, WriteFailure
from gazertc.records import RecordingState
from tests.real_samples import real_sample_messages

pytestmark = pytest.mark.timeout(120)

SESSION_A = "a" * 32
SESSION_B = "b" * 32
CLI_TIMEOUT_S = 60
UNREACHABLE_URL = "postgresql://gazertc:s3cret-pw@127.0.0.1:1/gazertc"
"""Port 1: nothing listens there, so the connection is refused at once."""


def _node(tmp_path: Path, dsn: str, name: str) -> RecordingStore:
    data_dir = tmp_path / name
    return RecordingStore(
        data_dir, commit_interval_s=0.01, database=open_database(data_dir, dsn), node_name=name
    )


@pytest.fixture
def nodes(tmp_path: Path, postgres_database_dsn: str) -> Iterator[tuple[RecordingStore, ...]]:
    stores = (
        _node(tmp_path, postgres_database_dsn, "node-a"),
        _node(tmp_path, postgres_database_dsn, "node-b"),
    )
    for store in stores:
        store.open()
    yield stores
    for store in stores:
        store.close()


def _record(store: RecordingStore, session_id: str, samples: int) -> str:
    recording_id, started = store.start(session_id, name=store.node_name, metadata={})
    started.result(5)
    for message in real_sample_messages(samples):
        store.add_sample(recording_id, message, json.dumps(message.to_dict()))
    return recording_id


def test_each_node_lists_and_exports_the_others_recordings(
    nodes: tuple[RecordingStore, RecordingStore], tmp_path: Path
) -> None:
    node_a, node_b = nodes
    recording_a = _record(node_a, SESSION_A, 12)
    recording_b = _record(node_b, SESSION_B, 7)
    node_a.finish(recording_a, RecordingState.SAVED).result(5)
    node_b.finish(recording_b, RecordingState.SAVED).result(5)
    for store in nodes:
        listed = {info.recording_id: info for info in store.list().result(5)}
        assert set(listed) == {recording_a, recording_b}
        assert (listed[recording_a].sample_count, listed[recording_b].sample_count) == (12, 7)
    with node_b.database.connect(read_only=True) as connection:
        paths = export_csv(connection, recording_a, tmp_path / "export")
    samples_csv = next(path for path in paths if path.name.endswith("samples.csv"))
    with samples_csv.open(newline="") as file:
        assert len(list(csv.DictReader(file))) == 12


def test_a_restart_marks_only_its_own_nodes_recordings_incomplete(
    nodes: tuple[RecordingStore, RecordingStore], tmp_path: Path, postgres_database_dsn: str
) -> None:
    node_a, node_b = nodes
    recording_a = _record(node_a, SESSION_A, 5)
    recording_b = _record(node_b, SESSION_B, 5)
    node_a.list().result(5)  # committed
    node_a.close()  # node A died with its recording running
    restarted_a = _node(tmp_path, postgres_database_dsn, "node-a")
    try:
        assert restarted_a.open() == [recording_a]
        states = {info.recording_id: info.state for info in restarted_a.list().result(5)}
    finally:
        restarted_a.close()
    assert states == {recording_a: RecordingState.INCOMPLETE, recording_b: RecordingState.RECORDING}
    info_b = node_b.finish(recording_b, RecordingState.SAVED).result(5)
    assert (info_b.state, info_b.sample_count) == (RecordingState.SAVED, 5)


def test_a_lost_connection_loses_no_row_when_the_database_is_back_at_once(
    tmp_path: Path, postgres_database_dsn: str
) -> None:
    store = _node(tmp_path, postgres_database_dsn, "node-a")
    store.open()
    try:
        recording_id = _record(store, SESSION_A, 5)
        failures: list[WriteFailure] = []
        store.watch(recording_id, failures.append)
        store.list().result(5)  # the five are committed
        with psycopg.connect(postgres_database_dsn, autocommit=True) as admin:
            admin.execute(  # as a database restart would: the writer's connection is cut
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        for message in real_sample_messages(10):
            store.add_sample(recording_id, message, json.dumps(message.to_dict()))
        info = store.finish(recording_id, RecordingState.SAVED).result(5)
    finally:
        store.close()
    assert failures == []
    assert (info.sample_count, info.write_errors, store.rows_lost) == (5 + 10, 0, 0)


def test_an_unreachable_database_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path, database=open_database(tmp_path, UNREACHABLE_URL))
    with pytest.raises(RecordingError, match="cannot connect") as raised:
        store.open()
    assert "s3cret-pw" not in str(raised.value)
    assert "postgresql://gazertc:***@127.0.0.1:1/gazertc" in str(raised.value)


def test_urls_are_shown_without_passwords() -> None:
    assert redact_url("postgresql://u:p%40ss@db:5432/x?sslmode=require&password=q") == (
        "postgresql://u:***@db:5432/x?sslmode=require&password=***"
    )
    assert redact_url("postgresql://u@db/x") == "postgresql://u@db/x"
    with pytest.raises(ValueError, match=r"mysql://u:\*\*\*@db/x"):
        open_database(Path(), "mysql://u:hidden@db/x")


def _gazertc(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gazertc", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def test_the_commands_read_a_shared_database(
    nodes: tuple[RecordingStore, RecordingStore], tmp_path: Path, postgres_database_dsn: str
) -> None:
    node_a, node_b = nodes
    recording_a = _record(node_a, SESSION_A, 3)
    recording_b = _record(node_b, SESSION_B, 4)
    node_a.finish(recording_a, RecordingState.SAVED).result(5)
    node_b.finish(recording_b, RecordingState.SAVED).result(5)
    listed = _gazertc(tmp_path, "recordings", "--json", "--database", postgres_database_dsn)
    assert (listed.returncode, listed.stderr) == (0, "")
    assert {entry["recording_id"] for entry in json.loads(listed.stdout)["recordings"]} == {
        recording_a,
        recording_b,
    }
    report = _gazertc(
        tmp_path, "report", recording_b[:8], "--database", postgres_database_dsn,
        "--output", "b.html",
    )  # fmt: skip
    assert (report.returncode, report.stderr) == (0, "")
    assert (tmp_path / "b.html").stat().st_size > 0
    failed = _gazertc(tmp_path, "recordings", "--database", UNREACHABLE_URL)
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr and "s3cret-pw" not in failed.stderr
    assert "cannot connect to the recordings database" in failed.stderr


def test_serve_refuses_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    result = _gazertc(
        tmp_path, "serve", "--database", UNREACHABLE_URL, "--data-dir", "data", "--port", "0"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "s3cret-pw" not in result.stderr
    assert result.stderr.startswith(
        "gazertc: error: --database: cannot connect to the recordings database "
        "postgresql://gazertc:***@127.0.0.1:1/gazertc: "
    )
    assert result.stderr.count("\n") == 1
