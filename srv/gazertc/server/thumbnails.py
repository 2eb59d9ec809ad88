"""A participant's camera as a small JPEG for the host's monitor, only while they share it.

The participant opts in (config ``share_thumbnail: true``; off by default) and may withdraw at
any time: withdrawing drops the kept frame and the last thumbnail at once, and a thumbnail still
being made when it happens is thrown away. The session hands every frame its pipeline takes to
:meth:`CameraThumbnail.offer`, which keeps a reference to the newest while shared; a thumbnail is
made from it when the monitor asks, at most once per :data:`THUMBNAIL_REFRESH_S`, on a thread
(scaling and JPEG encoding take ~8 ms for a 640x480 frame, too long for the event loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

import av
import cv2
from av.video.reformatter import VideoReformatter

__all__ = [
    "THUMBNAIL_MAX_SIDE_PX",
    "THUMBNAIL_REFRESH_S",
    "CameraThumbnail",
    "encode_thumbnail",
]

THUMBNAIL_MAX_SIDE_PX: Final = 160
"""Enough to see that someone sits in front of the camera and roughly how; too small to show
much more, which is the point of a consented glance."""
THUMBNAIL_REFRESH_S: Final = 1.0
"""A monitor polls about once per second; more often would cost the server for no insight."""
JPEG_QUALITY: Final = 70
"""About 1-4 KB for a 160x120 thumbnail, with no visible blocking at that size."""


def encode_thumbnail(frame: av.VideoFrame) -> bytes:
    """``frame`` scaled to fit :data:`THUMBNAIL_MAX_SIDE_PX` (never enlarged), as a JPEG.

    Safe on a thread while the event loop hands the same frame to the worker pool: it reads the
    frame with its own reformatter (PyAV keeps one per frame, shared by ``frame.reformat``).

    Raises:
        ValueError: the JPEG encoder failed.
    """
    scale = min(1.0, THUMBNAIL_MAX_SIDE_PX / frame.width, THUMBNAIL_MAX_SIDE_PX / frame.height)
    width_px = max(1, round(frame.width * scale))
    height_px = max(1, round(frame.height * scale))
    small = VideoReformatter().reformat(
        frame, width=width_px, height=height_px, format="bgr24", interpolation="AREA"
    )
    encoded, jpeg = cv2.imencode(
        ".jpg", small.to_ndarray(), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not encoded:
        raise ValueError("the JPEG encoder refused the thumbnail")
    return jpeg.tobytes()


class CameraThumbnail:
    """One session's thumbnail (call from the event loop).

    Args:
        clock: seconds, monotonic; tests pass their own.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._shared = False
        self._latest: av.VideoFrame | None = None
        self._jpeg: bytes | None = None
        self._made_s = 0.0
        self._withdrawals = 0
        """Counts withdrawals: a thumbnail made across one is thrown away."""
        self._making = asyncio.Lock()

    @property
    def shared(self) -> bool:
        """The participant lets the host see the thumbnail."""
        return self._shared

    def share(self, shared: bool) -> None:
        """Follow the participant's choice; ``False`` forgets the frame and thumbnail now."""
        if not shared:
            self._latest = None
            self._jpeg = None
            self._withdrawals += 1
        self._shared = shared

    def offer(self, frame: av.VideoFrame) -> None:
        """A frame the session just read: kept (replacing the previous one) while shared."""
        if self._shared:
            self._latest = frame

    async def jpeg(self) -> bytes | None:
        """The thumbnail: at most :data:`THUMBNAIL_REFRESH_S` old, made from the newest frame;
        ``None`` while not shared, before a frame arrived, or when withdrawn meanwhile.

        Raises:
            ValueError: the JPEG encoder failed.
        """
        if not self._shared:
            return None
        async with self._making:  # one encode at a time; concurrent asks share its result
            frame = self._latest
            if not self._shared or frame is None:
                return None
            now_s = self._clock()
            if self._jpeg is not None and now_s - self._made_s < THUMBNAIL_REFRESH_S:
                return self._jpeg
            withdrawals = self._withdrawals
            jpeg = await asyncio.to_thread(encode_thumbnail, frame)
            if withdrawals != self._withdrawals:
                return None
            self._jpeg, self._made_s = jpeg, now_s
            return jpeg
