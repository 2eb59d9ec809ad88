"""Iris centre refinement by mirror symmetry: a synthetic eye with a known sub-pixel iris
centre, an iris in the corner, a small iris, and the annotated pupils with the real network."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gazertc.evaluation.annotated_faces import (
    FittedFace,
    fit_annotated_faces,
    load_coco_keypoints,
    mirror_face,
)
from gazertc.vision.faces import FaceDetector
from gazertc.vision.iris import IrisLandmarkNetwork
from gazertc.vision.iris_refine import (
    MIN_IRIS_RADIUS_PX,
    REFINED_SHARE,
    refined_iris_centre_px,
    symmetric_centre_shift_px,
)
from gazertc.vision.landmarks import LandmarkPredictor, eye_points
from gazertc.vision.types import EyeSide
from tests.realdata import data_file

PUPIL_SETS = ("mmpose_testdata/wflw/test_wflw.json", "mmpose_testdata/cofw/test_cofw.json")
IRIS_RADIUS_PX = 6.0
"""About an iris at 640x480 and 60 cm."""
SUPERSAMPLE = 8
FOUND_WITHIN_PX = 0.1
"""The fold on a clean synthetic eye; the network's estimate here is off by 0.6-0.9 px."""

Image = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float64]


def _synthetic_eye(iris_x_px: float, iris_y_px: float, radius_px: float) -> tuple[Image, Points]:
    """Skin, a bright almond-shaped eye opening and a dark iris disc at a sub-pixel centre,
    rendered supersampled (exact area coverage) and blurred as a webcam would; returns the
    grey image and the opening's outline (outer corner first, 16 points)."""
    height, width = 60, 100
    ys, xs = np.mgrid[0 : height * SUPERSAMPLE, 0 : width * SUPERSAMPLE]
    x = (xs + 0.5) / SUPERSAMPLE - 0.5
    y = (ys + 0.5) / SUPERSAMPLE - 0.5
    half_gap = 10.0 * np.clip(1.0 - ((x - 50.0) / 26.0) ** 2, 0.0, None)
    opening = np.abs(y - 30.0) < half_gap
    iris = np.hypot(x - iris_x_px, y - iris_y_px) < radius_px
    fine = np.where(opening, np.where(iris, 60.0, 220.0), 150.0)
    coarse = fine.reshape(height, SUPERSAMPLE, width, SUPERSAMPLE).mean(axis=(1, 3))
    grey = np.clip(np.rint(cv2.GaussianBlur(coarse, (0, 0), 0.8)), 0, 255).astype(np.uint8)
    along = np.linspace(24.0, 76.0, 9)
    gap = 10.0 * np.clip(1.0 - ((along - 50.0) / 26.0) ** 2, 0.0, None)
    lower = np.stack([along, 30.0 + gap], axis=1)
    upper = np.stack([along[::-1], 30.0 - gap[::-1]], axis=1)[1:-1]
    return grey, np.vstack([lower, upper])


def _contour(opening: Points) -> Points:
    """A network-like contour whose points 0 and 8 are the eye corners."""
    contour = np.zeros((71, 2))
    contour[:16] = opening
    return contour


@pytest.mark.parametrize("truth_x_px", [47.3, 50.0, 53.65])
@pytest.mark.parametrize("guess_offset_px", [-0.9, 0.6])
def test_the_fold_finds_a_sub_pixel_iris_centre_the_guess_misses(
    truth_x_px: float, guess_offset_px: float
) -> None:
    grey, opening = _synthetic_eye(truth_x_px, 30.2, IRIS_RADIUS_PX)
    guess = (truth_x_px + guess_offset_px, 30.2)
    shift = symmetric_centre_shift_px(grey, guess, IRIS_RADIUS_PX, opening, np.array([1.0, 0.0]))
    assert shift is not None
    assert abs(guess[0] + shift - truth_x_px) <= FOUND_WITHIN_PX
    assert abs(guess_offset_px) > 5 * FOUND_WITHIN_PX


def test_the_refined_centre_moves_its_share_of_the_way_along_the_eye() -> None:
    truth_x_px = 48.4
    grey, opening = _synthetic_eye(truth_x_px, 30.0, IRIS_RADIUS_PX)
    guess = (truth_x_px + 0.8, 30.5)
    refined = refined_iris_centre_px(grey, guess, IRIS_RADIUS_PX, _contour(opening), opening)
    expected_x = guess[0] + REFINED_SHARE * (truth_x_px - guess[0])
    assert refined[0] == pytest.approx(expected_x, abs=FOUND_WITHIN_PX)
    assert refined[1] == guess[1]  # only along the eye: across it the lids decide


def test_a_small_iris_keeps_the_network_centre() -> None:
    radius = MIN_IRIS_RADIUS_PX - 0.5
    grey, opening = _synthetic_eye(50.0, 30.0, radius)
    guess = (50.7, 30.0)
    assert refined_iris_centre_px(grey, guess, radius, _contour(opening), opening) == guess


def test_an_iris_turned_into_the_corner_gets_no_fold() -> None:
    """With sclera on one side only there is no clear fold: the network's centre stays."""
    grey, opening = _synthetic_eye(27.0, 30.0, IRIS_RADIUS_PX)
    shift = symmetric_centre_shift_px(
        grey, (27.0, 30.0), IRIS_RADIUS_PX, opening, np.array([1.0, 0.0])
    )
    assert shift is None


@pytest.fixture(scope="module")
def pupil_faces() -> list[FittedFace]:
    originals = [face for path in PUPIL_SETS for face in load_coco_keypoints(data_file(path))]
    faces = originals + [mirror_face(face) for face in originals]
    detector = FaceDetector(detection_width_px=4096, upsample=1)
    return fit_annotated_faces(faces, detector, LandmarkPredictor())


def test_refining_the_network_moves_large_irises_towards_the_annotated_pupils(
    pupil_faces: list[FittedFace],
) -> None:
    """On the annotated pupils the eyes large enough to refine end no further from the
    annotation, in sum, than the network put them; small ones are left as they were."""
    refined_network = IrisLandmarkNetwork(refine_centre=True)
    plain_network = IrisLandmarkNetwork(refine_centre=False)
    plain_errors, refined_errors = [], []
    unchanged = 0
    for face in pupil_faces:
        annotation = face.annotation
        assert face.landmarks_px is not None and annotation.inter_pupil_px is not None
        image = annotation.load_image()
        eyes = {side: eye_points(face.landmarks_px, side) for side in EyeSide}
        plain = plain_network.landmarks(image, eyes)
        refined = refined_network.landmarks(image, eyes)
        for side in EyeSide:
            truth = annotation.eye_centre_px(side)
            if truth is None or annotation.eye_centre_occluded(side):
                continue
            if plain[side].radius_px < MIN_IRIS_RADIUS_PX:
                unchanged += refined[side].centre_px == plain[side].centre_px
                continue
            plain_errors.append(math.dist(plain[side].centre_px, truth))
            refined_errors.append(math.dist(refined[side].centre_px, truth))
    assert len(refined_errors) >= 4
    assert unchanged >= 15
    assert sum(refined_errors) <= sum(plain_errors)
