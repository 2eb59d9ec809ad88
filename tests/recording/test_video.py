"""The video file of a recording: VP8/WebM that PyAV decodes, downscaled to at most 640 px wide,
each frame at its given ms, private to its owner, and gone when discarded."""

from __future__ import annotations

import stat
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from gazertc.recording.private import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE
from gazertc.recording.video import (
    MAX_VIDEO_WIDTH_PX,
    VideoEncoder,
    delete_video,
    output_size,
    video_path,
)

RECORDING_ID = "0123456789abcdef0123456789abcdef"


def _frame(width_px: int, height_px: int, level: int) -> av.VideoFrame:
    """A frame with a horizontal ramp (so the encoder has something to code) offset by
    ``level``."""
    ramp = np.linspace(0, 200, width_px, dtype=np.uint16)
    image = ((ramp[None, :] + level) % 256).astype(np.uint8)
    bgr = np.repeat(np.repeat(image, height_px, axis=0)[:, :, None], 3, axis=2)
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(bgr), format="bgr24")


def _decoded(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "vp8"
        assert container.format.name.startswith("matroska")  # WebM is matroska's subset
        return list(container.decode(stream))


@pytest.mark.parametrize(
    ("size", "stored"),
    [
        ((1280, 720), (640, 360)),
        ((1920, 1080), (640, 360)),
        ((640, 480), (640, 480)),
        ((400, 300), (400, 300)),
        ((641, 481), (640, 480)),
        ((401, 301), (400, 300)),
    ],
)
def test_frames_are_stored_at_most_640_px_wide_with_even_sides_and_the_same_aspect(
    size: tuple[int, int], stored: tuple[int, int]
) -> None:
    assert output_size(*size) == stored
    assert stored[0] <= MAX_VIDEO_WIDTH_PX


def test_the_file_decodes_with_each_frame_at_its_ms_downscaled_and_private(
    tmp_path: Path,
) -> None:
    path = video_path(tmp_path, RECORDING_ID)
    encoder = VideoEncoder(path)
    times_ms = [0, 70, 130, 210, 260, 333, 400]
    for index, pts_ms in enumerate(times_ms):
        assert encoder.add(_frame(1280, 720, 20 * index), pts_ms)
    encoder.close()

    frames = _decoded(path)
    assert [frame.pts for frame in frames] == times_ms
    assert all(frame.time_base == Fraction(1, 1000) for frame in frames)
    assert {(frame.width, frame.height) for frame in frames} == {(640, 360)}
    assert stat.S_IMODE(path.stat().st_mode) == PRIVATE_FILE_MODE
    assert stat.S_IMODE(path.parent.stat().st_mode) == PRIVATE_DIR_MODE


def test_a_frame_not_later_than_the_last_is_skipped_and_other_sizes_are_scaled(
    tmp_path: Path,
) -> None:
    path = video_path(tmp_path, RECORDING_ID)
    encoder = VideoEncoder(path)
    assert encoder.add(_frame(320, 240, 0), 100)
    assert not encoder.add(_frame(320, 240, 50), 100)
    assert not encoder.add(_frame(320, 240, 50), 40)
    assert encoder.add(_frame(800, 600, 90), 180)  # a camera that changed resolution
    encoder.close()

    frames = _decoded(path)
    assert [frame.pts for frame in frames] == [100, 180]
    assert {(frame.width, frame.height) for frame in frames} == {(320, 240)}
    assert encoder.frames_written == 2


def test_no_frame_no_file_and_a_discarded_video_is_deleted(tmp_path: Path) -> None:
    path = video_path(tmp_path, RECORDING_ID)
    empty = VideoEncoder(path)
    empty.close()
    assert not path.exists()

    discarded = VideoEncoder(path)
    discarded.add(_frame(320, 240, 0), 0)
    assert path.exists()
    discarded.discard()
    assert not path.exists()
    delete_video(tmp_path, RECORDING_ID)  # nothing left to delete: no error
