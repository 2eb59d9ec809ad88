"""A WebSocket client's frames: binary messages of a capture time and a JPEG image, checked as
they arrive and decoded only when the pipeline is ready for them.

A frame message is 8 bytes of capture time (unsigned big-endian, Unix time in microseconds on
the client's clock; 0 = unknown) and one JPEG image. :func:`parse_frame_message` checks it on
the event loop without decoding: the header, the JPEG's start marker, and the image size read
from its frame header (``SOFn``), so that a small file claiming a huge image (a decompression
bomb) is refused before any pixel is allocated.

:class:`JpegFrames` keeps only the newest undecoded frame (latest-frame semantics, as WebRTC
frames get from ``MediaRelay.subscribe(..., buffered=False)``): a frame that arrives while the
pipeline is busy replaces the waiting one, which is dropped undecoded. Decoding runs on a
thread (OpenCV releases the GIL while it decodes), never on the event loop.

Errors::

    FrameRejectedError (gazertc.server.pool)
    ├── FrameTooLargeError    more bytes or pixels than the server accepts
    └── InvalidFrameError     not a capture time and a JPEG image that decodes
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import av
import cv2
import numpy as np
from aiortc.mediastreams import MediaStreamError

from gazertc.server.pool import FrameRejectedError, FrameTooLargeError
from gazertc.server.tracks import VIDEO_CLOCK_HZ, ReceivedFrame

__all__ = [
    "FRAME_HEADER_BYTES",
    "FrameMessage",
    "InvalidFrameError",
    "JpegFrames",
    "decode_jpeg",
    "jpeg_size_px",
    "parse_frame_message",
]

FRAME_HEADER_BYTES: Final = 8
"""The capture time before the JPEG: unsigned 64-bit big-endian microseconds."""
US_PER_S: Final = 1_000_000
JPEG_START: Final = b"\xff\xd8"
"""Every JPEG starts with the start-of-image marker."""
_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""Frame headers (baseline, progressive, lossless ...): they carry the image size. C4 (Huffman
tables), C8 (reserved) and CC (arithmetic coding) share the range but are not frame headers."""
_STANDALONE_MARKERS: Final = frozenset({0x01, *range(0xD0, 0xD8)})
"""Markers without a length field (TEM, RST0-7)."""
_START_OF_SCAN: Final = 0xDA
_END_OF_IMAGE: Final = 0xD9
_DECODE_FLAGS: Final = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
"""Decode as the frame header says: an EXIF rotation would change the size that was checked."""


class InvalidFrameError(FrameRejectedError):
    """A frame message that is not a capture time and a decodable JPEG image."""


@dataclass(frozen=True, slots=True)
class FrameMessage:
    """A checked frame message: capture time (client clock, µs; 0 = unknown), the JPEG bytes
    and the image size its frame header gives."""

    capture_unix_us: int
    jpeg: bytes
    width_px: int
    height_px: int


