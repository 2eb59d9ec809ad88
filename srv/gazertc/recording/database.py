"""The recordings database: its tables, the columns added since its first version, and the
reads every part of gazertc shares (a recording's summary, the list, a read-only connection
that is safe while a server writes). :mod:`gazertc.recording.store` writes it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Final

from gazertc.errors import GazertcError
from gazertc.records import RecordingActor, RecordingInfo, RecordingState

__all__ = [
    "ADDED_RECORDING_COLUMNS",
    "DATABASE_NAME",
    "DATABASE_SUFFIXES",
    "SCHEMA_SQL",
    "RecordingError",
    "add_missing_columns",
    "connect_read_only",
    "list_recording_infos",
    "read_recording_info",
]

DATABASE_NAME: Final = "recordings.sqlite3"
DATABASE_SUFFIXES: Final = ("", "-wal", "-shm")
"""The database and the files SQLite keeps beside it in WAL mode."""

SCHEMA_SQL: Final = """
CREATE TABLE IF NOT EXISTS recordings (
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
CREATE TABLE IF NOT EXISTS samples (
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
CREATE INDEX IF NOT EXISTS samples_by_recording ON samples (recording_id, sample_id);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL,
    name TEXT NOT NULL,
    timestamp_unix_ns INTEGER NOT NULL,
    received_unix_ns INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_recording ON events (recording_id, event_id);
CREATE TABLE IF NOT EXISTS blinks (
    blink_id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    timestamp_unix_ns INTEGER NOT NULL,
    duration_ms REAL
);
CREATE INDEX IF NOT EXISTS blinks_by_recording ON blinks (recording_id, blink_id);
CREATE TABLE IF NOT EXISTS oculomotor (
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
CREATE INDEX IF NOT EXISTS oculomotor_by_recording ON oculomotor (recording_id, oculomotor_id);
CREATE TABLE IF NOT EXISTS calibration_reports (
    report_id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL,
    type TEXT NOT NULL,
    sent_unix_ns INTEGER NOT NULL,
    report_json TEXT NOT NULL
);
"""
ADDED_RECORDING_COLUMNS: Final = {
    "started_by": ("TEXT NOT NULL", f"'{RecordingActor.PARTICIPANT.value}'"),
    "stopped_by": ("TEXT", "NULL"),
    "write_errors": ("INTEGER NOT NULL", "0"),
    "video": ("INTEGER NOT NULL", "0"),
}
"""Columns of ``recordings`` added after its first version, their type, and the value older
recordings take: started by the participant, ended by nobody known (who did was not kept), no
write errors (none were counted). The store adds them to a database that lacks them when it
opens; a read-only reader of such a database (``gazertc export``) reads these values instead."""


class RecordingError(GazertcError):
    """The recording store cannot do what was asked (the message says why)."""


_INFO_QUERY: Final = """
SELECT r.recording_id, r.session_id, r.name, r.state, r.started_unix_ns, r.stopped_unix_ns,
       r.frame_width_px, r.frame_height_px,
       (SELECT COUNT(*) FROM samples s WHERE s.recording_id = r.recording_id),
       (SELECT COUNT(*) FROM events e WHERE e.recording_id = r.recording_id),
       (SELECT COUNT(*) FROM blinks b WHERE b.recording_id = r.recording_id AND b.phase = 'start'),
       (SELECT COUNT(*) FROM oculomotor o WHERE o.recording_id = r.recording_id
            AND o.kind = 'fixation'),
       (SELECT COUNT(*) FROM oculomotor o WHERE o.recording_id = r.recording_id
            AND o.kind = 'saccade'),
       r.metadata_json, {added_columns}
FROM recordings r
"""


def _info_from_row(row: tuple[Any, ...]) -> RecordingInfo:
    return RecordingInfo(
        recording_id=row[0],
        session_id=row[1],
        name=row[2],
        state=RecordingState(row[3]),
        started_unix_ns=row[4],
        stopped_unix_ns=row[5],
        frame_width_px=row[6],
        frame_height_px=row[7],
        sample_count=row[8],
        event_count=row[9],
        blink_count=row[10],
        fixation_count=row[11],
        saccade_count=row[12],
        metadata=json.loads(row[13]),
        started_by=RecordingActor(row[14]),
        stopped_by=None if row[15] is None else RecordingActor(row[15]),
        write_errors=int(row[16]),
        video=bool(row[17]),
    )


def _recording_columns(connection: sqlite3.Connection) -> set[str]:
    return {row[1] for row in connection.execute("PRAGMA table_info(recordings)")}


def add_missing_columns(connection: sqlite3.Connection) -> None:
    """Add the columns of :data:`ADDED_RECORDING_COLUMNS` a database made by an older version
    lacks."""
    present = _recording_columns(connection)
    for name, (declaration, legacy_value) in ADDED_RECORDING_COLUMNS.items():
        if name not in present:
            connection.execute(
                f"ALTER TABLE recordings ADD COLUMN {name} {declaration} DEFAULT {legacy_value}"
            )


def _info_query(connection: sqlite3.Connection) -> str:
    present = _recording_columns(connection)
    added = ", ".join(
        f"r.{name}" if name in present else legacy_value
        for name, (_, legacy_value) in ADDED_RECORDING_COLUMNS.items()
    )
    return _INFO_QUERY.format(added_columns=added)


def read_recording_info(connection: sqlite3.Connection, recording_id: str) -> RecordingInfo | None:
    """The summary of one recording, or ``None`` when there is none with that id."""
    query = _info_query(connection) + " WHERE r.recording_id = ?"
    row = connection.execute(query, (recording_id,)).fetchone()
    return None if row is None else _info_from_row(row)


def list_recording_infos(connection: sqlite3.Connection) -> list[RecordingInfo]:
    """Every recording, oldest first."""
    rows = connection.execute(_info_query(connection) + " ORDER BY r.started_unix_ns").fetchall()
    return [_info_from_row(row) for row in rows]


def connect_read_only(data_dir: Path) -> sqlite3.Connection:
    """A read-only connection to the data directory's database (safe while a server writes).

    Raises:
        RecordingError: there is no database in ``data_dir``.
    """
    path = data_dir / DATABASE_NAME
    if not path.is_file():
        raise RecordingError(f"{data_dir}: no recordings here ({DATABASE_NAME} is missing)")
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise RecordingError(f"cannot open {path}: {exc}") from exc
