"""A real aiortc client peer and an in-process server, for the end-to-end tests and the bench."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
import numpy.typing as npt
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from gazertc.server.app import SESSIONS_KEY, ServerConfig, create_app
from gazertc.server.tracks import VIDEO_CLOCK_HZ


@dataclass
class RunningServer:
    app: web.Application
    base_url: str

    @property
    def session_count(self) -> int:
        return len(self.app[SESSIONS_KEY])

    async def wait_for_sessions(self, count: int, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.session_count != count:
            if time.monotonic() > deadline:
                states = [
                    f"{session.state.name} ({session.close_reason})"
                    for session in self.app[SESSIONS_KEY]
                ]
                raise AssertionError(
                    f"expected {count} session(s) within {timeout_s} s, have "
                    f"{self.session_count}: {states}; tasks:\n{_task_stacks()}"
                )
            await asyncio.sleep(0.05)


async def wait_until(
    new_message: asyncio.Event, predicate: Callable[[], bool], timeout_s: float, what: str
) -> None:
    """Wait until ``predicate()`` holds, checking whenever ``new_message`` is set (and every
    0.1 s); AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        new_message.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(new_message.wait(), min(remaining, 0.1))


def _task_stacks() -> str:
    """Where every task of the loop waits (what a session that does not close is stuck on)."""
    lines: list[str] = []
    for task in asyncio.all_tasks():
        awaiting: object = task.get_coro()
        chain: list[str] = []
        while awaiting is not None:
            frame = getattr(awaiting, "cr_frame", None) or getattr(awaiting, "gi_frame", None)
            if frame is not None:
                chain.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
            awaiting = getattr(awaiting, "cr_await", None) or getattr(
                awaiting, "gi_yieldfrom", None
            )
        lines.append(f"  {task.get_name()}: {' -> '.join(chain) or 'done'}")
    return "\n".join(lines)


@contextlib.asynccontextmanager
async def running_server(config: ServerConfig) -> AsyncIterator[RunningServer]:
    """The real application on an ephemeral localhost port."""
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield RunningServer(app, f"http://{host}:{port}")
    finally:
        await runner.cleanup()


@dataclass
class ReceivedMessage:
    message: dict[str, Any]
    received_unix_ns: int


@dataclass
class GazeClient:
    """A client peer: sends a video track, collects data-channel messages and returned video.

    Args:
        base_url: the server's URL.
        track: the video track to send (e.g. ``MediaPlayer(path).video``).
        options: the ``options`` of the offer.
        receive_video: offer the video transceiver as sendrecv (else sendonly).
        video_codec: offer only this video codec (e.g. ``"video/H264"``; default: aiortc's
            list, VP8 first).
    """

    base_url: str
    track: MediaStreamTrack
    options: dict[str, Any] = field(default_factory=dict)
    receive_video: bool = True
    video_codec: str | None = None
    messages: list[ReceivedMessage] = field(default_factory=list)
    returned_frames: list[av.VideoFrame] = field(default_factory=list)
    keep_returned_frames: int = 50
    session_id: str | None = None
    session_secret: str | None = None
    on_message: Callable[[ReceivedMessage], None] | None = None

    def __post_init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel = self.pc.createDataChannel("gaze")
        self.channel_open = asyncio.Event()
        self._new_message = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.channel.on("open", self.channel_open.set)
        self.channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)
        direction = "sendrecv" if self.receive_video else "sendonly"
        transceiver = self.pc.addTransceiver(self.track, direction=direction)
        if self.video_codec is not None:
            codecs = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences(
                [codec for codec in codecs if codec.mimeType == self.video_codec]
            )
        self.sender = transceiver.sender

    def _on_message(self, data: str | bytes) -> None:
        assert isinstance(data, str)
        received = ReceivedMessage(json.loads(data), time.time_ns())
        self.messages.append(received)
        if self.on_message is not None:
            self.on_message(received)
        self._new_message.set()

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._reader = asyncio.ensure_future(self._read_video(track))

    async def _read_video(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.VideoFrame)
                self.returned_frames.append(frame)
                del self.returned_frames[: -self.keep_returned_frames]

    async def post_offer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base_url}/offer", json=body) as response,
        ):
            return response.status, await response.json()

    async def connect(self) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer: dict[str, Any] = {"sdp": self.pc.localDescription.sdp, "type": "offer"}
        if self.options:
            offer["options"] = self.options
        status, answer = await self.post_offer(offer)
        if status != 200:
            raise AssertionError(f"offer refused with {status}: {answer}")
        self.session_id = answer["session_id"]
        self.session_secret = answer["session_secret"]
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=answer["sdp"], type=answer["type"])
        )
        await asyncio.wait_for(self.channel_open.wait(), 10.0)

    def send(self, message: dict[str, Any] | str) -> None:
        self.channel.send(message if isinstance(message, str) else json.dumps(message))

    def of_type(self, message_type: str) -> list[dict[str, Any]]:
        return [m.message for m in self.messages if m.message.get("type") == message_type]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout_s: float = 15.0, what: str = "condition"
    ) -> None:
        await wait_until(self._new_message, predicate, timeout_s, what)

    async def close(self) -> None:
        await self.pc.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)


class FramePacer:
    """Releases frames at a fixed rate from the first one asked for (late frames go at once,
    so the rate catches up); gives each frame's index and its RTP ``pts``."""

    def __init__(self, fps: int) -> None:
        self.fps = fps
        self._count = 0
        self._start_s: float | None = None

    async def next_frame(self) -> tuple[int, int]:
        now_s = time.monotonic()
        if self._start_s is None:
            self._start_s = now_s
        delay_s = self._start_s + self._count / self.fps - now_s
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        index = self._count
        self._count += 1
        return index, index * (VIDEO_CLOCK_HZ // self.fps)


class PacedTrack(MediaStreamTrack):
    """Frames from memory at a fixed rate; each frame's capture time is logged by its ``pts``
    (the RTP timestamp the server reports back as ``pts_90khz``)."""

    kind = "video"

    def __init__(self, frames_i420: list[npt.NDArray[np.uint8]], fps: int) -> None:
        super().__init__()
        self.capture_unix_ns: dict[int, int] = {}
        self._frames = frames_i420
        self._pacer = FramePacer(fps)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        index, pts = await self._pacer.next_frame()
        image = self._frames[index % len(self._frames)]
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts = pts
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_HZ)
        self.capture_unix_ns[pts] = time.time_ns()
        return frame


def i420_frames(path: Path, count: int) -> list[npt.NDArray[np.uint8]]:
    """The first ``count`` frames of a video as I420 arrays ``(h * 3 / 2, w)``."""
    with av.open(str(path)) as container:
        return [
            np.asarray(frame.reformat(format="yuv420p").to_ndarray(), np.uint8)
            for _, frame in zip(range(count), container.decode(video=0), strict=False)
        ]


def video_track(path: Path) -> MediaStreamTrack:
    """The video track of a file played as a camera would be."""
    track = media_player(path).video
    assert track is not None, f"{path} has no video stream"
    return track


def media_player(path: Path) -> MediaPlayer:
    """Plays a video file in real time (aiortc paces file playback by the frame timestamps)."""
    return MediaPlayer(str(path))
