"""Pre-encoded client video for ``bench/server.py``: VP8 encoded once, sent by every client.

A real deployment's clients encode on their own machines; the bench's clients share the
server's cores, where live VP8 encoding (~5 ms a frame at 400x300) takes capacity the server
would have. So the bench encodes the video once (:func:`encode_vp8`, an IVF file) and each
client peer sends those packets (:class:`PacedPacketTrack`): aiortc's ``RTCRtpSender`` only
packetizes a track's ``av.Packet`` (``Vp8Encoder.pack``), it does not re-encode it.

Packets cannot answer a picture-loss request with a keyframe (aiortc forces keyframes only when
it encodes), so every ``KEYFRAME_INTERVAL_FRAMES``-th frame is one, the first included: a loop
restarts on a keyframe and a decoder that lost a packet recovers within a second.
"""

from __future__ import annotations

import fractions
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import av
import numpy as np
import numpy.typing as npt
from aiortc.codecs.vpx import DEFAULT_BITRATE
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from tests.server.peer import FramePacer

from gazertc.server.tracks import VIDEO_CLOCK_HZ

__all__ = [
    "KEYFRAME_INTERVAL_FRAMES",
    "EncodedVideo",
    "PacedPacketTrack",
    "encode_vp8",
    "read_vp8",
]

KEYFRAME_INTERVAL_FRAMES: Final = 30
"""One keyframe a second at 30 fps: a late picture-loss request stalls the server <= 1 s."""
BITRATE_BPS: Final = DEFAULT_BITRATE
"""aiortc's own starting bitrate for a live VP8 sender."""


@dataclass(frozen=True, slots=True)
class EncodedVideo:
    """What :func:`encode_vp8` wrote."""

    path: Path
    frames: int
    keyframes: int
    encode_cpu_ms_per_frame: float
    """CPU time (this process) per frame: what a live client spends encoding at this size."""
    bitrate_bps: float
    """Bits per second of the stream when sent at the given frame rate."""


def _vp8_stream(
    container: av.container.OutputContainer, width: int, height: int, fps: int
) -> av.VideoStream:
    stream = container.add_stream("libvpx", rate=fps)
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    stream.bit_rate = BITRATE_BPS
    stream.codec_context.gop_size = KEYFRAME_INTERVAL_FRAMES
    stream.codec_context.thread_count = 1  # as aiortc encodes this size
    # Real-time constant bitrate as a WebRTC sender encodes; no lag, so one packet per frame.
    stream.options = {
        "deadline": "realtime",
        "cpu-used": "-6",
        "lag-in-frames": "0",
        "minrate": str(BITRATE_BPS),
        "maxrate": str(BITRATE_BPS),
        "bufsize": str(BITRATE_BPS),
    }
    return stream


def encode_vp8(frames_i420: list[npt.NDArray[np.uint8]], fps: int, path: Path) -> EncodedVideo:
    """Encode I420 frames (``(h * 3 / 2, w)`` arrays, all one size) to a VP8 IVF file.

    Raises:
        RuntimeError: the encoder did not give one packet per frame, or missed a keyframe.
    """
    height, width = frames_i420[0].shape[0] * 2 // 3, frames_i420[0].shape[1]
    frame_bytes = 0
    started_s = time.process_time()
    with av.open(str(path), "w", format="ivf") as container:
        stream = _vp8_stream(container, width, height, fps)
        for index, image in enumerate(frames_i420):
            frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
            frame.pts = index
            if index % KEYFRAME_INTERVAL_FRAMES == 0:
                frame.pict_type = av.video.frame.PictureType.I
            for packet in stream.encode(frame):
                frame_bytes += packet.size
                container.mux(packet)
        container.mux(stream.encode(None))
    cpu_s = time.process_time() - started_s
    packets = read_vp8(path)
    keyframes = [index for index, (_, keyframe) in enumerate(packets) if keyframe]
    expected = list(range(0, len(frames_i420), KEYFRAME_INTERVAL_FRAMES))
    if len(packets) != len(frames_i420) or keyframes != expected:
        raise RuntimeError(
            f"VP8 encoding gave {len(packets)} packets for {len(frames_i420)} frames, "
            f"keyframes at {keyframes[:5]}..., expected {expected[:5]}..."
        )
    return EncodedVideo(
        path=path,
        frames=len(packets),
        keyframes=len(keyframes),
        encode_cpu_ms_per_frame=1000.0 * cpu_s / len(frames_i420),
        bitrate_bps=8.0 * frame_bytes * fps / len(frames_i420),
    )


def read_vp8(path: Path) -> list[tuple[bytes, bool]]:
    """The packets of an IVF file written by :func:`encode_vp8`: (data, is a keyframe)."""
    with av.open(str(path)) as container:
        return [
            (bytes(packet), packet.is_keyframe)
            for packet in container.demux(video=0)
            if packet.size > 0  # the demuxer's end-of-stream packet
        ]


class PacedPacketTrack(MediaStreamTrack):
    """Encoded frames at a fixed rate, looping; each frame's send time is logged by its ``pts``
    (the RTP timestamp the server reports back as ``pts_90khz``), as
    :class:`tests.server.peer.PacedTrack` logs its frames' capture times.

    Args:
        packets: one VP8 frame each, the first a keyframe, the count a multiple of
            ``KEYFRAME_INTERVAL_FRAMES`` (so the loop restarts on a keyframe).
        fps: frames per second.
    """

    kind = "video"

    def __init__(self, packets: list[bytes], fps: int) -> None:
        super().__init__()
        if not packets or len(packets) % KEYFRAME_INTERVAL_FRAMES:
            raise ValueError(f"need a multiple of {KEYFRAME_INTERVAL_FRAMES} packets")
        self.capture_unix_ns: dict[int, int] = {}
        self._packets = packets
        self._pacer = FramePacer(fps)

    async def recv(self) -> av.Packet[av.stream.Stream]:
        if self.readyState != "live":
            raise MediaStreamError
        index, pts = await self._pacer.next_frame()
        packet = av.Packet(self._packets[index % len(self._packets)])
        packet.pts = pts
        packet.time_base = fractions.Fraction(1, VIDEO_CLOCK_HZ)
        self.capture_unix_ns[pts] = time.time_ns()
        return packet
