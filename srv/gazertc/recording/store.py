"""Recordings in one SQLite database (``recordings.sqlite3`` in the data directory, WAL mode).

One writer thread owns the connection. The event loop hands it rows through a queue (a
``put`` costs microseconds) and never waits on the disk; the thread commits at least every
``commit_interval_s``, so a server killed outright loses at most that much of a recording.
Commands that need an answer (start, stop, list, get) return a ``concurrent.futures.Future``
resolved after their commit; ``asyncio.wrap_future`` awaits it on the loop.

A recording still marked ``recording`` when the store opens belonged to a server that died:
it becomes ``incomplete``, with everything committed before the crash.

Times are ns since the Unix epoch on the server's clock.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from gazertc.errors import GazertcError
from gazertc.records import (
    FixationEvent,
    OculomotorEvent,
    RecordingInfo,
    RecordingState,
    SampleMessage,
    StoredEvent,
)

__all__ = [
    "DATABASE_NAME",
    "RecordingError",
    "RecordingStore",
    "connect_read_only",
    "list_recording_infos",
    "read_recording_info",
]

logger = logging.getLogger(__name__)

DATABASE_NAME: Final = "recordings.sqlite3"
DEFAULT_COMMIT_INTERVAL_S: Final = 0.25
"""Half the brief's 0.5 s bound, so a killed server loses at most a quarter second plus the
time a commit takes."""

_SCHEMA: Final = """
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
"""


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
       r.metadata_json
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
    )


def read_recording_info(connection: sqlite3.Connection, recording_id: str) -> RecordingInfo | None:
    """The summary of one recording, or ``None`` when there is none with that id."""
    row = connection.execute(_INFO_QUERY + " WHERE r.recording_id = ?", (recording_id,)).fetchone()
    return None if row is None else _info_from_row(row)


def list_recording_infos(connection: sqlite3.Connection) -> list[RecordingInfo]:
    """Every recording, oldest first."""
    rows = connection.execute(_INFO_QUERY + " ORDER BY r.started_unix_ns").fetchall()
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


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Command:
    run: Callable[[sqlite3.Connection], Any]
    future: concurrent.futures.Future[Any]


@dataclass(frozen=True, slots=True)
class _Rows:
    sql: str
    row: tuple[Any, ...]


_STOP: Final = object()


def _sample_row(recording_id: str, message: SampleMessage, text: str) -> _Rows:
    sample = message.sample
    gaze = sample.gaze
    return _Rows(
        "INSERT INTO samples (recording_id, timestamp_unix_ns, frame_id, face_found, "
        "gaze_yaw_deg, gaze_pitch_deg, blinking, sample_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            recording_id,
            sample.timestamp_unix_ns,
            message.timing.frame_id,
            int(sample.face_found),
            None if gaze is None else gaze.yaw_deg,
            None if gaze is None else gaze.pitch_deg,
            int(sample.blinking),
            text,
        ),
    )


class RecordingStore:
    """The recordings of one data directory, written by one background thread.

    Args:
        data_dir: created when missing; holds ``recordings.sqlite3``.
        commit_interval_s: longest time rows wait in memory before they are committed.
    """

    def __init__(
        self, data_dir: Path, *, commit_interval_s: float = DEFAULT_COMMIT_INTERVAL_S
    ) -> None:
        self.data_dir = data_dir
        self.commit_interval_s = commit_interval_s
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._frame_size_known: set[str] = set()
        self.commits = 0
        self.commit_seconds = 0.0

    @property
    def path(self) -> Path:
        return self.data_dir / DATABASE_NAME

    def open(self) -> list[str]:
        """Create or open the database, mark recordings of a dead server incomplete, and start
        the writer thread. Blocks on the disk: call it off the event loop.

        Returns:
            The ids of the recordings marked incomplete.

        Raises:
            RecordingError: the directory or database cannot be created or opened.
        """
        if self._thread is not None:
            return []
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit survives the process being killed (the OS has the pages);
            # only a power cut may lose the last commits.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            stale = [
                row[0]
                for row in connection.execute(
                    "SELECT recording_id FROM recordings WHERE state = ?",
                    (RecordingState.RECORDING.value,),
                )
            ]
            connection.execute(
                "UPDATE recordings SET state = ? WHERE state = ?",
                (RecordingState.INCOMPLETE.value, RecordingState.RECORDING.value),
            )
            connection.commit()
        except (OSError, sqlite3.Error) as exc:
            raise RecordingError(f"cannot open the recordings in {self.data_dir}: {exc}") from exc
        if stale:
            logger.warning("recordings left incomplete by a previous server: %s", stale)
        self._thread = threading.Thread(
            target=self._write_loop, args=(connection,), name="gazertc-recordings", daemon=True
        )
        self._thread.start()
        return stale

    def close(self) -> None:
        """Commit what is queued and stop the writer thread (blocks; idempotent)."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join()
        self._thread = None

    # -- from the event loop: never blocks -----------------------------------------------------

    def add_sample(self, recording_id: str, message: SampleMessage, text: str) -> None:
        """Queue one sample (the typed message and the text sent for it) and its blink
        events."""
        sample = message.sample
        self._queue.put(_sample_row(recording_id, message, text))
        if recording_id not in self._frame_size_known:
            self._frame_size_known.add(recording_id)
            self._queue.put(
                _Rows(
                    "UPDATE recordings SET frame_width_px = ?, frame_height_px = ? "
                    "WHERE recording_id = ?",
                    (sample.frame_width_px, sample.frame_height_px, recording_id),
                )
            )
        for blink in sample.blink_events:
            self._queue.put(
                _Rows(
                    "INSERT INTO blinks (recording_id, phase, timestamp_unix_ns, duration_ms) "
                    "VALUES (?, ?, ?, ?)",
                    (recording_id, blink.phase.value, blink.timestamp_unix_ns, blink.duration_ms),
                )
            )

    def add_event(self, event: StoredEvent) -> None:
        """Queue an event of a recording (``event.recording_id`` must be set)."""
        if event.recording_id is None:
            raise ValueError("the event belongs to no recording")
        self._queue.put(
            _Rows(
                "INSERT INTO events (recording_id, name, timestamp_unix_ns, received_unix_ns, "
                "source) VALUES (?, ?, ?, ?, ?)",
                (
                    event.recording_id,
                    event.name,
                    event.timestamp_unix_ns,
                    event.received_unix_ns,
                    event.source.value,
                ),
            )
        )

    def add_oculomotor(self, recording_id: str, event: OculomotorEvent) -> None:
        """Queue a finished fixation (mean angles; give its ``end``) or a saccade (landing
        angles and amplitude)."""
        if isinstance(event, FixationEvent):
            if event.end_unix_ns is None:
                raise ValueError("only a fixation's end is stored (its start has no end time)")
            row: tuple[Any, ...] = (
                event.end_unix_ns,
                event.duration_ms or 0.0,
                event.yaw_deg,
                event.pitch_deg,
                None,
                None,
            )
        else:
            row = (
                event.end_unix_ns,
                event.duration_ms,
                event.end_yaw_deg,
                event.end_pitch_deg,
                event.amplitude_deg,
                event.peak_velocity_deg_s,
            )
        self._queue.put(
            _Rows(
                "INSERT INTO oculomotor (recording_id, kind, start_unix_ns, end_unix_ns, "
                "duration_ms, yaw_deg, pitch_deg, amplitude_deg, peak_velocity_deg_s, method) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    recording_id,
                    event.kind.value,
                    event.start_unix_ns,
                    *row,
                    event.method.value,
                ),
            )
        )

    def start(
        self, session_id: str, *, name: str | None, metadata: Mapping[str, Any]
    ) -> tuple[str, concurrent.futures.Future[RecordingInfo]]:
        """Begin a recording now. The id is known at once (rows queued after this call belong
        to it); the future resolves with its info once the start is committed."""
        recording_id = uuid.uuid4().hex
        started_unix_ns = time.time_ns()
        metadata_json = json.dumps(dict(metadata))

        def run(connection: sqlite3.Connection) -> RecordingInfo:
            connection.execute(
                "INSERT INTO recordings (recording_id, session_id, name, state, started_unix_ns, "
                "metadata_json) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    recording_id,
                    session_id,
                    name,
                    RecordingState.RECORDING.value,
                    started_unix_ns,
                    metadata_json,
                ),
            )
            return self._info(connection, recording_id)

        return recording_id, self._submit(run)

    def finish(
        self, recording_id: str, state: RecordingState
    ) -> concurrent.futures.Future[RecordingInfo]:
        """End a recording as ``saved`` or ``cancelled``; a cancelled one keeps no data."""
        stopped_unix_ns = time.time_ns()
        self._frame_size_known.discard(recording_id)

        def run(connection: sqlite3.Connection) -> RecordingInfo:
            if state is RecordingState.CANCELLED:
                for table in ("samples", "events", "blinks", "oculomotor"):
                    connection.execute(
                        f"DELETE FROM {table} WHERE recording_id = ?",
                        (recording_id,),
                    )
            connection.execute(
                "UPDATE recordings SET state = ?, stopped_unix_ns = ? WHERE recording_id = ?",
                (state.value, stopped_unix_ns, recording_id),
            )
            return self._info(connection, recording_id)

        return self._submit(run)

    def get(self, recording_id: str) -> concurrent.futures.Future[RecordingInfo | None]:
        return self._submit(lambda connection: read_recording_info(connection, recording_id))

    def list(self) -> concurrent.futures.Future[list[RecordingInfo]]:
        return self._submit(list_recording_infos)

    # -- the writer thread ---------------------------------------------------------------------

    def _info(self, connection: sqlite3.Connection, recording_id: str) -> RecordingInfo:
        info = read_recording_info(connection, recording_id)
        if info is None:
            raise RecordingError(f"no recording {recording_id!r}")
        return info

    def _submit(self, run: Callable[[sqlite3.Connection], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        if self._thread is None:
            future.set_exception(RecordingError("the recording store is not open"))
            return future
        self._queue.put(_Command(run, future))
        return future

    def _write_loop(self, connection: sqlite3.Connection) -> None:
        uncommitted = 0
        last_commit_s = time.monotonic()
        try:
            while True:
                timeout_s = max(0.0, last_commit_s + self.commit_interval_s - time.monotonic())
                try:
                    item = self._queue.get(timeout=timeout_s) if uncommitted else self._queue.get()
                except queue.Empty:
                    item = None
                if item is _STOP:
                    break
                if isinstance(item, _Rows):
                    connection.execute(item.sql, item.row)
                    uncommitted += 1
                elif isinstance(item, _Command):
                    # Commands commit at once: their answer promises that the data is stored.
                    try:
                        result = item.run(connection)
                        self._commit(connection)
                    except (sqlite3.Error, RecordingError) as exc:
                        item.future.set_exception(exc)
                    else:
                        item.future.set_result(result)
                    uncommitted, last_commit_s = 0, time.monotonic()
                    continue
                if not uncommitted:
                    last_commit_s = time.monotonic()
                elif time.monotonic() - last_commit_s >= self.commit_interval_s:
                    self._commit(connection)
                    uncommitted, last_commit_s = 0, time.monotonic()
        except sqlite3.Error:
            logger.exception("the recordings writer failed; recording stopped")
        finally:
            with contextlib.suppress(sqlite3.Error):
                connection.commit()
            connection.close()

    def _commit(self, connection: sqlite3.Connection) -> None:
        started = time.perf_counter()
        connection.commit()
        self.commit_seconds += time.perf_counter() - started
        self.commits += 1
