"""The rendered-eye SIMULATION's lids that follow the eye up and down."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gazertc.evaluation.rendered.benchmark import true_gaze
from gazertc.evaluation.rendered.eyeball import EYEBALL_RADIUS_MM
from gazertc.evaluation.rendered.faces import DEFAULT_FACES, PlacedFace, place_face
from gazertc.evaluation.rendered.iris_texture import IrisAppearance
from gazertc.evaluation.rendered.lids import (
    UPPER_SKIN_REACH_PER_EYE_WIDTH,
    LidMotion,
    eye_turn_up_deg,
    lid_frame,
    lid_shifts_px,
    move_lids,
)
from gazertc.evaluation.rendered.render import render_eyes
from gazertc.vision.tracker import PipelineModels
from gazertc.vision.types import EyeSide
from tests.realdata import read_bgr

EYE = np.array([[20.0, 40.0], [32.0, 31.0], [48.0, 30.0], [62.0, 39.0], [48.0, 46.0], [32.0, 47.0]])
"""Six dlib-ordered contour points of an eye 42 px wide, a little tilted."""


def _rows_gradient() -> np.ndarray:
    """An image whose value is 3 levels per row, so a vertical move shows as a value change."""
    rows = (3 * np.arange(80)).clip(0, 255).astype(np.uint8)
    return np.repeat(np.repeat(rows[:, None, None], 90, axis=1), 3, axis=2)


def test_still_lids_leave_the_photograph_as_it_is() -> None:
    image = _rows_gradient()
    moved_image, moved_points = move_lids(image, EYE, 0.0, 0.0)
    assert np.array_equal(moved_image, image)
    assert np.array_equal(moved_points, EYE)


def test_the_lid_margins_move_at_the_middle_and_the_corners_stay() -> None:
    image = _rows_gradient()
    moved_image, moved_points = move_lids(image, EYE, -3.0, -1.0)
    _, _, normal = lid_frame(EYE)
    shifts = (moved_points - EYE) @ normal
    assert shifts[0] == 0.0 and shifts[3] == 0.0
    assert -3.0 < shifts[1] < -2.0 and -3.0 < shifts[2] < -2.0  # the middle moves most
    assert -1.0 < shifts[4] < -0.5 and -1.0 < shifts[5] < -0.5
    assert np.allclose(moved_points - EYE, shifts[:, None] * normal)
    # Just above the moved upper lid the photograph shows what was just above the old one.
    x, y = 40, round(float(moved_points[1:3, 1].mean())) - 2
    assert int(moved_image[y, x, 0]) == pytest.approx(int(image[y, x, 0]) + 3 * 3, abs=2)
    # The brow, beyond the skin's reach, and the face beside the corners are untouched.
    reach_px = UPPER_SKIN_REACH_PER_EYE_WIDTH * 42.0
    brow = int(30 - reach_px) - 4
    assert np.array_equal(moved_image[:brow], image[:brow])
    assert np.array_equal(moved_image[:, :19], image[:, :19])
    assert np.array_equal(moved_image[:, 64:], image[:, 64:])


@pytest.fixture(scope="module")
def placed() -> PlacedFace:
    source = DEFAULT_FACES[3]
    face = place_face(
        source.name, read_bgr(source.relative_path), width_px=640, height_px=480,
        distance_mm=600.0, models=PipelineModels(),
    )  # fmt: skip
    assert face is not None, "gazertc finds the Talking Face frame"
    return face


def test_the_lids_rise_with_an_upward_gaze_by_the_eyes_front_rise(placed: PlacedFace) -> None:
    lids = LidMotion()
    for side in EyeSide:
        up = true_gaze(placed, (0.0, 8.0)).poses[side]
        down = true_gaze(placed, (0.0, -8.0)).poses[side]
        turn_up, turn_down = eye_turn_up_deg(placed, up), eye_turn_up_deg(placed, down)
        # 16 degrees apart; the angle kappa puts the optical axes a little below the gazes.
        assert turn_up - turn_down == pytest.approx(16.0, abs=0.5)
        assert 5.0 < turn_up < 8.0 and -11.0 < turn_down < -8.0
        upper_up, lower_up = lid_shifts_px(placed, up, lids)
        px_per_mm = placed.intrinsics.fx_px / float(up.iris_centre_mm[2])
        expected_px = EYEBALL_RADIUS_MM * math.sin(math.radians(turn_up)) * px_per_mm
        assert upper_up == pytest.approx(-expected_px)
        assert lower_up == pytest.approx(-lids.lower_gain * expected_px)
        assert lid_shifts_px(placed, down, lids)[0] > 0.0


def test_moving_lids_change_the_face_around_the_eyes_and_not_the_truth(
    placed: PlacedFace,
) -> None:
    appearance = IrisAppearance.random(np.random.default_rng(0))
    poses = true_gaze(placed, (0.0, 8.0)).poses
    still = render_eyes(placed, poses, appearance)
    following = render_eyes(placed, poses, appearance, lids=LidMotion())
    assert following.apparent_iris_centre_px == still.apparent_iris_centre_px
    changed = np.any(following.image != still.image, axis=2)
    rows, columns = np.nonzero(changed)
    assert changed.sum() > 100
    eyes = placed.landmarks_px[36:48]
    assert rows.min() < eyes[:, 1].min() - 2  # the skin above the upper lids moved
    assert columns.min() >= eyes[:, 0].min() - 1 and columns.max() <= eyes[:, 0].max() + 1
