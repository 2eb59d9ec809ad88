"""One session's recording: starting, stopping and cancelling it, stamping events, and the rows
that a running recording takes (samples with their blinks, fixations and saccades, calibration
and validation results).

Plain bookkeeping between a session and :class:`~gazertc.recording.store.RecordingStore`; the
store's writer thread does the disk work, so everything here except :meth:`command` returns at
once on the event loop. Every wait on the store is bounded (:func:`store_answer`), and rows the
store could not write are reported to the session (which tells its client), not lost silently.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import av

from gazertc.protocol import ErrorCode, JsonObject, ProtocolError
from gazertc.recording.calibration_reports import METADATA_KEY, CalibrationReport, ReportKind
from gazertc.recording.store import RecordingError, RecordingStore, WriteFailure
from gazertc.records import (
    EventSource,
    FixationEvent,
    FixationPhase,
    OculomotorEvent,
    RecordingActor,
    RecordingInfo,
    RecordingState,
    SampleMessage,
    StoredEvent,
)
from gazertc.server.recording_video import RecordingVideo

__all__ = ["STORE_ANSWER_TIMEOUT_S", "RecordingAction", "SessionRecorder", "store_answer"]

RecordingAction = str
"""``"start"``, ``"stop"`` (save) or ``"cancel"`` (discard), as in the ``recording`` message."""

STORE_ANSWER_TIMEOUT_S: Final = 5.0
"""A command commits in milliseconds and listing a thousand recordings takes well under a
second; a store silent for this long is stuck (a dead disk), and its caller gets an error
instead of waiting for ever."""
REPORT_WRITE_FAILURES_EVERY_S: Final = 5.0
"""A recording's write failures are reported at once, then at most this often with a count: a
disk that refuses every row should give the client a clear message, not thirty a second."""

T = TypeVar("T")


async def store_answer(
    future: concurrent.futures.Future[T],
    what: str,
    *,
    ref_type: str | None = None,
    timeout_s: float = STORE_ANSWER_TIMEOUT_S,
) -> T:
    """Await the answer to a store command (``what``, e.g. ``"stop"``) for at most
    ``timeout_s``. A command whose caller gave up still runs: a late stop still saves.

    Raises:
        ProtocolError: ``internal_error``: the store failed, or did not answer in time.
    """
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)
    except TimeoutError as exc:
        raise ProtocolError(
            ErrorCode.INTERNAL_ERROR,
            f"the recording store did not answer within {timeout_s:g} s ({what})",
            ref_type=ref_type,
        ) from exc
    except RecordingError as exc:
        raise ProtocolError(
            ErrorCode.INTERNAL_ERROR, f"the recording store failed: {exc}", ref_type=ref_type
        ) from exc


class SessionRecorder:
    """The recording of one session, if any runs.

    Args:
        session_id: the session's id (stored with each recording and event).
        store: where recordings are kept; ``None``: this server keeps none.
        host_recording: whether the host may start a recording (``False`` with
            ``--no-host-recording``: only the participant starts them).
        on_write_failure: called on the event loop with a sentence for people when rows of
            the running recording could not be stored (at once, then at most every
            ``REPORT_WRITE_FAILURES_EVERY_S``); the recording goes on.
        on_status: called on the event loop with the running recording's info when it changed
            without a command: its video was lost (``video`` is false from then on).
    """

    def __init__(
        self,
        session_id: str,
        store: RecordingStore | None,
        *,
        host_recording: bool,
        on_write_failure: Callable[[str], None] | None = None,
        on_status: Callable[[RecordingInfo], None] | None = None,
    ) -> None:
        self.session_id = session_id
        self.recording_id: str | None = None
        self._store = store
        self._host_recording = host_recording
        self._on_write_failure = on_write_failure
        self._failures: list[WriteFailure] = []
        self._failures_reported_s = -REPORT_WRITE_FAILURES_EVERY_S
        self._failure_report: asyncio.TimerHandle | None = None
        self._video: RecordingVideo | None = None
        """The running recording's video, when it was started with one."""
        self._on_status = on_status
        self._announcements: set[asyncio.Task[None]] = set()
        self._latest_reports: dict[ReportKind, CalibrationReport] = {}
        """The latest calibration and validation results of the session, for the metadata of
        the next recording."""

    @property
    def available(self) -> bool:
        """Whether this server keeps recordings (it has a data directory)."""
        return self._store is not None

    def stamp_event(
        self, name: str, timestamp_unix_ns: int | None, received_unix_ns: int
    ) -> StoredEvent:
        """Stamp an event (the client's time, else its arrival) and store it in the running
        recording, if any. Returns the event as stored."""
        event = StoredEvent(
            name=name,
            timestamp_unix_ns=received_unix_ns if timestamp_unix_ns is None else timestamp_unix_ns,
            received_unix_ns=received_unix_ns,
            source=EventSource.ARRIVAL if timestamp_unix_ns is None else EventSource.CLIENT,
            session_id=self.session_id,
            recording_id=self.recording_id,
        )
        if self._store is not None and self.recording_id is not None:
            self._store.add_event(event)
        return event

    async def command(
        self,
        action: RecordingAction,
        name: str | None,
        metadata: Mapping[str, Any],
        *,
        by: RecordingActor,
        video: bool = False,
    ) -> RecordingInfo:
        """Start (with ``name`` and ``metadata``, and the camera's video when ``video``), stop
        (and save) or cancel the recording, as asked ``by`` the participant, the host or the
        server.

        Either side may stop or cancel a recording, whoever started it: the participant may
        withdraw from one the host started, data included.

        Raises:
            ProtocolError: ``recording_unavailable`` (the server keeps no recordings),
                ``forbidden`` (the host starts one on a server that does not allow it),
                ``recording_in_progress`` (start while recording), ``not_recording`` (stop or
                cancel without one), ``internal_error`` (the store failed).
        """
        store = self._store
        if store is None:
            raise ProtocolError(
                ErrorCode.RECORDING_UNAVAILABLE,
                "this server keeps no recordings (start it with --data-dir)",
                ref_type="recording",
            )
        if action == "start":
            if by is RecordingActor.HOST and not self._host_recording:
                raise ProtocolError(
                    ErrorCode.FORBIDDEN,
                    "this server records only when the participant starts it "
                    "(gazertc serve --no-host-recording)",
                    ref_type="recording",
                )
            if self.recording_id is not None:
                raise ProtocolError(
                    ErrorCode.RECORDING_IN_PROGRESS,
                    f"recording {self.recording_id} is already running; stop it first",
                    ref_type="recording",
                )
            reports = sorted(self._latest_reports.values(), key=lambda r: r.sent_unix_ns)
            if reports:
                metadata = {**metadata, METADATA_KEY: [report.to_dict() for report in reports]}
            self.recording_id, future = store.start(
                self.session_id, name=name, metadata=metadata, started_by=by, video=video
            )
            self._watch(store, self.recording_id)
            started_unix_ns = store.started_unix_ns(self.recording_id)
            if video and started_unix_ns is not None:  # known from the start call on
                self._video = RecordingVideo(
                    store, self.recording_id, started_unix_ns, self._on_video_failure
                )
        else:
            recording_id = self.recording_id
            if recording_id is None:
                raise ProtocolError(
                    ErrorCode.NOT_RECORDING,
                    f"cannot {action}: no recording is running in this session",
                    ref_type="recording",
                )
            self.recording_id = None
            running_video, self._video = self._video, None
            if running_video is not None and not await running_video.finish(keep=action == "stop"):
                store.set_video(recording_id, False)  # before the finish, whose answer says so
            state = RecordingState.SAVED if action == "stop" else RecordingState.CANCELLED
            future = store.finish(recording_id, state, stopped_by=by)
            try:
                return await store_answer(future, action, ref_type="recording")
            finally:
                # The rows queued before the finish were written (or reported) before it.
                store.unwatch(recording_id)
                self._report_failures(ended=True)
        return await store_answer(future, action, ref_type="recording")

    def on_frame(self, frame: av.VideoFrame, capture_unix_ns: int) -> None:
        """Offer a frame the session's pipeline takes to the running recording's video, if
        any (never blocks)."""
        if self._video is not None:
            self._video.offer(frame, capture_unix_ns)

    def _on_video_failure(self, message: str) -> None:
        """The video was lost: a running recording's new info (``video`` false) is announced
        first, then the failure, which the participant's page shows beside it."""
        recording_id = self.recording_id
        video = self._video
        if video is None or video.recording_id != recording_id or self._store is None:
            self._report_video_failure(message)  # the recording has ended meanwhile
            return
        task = asyncio.get_running_loop().create_task(
            self._announce_video_lost(self._store, video.recording_id, message)
        )
        self._announcements.add(task)
        task.add_done_callback(self._announcements.discard)

    async def _announce_video_lost(
        self, store: RecordingStore, recording_id: str, message: str
    ) -> None:
        try:
            # Served after the queued ``video = 0``: the answer says so.
            info = await store_answer(store.get(recording_id), "get")
        except ProtocolError:
            info = None  # the failure is reported all the same
        if info is not None and self.recording_id == recording_id and self._on_status is not None:
            self._on_status(info)
        self._report_video_failure(message)

    def _report_video_failure(self, message: str) -> None:
        if self._on_write_failure is not None:
            self._on_write_failure(message)

    # -- write failures (reported by the store's writer thread) ---------------------------------

    def _watch(self, store: RecordingStore, recording_id: str) -> None:
        loop = asyncio.get_running_loop()

        def on_failure(failure: WriteFailure) -> None:  # on the writer thread
            with contextlib.suppress(RuntimeError):  # the loop is closed: the server is gone
                loop.call_soon_threadsafe(self._on_failure, failure)

        store.watch(recording_id, on_failure)

    def _on_failure(self, failure: WriteFailure) -> None:
        self._failures.append(failure)
        if self._failure_report is None:
            due_s = self._failures_reported_s + REPORT_WRITE_FAILURES_EVERY_S - time.monotonic()
            loop = asyncio.get_running_loop()
            self._failure_report = loop.call_later(max(0.0, due_s), self._report_failures)

    def _report_failures(self, *, ended: bool = False) -> None:
        if self._failure_report is not None:
            self._failure_report.cancel()
            self._failure_report = None
        failures, self._failures = self._failures, []
        if not failures or self._on_write_failure is None:
            return
        self._failures_reported_s = time.monotonic()
        last = failures[-1]
        rows = sum(failure.rows for failure in failures)
        if rows == 1:
            lost = last.describe()
        else:
            lost = f"{rows} rows not stored; the last: {last.describe()}"
        after = "it ended without them" if ended else "the recording goes on"
        self._on_write_failure(
            f"recording {last.recording_id}: {lost}; {after} (its write_errors count them)"
        )

    # -- sinks ----------------------------------------------------------------------------------

    def on_calibration_message(self, message: JsonObject) -> None:
        """Take a message the session sends: a ``calibration_result`` or ``validation_result``
        is kept as the latest of its kind (for the metadata of the next recording) and stored
        in the running recording, if any; other messages are ignored. A new calibration drops
        the kept validation, which measured the previous one; a fit not applied (poor) changes
        neither."""
        report = CalibrationReport.from_message(message, time.time_ns())
        if report is None:
            return
        if report.kind is ReportKind.CALIBRATION and report.applied:
            self._latest_reports.pop(ReportKind.VALIDATION, None)
        if report.applied:
            self._latest_reports[report.kind] = report
        if self._store is not None and self.recording_id is not None:
            self._store.add_calibration_report(self.recording_id, report)

    def on_sample(self, message: SampleMessage, text: str) -> None:
        """Queue a sample (and its blink events) while a recording runs, unless its frame was
        captured before the recording started (it would have a negative time in the exports)."""
        store, recording_id = self._store, self.recording_id
        if store is None or recording_id is None:
            return
        started_unix_ns = store.started_unix_ns(recording_id)
        if started_unix_ns is not None and message.sample.timestamp_unix_ns < started_unix_ns:
            return
        store.add_sample(recording_id, message, text)

    def on_oculomotor(self, event: OculomotorEvent) -> None:
        """Queue a finished fixation (its ``end``) or a saccade while a recording runs."""
        if self._store is None or self.recording_id is None:
            return
        if isinstance(event, FixationEvent) and event.phase is not FixationPhase.END:
            return
        self._store.add_oculomotor(self.recording_id, event)
