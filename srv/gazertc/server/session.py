"""One peer: its connection, data channel, settings, video pipeline and status reports.

Lifecycle (:class:`SessionState`)::

    CONNECTING ──first processed frame──▶ LIVE
        │                                  │
        └──────────────┬───────────────────┘
                       ▼  connection failed/closed, data channel closed, video track ended,
                    CLOSING   idle timeout, worker crash, server shutdown
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from aiortc import RTCDataChannel, RTCPeerConnection
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

import gazertc
from gazertc import protocol
from gazertc.errors import InputError
from gazertc.protocol import ErrorCode, JsonObject, OutputMode, ProtocolError
from gazertc.recording.store import RecordingStore
from gazertc.records import (
    OculomotorEvent,
    RecordingInfo,
    StoredEvent,
    VideoState,
)
from gazertc.server.calibration_flow import CalibrationFlow
from gazertc.server.lsl import LslError, LslPublisher, SessionOutlets
from gazertc.server.pool import (
    FrameRejectedError,
    FrameTooLargeError,
    ProcessedFrame,
    WorkerCrashedError,
    WorkerPool,
)
from gazertc.server.session_recording import RecordingAction, SessionRecorder
from gazertc.server.sinks import FixationSink, SampleSink
from gazertc.server.status import StatusWindow
from gazertc.server.trace import GazeTrace
from gazertc.server.tracks import (
    AnnotatedVideoTrack,
    VideoPipeline,
    install_marker_jitter_buffer,
)
from gazertc.vision.screen import ScreenGeometry

__all__ = ["Session", "SessionConfig", "SessionLimits", "SessionState"]

logger = logging.getLogger(__name__)

TICK_S: Final = 0.1
"""Granularity of status reports and the idle check."""
DRAIN_TIMEOUT_S: Final = 0.5
"""How long a closing session waits for its last messages to leave."""
REPEAT_ERROR_AFTER_S: Final = 5.0
"""The same frame error is reported at most this often: a client sending oversized frames at
30 fps should get a clear message, not a flood."""


class SessionState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Server-side limits, the same for every session.

    Attributes:
        max_message_bytes: largest data-channel message accepted from the client.
        max_buffered_bytes: samples are dropped (not queued) while more than this is waiting
            in the data channel's send buffer: a slow client gets fresh samples, not old ones.
        idle_timeout_s: a session with no video frame and no message for this long is closed
            (a client that vanished without closing its connection).
    """

    max_message_bytes: int = 16 * 1024
    max_buffered_bytes: int = 256 * 1024
    idle_timeout_s: float = 20.0


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The settings a client chooses (the schema's ``config_options``); ``screen`` is parsed
    once, when it arrives."""

    output: OutputMode = OutputMode.JSON
    screen: ScreenGeometry | None = None
    status_interval_ms: int = 1000

    def updated(self, options: Mapping[str, Any]) -> SessionConfig:
        """A copy with the fields present in validated ``options`` replaced.

        Raises:
            InputError: the screen is described inconsistently (one physical side only).
        """
        changes: dict[str, Any] = {}
        if "output" in options:
            changes["output"] = OutputMode(options["output"])
        if "screen" in options:
            changes["screen"] = ScreenGeometry.from_dict(options["screen"])
        if "status_interval_ms" in options:
            changes["status_interval_ms"] = int(options["status_interval_ms"])
        return replace(self, **changes)


class Session:
    """One client: created when its offer is accepted, closed once.

    Args:
        session_id: 32 hex digits.
        pc: the peer connection, before ``setRemoteDescription`` (the session listens to it).
        pool: the worker pool (running).
        relay: the relay that gives latest-frame semantics.
        limits: server limits.
        config: the client's initial settings.
        video_available: the client's video transceiver receives, so annotated video can go
            back on it.
        on_closed: called once when the session is closed.
        recordings: where recordings are kept; ``None``: this server keeps none.
        lsl: publishes the session on Lab Streaming Layer outlets; ``None``: no LSL.
    """

    def __init__(
        self,
        session_id: str,
        pc: RTCPeerConnection,
        *,
        pool: WorkerPool,
        relay: MediaRelay,
        limits: SessionLimits,
        config: SessionConfig,
        video_available: bool,
        on_closed: Callable[[Session], None],
        recordings: RecordingStore | None = None,
        lsl: LslPublisher | None = None,
    ) -> None:
        self.session_id = session_id
        self.state = SessionState.CONNECTING
        self.started_unix_ns = time.time_ns()
        self.config = config
        self.video_available = video_available
        self.output_track = AnnotatedVideoTrack()
        self.samples_dropped = 0
        self.trace = GazeTrace()
        self.calibration = CalibrationFlow()
        self.recorder = SessionRecorder(session_id, recordings)
        self._pc = pc
        self._pool = pool
        self._relay = relay
        self._limits = limits
        self._on_closed = on_closed
        self._channel: RTCDataChannel | None = None
        self._pipeline: VideoPipeline | None = None
        self._video_state = VideoState.WAITING
        self._status = StatusWindow()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed: asyncio.Future[None] | None = None
        self._last_activity_s = time.monotonic()
        self._frames_seen = 0
        self._last_error: tuple[str, float] | None = None
        self._previous_face_found = False
        self._fixations = FixationSink(session_id, [self, self.recorder])
        self._sample_sinks: list[SampleSink] = [self.trace, self._fixations, self.recorder]
        self._lsl_outlets: SessionOutlets | None = None
        self._lsl_opening: asyncio.Future[SessionOutlets] | None = None
        if lsl is not None:
            # Opening outlets takes a few ms of liblsl work: off the loop.
            self._lsl_opening = asyncio.get_running_loop().run_in_executor(
                None, lsl.open_session, session_id
            )
            self._lsl_opening.add_done_callback(self._on_lsl_opened)
        pc.on("datachannel", self._on_datachannel)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_connection_state_change)
        self._start(self._tick())

    @property
    def recording_id(self) -> str | None:
        """The running recording, if any."""
        return self.recorder.recording_id

    @property
    def recordings_available(self) -> bool:
        """Whether this server keeps recordings (it has a data directory)."""
        return self.recorder.available

    def _on_lsl_opened(self, opening: asyncio.Future[SessionOutlets]) -> None:
        if opening.cancelled():
            return
        exc = opening.exception()
        if exc is not None:
            logger.error("session %s: no LSL outlets: %s", self.session_id, exc)
        elif self._closed is None:
            self._lsl_outlets = opening.result()
            self._sample_sinks.append(self._lsl_outlets)

    # -- peer events -------------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self._closed is not None:
            return
        if track.kind != "video":
            # Nothing here uses audio: answer "inactive" so the client does not send it.
            for transceiver in self._pc.getTransceivers():
                if transceiver.receiver.track is track:
                    transceiver.direction = "inactive"
            return
        if self._pipeline is not None:
            return  # check_offer admits one video m-line
        for transceiver in self._pc.getTransceivers():
            if transceiver.receiver.track is track:
                install_marker_jitter_buffer(transceiver.receiver)
        if self.video_available:
            self._pc.addTrack(self.output_track)
        self._pipeline = VideoPipeline(
            self.session_id,
            track,
            self._relay,
            self._pool,
            wants_annotation=lambda: self.video_available and self.config.output.sends_video,
            on_result=self._on_result,
            on_rejected=self._on_rejected,
        )
        self._start(self._run_pipeline(self._pipeline))

    def _on_connection_state_change(self) -> None:
        state = self._pc.connectionState
        logger.debug("session %s connection %s", self.session_id, state)
        if state in {"failed", "closed"}:
            self.close_soon(f"connection {state}")

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if self._channel is not None:
            logger.info(
                "session %s: ignoring extra data channel %r", self.session_id, channel.label
            )
            return
        self._channel = channel
        channel.on("message", self._on_message)
        channel.on("close", lambda: self.close_soon("data channel closed"))
        self._touch()
        self._send_config()

    # -- client messages ---------------------------------------------------------------------

    def _on_message(self, data: str | bytes) -> None:
        self._touch()
        received_unix_ns = time.time_ns()
        try:
            message = protocol.parse_client_message(data, max_bytes=self._limits.max_message_bytes)
        except ProtocolError as exc:
            logger.info("session %s: %s", self.session_id, exc.message)
            self._send(protocol.error_from(exc))
            return
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
            self._start(self._answer_recording(message["action"], message.get("name")))
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
                    f"output {wanted!r} needs annotated video, but this session's offer had no "
                    "video transceiver that receives (use sendrecv); output stays "
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
        if "screen" in options:
            discarded = self.calibration.screen_changed(self.config.screen)
            if discarded is not None:
                self._send(discarded)

    # -- events and recordings ---------------------------------------------------------------

    def record_event(
        self, name: str, timestamp_unix_ns: int | None, received_unix_ns: int | None = None
    ) -> StoredEvent:
        """Stamp an event (the client's time, else its arrival), store it in the running
        recording, if any, and mark it on LSL. Returns the event as stored."""
        received_unix_ns = received_unix_ns if received_unix_ns is not None else time.time_ns()
        event = self.recorder.stamp_event(name, timestamp_unix_ns, received_unix_ns)
        if self._lsl_outlets is not None:
            self._lsl_outlets.on_event(event)
        return event

    async def recording_command(
        self, action: RecordingAction, name: str | None = None
    ) -> RecordingInfo:
        """Start, stop (and save) or cancel this session's recording (see
        :meth:`SessionRecorder.command` for the errors)."""
        metadata: JsonObject = {
            "software_version": gazertc.__version__,
            "protocol_version": protocol.PROTOCOL_VERSION,
            "fixation_detector": self._fixations.settings.to_dict(),
        }
        if self.config.screen is not None:
            metadata["screen"] = self.config.screen.to_dict()
        return await self.recorder.command(action, name, metadata)

    def announce_recording(self, info: RecordingInfo) -> None:
        """Tell the client about a change to its recording made over HTTP (``recording_status``),
        so that it knows when it is being recorded."""
        self._send(protocol.make_recording_status(info))

    async def _answer_recording(self, action: RecordingAction, name: str | None) -> None:
        try:
            info = await self.recording_command(action, name)
        except ProtocolError as exc:
            self._send(protocol.error_from(exc))
            return
        self._send(protocol.make_recording_status(info))

    async def _answer_calibration(self, message: JsonObject, received_unix_ns: int) -> None:
        try:
            answer = await self.calibration.handle(message, received_unix_ns, self.config.screen)
        except ProtocolError as exc:
            self._send(protocol.error_from(exc))
            return
        if answer is not None:
            self._send(answer)

    def on_oculomotor(self, event: OculomotorEvent) -> None:
        """Send a fixation or saccade to the client (with samples) and mark it on LSL."""
        if self.config.output.sends_samples:
            self._send(protocol.make_oculomotor(event))
        if self._lsl_outlets is not None:
            self._lsl_outlets.on_oculomotor(event)

    # -- pipeline ----------------------------------------------------------------------------

    async def _run_pipeline(self, pipeline: VideoPipeline) -> None:
        try:
            await pipeline.run()
        except WorkerCrashedError as exc:
            self.close_soon("pipeline failed", error=ErrorCode.PIPELINE_FAILED, detail=str(exc))
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
        if self.config.output.sends_samples:
            self._send_text(text, droppable=True)
        for sink in self._sample_sinks:
            sink.on_sample(message, text)
        if self.config.output.sends_video and processed.annotated is not None:
            self.output_track.push(processed.annotated)
        if face_changed:
            self._send_status()

    def _on_rejected(self, exc: FrameRejectedError) -> None:
        message = str(exc)
        now_s = time.monotonic()
        if self._last_error is not None:
            last_message, last_s = self._last_error
            if last_message == message and now_s - last_s < REPEAT_ERROR_AFTER_S:
                return
        self._last_error = (message, now_s)
        code = (
            ErrorCode.FRAME_TOO_LARGE
            if isinstance(exc, FrameTooLargeError)
            else ErrorCode.PIPELINE_FAILED
        )
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
        config = self.config
        self._send(
            protocol.make_config(
                session_id=self.session_id,
                output=config.output,
                status_interval_ms=config.status_interval_ms,
                video_available=self.video_available,
                screen=None if config.screen is None else config.screen.to_dict(),
            )
        )

    def _send(self, message: JsonObject) -> None:
        self._send_text(protocol.encode(message), droppable=False)

    def _send_text(self, text: str, *, droppable: bool) -> None:
        channel = self._channel
        if channel is None or channel.readyState != "open":
            return
        if droppable and channel.bufferedAmount > self._limits.max_buffered_bytes:
            self.samples_dropped += 1
            return
        channel.send(text)

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
        logger.info("session %s closing: %s", self.session_id, reason)
        try:
            if error is not None:
                self._send(protocol.make_error(error, detail or reason, fatal=True))
            if self.recording_id is not None:
                # The session ends, the recording with it: saved, not lost.
                with contextlib.suppress(ProtocolError):
                    info = await self.recording_command("stop")
                    self._send(protocol.make_recording_status(info))
            await self._drain()
            current = asyncio.current_task()
            tasks = [task for task in self._tasks if task is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.output_track.stop()
            await self._close_lsl()
            self._pool.close_session(self.session_id)
            await self._pc.close()
        finally:
            self._pc.remove_all_listeners()
            if self._channel is not None:
                self._channel.remove_all_listeners()
            self.state = SessionState.CLOSED
            self._on_closed(self)
            self._closed.set_result(None)

    async def _close_lsl(self) -> None:
        opening, self._lsl_opening = self._lsl_opening, None
        self._lsl_outlets = None
        if opening is None:
            return
        try:
            outlets = await opening
        except LslError:
            return
        # Withdrawing an outlet joins liblsl's threads (~50 ms with an inlet connected).
        await asyncio.to_thread(outlets.close)

    async def _drain(self) -> None:
        channel = self._channel
        deadline_s = time.monotonic() + DRAIN_TIMEOUT_S
        while (
            channel is not None
            and channel.readyState == "open"
            and channel.bufferedAmount > 0
            and time.monotonic() < deadline_s
        ):
            await asyncio.sleep(0.01)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("closing a session failed", exc_info=task.exception())
