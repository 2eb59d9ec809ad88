"""The WebSocket's frame messages: checked on arrival without decoding, the newest one kept,
decoded on a thread, stamped with media time like RTP frames."""

from __future__ import annotations

import asyncio
import struct
from fractions import Fraction

import cv2
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from gazertc.server.jpeg_frames import (
    FRAME_HEADER_BYTES,
    InvalidFrameError,
    JpegFrames,
    decode_jpeg,
    jpeg_size_px,
    parse_frame_message,
)
from gazertc.server.pool import FrameTooLargeError
from gazertc.server.tracks import VIDEO_CLOCK_HZ, ReceivedFrame

pytestmark = pytest.mark.timeout(30)

LIMITS = {"max_frame_bytes": 1 << 20, "max_frame_pixels": 640 * 480}


def _jpeg(width: int, height: int, *, progressive: bool = False, level: int = 128) -> bytes:
    image = np.full((height, width, 3), level, dtype=np.uint8)
    image[: height // 2, : width // 2] = (0, 0, 255)
    params = [cv2.IMWRITE_JPEG_QUALITY, 80, cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)]
    ok, encoded = cv2.imencode(".jpg", image, params)
    assert ok
    return bytes(encoded.tobytes())


def _message(jpeg: bytes, capture_unix_us: int = 1_767_225_600_000_000) -> bytes:
    return struct.pack(">Q", capture_unix_us) + jpeg


def _with_app_segment(jpeg: bytes, payload_bytes: int) -> bytes:
    """The JPEG with an APP1 segment (as EXIF data would be) before its frame header."""
    segment = b"\xff\xe1" + struct.pack(">H", payload_bytes + 2) + b"\x00" * payload_bytes
    return jpeg[:2] + segment + jpeg[2:]


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_the_size_is_read_from_the_frame_header(progressive: bool) -> None:
    assert jpeg_size_px(_jpeg(64, 48, progressive=progressive)) == (64, 48)
    assert jpeg_size_px(_with_app_segment(_jpeg(30, 22), 5000)) == (30, 22)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, id="png"),
        pytest.param(b"\xff\xd8" + b"\x00" * 40, id="no-marker"),
        pytest.param(b"\xff\xd8\xff\xe1\x00\x01" + b"\x00" * 10, id="segment-too-short"),
        pytest.param(b"\xff\xd8\xff\xda\x00\x08" + b"\x00" * 10, id="scan-before-frame-header"),
        pytest.param(b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x00\x00\x10", id="zero-height"),
        pytest.param(b"\xff\xd8", id="start-only"),
    ],
)
def test_what_is_not_a_jpeg_frame_header_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidFrameError):
        jpeg_size_px(data)


def test_a_frame_message_is_checked_without_decoding() -> None:
    jpeg = _jpeg(64, 48)
    message = parse_frame_message(_message(jpeg, 123), **LIMITS)
    assert (message.capture_unix_us, message.width_px, message.height_px) == (123, 64, 48)
    assert message.jpeg == jpeg


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00" * FRAME_HEADER_BYTES, id="header-only"),
        pytest.param(b"\x00\x01", id="shorter-than-the-header"),
        pytest.param(_message(b"GIF89a" + b"\x00" * 30), id="not-a-jpeg"),
        pytest.param(_jpeg(64, 48), id="jpeg-without-header"),
    ],
)
def test_malformed_frame_messages_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidFrameError):
        parse_frame_message(data, **LIMITS)


def test_too_many_bytes_or_pixels_are_refused_before_decoding() -> None:
    with pytest.raises(FrameTooLargeError, match="bytes"):
        parse_frame_message(_message(_jpeg(64, 48)), max_frame_bytes=100, max_frame_pixels=10**6)
    # A tiny file claiming a huge image (a decompression bomb) never reaches the decoder.
    bomb = bytearray(_jpeg(16, 16))
    header = bytes(bomb).index(b"\xff\xc0")
    bomb[header + 5 : header + 9] = struct.pack(">HH", 60000, 60000)
    with pytest.raises(FrameTooLargeError, match="60000x60000"):
        parse_frame_message(_message(bytes(bomb)), **LIMITS)


def test_a_jpeg_that_does_not_decode_is_an_invalid_frame() -> None:
    jpeg = _jpeg(64, 48)
    truncated = jpeg[: jpeg.index(b"\xff\xda") + 4]  # headers, no image data
    message = parse_frame_message(_message(truncated), **LIMITS)
    with pytest.raises(InvalidFrameError):
        decode_jpeg(message)


def test_decoding_gives_the_image() -> None:
    frame = decode_jpeg(parse_frame_message(_message(_jpeg(64, 48, level=200)), **LIMITS))
    image = frame.to_ndarray(format="bgr24")
    assert image.shape == (48, 64, 3)
    assert abs(float(image[40, 60].mean()) - 200) < 8  # grey where it was grey
    assert image[5, 5, 2] > 200 and image[5, 5, 0] < 60  # red where it was red (BGR)


async def test_only_the_newest_frame_waits_and_media_time_follows_the_capture_time() -> None:
    frames = JpegFrames()
    start_us = 1_767_225_600_000_000
    for index in range(3):
        message = parse_frame_message(_message(_jpeg(32 + 2 * index, 24), start_us), **LIMITS)
        frames.push(message, received_unix_ns=1000 + index)
    assert frames.frames_received == 3
    first = await frames.recv()
    assert first.width == 36  # the newest; the two before it were dropped undecoded
    assert first.opaque == ReceivedFrame(frame_id=2, received_unix_ns=1002)
    assert first.pts == 0
    later_us = start_us + 40_000
    frames.push(parse_frame_message(_message(_jpeg(32, 24), later_us), **LIMITS), 2000)
    second = await frames.recv()
    assert second.pts == 40_000 * VIDEO_CLOCK_HZ // 1_000_000  # 40 ms in 90 kHz ticks
    assert second.time_base == Fraction(1, VIDEO_CLOCK_HZ)
    frames.push(parse_frame_message(_message(_jpeg(32, 24), 0), **LIMITS), 3000)
    unknown = await frames.recv()
    assert unknown.pts is None  # capture time 0: the server uses the arrival time


async def test_recv_waits_for_a_frame_and_ends_when_stopped() -> None:
    frames = JpegFrames()
    waiting = asyncio.ensure_future(frames.recv())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    frames.push(parse_frame_message(_message(_jpeg(16, 16)), **LIMITS), 1)
    assert (await asyncio.wait_for(waiting, 5.0)).width == 16
    ended = asyncio.ensure_future(frames.recv())
    await asyncio.sleep(0.01)
    frames.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(ended, 5.0)
    frames.push(parse_frame_message(_message(_jpeg(16, 16)), **LIMITS), 2)  # ignored
    with pytest.raises(MediaStreamError):
        await frames.recv()
