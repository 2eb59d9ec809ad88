"""The recordings' writer thread: rows and commands in through a queue, the database out
(SQLite or PostgreSQL, through :class:`~gazertc.recording.backend.Connection`).

:class:`~gazertc.recording.store.RecordingStore` queues :class:`RowWrite` items (a sample, an
event, a blink ...) and :class:`Command` items (start, stop, list ...); :class:`Writer` owns the
connection and serves the queue on its own thread until it gets :data:`STOP`.

Nothing a row or a command brings can end the thread (a value SQLite cannot store, a full
disk, a bug in a command); each failure costs only what it touches:

- a row that cannot be written is lost alone: it is counted in its recording's
  ``write_errors`` and reported to the recording's watcher (the session, which tells its
  client);
- when a commit fails (or a failing row takes the open transaction with it: a full disk, an
  I/O error), the rows written since the last commit are lost, counted and reported per
  recording in the same way;
- a command that fails rolls back its own writes and fails its future with
  :class:`~gazertc.recording.store.RecordingError`; rows queued before it were committed first,
  so they are not at stake.

The watcher is called on the writer thread: it must only hand the failure over (e.g. with
``loop.call_soon_threadsafe``).

On PostgreSQL rows are sent in batches, one round trip per commit (a round trip per row would
cost more than the row): a batch the server refuses is rolled back alone and its rows are sent
again one at a time, so that only the row at fault is lost, as above.

A lost connection (a PostgreSQL server restarted, a network cut) is opened again with
``reconnect``, at most every :data:`RECONNECT_INTERVAL_S`; rows that arrive meanwhile are lost
and counted as above, their counts written once the database is back.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from gazertc.errors import GazertcError
from gazertc.recording.backend import DATABASE_ERRORS, Connection

__all__ = ["STOP", "Command", "RowWrite", "WriteFailure", "Writer"]

logger = logging.getLogger(__name__)

STOP: Final = object()
"""Queued last: the writer commits what it has and returns."""
RECONNECT_INTERVAL_S: Final = 1.0
"""Between attempts to reach a lost database: each may block the writer for the connect
timeout, and rows arriving meanwhile wait in the queue."""


@dataclass(frozen=True, slots=True)
class RowWrite:
    """One statement writing one row of a recording; ``what`` names it for people
    (``"event 'onset'"``)."""

    recording_id: str
    what: str
    sql: str
    row: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Command:
    """Work that needs an answer: ``run`` on the writer thread, committed at once, its result
    (or a ``RecordingError``) in ``future``."""

    run: Callable[[Connection], Any]
    future: concurrent.futures.Future[Any]


@dataclass(frozen=True, slots=True)
class WriteFailure:
    """``rows`` rows of a recording that were not stored, and why."""

    recording_id: str
    rows: int
    what: str
    reason: str

    def describe(self) -> str:
        """For people, e.g. ``event 'onset': not stored (OverflowError: ...)``."""
        return f"{self.what}: not stored ({self.reason})"


Watcher = Callable[[WriteFailure], None]


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Writer:
    """Serves a recordings queue on one connection (run :meth:`run` on its own thread).

    Args:
        connection: usable from the writer's thread; closed when :meth:`run` returns.
        items: the queue the store fills.
        commit_interval_s: longest time rows wait before they are committed.
        error_type: what a failed command's future gets (the store's ``RecordingError``).
        reconnect: opens a new connection when the one in use is lost (``None``: never).
    """

    def __init__(
        self,
        connection: Connection,
        items: queue.SimpleQueue[object],
        *,
        commit_interval_s: float,
        error_type: type[GazertcError],
        reconnect: Callable[[], Connection] | None = None,
    ) -> None:
        self._connection = connection
        self._reconnect = reconnect
        self._last_reconnect_s = -RECONNECT_INTERVAL_S
        self._uncounted: Counter[str] = Counter()
        """Lost rows per recording whose count could not be written (the connection was
        lost): written once it is back."""
        self._items = items
        self._commit_interval_s = commit_interval_s
        self._error_type = error_type
        self._watchers: dict[str, Watcher] = {}
        self._watchers_lock = threading.Lock()
        self._uncommitted: Counter[str] = Counter()
        """Rows written since the last commit, per recording."""
        self._batch: list[RowWrite] = []
        """Rows not sent yet (a connection that batches rows): sent before each commit."""
        self._dirty = False
        """Something was written since the last commit (rows, or failure counts)."""
        self.commits = 0
        self.commit_seconds = 0.0
        self.rows_lost = 0

    def watch(self, recording_id: str, watcher: Watcher) -> None:
        """Call ``watcher`` (on the writer thread) for each failure to store rows of the
        recording, until :meth:`unwatch`."""
        with self._watchers_lock:
            self._watchers[recording_id] = watcher

    def unwatch(self, recording_id: str) -> None:
        with self._watchers_lock:
            self._watchers.pop(recording_id, None)

    def run(self) -> None:
        """Serve the queue until :data:`STOP`; then commit and close the connection."""
        last_commit_s = time.monotonic()
        try:
            while True:
                if self._dirty:
                    wait_s = max(0.0, last_commit_s + self._commit_interval_s - time.monotonic())
                    try:
                        item = self._items.get(timeout=wait_s)
                    except queue.Empty:
                        item = None
                else:
                    item = self._items.get()
                    last_commit_s = time.monotonic()
                if item is STOP:
                    return
                try:
                    if isinstance(item, RowWrite):
                        self._write(item)
                    elif isinstance(item, Command):
                        self._command(item)
                        last_commit_s = time.monotonic()
                        continue
                    if self._dirty and time.monotonic() - last_commit_s >= self._commit_interval_s:
                        self._commit()
                        last_commit_s = time.monotonic()
                # The thread is the only way to the disk: nothing may end it. _write and
                # _command account for their own failures; this is a last resort for a bug.
                except Exception:
                    logger.exception("the recordings writer failed on %r; carrying on", item)
        finally:
            with contextlib.suppress(Exception):
                self._commit()
            self._connection.close()

    # -- rows -----------------------------------------------------------------------------------

    def _reconnect_if_lost(self) -> None:
        if not self._connection.broken or self._reconnect is None:
            return
        now_s = time.monotonic()
        if now_s - self._last_reconnect_s < RECONNECT_INTERVAL_S:
            return
        self._last_reconnect_s = now_s
        try:
            connection = self._reconnect()
        except Exception as exc:  # whatever connecting raises, the writer goes on
            logger.warning("the recordings database is still unreachable: %s", exc)
            return
        if self._uncommitted:  # gone with the lost connection's transaction
            self._lost_uncommitted(ConnectionError("the database connection was lost"))
        with contextlib.suppress(Exception):
            self._connection.close()
        self._connection = connection
        logger.warning("the recordings database is reachable again")
        uncounted, self._uncounted = self._uncounted, Counter()
        for recording_id, count in uncounted.items():
            self._count_lost(recording_id, count)

    def _count_lost(self, recording_id: str, count: int) -> None:
        """Add ``count`` to the recording's ``write_errors`` (later, if the database is away)."""
        try:
            if not self._connection.broken:
                self._connection.execute(
                    "UPDATE recordings SET write_errors = write_errors + ? WHERE recording_id = ?",
                    (count, recording_id),
                )
                self._dirty = True
                return
        except DATABASE_ERRORS:
            if not self._connection.broken:
                logger.exception("recording %s: the write errors were not counted", recording_id)
                return
        self._uncounted[recording_id] += count

    def _write(self, item: RowWrite) -> None:
        self._reconnect_if_lost()
        connection = self._connection
        if connection.batches_rows:
            try:
                connection.check_values(item.row)
            except (OverflowError, ValueError) as exc:
                self._lost({item.recording_id: 1}, item.what, exc)
                return
            self._batch.append(item)
            self._dirty = True
            return
        try:
            connection.execute(item.sql, item.row)
        # Any value may arrive here (an integer beyond 64 bits, a type SQLite cannot bind,
        # a constraint): the row is lost, counted and reported, and the writer goes on.
        except Exception as exc:
            if self._uncommitted and not connection.in_transaction:
                # The error rolled the open transaction back (a full disk, an I/O error).
                self._lost_uncommitted(exc)
            self._lost({item.recording_id: 1}, item.what, exc)
            return
        self._uncommitted[item.recording_id] += 1
        self._dirty = True

    def _send_batch(self) -> None:
        """Send the batched rows together; when that fails, one at a time (the failing ones are
        lost alone)."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        statements = [(item.sql, item.row) for item in batch]
        try:
            self._connection.execute_together(statements)
        except DATABASE_ERRORS:
            # A lost connection took none of the batch: once connected again, send it again.
            self._reconnect_if_lost()
            try:
                self._connection.execute_together(statements)
            except DATABASE_ERRORS:
                for item in batch:
                    self._send_alone(item)
                return
        for item in batch:
            self._uncommitted[item.recording_id] += 1

    def _send_alone(self, item: RowWrite) -> None:
        try:
            self._connection.execute_together([(item.sql, item.row)])
        # As in _write: whatever the row brings costs that row only.
        except Exception as exc:
            self._lost({item.recording_id: 1}, item.what, exc)
            return
        self._uncommitted[item.recording_id] += 1

    def _commit(self) -> None:
        """Commit what was written; when that fails, count and report the rows lost."""
        if not self._dirty:
            return
        started = time.perf_counter()
        self._send_batch()
        try:
            self._connection.commit()
        except Exception as exc:
            with contextlib.suppress(Exception):
                self._connection.rollback()
            self._lost_uncommitted(exc)
            with contextlib.suppress(Exception):
                self._connection.commit()  # the failure counts, when the disk takes them
            self._dirty = False
            return
        self.commit_seconds += time.perf_counter() - started
        self.commits += 1
        self._uncommitted.clear()
        self._dirty = False

    def _lost_uncommitted(self, exc: BaseException) -> None:
        lost, self._uncommitted = self._uncommitted, Counter()
        for recording_id, rows in lost.items():
            self._lost({recording_id: rows}, f"{rows} row(s) written since the last commit", exc)

    def _lost(self, rows: dict[str, int], what: str, exc: BaseException) -> None:
        """Count rows that were not stored against their recordings, and tell the watchers."""
        reason = _reason(exc)
        for recording_id, count in rows.items():
            self.rows_lost += count
            logger.error("recording %s: %s: not stored (%s)", recording_id, what, reason)
            self._count_lost(recording_id, count)
            with self._watchers_lock:
                watcher = self._watchers.get(recording_id)
            if watcher is None:
                continue
            try:
                watcher(WriteFailure(recording_id, count, what, reason))
            except Exception:
                logger.exception("the watcher of recording %s failed", recording_id)

    # -- commands -------------------------------------------------------------------------------

    def _command(self, item: Command) -> None:
        """Run a command in a transaction of its own and commit it at once: its answer promises
        that the data is stored."""
        self._reconnect_if_lost()
        self._commit()  # rows queued before the command do not share its fate
        try:
            result = item.run(self._connection)
            started = time.perf_counter()
            self._connection.commit()
            self.commit_seconds += time.perf_counter() - started
            self.commits += 1
        # Whatever a command raises becomes its caller's error; the writer goes on.
        except Exception as exc:
            with contextlib.suppress(Exception):
                self._connection.rollback()
            error = exc if isinstance(exc, self._error_type) else self._error_type(_reason(exc))
            _settle(item.future, error=error)
        else:
            _settle(item.future, result=result)
        self._dirty = False


def _settle(
    future: concurrent.futures.Future[Any],
    *,
    result: Any = None,
    error: BaseException | None = None,
) -> None:
    """Resolve a command's future, unless its caller gave up on it (cancelled it, e.g. on a
    timeout): the command ran all the same."""
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
