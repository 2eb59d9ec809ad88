"""Who started and who ended each recording: kept by the store, and read from a database made
before the store kept it (migrated when the store opens it, read as-is by a read-only reader)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from gazertc.recording.store import (
    DATABASE_NAME,
    RecordingStore,
    connect_read_only,
    list_recording_infos,
    read_recording_info,
)
from gazertc.records import RecordingActor, RecordingState

SESSION_ID = "0123456789abcdef0123456789abcdef"
SAVED_ID = "a" * 32
LEFT_RUNNING_ID = "b" * 32

_PREVIOUS_SCHEMA = """
CREATE TABLE recordings (
    recording_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    name TEXT,
    state TEXT NOT NULL,
    started_unix_ns INTEGER NOT NULL,
    stopped_unix_ns INTEGER,
    frame_width_px INTEGER,
    frame_height_px INTEGER,
    metadata_json TEXT NOT NULL
);
CREATE TABLE samples (
    sample_id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL,
    timestamp_unix_ns INTEGER NOT NULL,
    frame_id INTEGER NOT NULL,
    face_found INTEGER NOT NULL,
    gaze_yaw_deg REAL,
    gaze_pitch_deg REAL,
    blinking INTEGER NOT NULL,
    sample_json TEXT NOT NULL
);
CREATE INDEX samples_by_recording ON samples (recording_id, sample_id);
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL,
    name TEXT NOT NULL,
    timestamp_unix_ns INTEGER NOT NULL,
    received_unix_ns INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX events_by_recording ON events (recording_id, event_id);
CREATE TABLE blinks (
    blink_id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    timestamp_unix_ns INTEGER NOT NULL,
    duration_ms REAL
);
CREATE INDEX blinks_by_recording ON blinks (recording_id, blink_id);
CREATE TABLE oculomotor (
    oculomotor_id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_unix_ns INTEGER NOT NULL,
    end_unix_ns INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    yaw_deg REAL,
    pitch_deg REAL,
    amplitude_deg REAL,
    peak_velocity_deg_s REAL,
    method TEXT NOT NULL
);
CREATE INDEX oculomotor_by_recording ON oculomotor (recording_id, oculomotor_id);
"""
"""The database as gazertc 0.1 made it: ``recordings`` without ``started_by`` and
``stopped_by``."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordingStore]:
    opened = RecordingStore(tmp_path, commit_interval_s=0.01)
    opened.open()
    yield opened
    opened.close()


@pytest.mark.parametrize("starter", [RecordingActor.PARTICIPANT, RecordingActor.HOST])
@pytest.mark.parametrize(
    ("state", "stopper"),
    [
        (RecordingState.SAVED, RecordingActor.PARTICIPANT),
        (RecordingState.SAVED, RecordingActor.HOST),
        (RecordingState.SAVED, RecordingActor.SERVER),
        (RecordingState.CANCELLED, RecordingActor.PARTICIPANT),
    ],
)
def test_the_store_keeps_who_started_and_who_ended_a_recording(
    store: RecordingStore,
    starter: RecordingActor,
    state: RecordingState,
    stopper: RecordingActor,
) -> None:
    recording_id, started = store.start(SESSION_ID, name=None, metadata={}, started_by=starter)
    running = started.result(timeout=5)
    assert (running.started_by, running.stopped_by) == (starter, None)
    ended = store.finish(recording_id, state, stopped_by=stopper).result(timeout=5)
    assert (ended.state, ended.started_by, ended.stopped_by) == (state, starter, stopper)
    assert store.get(recording_id).result(timeout=5) == ended


def _previous_database(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(data_dir / DATABASE_NAME)
    connection.executescript(_PREVIOUS_SCHEMA)
    connection.executemany(
        "INSERT INTO recordings (recording_id, session_id, name, state, started_unix_ns, "
        "stopped_unix_ns, metadata_json) VALUES (?, ?, ?, ?, ?, ?, '{}')",
        [
            (SAVED_ID, SESSION_ID, "before", "saved", 1, 2),
            (LEFT_RUNNING_ID, SESSION_ID, None, "recording", 3, None),
        ],
    )
    connection.commit()
    connection.close()


def test_a_previous_database_reads_without_migration_in_read_only_mode(tmp_path: Path) -> None:
    """``gazertc export`` opens the database read-only and may meet one never migrated."""
    _previous_database(tmp_path)
    connection = connect_read_only(tmp_path)
    try:
        saved = read_recording_info(connection, SAVED_ID)
        listed = list_recording_infos(connection)
    finally:
        connection.close()
    assert saved is not None
    assert (saved.started_by, saved.stopped_by) == (RecordingActor.PARTICIPANT, None)
    assert [info.recording_id for info in listed] == [SAVED_ID, LEFT_RUNNING_ID]


def test_opening_a_previous_database_adds_the_columns(tmp_path: Path) -> None:
    _previous_database(tmp_path)
    store = RecordingStore(tmp_path, commit_interval_s=0.01)
    assert store.open() == [LEFT_RUNNING_ID]
    try:
        saved = store.get(SAVED_ID).result(timeout=5)
        left = store.get(LEFT_RUNNING_ID).result(timeout=5)
        assert saved is not None and left is not None
        assert (saved.state, saved.started_by, saved.stopped_by) == (
            RecordingState.SAVED,
            RecordingActor.PARTICIPANT,
            None,
        )
        # A server that died left it: the server ended it.
        assert (left.state, left.stopped_by) == (RecordingState.INCOMPLETE, RecordingActor.SERVER)
        recording_id, started = store.start(
            SESSION_ID, name=None, metadata={}, started_by=RecordingActor.HOST
        )
        assert started.result(timeout=5).started_by is RecordingActor.HOST
        store.finish(recording_id, RecordingState.SAVED, stopped_by=RecordingActor.HOST)
    finally:
        store.close()
    # Opening it again finds the columns there and changes nothing.
    reopened = RecordingStore(tmp_path)
    assert reopened.open() == []
    try:
        infos = reopened.list().result(timeout=5)
    finally:
        reopened.close()
    assert [(info.started_by, info.stopped_by) for info in infos] == [
        (RecordingActor.PARTICIPANT, None),
        (RecordingActor.PARTICIPANT, RecordingActor.SERVER),
        (RecordingActor.HOST, RecordingActor.HOST),
    ]
