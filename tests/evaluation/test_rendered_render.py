"""The rendered-eye SIMULATION's compositing: lids, mask, and eyes placed in a real face."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from gazertc.evaluation.rendered.benchmark import true_gaze
from gazertc.evaluation.rendered.eyeball import LIMBUS_PLANE_MM, PixelBox
from gazertc.evaluation.rendered.faces import DEFAULT_FACES, INTER_PUPIL_MM, PlacedFace, place_face
from gazertc.evaluation.rendered.iris_texture import IrisAppearance
from gazertc.evaluation.rendered.render import eye_opening_mask, eye_opening_polygon, render_eyes
from gazertc.vision.landmarks import eye_points, inter_ocular_px
from gazertc.vision.tracker import PipelineModels
from gazertc.vision.types import EyeSide
from tests.realdata import read_bgr

EYE = np.array([[10.0, 20.0], [16.0, 15.0], [24.0, 14.5], [31.0, 19.0], [24.0, 23.0], [16.0, 23.5]])
"""Six dlib-ordered contour points of an eye 21 px wide."""


def test_the_lid_curves_pass_through_the_six_contour_points() -> None:
    polygon = eye_opening_polygon(EYE)
    for point in EYE:
        assert np.min(np.linalg.norm(polygon - point, axis=1)) < 0.5
    assert polygon[:, 1].min() < 14.5  # the curve bulges above the highest point


def test_the_mask_covers_the_opening_with_soft_edges() -> None:
    mask = eye_opening_mask(eye_opening_polygon(EYE), PixelBox(5, 8, 32, 22))
    assert mask[19 - 8, 20 - 5] == 1.0  # the opening's middle
    assert mask[0, 0] == 0.0
    assert ((mask > 0.0) & (mask < 1.0)).any()
    area_px = cv2.contourArea(eye_opening_polygon(EYE).astype(np.float32))
    assert mask.sum() == pytest.approx(area_px, rel=0.1)


@pytest.fixture(scope="module")
def placed() -> PlacedFace:
    source = DEFAULT_FACES[3]
    image = read_bgr(source.relative_path)
    face = place_face(
        source.name, image, width_px=640, height_px=480, distance_mm=600.0,
        models=PipelineModels(),
    )  # fmt: skip
    assert face is not None, "gazertc finds the Talking Face frame"
    return face


def test_the_face_is_scaled_for_the_camera_distance(placed: PlacedFace) -> None:
    expected_px = placed.intrinsics.fx_px * INTER_PUPIL_MM / 600.0
    assert inter_ocular_px(placed.landmarks_px) == pytest.approx(expected_px, rel=0.05)


def test_the_iris_lands_inside_the_eye_opening_where_the_gaze_puts_it(
    placed: PlacedFace,
) -> None:
    appearance = IrisAppearance.random(np.random.default_rng(0))
    left = render_eyes(placed, true_gaze(placed, (-10.0, 0.0)).poses, appearance)
    right = render_eyes(placed, true_gaze(placed, (10.0, 0.0)).poses, appearance)
    changed = np.any(left.image != placed.image, axis=2)
    for side in EyeSide:
        polygon = eye_opening_polygon(eye_points(placed.landmarks_px, side))
        centre_left, centre_right = (
            left.apparent_iris_centre_px[side],
            right.apparent_iris_centre_px[side],
        )
        assert centre_left is not None and centre_right is not None
        assert cv2.pointPolygonTest(polygon.astype(np.float32), centre_left, True) > 2.0
        # 20 degrees of yaw move the iris by about f * 10.45 mm * 2 sin(10 deg) / 600 mm.
        expected_px = placed.intrinsics.fx_px * LIMBUS_PLANE_MM * 2 * math.sin(math.radians(10))
        assert centre_right[0] - centre_left[0] == pytest.approx(expected_px / 600.0, rel=0.2)
        # The pupil (the darkest spot of the eye) is at the apparent iris centre.
        x, y = round(centre_left[0]), round(centre_left[1])
        grey = cv2.cvtColor(left.image, cv2.COLOR_BGR2GRAY).astype(float)
        patch = grey[y - 6 : y + 7, x - 6 : x + 7]
        dark_y, dark_x = np.unravel_index(np.argmin(patch), patch.shape)
        assert abs(dark_x - 6) <= 2 and abs(dark_y - 6) <= 2
    # Nothing outside the two eye openings changed.
    outside = np.ones(changed.shape, dtype=bool)
    for side in EyeSide:
        polygon = eye_opening_polygon(eye_points(placed.landmarks_px, side))
        cv2.fillPoly(outside.view(np.uint8), [np.round(polygon).astype(np.int32)], 0)
        low = np.floor(polygon.min(axis=0)).astype(int) - 2
        high = np.ceil(polygon.max(axis=0)).astype(int) + 2
        outside[low[1] : high[1], low[0] : high[0]] = False
    assert not changed[outside].any()
    assert changed.sum() > 100
