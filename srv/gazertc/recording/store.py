"""Recordings in one database: SQLite (``recordings.sqlite3`` in the data directory, WAL mode)
or PostgreSQL shared by the nodes of a cluster (:mod:`gazertc.recording.backend`).

One writer thread owns the connection (:mod:`gazertc.recording.writer`). The event loop hands
it rows through a queue (a ``put`` costs microseconds) and never waits on the disk; the thread
commits at least every ``commit_interval_s``, so a server killed outright loses at most that
much of a recording. Commands that need an answer (start, stop, list, get) return a
``concurrent.futures.Future`` resolved after their commit; ``asyncio.wrap_future`` awaits it on
the loop. A row that cannot be stored is lost alone, counted in its recording's
``write_errors`` and reported to the recording's watcher (:meth:`RecordingStore.watch`); the
thread serves the other rows and recordings on.

Recordings are personal data: the directory the store creates is private to its owner (0700)
and the database with its ``-wal`` and ``-shm`` files is 0600, whatever the umask. Video
files stay in the node's data directory whichever database holds the rows.

A recording still marked ``recording`` when the store opens belonged to a server that died:
it becomes ``incomplete``, with everything committed before the crash. In a database shared by
several nodes only this node's are (``node_name``): the others' are still being recorded.

Times are ns since the Unix epoch on the server's clock.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

from gazertc.recording.backend import (
    DATABASE_ERRORS,
    Connection,
    Database,
    DatabaseUnavailableError,
    Dialect,
    SqliteDatabase,
)
from gazertc.recording.calibration_reports import CalibrationReport
from gazertc.recording.database import (
    DATABASE_NAME,
    DATABASE_SUFFIXES,
    RecordingError,
    connect_read_only,
    create_tables,
    list_recording_infos,
    read_recording_info,
)
from gazertc.recording.private import make_private, private_directory
from gazertc.recording.writer import STOP, Command, RowWrite, WriteFailure, Writer
from gazertc.records import (
    FixationEvent,
    OculomotorEvent,
    RecordingActor,
    RecordingInfo,
    RecordingState,
    SampleMessage,
    StoredEvent,
)

__all__ = [
    "DATABASE_NAME",
    "RecordingError",
    "RecordingStore",
    "WriteFailure",
    "connect_read_only",
    "list_recording_infos",
    "read_recording_info",
]

logger = logging.getLogger(__name__)

DEFAULT_COMMIT_INTERVAL_S: Final = 0.25
"""Half the brief's 0.5 s bound, so a killed server loses at most a quarter second plus the
time a commit takes."""
CLOSE_TIMEOUT_S: Final = 1.0
"""How long :meth:`RecordingStore.close` waits for the writer to commit what is queued (a
commit takes milliseconds); a writer stuck on a dead disk is left behind (a daemon thread), so
a server shutdown stays within its 5 s."""
T = TypeVar("T")


def _private_database(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it (SQLite would make it 0644 less
    the umask; its -wal and -shm files copy the database's mode), and make existing ones
    0600."""
    make_private(path)
    for suffix in DATABASE_SUFFIXES[1:]:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            make_private(companion)


