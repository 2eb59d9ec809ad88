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
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from aiortc import RTCDataChannel, RTCPeerConnection
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

import gazertc
from gazertc import protocol
from gazertc.analysis.fixations import (
    FixationDetector,
    FixationEvent,
    FixationPhase,
    GazePoint,
    OculomotorEvent,
)
from gazertc.protocol import ErrorCode, JsonObject, OutputMode, ProtocolError
from gazertc.recording.store import (
    EventSource,
    RecordingError,
    RecordingInfo,
    RecordingState,
    RecordingStore,
    StoredEvent,
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
from gazertc.server.trace import GazeTrace
from gazertc.server.tracks import (
    AnnotatedVideoTrack,
    VideoPipeline,
    install_marker_jitter_buffer,
)

__all__ = ["Session", "SessionConfig", "SessionLimits", "SessionRegistry", "SessionState"]

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


class VideoState(StrEnum):
    """The ``video`` field of status messages."""

    WAITING = "waiting"
    LIVE = "live"
    ENDED = "ended"


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
    """The settings a client chooses (the schema's ``config_options``)."""

    output: OutputMode = OutputMode.JSON
    screen: Mapping[str, Any] | None = None
    status_interval_ms: int = 1000

    def updated(self, options: Mapping[str, Any]) -> SessionConfig:
        """A copy with the fields present in validated ``options`` replaced."""
        changes: dict[str, Any] = {}
        if "output" in options:
            changes["output"] = OutputMode(options["output"])
        if "screen" in options:
            changes["screen"] = dict(options["screen"])
        if "status_interval_ms" in options:
            changes["status_interval_ms"] = int(options["status_interval_ms"])
        return replace(self, **changes)


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 3)


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
        self.trace = GazeTrace()
        self.config = config
        self.video_available = video_available
        self.output_track = AnnotatedVideoTrack()
        self.samples_dropped = 0
        self._pc = pc
        self._pool = pool
        self._relay = relay
        self._limits = limits
        self._on_closed = on_closed
        self._channel: RTCDataChannel | None = None
        self._pipeline: VideoPipeline | None = None
        self._video_state = VideoState.WAITING
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed: asyncio.Future[None] | None = None
        self._last_activity_s = time.monotonic()
        self._frames_seen = 0
        self._last_status_s = time.monotonic()
        self._status_frames = (0, 0)
        self._last_error: tuple[str, float] | None = None
        self._previous_face_found = False
        self._recordings = recordings
        self.recording_id: str | None = None
        self._detector = FixationDetector()
        self.calibration = CalibrationFlow()
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

    def _on_lsl_opened(self, opening: asyncio.Future[SessionOutlets]) -> None:
        if opening.cancelled():
            return
        exc = opening.exception()
        if exc is not None:
            logger.error("session %s: no LSL outlets: %s", self.session_id, exc)
        elif self._closed is None:
            self._lsl_outlets = opening.result()

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
            self._send(protocol.make_event_ack(event.to_dict()))
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
        self.config = self.config.updated(options)
        if "screen" in options:
            discarded = self.calibration.screen_changed(self.config.screen)
            if discarded is not None:
                self._send(discarded)

    # -- events and recordings ---------------------------------------------------------------

    def record_event(
        self, name: str, timestamp_unix_ns: int | None, received_unix_ns: int | None = None
    ) -> StoredEvent:
        """Stamp an event (the client's time, else its arrival) and store it in the running
        recording, if any. Returns the event as stored."""
        received_unix_ns = received_unix_ns if received_unix_ns is not None else time.time_ns()
        event = StoredEvent(
            name=name,
            timestamp_unix_ns=received_unix_ns if timestamp_unix_ns is None else timestamp_unix_ns,
            received_unix_ns=received_unix_ns,
            source=EventSource.ARRIVAL if timestamp_unix_ns is None else EventSource.CLIENT,
            session_id=self.session_id,
            recording_id=self.recording_id,
        )
        if self._recordings is not None and self.recording_id is not None:
            self._recordings.add_event(event)
        if self._lsl_outlets is not None:
            self._lsl_outlets.push_event(event)
        return event

    async def recording_command(self, action: str, name: str | None = None) -> RecordingInfo:
        """Start, stop (and save) or cancel this session's recording.

        Raises:
            ProtocolError: ``recording_unavailable`` (the server keeps no recordings),
                ``recording_in_progress`` (start while recording), ``not_recording`` (stop or
                cancel without one), ``internal_error`` (the store failed).
        """
        store = self._recordings
        if store is None:
            raise ProtocolError(
                ErrorCode.RECORDING_UNAVAILABLE,
                "this server keeps no recordings (start it with --data-dir)",
                ref_type="recording",
            )
        if action == "start":
            if self.recording_id is not None:
                raise ProtocolError(
                    ErrorCode.RECORDING_IN_PROGRESS,
                    f"recording {self.recording_id} is already running; stop it first",
                    ref_type="recording",
                )
            metadata: JsonObject = {
                "software_version": gazertc.__version__,
                "protocol_version": protocol.PROTOCOL_VERSION,
                "fixation_detector": dataclasses.asdict(self._detector.settings),
            }
            if self.config.screen is not None:
                metadata["screen"] = dict(self.config.screen)
            self.recording_id, future = store.start(self.session_id, name=name, metadata=metadata)
        else:
            recording_id = self.recording_id
            if recording_id is None:
                raise ProtocolError(
                    ErrorCode.NOT_RECORDING,
                    f"cannot {action}: no recording is running in this session",
                    ref_type="recording",
                )
            self.recording_id = None
            state = RecordingState.SAVED if action == "stop" else RecordingState.CANCELLED
            future = store.finish(recording_id, state)
        try:
            return await asyncio.wrap_future(future)
        except RecordingError as exc:
            raise ProtocolError(
                ErrorCode.INTERNAL_ERROR, f"the recording store failed: {exc}", ref_type="recording"
            ) from exc

    @property
    def recordings_available(self) -> bool:
        """Whether this server keeps recordings (it has a data directory)."""
        return self._recordings is not None

    def announce_recording(self, info: RecordingInfo) -> None:
        """Tell the client about a change to its recording made over HTTP (``recording_status``),
        so that it knows when it is being recorded."""
        self._send(protocol.make_recording_status(info.to_dict()))

    async def _answer_recording(self, action: str, name: str | None) -> None:
        try:
            info = await self.recording_command(action, name)
        except ProtocolError as exc:
            self._send(protocol.error_from(exc))
            return
        self._send(protocol.make_recording_status(info.to_dict()))

    async def _answer_calibration(self, message: JsonObject, received_unix_ns: int) -> None:
        try:
            answer = await self.calibration.handle(message, received_unix_ns, self.config.screen)
        except ProtocolError as exc:
            self._send(protocol.error_from(exc))
            return
        if answer is not None:
            self._send(answer)

    def _on_sample(self, sample_json: str, sample: JsonObject | None = None) -> None:
        """Fixation detection and recording for one sample (parsing costs ~0.1 ms, skipped
        when the caller parsed it already)."""
        sample = json.loads(sample_json) if sample is None else sample
        self.trace.add(sample, time.monotonic())
        if self._lsl_outlets is not None:
            self._lsl_outlets.push_sample(sample)
        gaze = sample["gaze"]
        point = GazePoint(
            sample["timestamp_unix_ns"],
            None if gaze is None else gaze["yaw_deg"],
            None if gaze is None else gaze["pitch_deg"],
        )
        try:
            events = self._detector.update(point)
        except ValueError:
            logger.warning("session %s: sample time went backwards", self.session_id)
            events = []
        store, recording_id = self._recordings, self.recording_id
        if store is not None and recording_id is not None:
            store.add_sample(recording_id, sample, sample_json)
        for event in events:
            self._on_oculomotor(event, store, recording_id)

    def _on_oculomotor(
        self, event: OculomotorEvent, store: RecordingStore | None, recording_id: str | None
    ) -> None:
        fields = {
            key: round(value, 3) if isinstance(value, float) else value
            for key, value in dataclasses.asdict(event).items()
        }
        fields["method"] = event.method.value
        if isinstance(event, FixationEvent):
            fields["phase"] = event.phase.value
            message_type = "fixation"
        else:
            message_type = "saccade"
        if self.config.output.sends_samples:
            self._send(protocol.make_oculomotor(fields, message_type))
        if self._lsl_outlets is not None:
            self._lsl_outlets.push_oculomotor(fields, message_type)
        if store is None or recording_id is None:
            return
        if isinstance(event, FixationEvent):
            if event.phase is FixationPhase.END and event.end_unix_ns is not None:
                store.add_oculomotor(
                    recording_id,
                    kind="fixation",
                    start_unix_ns=event.start_unix_ns,
                    end_unix_ns=event.end_unix_ns,
                    duration_ms=event.duration_ms or 0.0,
                    yaw_deg=event.yaw_deg,
                    pitch_deg=event.pitch_deg,
                    amplitude_deg=None,
                    peak_velocity_deg_s=None,
                    method=event.method.value,
                )
        else:
            store.add_oculomotor(
                recording_id,
                kind="saccade",
                start_unix_ns=event.start_unix_ns,
                end_unix_ns=event.end_unix_ns,
                duration_ms=event.duration_ms,
                yaw_deg=event.end_yaw_deg,
                pitch_deg=event.end_pitch_deg,
                amplitude_deg=event.amplitude_deg,
                peak_velocity_deg_s=event.peak_velocity_deg_s,
                method=event.method.value,
            )

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
        if self.state is SessionState.CONNECTING:
            self.state = SessionState.LIVE
        face_changed = self._pipeline is not None and (
            self._pipeline.counters.frames_processed == 1
            or result.face_found != self._previous_face_found
        )
        self._previous_face_found = result.face_found
        self._video_state = VideoState.LIVE
        output = self.config.output
        message_json, sample = result.message_json, None
        if self.calibration.wants_samples:
            sample = json.loads(message_json)
            message_json = self.calibration.on_sample(sample, message_json)
        if output.sends_samples:
            self._send_text(message_json, droppable=True)
        self._on_sample(message_json, sample)
        if output.sends_video and processed.annotated is not None:
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
            if now_s - self._last_status_s >= self.config.status_interval_ms / 1000.0:
                self._send_status()

    def status(self) -> JsonObject:
        """A ``status`` message for the time since the previous one (and starts a new window)."""
        now_s = time.monotonic()
        interval_s = max(now_s - self._last_status_s, 1e-3)
        self._last_status_s = now_s
        pipeline = self._pipeline
        received = processed = dropped = 0
        processing_ms: list[float] = []
        latency_ms: list[float] = []
        face_found, tracking = False, "lost"
        flags: tuple[str, ...] = ()
        if pipeline is not None:
            counters = pipeline.counters
            received, processed = pipeline.frames_received, counters.frames_processed
            dropped = pipeline.frames_dropped
            processing_ms, latency_ms = counters.take_window()
            face_found, tracking = counters.face_found, counters.tracking
            flags = counters.quality_flags
        previous_received, previous_processed = self._status_frames
        self._status_frames = (received, processed)
        return {
            "v": protocol.PROTOCOL_VERSION,
            "type": "status",
            "video": self._video_state.value,
            "face_found": face_found,
            "tracking": tracking,
            "quality_flags": list(flags),
            "advice": protocol.advice_for(list(flags)),
            "input_fps": round((received - previous_received) / interval_s, 2),
            "processed_fps": round((processed - previous_processed) / interval_s, 2),
            "frames_received": received,
            "frames_processed": processed,
            "frames_dropped": dropped,
            "processing_ms_p50": _percentile(processing_ms, 0.5),
            "server_latency_ms_p95": _percentile(latency_ms, 0.95),
        }

    # -- sending -----------------------------------------------------------------------------

    def _send_status(self) -> None:
        self._send(self.status())

    def _send_config(self) -> None:
        config = self.config
        message: JsonObject = {
            "v": protocol.PROTOCOL_VERSION,
            "type": "config",
            "session_id": self.session_id,
            "output": config.output.value,
            "status_interval_ms": config.status_interval_ms,
            "video_available": self.video_available,
        }
        if config.screen is not None:
            message["screen"] = dict(config.screen)
        self._send(message)

    def _send(self, message: JsonObject) -> None:
        self._send_text(json.dumps(message, separators=(",", ":")), droppable=False)

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
                    self._send(protocol.make_recording_status(info.to_dict()))
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


class SessionRegistry:
    """The live sessions of one server, at most ``max_sessions`` of them."""

    def __init__(self, max_sessions: int) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {max_sessions}")
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._sessions.values()))

    @property
    def full(self) -> bool:
        return len(self._sessions) >= self.max_sessions

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def add(self, session: Session) -> None:
        """Raises ``RuntimeError`` when full: check :attr:`full` first."""
        if self.full:
            raise RuntimeError(f"the registry already holds {self.max_sessions} sessions")
        self._sessions[session.session_id] = session

    def remove(self, session: Session) -> None:
        self._sessions.pop(session.session_id, None)

    async def close_all(self, reason: str) -> None:
        await asyncio.gather(*(session.close(reason) for session in self))
