"""The rendered-eye SIMULATION's eyeball: geometry, kappa, the ray tracer and the iris texture."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gazertc.evaluation.rendered.eyeball import (
    EYEBALL_RADIUS_MM,
    KAPPA_NASAL_DEG,
    KAPPA_UP_DEG,
    LIMBUS_PLANE_MM,
    EyeballPose,
    PixelBox,
    optical_axis_angles,
    project_px,
    render_eyeball,
)
from gazertc.evaluation.rendered.iris_texture import (
    PUPIL_RADIUS_FRACTION,
    IrisAppearance,
    iris_colour_bgr,
)
from gazertc.vision.gaze import angles_from_direction, direction_from_angles
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.types import EyeSide

CAMERA = CameraIntrinsics.from_frame_size(1280, 720)
CENTRE_MM = np.array([0.0, 0.0, 600.0])


def _pose_with_optical_yaw(yaw_deg: float, pitch_deg: float = 0.0) -> EyeballPose:
    """A right eye whose optical axis has these angles (the visual axis adds kappa)."""
    visual = direction_from_angles(yaw_deg + KAPPA_NASAL_DEG, pitch_deg + KAPPA_UP_DEG)
    return EyeballPose.looking_along(EyeSide.RIGHT, CENTRE_MM, visual)


def _box_around(point_px: np.ndarray, half_px: int) -> PixelBox:
    left, top = round(point_px[0]) - half_px, round(point_px[1]) - half_px
    return PixelBox(left, top, 2 * half_px + 1, 2 * half_px + 1)


def test_kappa_puts_the_optical_axis_temporal_and_below_the_visual_axis() -> None:
    assert optical_axis_angles(EyeSide.RIGHT, 0.0, 0.0) == (-KAPPA_NASAL_DEG, -KAPPA_UP_DEG)
    assert optical_axis_angles(EyeSide.LEFT, 0.0, 0.0) == (KAPPA_NASAL_DEG, -KAPPA_UP_DEG)
    pose = EyeballPose.looking_along(EyeSide.LEFT, CENTRE_MM, direction_from_angles(3.0, -2.0))
    yaw_deg, pitch_deg = angles_from_direction(pose.optical_axis)
    assert yaw_deg == pytest.approx(3.0 + KAPPA_NASAL_DEG, abs=1e-9)
    assert pitch_deg == pytest.approx(-2.0 - KAPPA_UP_DEG, abs=1e-9)


def test_a_known_rotation_moves_the_projected_iris_centre_by_the_expected_pixels() -> None:
    straight = project_px(_pose_with_optical_yaw(0.0).iris_centre_mm, CAMERA)[0]
    assert straight == pytest.approx(project_px(CENTRE_MM, CAMERA)[0], abs=1e-9)
    for yaw_deg in (-20.0, 10.0):
        turned = project_px(_pose_with_optical_yaw(yaw_deg).iris_centre_mm, CAMERA)[0]
        yaw = math.radians(yaw_deg)
        depth_mm = CENTRE_MM[2] - LIMBUS_PLANE_MM * math.cos(yaw)
        expected_shift_px = CAMERA.fx_px * LIMBUS_PLANE_MM * math.sin(yaw) / depth_mm
        assert turned[0] - straight[0] == pytest.approx(expected_shift_px, abs=1e-6)
        assert turned[1] == pytest.approx(straight[1], abs=1e-9)
    up = project_px(_pose_with_optical_yaw(0.0, 10.0).iris_centre_mm, CAMERA)[0]
    assert up[1] < straight[1] - 3.0  # pitch up moves the iris up the image


def test_the_rendered_iris_appears_where_the_geometry_puts_it() -> None:
    appearance = IrisAppearance.random(np.random.default_rng(3))
    centre_px = project_px(CENTRE_MM, CAMERA)[0]
    box = _box_around(centre_px, 30)
    straight = render_eyeball(_pose_with_optical_yaw(0.0), appearance, CAMERA, box)
    assert straight.apparent_iris_centre_px is not None
    assert straight.apparent_iris_centre_px == pytest.approx(tuple(centre_px), abs=0.05)
    turned = render_eyeball(_pose_with_optical_yaw(15.0), appearance, CAMERA, box)
    assert turned.apparent_iris_centre_px is not None
    geometric_px = project_px(_pose_with_optical_yaw(15.0).iris_centre_mm, CAMERA)[0]
    shift_px = turned.apparent_iris_centre_px[0] - centre_px[0]
    # The cornea magnifies and displaces the iris a little; the shift stays close to geometry.
    assert shift_px == pytest.approx(geometric_px[0] - centre_px[0], rel=0.15)


def test_the_render_covers_the_eyeball_only_and_the_pupil_is_dark() -> None:
    appearance = IrisAppearance.random(np.random.default_rng(4))
    centre_px = project_px(CENTRE_MM, CAMERA)[0]
    radius_px = CAMERA.fx_px * EYEBALL_RADIUS_MM / CENTRE_MM[2]
    half = round(radius_px) + 4
    render = render_eyeball(
        _pose_with_optical_yaw(0.0), appearance, CAMERA, _box_around(centre_px, half)
    )
    assert render.coverage[half, half] == 1.0
    assert render.coverage[0, 0] == 0.0  # the box's corner lies outside the ball's outline
    pupil = render.colour_bgr[half, half]
    sclera = render.colour_bgr[half, half + round(0.8 * radius_px)]
    assert pupil.max() < 40.0
    assert sclera.min() > 100.0


def test_the_iris_texture_has_a_pupil_fibres_and_a_dark_limbus() -> None:
    appearance = IrisAppearance.random(np.random.default_rng(5))
    angles = np.linspace(0.0, 2.0 * math.pi, 720, endpoint=False)

    def ring(radius_fraction: float) -> np.ndarray:
        return iris_colour_bgr(appearance, np.full(angles.shape, radius_fraction), angles)

    assert ring(0.5 * PUPIL_RADIUS_FRACTION).max() < 20.0
    middle, limbus = ring(0.75), ring(0.99)
    assert limbus.mean() < 0.6 * middle.mean()
    # Radial fibres: brightness varies around a ring by more than a fifth of its mean.
    brightness = middle.mean(axis=1)
    assert brightness.std() > 0.1 * brightness.mean()
