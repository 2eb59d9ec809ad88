"""Where frames meet the pipeline: a client's frames in, samples and annotated frames out.

Latest-frame semantics: a :class:`FrameSource` hands over only the newest frame. A WebRTC
client's track is read through ``MediaRelay.subscribe(..., buffered=False)``, which keeps only
the newest decoded frame (:class:`RelayedTrackFrames`); a WebSocket client's JPEG frames wait
undecoded, newest only (:mod:`gazertc.server.jpeg_frames`). The pipeline takes a frame, waits
for its result from the worker pool, then takes whatever frame is newest by then; frames that
arrived in between are dropped, never queued, so latency stays bounded when the server is
overloaded and the drop count says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final, Protocol

import av
from aiortc import RTCRtpReceiver
from aiortc.contrib.media import MediaRelay
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from gazertc.server.pool import (
    FrameMeta,
    FrameRejectedError,
    ProcessedFrame,
    WorkerCrashedError,
    WorkerPool,
)
from gazertc.vision.types import QualityFlag, TrackingState

__all__ = [
    "VIDEO_CLOCK_HZ",
    "AnnotatedVideoTrack",
    "CaptureClock",
    "FrameSource",
    "MarkerJitterBuffer",
    "PipelineCounters",
    "ReceiveStampTrack",
    "ReceivedFrame",
    "RelayedTrackFrames",
    "VideoPipeline",
    "end_remote_track",
    "install_marker_jitter_buffer",
]

logger = logging.getLogger(__name__)

VIDEO_CLOCK_HZ: Final = 90_000
"""RTP video clock; aiortc hands decoded frames over with ``pts`` in these ticks."""

NS_PER_S: Final = 1_000_000_000
MAX_PIPELINE_RESTARTS: Final = 3
"""A session whose worker is lost more often than this within ``RESTART_WINDOW_S`` is closed:
its own frames are probably what crashes the workers, and each crash costs every session of
that worker a restart."""
RESTART_WINDOW_S: Final = 60.0


@dataclass(frozen=True, slots=True)
class ReceivedFrame:
    """Stamped on each decoded frame (``frame.opaque``) as it leaves the decoder."""

    frame_id: int
    received_unix_ns: int


class ReceiveStampTrack(MediaStreamTrack):
    """Passes a track's frames through, numbering them and stamping their arrival time.

    Numbering happens before the relay drops stale frames, so gaps in ``frame_id`` downstream
    are exactly the frames dropped.
    """

    kind = "video"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self._source = source
        self.frames_received = 0
        self.last_received_unix_ns: int | None = None

    async def recv(self) -> av.VideoFrame:
        frame = await self._source.recv()
        if not isinstance(frame, av.VideoFrame):
            raise MediaStreamError(f"expected video frames, got {type(frame).__name__}")
        received_unix_ns = time.time_ns()
        frame.opaque = ReceivedFrame(self.frames_received, received_unix_ns)
        self.frames_received += 1
        self.last_received_unix_ns = received_unix_ns
        return frame


class MarkerJitterBuffer(JitterBuffer):
    """aiortc's video jitter buffer, completing a frame at its last packet.

    aiortc 1.16 hands a video frame to the decoder only when the first packet of the *next*
    frame arrives, which adds one frame interval (33 ms at 30 fps) to every frame's latency.
    Senders mark the last packet of each video frame with the RTP marker bit, so a frame whose
    packets are all present up to a marked one is complete. When the marked packet is lost, the
    next frame's first packet completes the frame, as before.
    """

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        origin = self._origin
        if origin is None:
            return None
        packets: list[RtpPacket] = []
        timestamp: int | None = None
        for count in range(self._capacity):
            packet = self._packets[(origin + count) % self._capacity]
            if packet is None:
                return None
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                return self._complete(packets, timestamp, count)
            packets.append(packet)
            if packet.marker:
                return self._complete(packets, timestamp, count + 1)
        return None

    def _complete(self, packets: list[RtpPacket], timestamp: int, count: int) -> JitterFrame:
        # aiortc stores each packet's depayloaded bytes in ``_data``.
        data = b"".join(packet._data for packet in packets)  # type: ignore[attr-defined]
        frame = JitterFrame(data=data, timestamp=timestamp)
        self.remove(count)
        return frame


_RECEIVER_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"


def install_marker_jitter_buffer(receiver: RTCRtpReceiver) -> bool:
    """Give a video receiver a :class:`MarkerJitterBuffer` before its media starts.

    Returns ``False``, leaving aiortc's buffer in place, when this aiortc version keeps its
    buffer elsewhere (then frames arrive one frame interval later, nothing worse).
    """
    current = getattr(receiver, _RECEIVER_JITTER_BUFFER, None)
    if type(current) is not JitterBuffer:
        logger.warning("aiortc's jitter buffer was not found; video latency +1 frame interval")
        return False
    setattr(receiver, _RECEIVER_JITTER_BUFFER, MarkerJitterBuffer(current.capacity, is_video=True))
    return True


def end_remote_track(track: MediaStreamTrack) -> None:
    """Make a remote track's pending and later ``recv`` end, as aiortc does when its receiver
    stops (a ``None`` in the track's queue).

    aiortc ends a received track only when its receiver's decoder stops, and the receiver of a
    peer that closed before its media started (DTLS never up) never stops: the relay's reader
    then waits on the track for ever, keeping it, its session's tracks and a task alive (16 of
    each after 80 connect/disconnect cycles, 1 in 5 of them abrupt, in ``bench/soak.py``).
    Harmless on a track that already ended. Tracks without aiortc's queue are left alone.
    """
    frames = getattr(track, "_queue", None)
    if isinstance(frames, asyncio.Queue):
        frames.put_nowait(None)


class CaptureClock:
    """Capture times on the server's clock, from the sender's media clock (RTP timestamps).

    The offset between the two clocks is taken from the frame that arrived with the least delay
    so far (network and decoding only add delay), so timestamps keep the sender's regular
    spacing instead of the network's jitter. They are late by that least delay (a few ms on a
    LAN) and never run backwards.
    """

    def __init__(self) -> None:
        self._offset_ns: int | None = None
        self._last_ns: int | None = None

    def capture_unix_ns(self, media_ns: int, received_unix_ns: int) -> int:
        """The capture time of a frame with media time ``media_ns`` received at
        ``received_unix_ns`` (both in ns)."""
        offset_ns = received_unix_ns - media_ns
        if self._offset_ns is None or offset_ns < self._offset_ns:
            self._offset_ns = offset_ns
        capture_ns = media_ns + self._offset_ns
        if self._last_ns is not None and capture_ns <= self._last_ns:
            capture_ns = self._last_ns + 1
        self._last_ns = capture_ns
        return capture_ns


class FrameSource(Protocol):
    """A client's frames, newest first: what a :class:`VideoPipeline` reads."""

    @property
    def frames_received(self) -> int:
        """Frames that arrived, counted before stale ones are dropped."""

    @property
    def last_received_unix_ns(self) -> int | None:
        """When the last frame arrived."""

    async def recv(self) -> av.VideoFrame:
        """The newest frame not taken yet (waiting for one), stamped with its
        :class:`ReceivedFrame` in ``opaque``; ``pts``/``time_base`` carry its media time, or
        ``pts`` is ``None`` when unknown.

        Raises:
            MediaStreamError: the source ended.
            FrameRejectedError: this frame cannot be used (later ones may be).
        """

    def stop(self) -> None:
        """End the source and release what it holds (idempotent)."""