def jpeg_size_px(jpeg: bytes) -> tuple[int, int]:
    """``(width_px, height_px)`` from a JPEG's frame header, without decoding it.

    Raises:
        InvalidFrameError: no JPEG start marker, or no frame header before the image data.
    """
    if not jpeg.startswith(JPEG_START):
        raise InvalidFrameError("the frame is not a JPEG image (it must start with FF D8)")
    position, size = len(JPEG_START), len(jpeg)
    while position + 4 <= size:
        if jpeg[position] != 0xFF:
            raise InvalidFrameError(f"malformed JPEG: no marker at byte {position}")
        marker = jpeg[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        if marker in {_START_OF_SCAN, _END_OF_IMAGE}:
            break
        (length,) = struct.unpack_from(">H", jpeg, position + 2)
        if marker in _SOF_MARKERS:
            if length < 7 or position + 9 > size:
                break
            height, width = struct.unpack_from(">HH", jpeg, position + 5)
            if width == 0 or height == 0:
                raise InvalidFrameError(f"malformed JPEG: an image of {width}x{height} pixels")
            return width, height
        if length < 2:
            raise InvalidFrameError(f"malformed JPEG: a segment of length {length}")
        position += 2 + length
    raise InvalidFrameError("malformed JPEG: no frame header (SOF) before the image data")


def parse_frame_message(
    data: bytes, *, max_frame_bytes: int, max_frame_pixels: int
) -> FrameMessage:
    """Check one binary message of the WebSocket protocol (nothing is decoded).

    Args:
        data: the message.
        max_frame_bytes: the largest accepted message.
        max_frame_pixels: the largest accepted image (width times height).

    Raises:
        FrameTooLargeError: more than ``max_frame_bytes`` bytes or ``max_frame_pixels`` pixels.
        InvalidFrameError: shorter than the header, or not a JPEG image after it.
    """
    if len(data) > max_frame_bytes:
        raise FrameTooLargeError(
            f"a frame message of {len(data)} bytes exceeds the limit of {max_frame_bytes} bytes"
        )
    if len(data) <= FRAME_HEADER_BYTES:
        raise InvalidFrameError(
            f"a frame message of {len(data)} bytes: it needs {FRAME_HEADER_BYTES} bytes of "
            "capture time (big-endian microseconds) and a JPEG image"
        )
    (capture_unix_us,) = struct.unpack_from(">Q", data)
    jpeg = data[FRAME_HEADER_BYTES:]
    width, height = jpeg_size_px(jpeg)
    if width * height > max_frame_pixels:
        raise FrameTooLargeError(
            f"frame of {width}x{height} exceeds the limit of {max_frame_pixels} pixels"
        )
    return FrameMessage(capture_unix_us, jpeg, width, height)


def decode_jpeg(message: FrameMessage) -> av.VideoFrame:
    """The image of a checked frame message as a BGR video frame (call on a thread).

    Raises:
        InvalidFrameError: the JPEG does not decode, or not to the size its header gave.
    """
    encoded = np.frombuffer(message.jpeg, dtype=np.uint8)
    decoded = cv2.imdecode(encoded, _DECODE_FLAGS)
    if decoded is None:
        raise InvalidFrameError("the JPEG image could not be decoded (corrupt or truncated)")
    image = np.ascontiguousarray(decoded, dtype=np.uint8)
    height, width = image.shape[:2]
    if (width, height) != (message.width_px, message.height_px):
        raise InvalidFrameError(
            f"the JPEG decoded to {width}x{height}, its header said "
            f"{message.width_px}x{message.height_px}"
        )
    return av.VideoFrame.from_ndarray(image, format="bgr24")


@dataclass(frozen=True, slots=True)
class _Waiting:
    message: FrameMessage
    received: ReceivedFrame


class JpegFrames:
    """A WebSocket client's frames as a :class:`~gazertc.server.tracks.FrameSource`: the
    newest undecoded frame waits; :meth:`recv` decodes it on a thread.

    Frames carry ``pts`` in 90 kHz ticks from the first frame's capture time (``None`` when
    the client sent 0), so the pipeline maps them onto the server's clock as it maps RTP media
    time (:class:`~gazertc.server.tracks.CaptureClock`).
    """

    _TIME_BASE: Final = Fraction(1, VIDEO_CLOCK_HZ)

    def __init__(self) -> None:
        self.frames_received = 0
        self.last_received_unix_ns: int | None = None
        self._waiting: _Waiting | None = None
        self._arrived = asyncio.Event()
        self._stopped = False
        self._first_capture_us: int | None = None

    def push(self, message: FrameMessage, received_unix_ns: int) -> None:
        """A frame arrived; it replaces the one waiting, if any (which is dropped)."""
        if self._stopped:
            return
        self._waiting = _Waiting(message, ReceivedFrame(self.frames_received, received_unix_ns))
        self.frames_received += 1
        self.last_received_unix_ns = received_unix_ns
        self._arrived.set()

    async def recv(self) -> av.VideoFrame:
        while self._waiting is None:
            if self._stopped:
                raise MediaStreamError
            self._arrived.clear()
            await self._arrived.wait()
        waiting, self._waiting = self._waiting, None
        frame = await asyncio.to_thread(decode_jpeg, waiting.message)
        frame.opaque = waiting.received
        capture_us = waiting.message.capture_unix_us
        if capture_us:
            if self._first_capture_us is None:
                self._first_capture_us = capture_us
            frame.pts = (capture_us - self._first_capture_us) * VIDEO_CLOCK_HZ // US_PER_S
            frame.time_base = self._TIME_BASE
        return frame

    def stop(self) -> None:
        self._stopped = True
        self._waiting = None
        self._arrived.set()
