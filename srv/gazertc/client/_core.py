"""The asynchronous client: one aiortc peer connection to a gazertc server."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import aiohttp
import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

import gazertc
from gazertc import protocol
from gazertc.client.records import (
    ClientError,
    ServerError,
    TimeOffsetEstimate,
    VideoFrame,
    gaze_sample_from_dict,
    recording_info_from_dict,
    stored_event_from_dict,
)
from gazertc.protocol import JsonObject, OutputMode
from gazertc.recording.store import RecordingInfo, StoredEvent
from gazertc.vision.types import GazeSample

__all__ = ["Client", "MessageListener"]

logger = logging.getLogger(__name__)

MessageListener = Callable[[JsonObject, int], None]
"""Called on the event loop with every data-channel message and its arrival (client clock)."""

DEFAULT_TIMEOUT_S: Final = 10.0
MATCH_HISTORY: Final = 300
"""Samples kept for matching returned video frames: ten seconds at 30 fps."""


class Client:
    """A session with a gazertc server: sends video, receives samples, status and events.

    Use inside one event loop::

        async with Client("http://127.0.0.1:3000", video="clip.mp4") as client:
            sample = await client.receive_gaze_sample(timeout_seconds=5)

    Args:
        url: the server's base URL.
        video: a video file or capture device (``/dev/video0`` with ``video_format="v4l2"``),
            or any aiortc video track.
        output: what the server sends back; ``video``/``both`` also receive annotated video.
        video_format, video_options: passed to aiortc's ``MediaPlayer`` (device input).
        loop_video: replay a video file forever (otherwise the session ends with the file).
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
    ) -> None:
        self.url = url.rstrip("/")
        self.output = output
        self.session_id: str | None = None
        self._video = video
        self._video_format = video_format
        self._video_options = video_options
        self._loop_video = loop_video
        self._pc: RTCPeerConnection | None = None
        self._player: MediaPlayer | None = None
        self._listeners: list[MessageListener] = []
        self._frame_listeners: list[Callable[[VideoFrame, GazeSample | None], None]] = []
        self._pending_events: collections.deque[asyncio.Future[JsonObject]] = collections.deque()
        self._pending_recording: collections.deque[asyncio.Future[JsonObject]] = collections.deque()
        self._pending_pongs: dict[int, asyncio.Future[tuple[JsonObject, int]]] = {}
        self._next_ping_id = 0
        self._latest_sample: GazeSample | None = None
        self._new_sample = asyncio.Event()
        self._samples_by_pts: collections.OrderedDict[int, tuple[GazeSample, int]] = (
            collections.OrderedDict()
        )
        self._pts_shift_votes: collections.Counter[int] = collections.Counter()
        self._last_sample_pts: int | None = None
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
            ClientError: already connected, the video cannot be opened, or the server refused
                (:class:`ServerError` with the server's code) or did not answer in time.
        """
        if self._pc is not None:
            raise ClientError("already connected; use a new Client for a new session")
        pc = self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        channel = pc.createDataChannel("gaze")
        config_received = asyncio.Event()

        def on_message(data: str | bytes) -> None:
            arrived_unix_ns = time.time_ns()
            if not isinstance(data, str):
                return
            message = json.loads(data)
            if message.get("type") == "config":
                config_received.set()
            self._dispatch(message, arrived_unix_ns)

        channel.on("message", on_message)
        pc.on("track", self._on_track)
        direction = "sendrecv" if self.output.sends_video else "sendonly"
        pc.addTransceiver(self._video_track(), direction=direction)
        self._channel = channel
        await pc.setLocalDescription(await pc.createOffer())
        offer = {
            "sdp": pc.localDescription.sdp,
            "type": "offer",
            "options": {"output": self.output.value},
        }
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
            await self.close()
            raise ClientError(f"cannot reach {self.url}: {exc}") from exc
        if response.status != 200:
            await self.close()
            raise ServerError(answer.get("code", "unknown"), answer.get("message", str(answer)))
        self.session_id = answer["session_id"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        try:
            await asyncio.wait_for(config_received.wait(), timeout_seconds)
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
        """Close the connection and stop the video source (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pc is not None:
            await self._pc.close()
            self._pc.remove_all_listeners()
        if self._player is not None and self._player.video is not None:
            self._player.video.stop()
        failure = ClientError("the client was closed")
        for future in [*self._pending_events, *self._pending_recording]:
            if not future.done():
                future.set_exception(failure)
        for pong in self._pending_pongs.values():
            if not pong.done():
                pong.set_exception(failure)
        self._listeners.clear()
        self._frame_listeners.clear()

    # -- incoming -----------------------------------------------------------------------------

    def add_listener(self, listener: MessageListener) -> None:
        """Call ``listener`` with every data-channel message (on the event loop)."""
        self._listeners.append(listener)

    def add_frame_listener(self, listener: Callable[[VideoFrame, GazeSample | None], None]) -> None:
        """Call ``listener`` with every returned video frame and its sample, when known."""
        self._frame_listeners.append(listener)

    def _dispatch(self, message: JsonObject, arrived_unix_ns: int) -> None:
        message_type = message.get("type")
        if message_type == "sample":
            sample = gaze_sample_from_dict(message)
            self._latest_sample = sample
            self._new_sample.set()
            self._samples_by_pts[message["pts_90khz"]] = (sample, arrived_unix_ns)
            self._last_sample_pts = message["pts_90khz"]
            while len(self._samples_by_pts) > MATCH_HISTORY:
                self._samples_by_pts.popitem(last=False)
        elif message_type == "event_ack":
            _resolve_first(self._pending_events, message)
        elif message_type == "recording_status":
            _resolve_first(self._pending_recording, message)
        elif message_type == "pong":
            pong = self._pending_pongs.pop(message["id"], None)
            if pong is not None and not pong.done():
                pong.set_result((message, arrived_unix_ns))
        elif message_type == "error":
            pending = {"event": self._pending_events, "recording": self._pending_recording}.get(
                message.get("ref_type", "")
            )
            if pending:
                future = pending.popleft()
                if not future.done():
                    future.set_exception(ServerError(message["code"], message["message"]))
            else:
                logger.warning("server error %s: %s", message["code"], message["message"])
        for listener in list(self._listeners):
            listener(message, arrived_unix_ns)

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
                # Returned frames count their pts from the first one returned; the samples from
                # the first frame sent. The frame's own sample arrives just before it, so the
                # most common (latest sample pts - frame pts) is the shift between the two.
                if self._last_sample_pts is not None:
                    self._pts_shift_votes[self._last_sample_pts - pts] += 1
                sample: GazeSample | None = None
                if self._pts_shift_votes:
                    shift = self._pts_shift_votes.most_common(1)[0][0]
                    matched = self._samples_by_pts.get(pts + shift)
                    sample = None if matched is None else matched[0]
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
        return self._latest_sample

    async def receive_gaze_sample(self, timeout_seconds: float | None = None) -> GazeSample | None:
        """The next sample to arrive (newest first: older unread ones are skipped), or ``None``
        after ``timeout_seconds``."""
        self._new_sample.clear()
        try:
            await asyncio.wait_for(self._new_sample.wait(), timeout_seconds)
        except TimeoutError:
            return None
        return self._latest_sample

    # -- outgoing -----------------------------------------------------------------------------

    def _send(self, message: JsonObject) -> None:
        channel = getattr(self, "_channel", None)
        if self._closed or channel is None or channel.readyState != "open":
            raise ClientError("not connected")
        channel.send(json.dumps(message, separators=(",", ":")))

    async def _request(
        self,
        pending: collections.deque[asyncio.Future[JsonObject]],
        message: JsonObject,
        timeout_seconds: float,
    ) -> JsonObject:
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
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
            ClientError: not connected or no answer in time.
        """
        message: JsonObject = {"v": protocol.PROTOCOL_VERSION, "type": "event", "name": name}
        if event_timestamp_unix_ns is not None:
            message["timestamp_unix_ns"] = event_timestamp_unix_ns
        ack = await self._request(self._pending_events, message, timeout_seconds)
        return stored_event_from_dict(ack["event"])

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
        status = await self._request(self._pending_recording, message, timeout_seconds)
        return recording_info_from_dict(status["recording"])

    async def recording_start(
        self, name: str | None = None, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> RecordingInfo:
        """Start recording this session on the server.

        Raises:
            ServerError: ``recording_in_progress`` or ``recording_unavailable``.
        """
        return await self._recording("start", name, timeout_seconds)

    async def recording_stop_and_save(
        self, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> RecordingInfo:
        """Stop the recording and keep it. Raises: ServerError ``not_recording``."""
        return await self._recording("stop", None, timeout_seconds)

    async def recording_cancel(
        self, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> RecordingInfo:
        """Stop the recording and discard its data. Raises: ServerError ``not_recording``."""
        return await self._recording("cancel", None, timeout_seconds)

    async def set_output(self, output: OutputMode) -> None:
        """Change what the server sends back (video needs a client created with video output)."""
        self._send({"v": protocol.PROTOCOL_VERSION, "type": "config", "output": output.value})
        self.output = output

    async def estimate_time_offset(
        self, pings: int = 10, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> TimeOffsetEstimate:
        """Server clock minus client clock from ``pings`` ping/pong exchanges (the one with the
        shortest round trip wins: it had the least room for asymmetric delay).

        Raises:
            ClientError: not connected or no pong in time.
        """
        best: tuple[int, int] | None = None
        loop = asyncio.get_running_loop()
        for _ in range(max(1, pings)):
            ping_id = self._next_ping_id
            self._next_ping_id += 1
            future: asyncio.Future[tuple[JsonObject, int]] = loop.create_future()
            self._pending_pongs[ping_id] = future
            self._send(protocol.make_ping(ping_id, time.time_ns()))
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


def _resolve_first(pending: collections.deque[asyncio.Future[JsonObject]], message: Any) -> None:
    while pending:
        future = pending.popleft()
        if not future.done():
            future.set_result(message)
            return
