"""One client: its settings, messages, frame pipeline and status reports, over a
:class:`~gazertc.server.transport.Transport` (WebRTC or WebSocket).

Lifecycle (:class:`SessionState`)::

    CONNECTING ──first processed frame──▶ LIVE
        │                                  │
        └──────────────┬───────────────────┘
                       ▼  connection failed/closed, message channel closed, frames ended,
                    CLOSING   idle timeout, no connection in time, worker crash, server shutdown
                       ▼
                    CLOSED    (the registry forgets it)

:meth:`Session.close` is idempotent and may be called from anywhere, including the session's own
event handlers: those schedule it as a separate task so that it never cancels its caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, Final

import av

import gazertc
from gazertc import protocol
from gazertc.errors import InputError
from gazertc.protocol import ErrorCode, JsonObject, OutputMode, ProtocolError
from gazertc.recording.store import RecordingStore
from gazertc.records import (
    OculomotorEvent,
    RecordingActor,
    RecordingInfo,
    StoredEvent,
    VideoState,
)
from gazertc.server.bounded_wait import finish_within
from gazertc.server.calibration_flow import CalibrationFlow
from gazertc.server.jpeg_frames import InvalidFrameError
from gazertc.server.lsl import LslLink, LslPublisher
from gazertc.server.pool import (
    FrameRejectedError,
    FrameTooLargeError,
    PoolClosedError,
    ProcessedFrame,
    WorkerCrashedError,
    WorkerPool,
)
from gazertc.server.session_recording import RecordingAction, SessionRecorder
from gazertc.server.session_settings import SessionConfig, SessionLimits, SessionState
from gazertc.server.sinks import FixationSink, SampleSink
from gazertc.server.status import StatusWindow
from gazertc.server.thumbnails import CameraThumbnail
from gazertc.server.trace import GazeTrace
from gazertc.server.tracks import FrameSource, VideoPipeline
from gazertc.server.transport import Transport
from gazertc.vision.gaze_tracking import gaze_tracking_fields

__all__ = ["Session"]

logger = logging.getLogger(__name__)

TICK_S: Final = 0.1
"""Granularity of status reports and the idle check."""
DRAIN_TIMEOUT_S: Final = 0.5
"""How long a closing session waits for its last messages to leave."""
CLOSE_STEP_TIMEOUT_S: Final = 2.0
"""A step of closing (the cancelled tasks ending, the transport closing) that takes longer is
abandoned with a warning: whatever is stuck, the session closes and leaves the registry."""
REPEAT_ERROR_AFTER_S: Final = 5.0
"""The same frame error is reported at most this often: a client sending oversized frames at
30 fps should get a clear message, not a flood."""


class Session:
    """One client: created when its offer (or WebSocket) is accepted, closed once.

    Args:
        session_id: 32 hex digits; names the session, grants nothing.
        secret: the participant's credential for this session's HTTP routes (see
            :mod:`gazertc.server.access`); only the ``/offer`` answer (or the WebSocket's
            ``session`` message) carries it.
        transport: the connection to the client, not started yet (the session starts it).
        pool: the worker pool (running).
        limits: server limits.
        config: the client's initial settings.
        on_closed: called once when the session is closed.
        recordings: where recordings are kept; ``None``: this server keeps none.
        host_recording: whether the host may start a recording of this session.
        lsl: publishes the session on Lab Streaming Layer outlets; ``None``: no LSL.
    """

    def __init__(
        self,
        session_id: str,
        transport: Transport,
        *,
        pool: WorkerPool,
        limits: SessionLimits,
        config: SessionConfig,
        on_closed: Callable[[Session], None],
        secret: str,
        host_recording: bool,
        recordings: RecordingStore | None = None,
        lsl: LslPublisher | None = None,
    ) -> None:
        self.session_id = session_id
        self.secret = secret
        self.state = SessionState.CONNECTING
        self.started_unix_ns = time.time_ns()
        self.config = config
        self.transport = transport
        self.video_available = transport.video_available
        self.samples_dropped = 0
        self.trace = GazeTrace()
        self.calibration = CalibrationFlow()
        self.thumbnail = CameraThumbnail()
        self.thumbnail.share(config.share_thumbnail)  # the offer's options may opt in
        self.recorder = SessionRecorder(
            session_id,
            recordings,
            host_recording=host_recording,
            on_write_failure=self._on_recording_write_failure,
            on_status=lambda info: self._send(protocol.make_recording_status(info)),
        )
        self._pool = pool
        self._limits = limits
        self._on_closed = on_closed
        self._pipeline: VideoPipeline | None = None
        self._video_state = VideoState.WAITING
        self._status = StatusWindow()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed: asyncio.Future[None] | None = None
        self._last_activity_s = time.monotonic()
        self.close_reason: str | None = None
        self.close_step = "not closing"  # what close() awaits: logged when a shutdown runs late
        self._frames_seen = 0
        self._last_error: tuple[str, float] | None = None
        self._previous_face_found = False
        self._fixations = FixationSink(session_id, [self, self.recorder])
        self._sample_sinks: list[SampleSink] = [self.trace, self._fixations, self.recorder]
        self._lsl = None if lsl is None else LslLink(lsl, session_id, self._sample_sinks.append)
        transport.start(self)
        self._start(self._tick())

    @property
    def recording_id(self) -> str | None:
        """The running recording, if any."""
        return self.recorder.recording_id

    @property
    def recordings_available(self) -> bool:
        """Whether this server keeps recordings (it has a data directory)."""
        return self.recorder.available

    # -- transport events (see TransportEvents) --------------------------------------------

    def on_frames(self, frames: FrameSource) -> None:
        if self._closed is not None or self._pipeline is not None:
            frames.stop()
            return
        self._pipeline = VideoPipeline(
            self.session_id,
            frames,
            self._pool,
            wants_annotation=lambda: self.video_available and self.config.output.sends_video,
            on_result=self._on_result,
            on_rejected=self._on_rejected,
            on_restarted=self._on_pipeline_restarted,
            on_frame=self._on_frame,
        )
        self._start(self._run_pipeline(self._pipeline))

    def _on_frame(self, frame: av.VideoFrame, capture_unix_ns: int) -> None:
        """Each frame taken: kept by the recording's video and the thumbnail only if asked."""
        self.recorder.on_frame(frame, capture_unix_ns)
        self.thumbnail.offer(frame)

    def on_transport_closed(self, reason: str) -> None:
        self.close_soon(reason)

    def on_channel_open(self) -> None:
        self._touch()
        self._send_config()

    def on_invalid_text(self) -> None:
        self._send(
            protocol.make_error(
                ErrorCode.INVALID_JSON, "message: not valid JSON: a text frame not UTF-8"
            )
        )

    # -- client messages ---------------------------------------------------------------------

    def on_message(self, data: str | bytes) -> None:
        """One client message, called from the transport's receive loop (aiortc's SCTP loop,
        the WebSocket's reader): an exception raised here would end that loop and with it the
        session, so whatever goes wrong with a message is answered with an ``error`` and
        logged, never raised."""
        self._touch()
        received_unix_ns = time.time_ns()
        try:
            message = protocol.parse_client_message(data, max_bytes=self._limits.max_message_bytes)
        except ProtocolError as exc:
            logger.info("session %s: %s", self.session_id, exc.message)
            self._send(protocol.error_from(exc))
            return
        try:
            self._dispatch(message, received_unix_ns)
        except Exception:  # the data channel's boundary (see above); logged with its traceback
            self._report_failure(str(message["type"]))

    def _report_failure(self, message_type: str) -> None:
        logger.exception("session %s: handling a %s message failed", self.session_id, message_type)
        self._send(
            protocol.make_error(
                ErrorCode.INTERNAL_ERROR,
                f"the server failed to handle this {message_type} message (a bug: its log says "
                "more); the session goes on",
                ref_type=message_type,
            )
        )

    def _dispatch(self, message: JsonObject, received_unix_ns: int) -> None:
        message_type = message["type"]
        if message_type == "ping":
            self._send(protocol.make_pong(message, received_unix_ns, time.time_ns()))
        elif message_type == "hello":
            self._apply(message.get("config", {}), "hello")
            self._send_config()
        elif message_type == "config":
            self._apply({k: v for k, v in message.items() if k not in {"v", "type"}}, "config")
            self._send_config()
        elif message_type == "event":
            event = self.record_event(
                message["name"], message.get("timestamp_unix_ns"), received_unix_ns
            )
            self._send(protocol.make_event_ack(event))
        elif message_type == "recording":
            video = bool(message.get("video", False))
            self._start(self._answer_recording(message["action"], message.get("name"), video=video))
        elif message_type in protocol.CALIBRATION_CLIENT_MESSAGE_TYPES:
            self._start(self._answer_calibration(message, received_unix_ns))
        # A pong answers a server ping; the server sends none yet, so there is nothing to do.

    def _apply(self, options: Mapping[str, Any], message_type: str) -> None:
        options = dict(options)
        options.pop("session_id", None)
        options.pop("video_available", None)
        wanted = options.get("output")
        if wanted is not None and OutputMode(wanted).sends_video and not self.video_available:
            options.pop("output")
            self._send(
                protocol.make_error(
                    ErrorCode.VIDEO_UNAVAILABLE,
                    f"output {wanted!r} needs annotated video, but "
                    f"{self.transport.video_unavailable_reason}; output stays "
                    f"{self.config.output.value!r}",
                    ref_type=message_type,
                )
            )
        try:
            self.config = self.config.updated(options)
        except InputError as exc:
            self._send(
                protocol.make_error(ErrorCode.INVALID_MESSAGE, str(exc), ref_type=message_type)
            )
            return
        self.thumbnail.share(self.config.share_thumbnail)
        if "screen" in options:
            discarded = self.calibration.screen_changed(self.config.screen)
            if discarded is not None:
                self._send(discarded)
            for notice in self.calibration.take_notices():
                self._send(notice)

    # -- events and recordings ---------------------------------------------------------------

    def record_event(
        self, name: str, timestamp_unix_ns: int | None, received_unix_ns: int | None = None
    ) -> StoredEvent:
        """Stamp an event (the client's time, else its arrival), store it in the running
        recording, if any, and mark it on LSL. Returns the event as stored."""
        received_unix_ns = received_unix_ns if received_unix_ns is not None else time.time_ns()
        event = self.recorder.stamp_event(name, timestamp_unix_ns, received_unix_ns)
        if self._lsl is not None:
            self._lsl.on_event(event)
        return event

    async def recording_command(
        self,
        action: RecordingAction,
        name: str | None = None,
        *,
        by: RecordingActor,
        video: bool = False,
    ) -> RecordingInfo:
        """Start (with the camera's video stored when ``video``), stop (and save) or cancel
        this session's recording, as asked ``by`` the participant, the host or the server, and
        tell the participant (``recording_status``, which says whether video is stored),
        whoever asked: a participant always knows when it is being recorded.

        Raises:
            ProtocolError: ``recording_unavailable`` for a start while the message channel is
                not open (the participant could not be told); the errors of
                :meth:`SessionRecorder.command`.
        """
        channel = self.transport.channel
        if action == "start" and (channel is None or not channel.is_open):
            raise ProtocolError(
                ErrorCode.RECORDING_UNAVAILABLE,
                "the participant's page is not connected yet (no open data channel), so it "
                "could not show that it is recorded; start once it is",
                ref_type="recording",
            )
        metadata: JsonObject = {
            "software_version": gazertc.__version__,
            "protocol_version": protocol.PROTOCOL_VERSION,
            "fixation_detector": self._fixations.settings.to_dict(),
            **self.config.recording_metadata(),
        }
        info = await self.recorder.command(action, name, metadata, by=by, video=video)
        self._send(protocol.make_recording_status(info))
        return info

    def _on_recording_write_failure(self, message: str) -> None:
        """Rows of the running recording were not stored: the client hears of it (the
        recording goes on)."""
        self._send(
            protocol.make_error(ErrorCode.RECORDING_WRITE_FAILED, message, ref_type="recording")
        )

    async def _answer_recording(
        self, action: RecordingAction, name: str | None, *, video: bool
    ) -> None:
        try:
            await self.recording_command(action, name, by=RecordingActor.PARTICIPANT, video=video)
        except ProtocolError as exc:
            self._send(protocol.error_from(exc))
        except Exception:  # a task of on_message: the same boundary
            self._report_failure("recording")

    async def _answer_calibration(self, message: JsonObject, received_unix_ns: int) -> None:
        try:
            answer = await self.calibration.handle(message, received_unix_ns, self.config.screen)
        except ProtocolError as exc:
            self._send(protocol.error_from(exc))
            return
        except Exception:  # a task of on_message: the same boundary
            self._report_failure(str(message["type"]))
            return
        if answer is not None:
            self.recorder.on_calibration_message(answer)
            self._send(answer)
        for notice in self.calibration.take_notices():  # e.g. drift_status "cleared"
            self._send(notice)

    def on_oculomotor(self, event: OculomotorEvent) -> None:
        """Send a fixation or saccade to the client (with samples) and mark it on LSL."""
        if self.config.output.sends_samples:
            self._send(protocol.make_oculomotor(event))
        if self._lsl is not None:
            self._lsl.on_oculomotor(event)

    # -- pipeline ----------------------------------------------------------------------------

    async def _run_pipeline(self, pipeline: VideoPipeline) -> None:
        try:
            await pipeline.run()
        except WorkerCrashedError as exc:
            detail = f"{exc}; it kept failing, so the session is closed"
            self.close_soon("pipeline failed", error=ErrorCode.PIPELINE_FAILED, detail=detail)
            return
        except PoolClosedError:
            self.close_soon("server shutting down")
            return
        if self._closed is None:
            self._video_state = VideoState.ENDED
            self._send_status()
            self.close_soon("video track ended")

    def _on_result(self, processed: ProcessedFrame) -> None:
        result = processed.result
        message = result.message
        if self.state is SessionState.CONNECTING:
            self.state = SessionState.LIVE
        face_found = message.sample.face_found
        face_changed = self._pipeline is not None and (
            self._pipeline.counters.frames_processed == 1 or face_found != self._previous_face_found
        )
        self._previous_face_found = face_found
        self._video_state = VideoState.LIVE
        text = result.message_json
        calibration = self.calibration
        if calibration.wants_samples:
            point = calibration.on_sample(message.sample)
            if calibration.calibrated:
                message = replace(message, calibrated=True, screen_point=point)
                text = protocol.sample_text(text, calibrated=True, screen_point=point)
        if self.config.gaze_tracking:
            fields = gaze_tracking_fields(message.sample)
            message = replace(message, gaze_tracking=fields)
            text = protocol.sample_text_with_gaze_tracking(text, fields)
        if self.config.output.sends_samples:
            self._send_text(self.config.client_sample_text(text), droppable=True)
        for sink in self._sample_sinks:
            sink.on_sample(message, text)
        if self.config.output.sends_video and processed.annotated is not None:
            self.transport.push_video(processed.annotated)
        if face_changed:
            self._send_status()

    def _on_pipeline_restarted(self, exc: WorkerCrashedError) -> None:
        """The session's worker was lost; its frames go on to a fresh tracker. The client
        hears of it at once, from a ``status`` with ``pipeline_restarts``."""
        logger.warning("session %s: %s; carrying on", self.session_id, exc)
        self._send_status()

    def _on_rejected(self, exc: FrameRejectedError) -> None:
        if isinstance(exc, FrameTooLargeError):
            code = ErrorCode.FRAME_TOO_LARGE
        elif isinstance(exc, InvalidFrameError):
            code = ErrorCode.INVALID_FRAME
        else:
            code = ErrorCode.PIPELINE_FAILED
        self.on_frame_error(code, str(exc))

    def on_frame_error(self, code: ErrorCode, message: str) -> None:
        """Tell the client that a frame was refused; the same error at most once per
        :data:`REPEAT_ERROR_AFTER_S`."""
        now_s = time.monotonic()
        if self._last_error is not None:
            last_message, last_s = self._last_error
            if last_message == message and now_s - last_s < REPEAT_ERROR_AFTER_S:
                return
        self._last_error = (message, now_s)
        self._send(protocol.make_error(code, message))

    # -- status and idle watchdog ------------------------------------------------------------

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            now_s = time.monotonic()
            pipeline = self._pipeline
            if pipeline is not None and pipeline.frames_received != self._frames_seen:
                self._frames_seen = pipeline.frames_received
                self._last_activity_s = now_s
            deadline_s = self.transport.connect_deadline_s
            if not self.transport.connected and deadline_s is not None and now_s > deadline_s:
                timeout_s = self._limits.connect_timeout_s
                self.close_soon(f"the peer did not connect within {timeout_s:g} s")
                return
            idle_s = now_s - self._last_activity_s
            if idle_s > self._limits.idle_timeout_s:
                self.close_soon(
                    "idle",
                    error=ErrorCode.IDLE_TIMEOUT,
                    detail=f"no video and no message for {idle_s:.1f} s; closing the session",
                )
                return
            if now_s - self._status.opened_s >= self.config.status_interval_ms / 1000.0:
                self._send_status()

    def take_status_window(self) -> JsonObject:
        """The ``status`` message for the time since the previous one; a new measurement
        window starts now."""
        return protocol.make_status(
            self._status.take_status_window(self._pipeline, self._video_state)
        )

    # -- sending -----------------------------------------------------------------------------

    def _send_status(self) -> None:
        self._send(self.take_status_window())

    def _send_config(self) -> None:
        self._send(self.config.config_message(self.session_id, self.video_available))

    def label_by_host(self, label: str | None) -> None:
        """The host names the participant (``None`` clears it); the page hears of it."""
        self.config = replace(self.config, participant_label=label)
        self._send_config()

    def _send(self, message: JsonObject) -> None:
        self._send_text(protocol.encode(message), droppable=False)

    def _send_text(self, text: str, *, droppable: bool) -> None:
        channel = self.transport.channel
        if channel is None or not channel.is_open:
            return
        if droppable and channel.buffered_bytes > self._limits.max_buffered_bytes:
            self.samples_dropped += 1
            return
        channel.send_text(text)

    # -- lifecycle ---------------------------------------------------------------------------

    def _touch(self) -> None:
        self._last_activity_s = time.monotonic()

    def _start(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close_soon(
        self, reason: str, *, error: ErrorCode | None = None, detail: str | None = None
    ) -> None:
        """Schedule :meth:`close` as its own task (safe from the session's own callbacks)."""
        if self._closed is None:
            asyncio.get_running_loop().create_task(
                self.close(reason, error=error, detail=detail)
            ).add_done_callback(_log_failure)

    async def close(
        self, reason: str, *, error: ErrorCode | None = None, detail: str | None = None
    ) -> None:
        """Close the session: tell the client why (when ``error`` is given), stop the pipeline,
        free its worker state, close the connection. Idempotent; later calls wait for the first.
        """
        if self._closed is not None:
            await asyncio.shield(self._closed)
            return
        self._closed = asyncio.get_running_loop().create_future()
        self.state = SessionState.CLOSING
        self.close_reason = reason
        logger.debug("session %s closing: %s", self.session_id, reason)
        try:
            if error is not None:
                self._send(protocol.make_error(error, detail or reason, fatal=True))
            if self.recording_id is not None:
                # The session ends, the recording with it: saved, not lost.
                self.close_step = "its recording to be saved"
                with contextlib.suppress(ProtocolError):
                    await self.recording_command("stop", by=RecordingActor.SERVER)
            self.close_step = "its data channel to drain"
            await self._drain()
            current = asyncio.current_task()
            tasks = [task for task in self._tasks if task is not current]
            for task in tasks:
                task.cancel()
            await self._within_close_step(
                asyncio.gather(*tasks, return_exceptions=True), "its tasks to end"
            )
            if self._lsl is not None:
                await self._lsl.close()
            self._pool.close_session(self.session_id)
        finally:
            try:
                await self._within_close_step(self.transport.close(), "its transport to close")
            finally:
                self.calibration.close()
                self.state = SessionState.CLOSED
                self._on_closed(self)
                self._closed.set_result(None)

    async def _within_close_step(self, step: Awaitable[Any], what: str) -> None:
        self.close_step = what
        if not await finish_within(step, CLOSE_STEP_TIMEOUT_S):
            logger.warning(
                "session %s: waited %g s for %s; closing regardless",
                self.session_id,
                CLOSE_STEP_TIMEOUT_S,
                what,
            )

    async def _drain(self) -> None:
        channel = self.transport.channel
        deadline_s = time.monotonic() + DRAIN_TIMEOUT_S
        while (
            channel is not None
            and channel.is_open
            and channel.buffered_bytes > 0
            and time.monotonic() < deadline_s
        ):
            await asyncio.sleep(0.01)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("closing a session failed", exc_info=task.exception())