class RelayedTrackFrames:
    """A WebRTC video track as a :class:`FrameSource`: stamped on arrival, then relayed with
    latest-frame semantics (``MediaRelay.subscribe(..., buffered=False)``)."""

    def __init__(self, track: MediaStreamTrack, relay: MediaRelay) -> None:
        self._track = track
        self._stamped = ReceiveStampTrack(track)
        self._latest = relay.subscribe(self._stamped, buffered=False)

    @property
    def frames_received(self) -> int:
        return self._stamped.frames_received

    @property
    def last_received_unix_ns(self) -> int | None:
        return self._stamped.last_received_unix_ns

    async def recv(self) -> av.VideoFrame:
        frame = await self._latest.recv()
        assert isinstance(frame, av.VideoFrame)  # ReceiveStampTrack passes only these
        return frame

    def stop(self) -> None:
        self._latest.stop()
        end_remote_track(self._track)  # else the relay may read it for ever


class AnnotatedVideoTrack(MediaStreamTrack):
    """The video sent back: the newest annotated frame, or nothing at all.

    While nobody pushes frames (``json`` output mode) :meth:`recv` waits, so the sender never
    encodes anything: annotated video costs nothing until a client asks for it.

    aiortc's sender encodes the frames, in this process. Encoding VP8 in the worker instead,
    without aiortc's denoiser and at libvpx's fastest speed, was measured (4 runs of 2-6
    sessions, output ``both``): this process spent 2.4 ms less a frame, the workers 2.2 ms
    more, the same CPU per session in all; and an encoded frame can neither answer a client's
    keyframe request nor follow the sender's bandwidth estimate. So it was not kept.
    """

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._frame: av.VideoFrame | None = None
        self._new_frame = asyncio.Event()
        self.frames_pushed = 0

    def push(self, frame: av.VideoFrame) -> None:
        """Offer a frame to send; an unsent older one is replaced."""
        self._frame = frame
        self.frames_pushed += 1
        self._new_frame.set()

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await self._new_frame.wait()
        self._new_frame.clear()
        frame = self._frame
        if self.readyState != "live" or frame is None:
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        super().stop()
        self._new_frame.set()


@dataclass
class PipelineCounters:
    """Counts for status messages; the lists hold values since the last :meth:`take_window`."""

    frames_processed: int = 0
    frames_rejected: int = 0
    pipeline_restarts: int = 0
    """Times the session's worker was lost and its frames went on to a fresh tracker."""
    in_flight: bool = False
    face_found: bool = False
    tracking: TrackingState = TrackingState.LOST
    quality_flags: tuple[QualityFlag, ...] = ()
    processing_ms: list[float] = field(default_factory=list)
    server_latency_ms: list[float] = field(default_factory=list)

    def take_window(self) -> tuple[list[float], list[float]]:
        """Processing and latency values since the last call, and start a new window."""
        window = (self.processing_ms, self.server_latency_ms)
        self.processing_ms, self.server_latency_ms = [], []
        return window


