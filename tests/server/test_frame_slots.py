"""Frames copied into a session's shared-memory slot arrive as the decoder gave them."""

from __future__ import annotations

import fractions
from collections.abc import Iterator

import av
import numpy as np
import numpy.typing as npt
import pytest

from gazertc.server.frame_slots import FrameSlots, read_frame, write_frame
from gazertc.server.worker import FrameLayout

WIDTH_PX, HEIGHT_PX = 400, 300
"""Rows of 400 bytes: decoders and PyAV pad them (to 512 and 208 bytes here), which is what a
copy that ignored the row stride would get wrong."""


def _pattern(width: int, height: int, seed: int) -> npt.NDArray[np.uint8]:
    rows = np.random.default_rng(seed).integers(0, 256, size=(height * 3 // 2, width))
    return rows.astype(np.uint8)


def _vp8_decoded(count: int) -> list[av.VideoFrame]:
    time_base = fractions.Fraction(1, 30)
    encoder = av.CodecContext.create("libvpx", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH_PX, HEIGHT_PX, "yuv420p"
    encoder.time_base = time_base
    decoder = av.CodecContext.create("libvpx", "r")
    decoded: list[av.VideoFrame] = []
    for index in range(count):
        frame = av.VideoFrame.from_ndarray(_pattern(WIDTH_PX, HEIGHT_PX, index), format="yuv420p")
        frame.pts, frame.time_base = index, time_base
        for packet in [
            *encoder.encode(frame),
            *(encoder.encode(None) if index == count - 1 else []),
        ]:
            decoded.extend(f for f in decoder.decode(packet) if isinstance(f, av.VideoFrame))
    return decoded


def _flipped(frame: av.VideoFrame) -> av.VideoFrame:
    """The frame upside down as FFmpeg's vflip gives it: rows stored bottom-up (negative
    line sizes)."""
    graph = av.filter.Graph()
    source = graph.add_buffer(
        width=frame.width,
        height=frame.height,
        format=av.VideoFormat("yuv420p"),
        time_base=fractions.Fraction(1, 30),
    )
    flip = graph.add("vflip")
    sink = graph.add("buffersink")
    source.link_to(flip)
    flip.link_to(sink)
    graph.configure()
    frame.pts = 0
    graph.push(frame)
    flipped = graph.pull()
    assert isinstance(flipped, av.VideoFrame)
    return flipped


@pytest.fixture
def slots() -> Iterator[FrameSlots]:
    frame_slots = FrameSlots()
    yield frame_slots
    frame_slots.release_all()


async def test_decoded_frames_are_copied_plane_by_plane(slots: FrameSlots) -> None:
    frames = _vp8_decoded(3)
    assert frames and frames[0].planes[0].line_size > WIDTH_PX  # the case under test: padding
    slot = slots.slot_for("session", WIDTH_PX, HEIGHT_PX)
    for frame in frames:
        layout = await write_frame(frame, slot)
        assert layout is FrameLayout.I420
        in_slot = read_frame(slot.memory, layout, WIDTH_PX, HEIGHT_PX)
        np.testing.assert_array_equal(in_slot.to_ndarray(), frame.to_ndarray())


async def test_padded_chroma_rows(slots: FrameSlots) -> None:
    planes = _pattern(WIDTH_PX, HEIGHT_PX, 7)
    frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
    assert frame.planes[1].line_size > WIDTH_PX // 2
    slot = slots.slot_for("session", WIDTH_PX, HEIGHT_PX)
    assert await write_frame(frame, slot) is FrameLayout.I420
    copied = np.ndarray((HEIGHT_PX * 3 // 2, WIDTH_PX), dtype=np.uint8, buffer=slot.memory.buf)
    np.testing.assert_array_equal(copied, planes)


async def test_rows_stored_bottom_up_are_converted(slots: FrameSlots) -> None:
    frame = _flipped(av.VideoFrame.from_ndarray(_pattern(WIDTH_PX, HEIGHT_PX, 3), format="yuv420p"))
    assert frame.planes[0].line_size < 0
    slot = slots.slot_for("session", WIDTH_PX, HEIGHT_PX)
    layout = await write_frame(frame, slot)
    assert layout is FrameLayout.BGR
    in_slot = read_frame(slot.memory, layout, WIDTH_PX, HEIGHT_PX)
    np.testing.assert_array_equal(in_slot.to_ndarray(), frame.to_ndarray(format="bgr24"))


async def test_odd_sizes_are_converted(slots: FrameSlots) -> None:
    image_bgr = np.random.default_rng(5).integers(0, 256, size=(31, 41, 3)).astype(np.uint8)
    frame = av.VideoFrame.from_ndarray(image_bgr, format="bgr24")
    slot = slots.slot_for("session", 41, 31)
    layout = await write_frame(frame, slot)
    assert layout is FrameLayout.BGR
    np.testing.assert_array_equal(read_frame(slot.memory, layout, 41, 31).to_ndarray(), image_bgr)
