"""receive_matched_video_frame_and_gaze: each annotated frame comes with the sample of the same
source frame.

The client sends a synthetic camera whose frames show their own index (four grey quadrants,
one base-4 digit each: large flat areas survive VP8) at irregular intervals. A sample's
``timestamp_unix_ns`` follows the RTP timestamps of its frame, so it must sit at the same lag
after the scheduled time of the frame whose index is read back from the paired pixels.
"""

from __future__ import annotations

import asyncio
import fractions
import statistics
import time
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from gazertc.client import ClientError, OutputMode
from gazertc.client.simple import Client
from tests.client.server_process import server_process

pytestmark = pytest.mark.timeout(120)

SCHEDULE_S = tuple(round(sum(0.05 + (k * 37 % 7) * 0.015 for k in range(n)), 6) for n in range(256))
"""When frame n is sent: intervals of 50 to 140 ms in an irregular order."""
LAG_TOLERANCE_NS = 20_000_000
"""Below half the shortest interval: a frame's neighbour can never pass for it."""
WIDTH_PX, HEIGHT_PX = 320, 240
LEVELS = (40, 100, 160, 220)
PAIRS_CHECKED = 15


def _frame_pixels(index: int) -> npt.NDArray[np.uint8]:
    pixels = np.zeros((HEIGHT_PX, WIDTH_PX, 3), np.uint8)
    half_h, half_w = HEIGHT_PX // 2, WIDTH_PX // 2
    for quadrant in range(4):
        digit = (index >> (2 * quadrant)) & 3
        row, column = divmod(quadrant, 2)
        pixels[row * half_h : (row + 1) * half_h, column * half_w : (column + 1) * half_w] = LEVELS[
            digit
        ]
    return pixels


def _read_index(bgr: npt.NDArray[np.uint8]) -> int:
    height, width = bgr.shape[:2]
    index = 0
    for quadrant in range(4):
        row, column = divmod(quadrant, 2)
        centre_y = (2 * row + 1) * height // 4
        centre_x = (2 * column + 1) * width // 4
        patch = bgr[centre_y - 15 : centre_y + 15, centre_x - 15 : centre_x + 15]
        level = float(np.median(patch))
        digit = int(np.argmin([abs(level - candidate) for candidate in LEVELS]))
        index |= digit << (2 * quadrant)
    return index


class NumberedCamera(MediaStreamTrack):
    """Frames showing their index, sent on SCHEDULE_S (256 frames, then the track ends)."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._index = 0
        self._started_s: float | None = None

    async def recv(self) -> av.VideoFrame:
        index = self._index
        if index >= len(SCHEDULE_S):
            raise MediaStreamError
        self._index += 1
        if self._started_s is None:
            self._started_s = time.monotonic()
        delay_s = self._started_s + SCHEDULE_S[index] - time.monotonic()
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        frame = av.VideoFrame.from_ndarray(_frame_pixels(index), format="bgr24")
        frame.pts = round(SCHEDULE_S[index] * 90_000)
        frame.time_base = fractions.Fraction(1, 90_000)
        return frame


def test_frames_come_paired_with_the_sample_of_the_same_frame(tmp_path: Path) -> None:
    camera = NumberedCamera()
    with (
        server_process(tmp_path / "data") as url,
        Client(url, video=camera, output=OutputMode.BOTH) as client,
    ):
        pairs = []
        for _ in range(PAIRS_CHECKED):
            pair = client.receive_matched_video_frame_and_gaze(timeout_seconds=10.0)
            assert pair is not None
            pairs.append(pair)
    assert all(frame.bgr_pixels.shape == (HEIGHT_PX, WIDTH_PX, 3) for frame, _ in pairs)
    indices = [_read_index(frame.bgr_pixels) for frame, _ in pairs]
    assert indices == sorted(set(indices))
    # Sample time minus the frame's scheduled time is the same for every correctly paired frame
    # (the server's clock anchor, give or take its refinements); a pairing off by one frame
    # adds that frame's interval (50 to 140 ms, irregular) instead.
    lags_ns = [
        sample.timestamp_unix_ns - round(SCHEDULE_S[index] * 1e9)
        for index, (_, sample) in zip(indices, pairs, strict=True)
    ]
    typical_lag_ns = statistics.median(lags_ns)
    assert max(abs(lag - typical_lag_ns) for lag in lags_ns) < LAG_TOLERANCE_NS


def test_matched_frames_need_video_output(tmp_path: Path) -> None:
    with (
        server_process(tmp_path / "data") as url,
        Client(url, video=NumberedCamera(), output=OutputMode.JSON) as client,
        pytest.raises(ClientError, match="output=BOTH"),
    ):
        client.receive_matched_video_frame_and_gaze(timeout_seconds=1.0)