def _sample_row(recording_id: str, message: SampleMessage, text: str) -> RowWrite:
    sample = message.sample
    gaze = sample.gaze
    return RowWrite(
        recording_id,
        f"sample of frame {message.timing.frame_id}",
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
        data_dir: created when missing; holds the videos, and ``recordings.sqlite3`` unless
            ``database`` says otherwise.
        commit_interval_s: longest time rows wait in memory before they are committed.
        database: where the rows go (default: SQLite in ``data_dir``); see
            :func:`gazertc.recording.backend.open_database`.
        node_name: this server's name, kept with each recording it starts; in a shared
            database a restart marks only this node's recordings incomplete. Default: the
            host's name.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        commit_interval_s: float = DEFAULT_COMMIT_INTERVAL_S,
        database: Database | None = None,
        node_name: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.commit_interval_s = commit_interval_s
        self.database = database or SqliteDatabase(data_dir)
        self.node_name = node_name or socket.gethostname()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._writer: Writer | None = None
        self._frame_size_known: set[str] = set()
        self._started_unix_ns: dict[str, int] = {}
        """The running recordings' starts."""

    @property
    def path(self) -> Path:
        return self.data_dir / DATABASE_NAME

    @property
    def commits(self) -> int:
        """Commits made by the writer so far."""
        return 0 if self._writer is None else self._writer.commits

    @property
    def commit_seconds(self) -> float:
        """Time the writer spent committing so far, in seconds."""
        return 0.0 if self._writer is None else self._writer.commit_seconds

    @property
    def rows_lost(self) -> int:
        """Rows that could not be stored so far (each counted in its recording)."""
        return 0 if self._writer is None else self._writer.rows_lost

    def started_unix_ns(self, recording_id: str) -> int | None:
        """When a running recording started (``None`` for one not running): a frame captured
        earlier is not part of it."""
        return self._started_unix_ns.get(recording_id)

    def watch(self, recording_id: str, watcher: Callable[[WriteFailure], None]) -> None:
        """Call ``watcher`` for each failure to store rows of a recording (on the writer
        thread: it must only hand the failure over, e.g. with ``call_soon_threadsafe``)."""
        if self._writer is not None:
            self._writer.watch(recording_id, watcher)

    def unwatch(self, recording_id: str) -> None:
        """Stop calling the recording's watcher (safe when there is none)."""
        if self._writer is not None:
            self._writer.unwatch(recording_id)

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
            private_directory(self.data_dir)
            if self.database.dialect is Dialect.SQLITE:
                _private_database(self.path)
            connection = self.database.connect()
        except DatabaseUnavailableError as exc:
            raise RecordingError(str(exc)) from exc
        except OSError as exc:
            raise RecordingError(f"cannot open the recordings in {self.data_dir}: {exc}") from exc
        try:
            stale = self._prepare(connection)
        except (OSError, *DATABASE_ERRORS) as exc:
            connection.close()
            raise RecordingError(
                f"cannot open the recordings in {self.database.description}: {exc}"
            ) from exc
        if stale:
            logger.warning("recordings left incomplete by a previous server: %s", stale)
        self._writer = Writer(
            connection,
            self._queue,
            commit_interval_s=self.commit_interval_s,
            error_type=RecordingError,
            reconnect=self.database.connect,
        )
        self._thread = threading.Thread(
            target=self._writer.run, name="gazertc-recordings", daemon=True
        )
        self._thread.start()
        return stale

    def _prepare(self, connection: Connection) -> list[str]:
        """Set the database up and mark the recordings of this node's dead server incomplete;
        returns their ids."""
        if connection.dialect is Dialect.SQLITE:
            connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit survives the process being killed (the OS has the pages);
            # only a power cut may lose the last commits.
            connection.execute("PRAGMA synchronous=NORMAL")
        create_tables(connection)
        # SQLite's file belongs to one server (whatever its name was); a shared database's
        # recordings of other nodes are still running.
        mine_params: tuple[str, ...]
        if connection.dialect is Dialect.SQLITE:
            mine, mine_params = "", ()
        else:
            mine, mine_params = " AND node_name = ?", (self.node_name,)
        stale = [
            row[0]
            for row in connection.execute(
                "SELECT recording_id FROM recordings WHERE state = ?" + mine,
                (RecordingState.RECORDING.value, *mine_params),
            )
        ]
        connection.execute(
            "UPDATE recordings SET state = ?, stopped_by = ? WHERE state = ?" + mine,
            (
                RecordingState.INCOMPLETE.value,
                RecordingActor.SERVER.value,
                RecordingState.RECORDING.value,
                *mine_params,
            ),
        )
        connection.commit()
        return stale

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Commit what is queued and stop the writer thread (blocks up to ``timeout_s``;
        idempotent). A writer that does not finish in time is logged and left behind."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(STOP)
        thread.join(timeout_s)
        if thread.is_alive():
            logger.error("the recordings writer did not finish within %.1f s", timeout_s)
        self._thread = None

    # -- from the event loop: never blocks -----------------------------------------------------

    def add_sample(self, recording_id: str, message: SampleMessage, text: str) -> None:
        """Queue one sample (the typed message and its full text, landmarks included even when
        the client asked for none) and its blink events."""
        sample = message.sample
        self._queue.put(_sample_row(recording_id, message, text))
        if recording_id not in self._frame_size_known:
            self._frame_size_known.add(recording_id)
            self._queue.put(
                RowWrite(
                    recording_id,
                    "frame size",
                    "UPDATE recordings SET frame_width_px = ?, frame_height_px = ? "
                    "WHERE recording_id = ?",
                    (sample.frame_width_px, sample.frame_height_px, recording_id),
                )
            )
        for blink in sample.blink_events:
            self._queue.put(
                RowWrite(
                    recording_id,
                    f"blink {blink.phase.value}",
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
            RowWrite(
                event.recording_id,
                f"event {event.name!r}",
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

    def set_video(self, recording_id: str, video: bool) -> None:
        """Queue whether the recording has a video file (``False``: its video was lost)."""
        self._queue.put(
            RowWrite(
                recording_id,
                "video flag",
                "UPDATE recordings SET video = ? WHERE recording_id = ?",
                (int(video), recording_id),
            )
        )

    def add_calibration_report(self, recording_id: str, report: CalibrationReport) -> None:
        """Queue a calibration or validation result sent while the recording runs."""
        self._queue.put(
            RowWrite(
                recording_id,
                report.kind.value,
                "INSERT INTO calibration_reports (recording_id, type, sent_unix_ns, report_json) "
                "VALUES (?, ?, ?, ?)",
                (
                    recording_id,
                    report.kind.value,
                    report.sent_unix_ns,
                    json.dumps(report.to_dict()),
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
            RowWrite(
                recording_id,
                event.kind.value,
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
        self,
        session_id: str,
        *,
        name: str | None,
        metadata: Mapping[str, Any],
        started_by: RecordingActor = RecordingActor.PARTICIPANT,
        video: bool = False,
    ) -> tuple[str, concurrent.futures.Future[RecordingInfo]]:
        """Begin a recording now, started by ``started_by`` (the participant or the host), with
        its camera video stored when ``video`` (see :meth:`set_video`). The id is known at once
        (rows queued after this call belong to it); the future resolves with its info once the
        start is committed."""
        recording_id = uuid.uuid4().hex
        started_unix_ns = time.time_ns()
        self._started_unix_ns[recording_id] = started_unix_ns
        metadata_json = json.dumps(dict(metadata))

        def run(connection: Connection) -> RecordingInfo:
            connection.execute(
                "INSERT INTO recordings (recording_id, session_id, name, state, started_unix_ns, "
                "metadata_json, started_by, video, node_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    recording_id,
                    session_id,
                    name,
                    RecordingState.RECORDING.value,
                    started_unix_ns,
                    metadata_json,
                    started_by.value,
                    int(video),
                    self.node_name,
                ),
            )
            return self._info(connection, recording_id)

        return recording_id, self._submit(run)

    def finish(
        self,
        recording_id: str,
        state: RecordingState,
        *,
        stopped_by: RecordingActor = RecordingActor.PARTICIPANT,
    ) -> concurrent.futures.Future[RecordingInfo]:
        """End a recording as ``saved`` or ``cancelled``, by ``stopped_by``; a cancelled one
        keeps no data."""
        stopped_unix_ns = time.time_ns()
        self._frame_size_known.discard(recording_id)
        self._started_unix_ns.pop(recording_id, None)

        def run(connection: Connection) -> RecordingInfo:
            if state is RecordingState.CANCELLED:
                for table in ("samples", "events", "blinks", "oculomotor", "calibration_reports"):
                    connection.execute(
                        f"DELETE FROM {table} WHERE recording_id = ?",
                        (recording_id,),
                    )
                connection.execute(  # its video file is deleted too
                    "UPDATE recordings SET video = 0 WHERE recording_id = ?", (recording_id,)
                )
            connection.execute(
                "UPDATE recordings SET state = ?, stopped_unix_ns = ?, stopped_by = ? "
                "WHERE recording_id = ?",
                (state.value, stopped_unix_ns, stopped_by.value, recording_id),
            )
            return self._info(connection, recording_id)

        return self._submit(run)

    def get(self, recording_id: str) -> concurrent.futures.Future[RecordingInfo | None]:
        return self._submit(lambda connection: read_recording_info(connection, recording_id))

    def list(self) -> concurrent.futures.Future[list[RecordingInfo]]:
        return self._submit(list_recording_infos)

    # -- the writer thread ---------------------------------------------------------------------

    def _info(self, connection: Connection, recording_id: str) -> RecordingInfo:
        info = read_recording_info(connection, recording_id)
        if info is None:
            raise RecordingError(f"no recording {recording_id!r}")
        return info

    def _submit(self, run: Callable[[Connection], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        if self._thread is None:
            future.set_exception(RecordingError("the recording store is not open"))
            return future
        self._queue.put(Command(run, future))
        return future
