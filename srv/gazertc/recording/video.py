"""A recording's camera video: one VP8/WebM file per recording, beside the database, written
only when the recording was started with video.

The file lies at ``videos/{recording_id}.webm`` in the data directory (:func:`video_path`),
private to its owner like the rest of the recordings. Each frame's presentation time is its
capture time in ms since the recording started (time base 1/1000), the clock of the
recording's samples, so a replay lines the picture up with the gaze.

:class:`VideoEncoder` is synchronous and blocks on the CPU and the disk: run it off the event
loop (:mod:`gazertc.server.recording_video` gives it a thread).
"""

from __future__ import annotations

import contextlib
import logging
from fractions import Fraction
from pathlib import Path
from typing import Final

import av
from av.container import OutputContainer
from av.video.stream import VideoStream

from gazertc.recording.private import make_private, private_directory

__all__ = [
    "MAX_VIDEO_WIDTH_PX",
    "VIDEO_CONTENT_TYPE",
    "VIDEO_DIRECTORY",
    "VIDEO_FRAME_RATE_HZ",
    "VideoEncoder",
    "delete_video",
    "output_size",
    "video_path",
]

logger = logging.getLogger(__name__)

VIDEO_DIRECTORY: Final = "videos"
"""Folder of the data directory that holds the recordings' videos."""
VIDEO_SUFFIX: Final = ".webm"
VIDEO_CONTENT_TYPE: Final = "video/webm"
VIDEO_CODEC: Final = "libvpx"
"""VP8 in WebM: every Chromium and Firefox plays it in a <video>, with no patent-encumbered
codec in the wheel."""
MAX_VIDEO_WIDTH_PX: Final = 640
"""Enough to see the face and the eyes' direction in a replay; larger frames are downscaled
to this width, which keeps the encoder within a few ms per frame on one core."""
VIDEO_FRAME_RATE_HZ: Final = 15
"""Half a webcam's 30 fps: smooth enough to follow blinks and head turns in a replay, at half
the encoding cost (frames come more often are skipped before they reach the encoder)."""
VIDEO_BIT_RATE_BPS: Final = 600_000
"""About 4.5 MB a minute: a 640x480 face at 15 fps stays sharp in VP8 at this rate."""
VIDEO_ENCODER_OPTIONS: Final = {"deadline": "realtime", "cpu-used": "8"}
"""libvpx's fastest settings: the server shares its cores with the gaze workers."""
MS_TIME_BASE: Final = Fraction(1, 1000)
"""Presentation times are ms since the recording started (WebM's own resolution)."""


def video_path(data_dir: Path, recording_id: str) -> Path:
    """Where the video of a recording is (or would be) stored."""
    return data_dir / VIDEO_DIRECTORY / f"{recording_id}{VIDEO_SUFFIX}"


def delete_video(data_dir: Path, recording_id: str) -> None:
    """Remove a recording's video, if any (a cancelled recording keeps no data)."""
    with contextlib.suppress(FileNotFoundError):
        video_path(data_dir, recording_id).unlink()


def output_size(width_px: int, height_px: int) -> tuple[int, int]:
    """The stored size of a ``width_px`` x ``height_px`` frame: at most
    :data:`MAX_VIDEO_WIDTH_PX` wide, the same aspect, even sides (yuv420p halves them)."""
    width = max(2, min(width_px, MAX_VIDEO_WIDTH_PX) // 2 * 2)
    height = max(2, round(height_px * width / width_px / 2) * 2)
    return width, height


class VideoEncoder:
    """Writes one recording's video file, frame by frame (not thread-safe: one thread).

    The file is created (0600, in a 0700 folder) at the first frame, whose size sets the
    video's size; later frames of another size are scaled to it.

    Args:
        path: the file to write (see :func:`video_path`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.frames_written = 0
        self._container: OutputContainer | None = None
        self._stream: VideoStream | None = None
        self._last_pts_ms = -1

    def add(self, frame: av.VideoFrame, pts_ms: int) -> bool:
        """Encode ``frame`` at ``pts_ms`` (ms since the recording started). A frame not later
        than the previous one is skipped (returns ``False``): times only move forward.

        Raises:
            av.FFmpegError, OSError, ValueError: the frame or the file could not be written;
                the encoder is then unusable (:meth:`close` it).
        """
        if pts_ms <= self._last_pts_ms:
            return False
        stream = self._stream or self._open(frame.width, frame.height)
        scaled = frame.reformat(stream.width, stream.height, format="yuv420p")
        scaled.pts = pts_ms
        scaled.time_base = MS_TIME_BASE
        container = self._container
        assert container is not None  # opened with the stream
        for packet in stream.encode(scaled):
            container.mux(packet)
        self._last_pts_ms = pts_ms
        self.frames_written += 1
        return True

    def close(self) -> None:
        """Flush the encoder and finish the file (idempotent). Raises what :meth:`add` does;
        the container is closed all the same."""
        container, stream = self._container, self._stream
        self._container = self._stream = None
        if container is None or stream is None:
            return
        try:
            for packet in stream.encode(None):
                container.mux(packet)
        finally:
            container.close()

    def discard(self) -> None:
        """Close without caring how, and delete the file (a cancelled or failed video)."""
        try:
            self.close()
        except Exception:  # the file goes anyway; why it failed no longer matters
            logger.debug("closing the discarded video %s failed", self.path, exc_info=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _open(self, width_px: int, height_px: int) -> VideoStream:
        private_directory(self.path.parent)
        make_private(self.path)  # av.open truncates it and keeps the mode
        container = av.open(str(self.path), mode="w", format="webm")
        try:
            stream = container.add_stream(VIDEO_CODEC, rate=VIDEO_FRAME_RATE_HZ)
            stream.width, stream.height = output_size(width_px, height_px)
            stream.pix_fmt = "yuv420p"
            stream.bit_rate = VIDEO_BIT_RATE_BPS
            stream.codec_context.time_base = MS_TIME_BASE
            stream.codec_context.thread_count = 1
            stream.options = dict(VIDEO_ENCODER_OPTIONS)
        except Exception:
            container.close()
            raise
        self._container, self._stream = container, stream
        return stream