def _pts_90khz(frame: av.VideoFrame) -> int | None:
    if frame.pts is None:
        return None
    time_base = frame.time_base or Fraction(1, VIDEO_CLOCK_HZ)
    return round(frame.pts * time_base * VIDEO_CLOCK_HZ)


class VideoPipeline:
    """Feeds one session's frames through its worker, newest frame first.

    Args:
        session_id: the session's id in the pool.
        frames: the client's frames.
        pool: the worker pool (running).
        wants_annotation: asked per frame: should the worker draw an annotated frame.
        on_result: called with each processed frame, in order.
        on_rejected: called when a frame is refused (too large, or by the tracker).
        on_restarted: called when the session's worker was lost and its frames go on to a
            fresh tracker in the replacement (``counters.pipeline_restarts`` already counts it).
        on_frame: called with each frame taken and its capture time (ns since the epoch)
            before it is processed, e.g. to store the video; must not block.
    """

    def __init__(
        self,
        session_id: str,
        frames: FrameSource,
        pool: WorkerPool,
        *,
        wants_annotation: Callable[[], bool],
        on_result: Callable[[ProcessedFrame], None],
        on_rejected: Callable[[FrameRejectedError], None],
        on_restarted: Callable[[WorkerCrashedError], None],
        on_frame: Callable[[av.VideoFrame, int], None] | None = None,
    ) -> None:
        self.session_id = session_id
        self.counters = PipelineCounters()
        self._frames = frames
        self._pool = pool
        self._wants_annotation = wants_annotation
        self._on_result = on_result
        self._on_rejected = on_rejected
        self._on_restarted = on_restarted
        self._on_frame = on_frame
        self._restarts_s: deque[float] = deque(maxlen=MAX_PIPELINE_RESTARTS + 1)
        self._clock = CaptureClock()

    @property
    def frames_received(self) -> int:
        return self._frames.frames_received

    @property
    def last_received_unix_ns(self) -> int | None:
        return self._frames.last_received_unix_ns

    @property
    def frames_dropped(self) -> int:
        """Frames that arrived but were skipped because a newer one came first."""
        counters = self.counters
        handled = counters.frames_processed + counters.frames_rejected + int(counters.in_flight)
        return max(0, self.frames_received - handled)

    async def run(self) -> None:
        """Process frames until the client's frames end. When the session's worker is lost,
        the frames go on to a fresh tracker in its replacement.

        Raises:
            WorkerCrashedError: the session's worker was lost more than
                ``MAX_PIPELINE_RESTARTS`` times within ``RESTART_WINDOW_S``.
            PoolClosedError: the worker pool closed (the server is shutting down).
        """
        try:
            self._pool.open_session(self.session_id)
            while True:
                try:
                    frame = await self._frames.recv()
                except MediaStreamError:
                    return
                except FrameRejectedError as exc:
                    self.counters.frames_rejected += 1
                    self._on_rejected(exc)
                    continue
                await self._process(frame)
        finally:
            self._frames.stop()
            self._pool.close_session(self.session_id)

    async def _process(self, frame: av.VideoFrame) -> None:
        received = frame.opaque
        assert isinstance(received, ReceivedFrame)
        pts_90khz = _pts_90khz(frame)
        if pts_90khz is None:
            timestamp_ns = received.received_unix_ns
            pts_90khz = 0
        else:
            media_ns = pts_90khz * NS_PER_S // VIDEO_CLOCK_HZ
            timestamp_ns = self._clock.capture_unix_ns(media_ns, received.received_unix_ns)
        meta = FrameMeta(received.frame_id, pts_90khz, timestamp_ns, received.received_unix_ns)
        if self._on_frame is not None:
            self._on_frame(frame, timestamp_ns)
        counters = self.counters
        counters.in_flight = True
        try:
            processed = await self._pool.process(
                self.session_id, frame, meta, annotate=self._wants_annotation()
            )
        except FrameRejectedError as exc:
            counters.frames_rejected += 1
            self._on_rejected(exc)
            return
        except WorkerCrashedError as exc:
            now_s = time.monotonic()
            self._restarts_s.append(now_s)
            if (
                len(self._restarts_s) > MAX_PIPELINE_RESTARTS
                and now_s - self._restarts_s[0] < RESTART_WINDOW_S
            ):
                raise
            counters.pipeline_restarts += 1
            self._on_restarted(exc)
            return
        finally:
            counters.in_flight = False
        sample, timing = processed.result.message.sample, processed.result.message.timing
        counters.frames_processed += 1
        counters.face_found = sample.face_found
        counters.tracking = sample.tracking
        counters.quality_flags = sample.quality.flags
        counters.processing_ms.append(timing.processing_ms)
        counters.server_latency_ms.append(
            (timing.processed_unix_ns - received.received_unix_ns) / 1e6
        )
        self._on_result(processed)
