"""The asynchronous client: one aiortc peer connection to a gazertc server.

Every message from the server is checked against the protocol schema
(:func:`gazertc.protocol.validate_message`) before anything reads it; one that breaks the
protocol is logged (``logger.warning``) and dropped, and the client carries on.

Samples are the exception to full validation: jsonschema takes about 5 ms for a 2.4 KB
``sample`` (decoding and typing it take about 0.1 ms), too much at 30 samples a second. A
sample is validated fully until its shape (with or without ``stage_ms``; no, a ``null`` or a
set ``screen_point``) has passed once; later samples of that shape are accepted when their
``v`` is right and :meth:`SampleMessage.from_dict <gazertc.records.SampleMessage.from_dict>`
succeeds (every field present, enums known, numbers convertible), without the schema's ranges
and lengths. Every other message is validated fully.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Final, TypeVar

import aiohttp
import av
import numpy as np
from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

import gazertc
from gazertc import protocol
from gazertc.client._inbound import Answer, ServerMessageReader, ServerRecord, made_by_participant
from gazertc.client._matching import FrameSampleMatcher
from gazertc.client._waiting import (
    DEFAULT_SAMPLE_BACKLOG,
    Newest,
    Stream,
    fail_first,
    resolve_first,
)
from gazertc.client.records import ClientError, ServerError, TimeOffsetEstimate, VideoFrame
from gazertc.protocol import JsonObject, OutputMode, ProtocolError
from gazertc.records import (
    FixationEvent,
    RecordingInfo,
    SaccadeEvent,
    SampleMessage,
    StatusReport,
    StoredEvent,
)
from gazertc.vision.types import GazeSample

__all__ = ["CLOSED_MESSAGE", "Client", "MessageListener", "RecordListener", "ServerRecord"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

MessageListener = Callable[[JsonObject, int], None]
"""Called on the event loop with every valid data-channel message and its arrival (client
clock)."""

RecordListener = Callable[[ServerRecord], None]
"""Called on the event loop with every sample, status, fixation, saccade and recording
status, typed."""

DEFAULT_TIMEOUT_S: Final = 10.0
CLOSED_MESSAGE: Final = "the client is closed"
"""The message of the :class:`ClientError` raised by requests on (or during) :meth:`close`."""


class Client:
    """A session with a gazertc server: sends video, receives samples, status and events.

    Use inside one event loop::

        async with Client("http://127.0.0.1:3000", video="clip.mp4") as client:
            sample = await client.receive_gaze_sample(timeout_seconds=5)

    Incoming streams (samples, status reports, fixations and saccades, recording statuses)
    each keep only their newest item: ``receive_*`` returns the newest one not yet received,
    so it is never stale. To read every sample in order instead, iterate over
    :meth:`gaze_samples`.

    :attr:`session_secret` is this session's credential for the server's
    ``/api/sessions/{session_id}/...`` routes (``Authorization: Bearer <secret>``); the server
    sends it to this connection only.

    :meth:`close` wakes everything waiting on the client: ``receive_*`` returns ``None``, and
    every call waiting for the server's answer (``connect``, ``send_event``, the
    ``recording_*`` calls, ``estimate_time_offset``) raises ``ClientError("the client is
    closed")``, as do calls made after it.

    Args:
        url: the server's base URL.
        video: a video file or capture device (``/dev/video0`` with ``video_format="v4l2"``),
            or any aiortc video track.
        output: what the server sends back; ``video``/``both`` also receive annotated video.
        video_format, video_options: passed to aiortc's ``MediaPlayer`` (device input).
        loop_video: replay a video file forever (otherwise the session ends with the file).
        landmarks: ``False`` asks for samples without the 68 landmarks (1.3 KB less each).
    """

    def __init__(
        self,
        url: str,
        *,
        video: str | Path | MediaStreamTrack,
        output: OutputMode = OutputMode.JSON,
        video_format: str | None = None,
        video_options: dict[str, str] | None = None,
        loop_video: bool = False,
        landmarks: bool = True,
    ) -> None:
        self.url = url.rstrip("/")
        self.output = output
        self.landmarks = landmarks
        self.session_id: str | None = None
        self.session_secret: str | None = None
        self._video = video
        self._video_format = video_format
        self._video_options = video_options
        self._loop_video = loop_video
        self._pc: RTCPeerConnection | None = None
        self._channel: RTCDataChannel | None = None
        self._player: MediaPlayer | None = None
        self._listeners: list[MessageListener] = []
        self._record_listeners: list[RecordListener] = []
        self._frame_listeners: list[Callable[[VideoFrame, GazeSample | None], None]] = []
        self._config_received: asyncio.Future[None] | None = None
        self._pending_events: collections.deque[asyncio.Future[StoredEvent]] = collections.deque()
        self._pending_recording: collections.deque[asyncio.Future[RecordingInfo]] = (
            collections.deque()
        )
        self._pending_pongs: dict[int, asyncio.Future[tuple[JsonObject, int]]] = {}
        self._next_ping_id = 0
        self._inbound = ServerMessageReader()
        self._latest_sample: SampleMessage | None = None
        self._gaze_samples: Newest[SampleMessage] = Newest()
        self._sample_messages: Newest[SampleMessage] = Newest()
        self._status: Newest[StatusReport] = Newest()
        self._oculomotor: Newest[FixationEvent | SaccadeEvent] = Newest()
        self._recording_statuses: Newest[RecordingInfo] = Newest()
        # Weak: a stream its reader dropped (a loop left with break) stops being filled.
        self._sample_streams: weakref.WeakSet[Stream[SampleMessage]] = weakref.WeakSet()
        self._frame_matcher = FrameSampleMatcher()
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Client:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def _video_track(self) -> MediaStreamTrack:
        if isinstance(self._video, MediaStreamTrack):
            return self._video
        try:
            self._player = MediaPlayer(
                str(self._video),
                format=self._video_format,
                options=self._video_options or {},
                loop=self._loop_video,
            )
        except (av.FFmpegError, OSError) as exc:
            raise ClientError(f"cannot open video {self._video}: {exc}") from exc
        track = self._player.video
        if track is None:
            raise ClientError(f"{self._video} has no video stream")
        return track

    async def connect(self, timeout_seconds: float = DEFAULT_TIMEOUT_S) -> None:
        """Offer the video, open the data channel and wait for the server's config.

        Raises:
            ClientError: already connected or closed, the video cannot be opened, or the server
                refused (:class:`ServerError` with the server's code) or did not answer in time.
        """
        if self._closed:
            raise ClientError(CLOSED_MESSAGE)
        if self._pc is not None:
            raise ClientError("already connected; use a new Client for a new session")
        config_received = self._config_received = asyncio.get_running_loop().create_future()
        pc = self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        channel = pc.createDataChannel("gaze")
        channel.on("message", self._on_channel_message)
        pc.on("track", self._on_track)
        direction = "sendrecv" if self.output.sends_video else "sendonly"
        pc.addTransceiver(self._video_track(), direction=direction)
        self._channel = channel
        await pc.setLocalDescription(await pc.createOffer())
        options: JsonObject = {"output": self.output.value}
        if not self.landmarks:
            options["landmarks"] = False  # only when off: servers before it refuse the field
        offer = {"sdp": pc.localDescription.sdp, "type": "offer", "options": options}

        async def give_up() -> None:
            # No one will wait for the config now: cancel it rather than fail it unread.
            config_received.cancel()
            await self.close()

        try:
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"{self.url}/offer",
                    json=offer,
                    timeout=aiohttp.ClientTimeout(total=timeout_seconds),
                ) as response,
            ):
                answer = await response.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            await give_up()
            raise ClientError(f"cannot reach {self.url}: {exc}") from exc
        if self._closed:
            raise ClientError(CLOSED_MESSAGE)
        if response.status != 200:
            await give_up()
            raise ServerError(answer.get("code", "unknown"), answer.get("message", str(answer)))
        try:
            protocol.validate(answer, "offer_answer")
        except ProtocolError as exc:
            await give_up()
            raise ClientError(f"{self.url} answered the offer outside the protocol: {exc}") from exc
        self.session_id = answer["session_id"]
        self.session_secret = answer["session_secret"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        try:
            await asyncio.wait_for(config_received, timeout_seconds)
        except TimeoutError as exc:
            await self.close()
            raise ClientError(f"no config from the server within {timeout_seconds} s") from exc
        self._send(
            {
                "v": protocol.PROTOCOL_VERSION,
                "type": "hello",
                "client": {"name": "gazertc.client", "version": gazertc.__version__},
                "capabilities": {"video_receive": self.output.sends_video},
            }
        )

    async def close(self) -> None:
        """Close the connection and stop the video source (idempotent).

        Everything waiting on the client wakes at once, before the connection is torn down:
        ``receive_*`` returns ``None``; calls waiting for an answer raise
        ``ClientError("the client is closed")``.
        """
        if self._closed:
            return
        self._closed = True
        self._wake_waiters()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pc is not None:
            await self._pc.close()
            self._pc.remove_all_listeners()
        if self._player is not None and self._player.video is not None:
            self._player.video.stop()
        self._listeners.clear()
        self._record_listeners.clear()
        self._frame_listeners.clear()

    def _wake_waiters(self) -> None:
        streams: tuple[Newest[Any], ...] = (
            self._gaze_samples,
            self._sample_messages,
            self._status,
            self._oculomotor,
            self._recording_statuses,
        )
        for stream in streams:
            stream.close()
        for sample_stream in list(self._sample_streams):
            sample_stream.close()
        futures: list[asyncio.Future[Any]] = [
            *self._pending_events,
            *self._pending_recording,
            *self._pending_pongs.values(),
        ]
        if self._config_received is not None:
            futures.append(self._config_received)
        self._pending_events.clear()
        self._pending_recording.clear()
        self._pending_pongs.clear()
        for future in futures:
            if not future.done():
                future.set_exception(ClientError(CLOSED_MESSAGE))

    # -- incoming -----------------------------------------------------------------------------

    def add_listener(self, listener: MessageListener) -> None:
        """Call ``listener`` with every valid data-channel message (on the event loop).

        A listener that raises is logged and does not disturb the client or other listeners.
        """
        self._listeners.append(listener)

    def add_record_listener(self, listener: RecordListener) -> None:
        """Call ``listener`` with every sample (:class:`~gazertc.records.SampleMessage`),
        status report, fixation and saccade, as its typed record (on the event loop)."""
        self._record_listeners.append(listener)

    def add_frame_listener(self, listener: Callable[[VideoFrame, GazeSample | None], None]) -> None:
        """Call ``listener`` with every returned video frame and its sample, when known."""
        self._frame_listeners.append(listener)

    def _on_channel_message(self, data: str | bytes) -> None:
        arrived_unix_ns = time.time_ns()
        read = self._inbound.read(data)
        if read is not None:
            self._dispatch(read[0], read[1], arrived_unix_ns)

    def _dispatch(
        self, message: JsonObject, record: ServerRecord | Answer | None, arrived_unix_ns: int
    ) -> None:
        message_type = message["type"]
        if isinstance(record, SampleMessage):
            self._on_sample(record)
        elif isinstance(record, StatusReport):
            self._status.put(record)
        elif isinstance(record, FixationEvent | SaccadeEvent):
            self._oculomotor.put(record)
        elif isinstance(record, StoredEvent):
            resolve_first(self._pending_events, record)
        elif isinstance(record, RecordingInfo):
            self._recording_statuses.put(record)
            if made_by_participant(record):
                resolve_first(self._pending_recording, record)
        elif message_type == "config":
            if self._config_received is not None and not self._config_received.done():
                self._config_received.set_result(None)
        elif message_type == "pong":
            pong = self._pending_pongs.pop(message["id"], None)
            if pong is not None and not pong.done():
                pong.set_result((message, arrived_unix_ns))
        elif message_type == "error":
            self._on_error(message)
        if isinstance(record, ServerRecord):
            for record_listener in list(self._record_listeners):
                try:
                    record_listener(record)
                except Exception:
                    logger.exception("a record listener failed on a %s message", message_type)
        for listener in list(self._listeners):
            try:
                listener(message, arrived_unix_ns)
            except Exception:
                logger.exception("a message listener failed on a %s message", message_type)

    def _on_sample(self, message: SampleMessage) -> None:
        self._latest_sample = message
        self._gaze_samples.put(message)
        self._sample_messages.put(message)
        for stream in list(self._sample_streams):
            stream.put(message)
        self._frame_matcher.add_sample(message)

    def _on_error(self, message: JsonObject) -> None:
        failure = ServerError(message["code"], message["message"])
        ref_type = message.get("ref_type")
        if ref_type == "event" and fail_first(self._pending_events, failure):
            return
        if ref_type == "recording" and fail_first(self._pending_recording, failure):
            return
        logger.warning("server error %s: %s", message["code"], message["message"])

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self._reader = asyncio.ensure_future(self._read_video(track))

    async def _read_video(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.VideoFrame)
                arrived_unix_ns = time.time_ns()
                pts = int(frame.pts or 0)
                sample = self._frame_matcher.match_frame(pts)
                video_frame = VideoFrame(
                    np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8),
                    pts,
                    arrived_unix_ns,
                )
                for listener in list(self._frame_listeners):
                    listener(video_frame, sample)

    @property
    def latest_gaze_sample(self) -> GazeSample | None:
        """The newest sample received (``None`` before the first)."""
        return None if self._latest_sample is None else self._latest_sample.sample

    @property
    def latest_sample_message(self) -> SampleMessage | None:
        """The newest ``sample`` message received, with its timing and screen point."""
        return self._latest_sample

    async def receive_gaze_sample(self, timeout_seconds: float | None = None) -> GazeSample | None:
        """The newest sample not yet received, waiting up to ``timeout_seconds`` (``None``:
        forever) for one; ``None`` on timeout or once the client is closed."""
        message = await self._gaze_samples.take(timeout_seconds)
        return None if message is None else message.sample

    async def receive_sample_message(
        self, timeout_seconds: float | None = None
    ) -> SampleMessage | None:
        """Like :meth:`receive_gaze_sample`, with the whole ``sample`` message: the sample, its
        frame's timing and, once the session is calibrated, its point on the screen. (A stream
        of its own: it does not consume what :meth:`receive_gaze_sample` returns.)"""
        return await self._sample_messages.take(timeout_seconds)

    def gaze_samples(self, *, capacity: int = DEFAULT_SAMPLE_BACKLOG) -> Stream[SampleMessage]:
        """Every ``sample`` message from this call on, in order, none skipped (where
        :meth:`receive_gaze_sample` gives only the newest)::

            async for message in client.gaze_samples():
                print(message.timing.frame_id, message.sample.gaze, message.screen_point)

        Each call makes a stream of its own, filled from the moment it is made: make it before
        awaiting anything else, so that no sample slips by. Up to ``capacity`` samples wait for
        a slow reader; past that the oldest are dropped and counted in the stream's
        ``dropped`` (a ``frame_id`` that jumps also shows frames the server itself dropped).
        The iteration ends when the client closes (at once for a closed client); a stream no
        longer referenced stops being filled, and ``stream.close()`` ends one early.

        Raises:
            ValueError: ``capacity`` is below 1.
        """
        stream: Stream[SampleMessage] = Stream(capacity)
        if self._closed:
            stream.close()
        else:
            self._sample_streams.add(stream)
        return stream

    async def receive_status(self, timeout_seconds: float | None = None) -> StatusReport | None:
        """The newest ``status`` report not yet received (the server sends one a second by
        default), or ``None`` on timeout or once the client is closed."""
        return await self._status.take(timeout_seconds)

    async def receive_fixation_or_saccade(
        self, timeout_seconds: float | None = None
    ) -> FixationEvent | SaccadeEvent | None:
        """The newest fixation or saccade not yet received, or ``None`` on timeout or once the
        client is closed."""
        return await self._oculomotor.take(timeout_seconds)

    async def receive_recording_status(
        self, timeout_seconds: float | None = None
    ) -> RecordingInfo | None:
        """The newest change to this session's recording not yet received, whoever made it:
        this client, the host (``started_by``/``stopped_by`` say ``host``) or the server (the
        session ending). ``None`` on timeout or once the client is closed."""
        return await self._recording_statuses.take(timeout_seconds)

    # -- outgoing -----------------------------------------------------------------------------

    def _send(self, message: JsonObject) -> None:
        if self._closed:
            raise ClientError(CLOSED_MESSAGE)
        channel = self._channel
        if channel is None or channel.readyState != "open":
            raise ClientError("not connected")
        channel.send(protocol.encode(message))

    async def _request(
        self,
        pending: collections.deque[asyncio.Future[T]],
        message: JsonObject,
        timeout_seconds: float,
    ) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._send(message)
        pending.append(future)
        try:
            return await asyncio.wait_for(future, timeout_seconds)
        except TimeoutError as exc:
            with contextlib.suppress(ValueError):
                pending.remove(future)
            raise ClientError(f"no answer to {message['type']} in {timeout_seconds} s") from exc

    async def send_event(
        self,
        name: str,
        event_timestamp_unix_ns: int | None = None,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_S,
    ) -> StoredEvent:
        """Mark an event; without a timestamp the server stamps its arrival. A timestamp is on
        the server's clock: convert a client time with :meth:`estimate_time_offset`.

        Raises:
            ServerError: the server refused it (e.g. an empty name).
            ClientError: not connected, no answer in time, or the client is closed.
        """
        message: JsonObject = {"v": protocol.PROTOCOL_VERSION, "type": "event", "name": name}
        if event_timestamp_unix_ns is not None:
            message["timestamp_unix_ns"] = event_timestamp_unix_ns
        return await self._request(self._pending_events, message, timeout_seconds)

    async def _recording(
        self, action: str, name: str | None, timeout_seconds: float
    ) -> RecordingInfo:
        message: JsonObject = {
            "v": protocol.PROTOCOL_VERSION,
            "type": "recording",
            "action": action,
        }
        if name is not None:
            message["name"] = name
        return await self._request(self._pending_recording, message, timeout_seconds)

    async def recording_start(
        self, name: str | None = None, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> RecordingInfo:
        """Start recording this session on the server.

        Raises:
            ServerError: ``recording_in_progress`` or ``recording_unavailable``.
            ClientError: not connected, no answer in time, or the client is closed.
        """
        return await self._recording("start", name, timeout_seconds)

    async def recording_stop_and_save(
        self, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> RecordingInfo:
        """Stop the recording and keep it, whoever started it. Raises: ServerError
        ``not_recording``; ClientError as :meth:`recording_start`."""
        return await self._recording("stop", None, timeout_seconds)

    async def recording_cancel(
        self, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> RecordingInfo:
        """Stop the recording and discard its data, whoever started it. Raises: ServerError
        ``not_recording``; ClientError as :meth:`recording_start`."""
        return await self._recording("cancel", None, timeout_seconds)

    async def set_output(self, output: OutputMode) -> None:
        """Change what the server sends back (video needs a client created with video output)."""
        self._send({"v": protocol.PROTOCOL_VERSION, "type": "config", "output": output.value})
        self.output = output

    async def set_landmarks(self, wanted: bool) -> None:
        """Whether the samples from now on carry the 68 landmarks."""
        self._send({"v": protocol.PROTOCOL_VERSION, "type": "config", "landmarks": wanted})
        self.landmarks = wanted

    async def estimate_time_offset(
        self, pings: int = 10, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> TimeOffsetEstimate:
        """Server clock minus client clock from ``pings`` ping/pong exchanges (the one with the
        shortest round trip wins: it had the least room for asymmetric delay).

        Raises:
            ClientError: not connected, no pong in time, or the client is closed.
        """
        best: tuple[int, int] | None = None
        loop = asyncio.get_running_loop()
        for _ in range(max(1, pings)):
            ping_id = self._next_ping_id
            self._next_ping_id += 1
            future: asyncio.Future[tuple[JsonObject, int]] = loop.create_future()
            self._send(protocol.make_ping(ping_id, time.time_ns()))
            self._pending_pongs[ping_id] = future
            try:
                pong, t3 = await asyncio.wait_for(future, timeout_seconds)
            except TimeoutError as exc:
                self._pending_pongs.pop(ping_id, None)
                raise ClientError(f"no pong within {timeout_seconds} s") from exc
            t0, t1, t2 = pong["ping_sent_unix_ns"], pong["received_unix_ns"], pong["sent_unix_ns"]
            round_trip_ns = (t3 - t0) - (t2 - t1)
            offset_ns = ((t1 - t0) + (t2 - t3)) // 2
            if best is None or round_trip_ns < best[0]:
                best = (round_trip_ns, offset_ns)
        assert best is not None
        return TimeOffsetEstimate(best[1], best[0] / 1e6, max(1, pings))
