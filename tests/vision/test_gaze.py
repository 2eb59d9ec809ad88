"""Gaze rays: the eyeball model, the angle convention and the combination of both eyes."""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from gazertc.errors import InputError
from gazertc.vision.gaze import (
    IRIS_SPHERE_RADIUS_MM,
    RAY_MISS_ZERO_WEIGHT_MM,
    EyeballAnchor,
    IrisCentre,
    angles_from_direction,
    direction_from_angles,
    estimate_gaze,
    eyeball_centre_head_mm,
    eyeball_centre_mm,
    gaze_from_iris_px,
    observed_eyeball_centres_head_mm,
)
from gazertc.vision.headpose import (
    EYE_CORNER_LANDMARKS,
    FACE_MODEL_MM,
    CameraIntrinsics,
    estimate_head_pose,
    rotation_from_angles,
)
from gazertc.vision.types import EyeSide, HeadPose, PointPx

CAMERA = CameraIntrinsics.from_frame_size(640, 480)
CAMERA_AT_ORIGIN_MM = np.zeros(3)


class SyntheticFace:
    """A face at a known pose whose eyes look at a known target, seen by ``CAMERA``.

    ``eye_shift_mm`` moves this person's eyes (corners and eyeball centres) away from the model's:
    x outwards from the nose, y down.
    """

    def __init__(
        self,
        head_angles_deg: tuple[float, float, float],
        translation_mm: tuple[float, float, float] = (0.0, 0.0, 600.0),
        eye_shift_mm: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        self.rotation = rotation_from_angles(*head_angles_deg)
        self.translation_mm = np.array(translation_mm)
        self.eye_shift_mm = eye_shift_mm
        points_mm = np.zeros((68, 3))
        for index, point_mm in FACE_MODEL_MM.items():
            points_mm[index] = point_mm
            if 36 <= index <= 47:
                points_mm[index] += self._shift(math.copysign(1.0, point_mm[0]))
        self.landmarks = self.project(points_mm @ self.rotation.T + self.translation_mm)
        rotation_vector = cv2.Rodrigues(self.rotation)[0].reshape(3)
        self.true_pose = HeadPose(
            yaw_deg=head_angles_deg[0],
            pitch_deg=head_angles_deg[1],
            roll_deg=head_angles_deg[2],
            translation_mm=(translation_mm[0], translation_mm[1], translation_mm[2]),
            rotation_vector=(
                float(rotation_vector[0]),
                float(rotation_vector[1]),
                float(rotation_vector[2]),
            ),
            reprojection_error_px=0.0,
        )

    def _shift(self, sign_x: float) -> NDArray[np.float64]:
        return np.array([sign_x * self.eye_shift_mm[0], self.eye_shift_mm[1], 0.0])

    @staticmethod
    def project(points_camera_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        depth_mm = points_camera_mm[..., 2]
        x_px = CAMERA.fx_px * points_camera_mm[..., 0] / depth_mm + CAMERA.cx_px
        y_px = CAMERA.fy_px * points_camera_mm[..., 1] / depth_mm + CAMERA.cy_px
        return np.stack([x_px, y_px], axis=-1)

    def eyeball_centre(self, side: EyeSide) -> NDArray[np.float64]:
        centre_head_mm = eyeball_centre_head_mm(side)
        centre_head_mm += self._shift(math.copysign(1.0, centre_head_mm[0]))
        centre_mm: NDArray[np.float64] = self.rotation @ centre_head_mm + self.translation_mm
        return centre_mm

    def iris_looking_along(self, side: EyeSide, direction: NDArray[np.float64]) -> PointPx:
        iris_mm = self.eyeball_centre(side) + IRIS_SPHERE_RADIUS_MM * direction
        x_px, y_px = self.project(iris_mm)
        return float(x_px), float(y_px)

    def direction_to(self, side: EyeSide, target_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        offset = target_mm - self.eyeball_centre(side)
        return offset / np.linalg.norm(offset)

    def irises_looking_at(
        self, target_mm: NDArray[np.float64], confidence: float = 1.0
    ) -> dict[EyeSide, IrisCentre]:
        return {
            side: (self.iris_looking_along(side, self.direction_to(side, target_mm)), confidence)
            for side in EyeSide
        }


# --- angle convention ---


@pytest.mark.parametrize(
    ("yaw_deg", "pitch_deg", "expected"),
    [
        (0.0, 0.0, (0.0, 0.0, -1.0)),
        (90.0, 0.0, (1.0, 0.0, 0.0)),
        (-90.0, 0.0, (-1.0, 0.0, 0.0)),
        (0.0, 90.0, (0.0, -1.0, 0.0)),
        (0.0, -90.0, (0.0, 1.0, 0.0)),
    ],
)
def test_direction_from_angles_follows_the_sign_convention(
    yaw_deg: float, pitch_deg: float, expected: tuple[float, float, float]
) -> None:
    np.testing.assert_allclose(direction_from_angles(yaw_deg, pitch_deg), expected, atol=1e-12)


def test_angles_from_direction_signs() -> None:
    assert angles_from_direction((1.0, 0.0, -1.0)) == pytest.approx((45.0, 0.0))
    assert angles_from_direction((0.0, -1.0, -1.0)) == pytest.approx((0.0, 45.0))
    yaw_deg, pitch_deg = angles_from_direction((-0.2, 0.3, -1.0))
    assert yaw_deg < 0.0 and pitch_deg < 0.0
    # Length does not matter; pointing away from the camera is a yaw beyond 90 degrees.
    assert angles_from_direction((0.0, 0.0, -7.0)) == pytest.approx((0.0, 0.0))
    assert angles_from_direction((0.0, 0.0, 1.0)) == pytest.approx((180.0, 0.0))


def test_angles_and_directions_round_trip() -> None:
    for yaw_deg, pitch_deg in itertools.product(range(-170, 171, 17), range(-85, 86, 17)):
        direction = direction_from_angles(yaw_deg, pitch_deg)
        assert np.linalg.norm(direction) == pytest.approx(1.0)
        assert angles_from_direction(direction) == pytest.approx((yaw_deg, pitch_deg))


@pytest.mark.parametrize(
    "direction", [(0.0, 0.0, 0.0), (1.0, 0.0), (math.nan, 0.0, -1.0), (0.0, math.inf, -1.0)]
)
def test_bad_directions_are_rejected(direction: tuple[float, ...]) -> None:
    with pytest.raises(InputError):
        angles_from_direction(direction)


def test_non_finite_angles_are_rejected() -> None:
    with pytest.raises(InputError):
        direction_from_angles(math.nan, 0.0)


# --- one eye: the ray and the sphere ---


def test_eyeball_centres_mirror_each_other_with_the_right_eye_at_negative_x() -> None:
    right = eyeball_centre_head_mm(EyeSide.RIGHT)
    left = eyeball_centre_head_mm(EyeSide.LEFT)
    assert right[0] < 0.0 < left[0]
    np.testing.assert_allclose(right * (-1.0, 1.0, 1.0), left)
    # Behind the eye corners of the same eye, which are behind the nose bridge.
    for side, centre in ((EyeSide.RIGHT, right), (EyeSide.LEFT, left)):
        corners = EYE_CORNER_LANDMARKS[side]
        assert centre[2] > max(FACE_MODEL_MM[corners.inner][2], FACE_MODEL_MM[corners.outer][2])


def test_ray_through_the_eyeball_centre_means_looking_back_along_it() -> None:
    centre_mm = np.array([40.0, -25.0, 550.0])
    x_px, y_px = SyntheticFace.project(centre_mm)
    direction, miss_mm = gaze_from_iris_px(centre_mm, (float(x_px), float(y_px)), CAMERA)
    assert miss_mm == 0.0
    np.testing.assert_allclose(direction, -centre_mm / np.linalg.norm(centre_mm), atol=1e-12)


def test_ray_that_misses_the_sphere_takes_the_nearest_point_on_its_outline() -> None:
    centre_mm = np.array([0.0, 0.0, 600.0])
    # A ray passing 1 mm outside the iris sphere, to the image's right of the eye.
    beside_mm = np.array([IRIS_SPHERE_RADIUS_MM + 1.0, 0.0, 600.0])
    x_px, y_px = SyntheticFace.project(beside_mm)
    direction, miss_mm = gaze_from_iris_px(centre_mm, (float(x_px), float(y_px)), CAMERA)
    ray = beside_mm / np.linalg.norm(beside_mm)
    expected_miss_mm = np.linalg.norm(np.cross(ray, centre_mm)) - IRIS_SPHERE_RADIUS_MM
    assert miss_mm == pytest.approx(expected_miss_mm)
    assert 0.9 < miss_mm < 1.0
    assert abs(float(direction @ ray)) < 1e-12
    assert direction[0] > 0.99


@pytest.mark.parametrize(
    "centre", [(0.0, 0.0), (0.0, 0.0, -600.0), (0.0, math.nan, 600.0), (0.0, 0.0, 0.0)]
)
def test_bad_eyeball_centres_are_rejected(centre: tuple[float, ...]) -> None:
    with pytest.raises(InputError):
        gaze_from_iris_px(centre, (320.0, 240.0), CAMERA)


def test_non_finite_iris_pixel_is_rejected() -> None:
    with pytest.raises(InputError, match="iris"):
        gaze_from_iris_px((0.0, 0.0, 600.0), (math.nan, 240.0), CAMERA)


# --- both eyes from a head pose: round trips ---


@pytest.mark.parametrize("anchor", list(EyeballAnchor))
@pytest.mark.parametrize("distance_mm", [400.0, 1000.0])
@pytest.mark.parametrize("head_deg", [(0.0, 0.0, 0.0), (25.0, -15.0, 10.0), (-30.0, 20.0, -5.0)])
@pytest.mark.parametrize("gaze_deg", [(0.0, 0.0), (30.0, -20.0), (-25.0, 15.0), (10.0, 25.0)])
def test_gaze_angles_round_trip_through_the_image(
    anchor: EyeballAnchor,
    distance_mm: float,
    head_deg: tuple[float, float, float],
    gaze_deg: tuple[float, float],
) -> None:
    face = SyntheticFace(head_deg, (-50.0, 30.0, distance_mm))
    direction = direction_from_angles(*gaze_deg)
    irises = {side: (face.iris_looking_along(side, direction), 1.0) for side in EyeSide}
    estimate = estimate_gaze(face.true_pose, CAMERA, face.landmarks, irises, anchor)
    for side in EyeSide:
        assert estimate.per_eye[side] == pytest.approx(gaze_deg, abs=1e-6)
    assert estimate.combined is not None
    assert (estimate.combined.yaw_deg, estimate.combined.pitch_deg) == pytest.approx(
        gaze_deg, abs=1e-6
    )
    assert estimate.combined.eyes_used == (EyeSide.RIGHT, EyeSide.LEFT)


def test_gaze_round_trips_with_the_pose_estimated_from_the_landmarks() -> None:
    face = SyntheticFace((-18.0, 12.0, 4.0), (70.0, -20.0, 650.0))
    pose = estimate_head_pose(face.landmarks, CAMERA)
    direction = direction_from_angles(12.0, -8.0)
    irises = {side: (face.iris_looking_along(side, direction), 0.8) for side in EyeSide}
    estimate = estimate_gaze(pose, CAMERA, face.landmarks, irises)
    for side in EyeSide:
        assert estimate.per_eye[side] == pytest.approx((12.0, -8.0), abs=1e-4)


def test_iris_noise_of_a_tenth_of_a_pixel_costs_about_half_a_degree() -> None:
    # At 600 mm and 640 px wide, one degree of eye rotation moves the iris about 0.17 px.
    face = SyntheticFace((0.0, 0.0, 0.0))
    rng = np.random.default_rng(7)
    errors_deg = []
    for _ in range(200):
        iris_x_px, iris_y_px = face.iris_looking_along(EyeSide.LEFT, direction_from_angles(0, 0))
        noise_x_px, noise_y_px = rng.normal(0.0, 0.1, 2)
        estimate = estimate_gaze(
            face.true_pose,
            CAMERA,
            face.landmarks,
            {EyeSide.LEFT: ((iris_x_px + noise_x_px, iris_y_px + noise_y_px), 1.0)},
        )
        errors_deg.append(np.hypot(*estimate.per_eye[EyeSide.LEFT]))
    assert 0.3 < float(np.median(errors_deg)) < 1.0


# --- a real person is not the model ---


def test_looking_into_the_camera_with_a_frontal_head_gives_near_zero_gaze() -> None:
    # This person's eyes sit 2.5 mm further out and 2.5 mm higher than the model's.
    face = SyntheticFace((0.0, 0.0, 0.0), eye_shift_mm=(2.5, -2.5))
    pose = estimate_head_pose(face.landmarks, CAMERA)
    estimate = estimate_gaze(pose, CAMERA, face.landmarks, face.irises_looking_at(np.zeros(3)))
    # Each eye converges on the lens 600 mm away: about 3 degrees inwards.
    for side in EyeSide:
        yaw_deg, pitch_deg = estimate.per_eye[side]
        assert abs(yaw_deg) < 5.0 and abs(pitch_deg) < 2.5
    assert estimate.combined is not None
    assert abs(estimate.combined.yaw_deg) < 1.0
    assert abs(estimate.combined.pitch_deg) < 2.5


@pytest.mark.parametrize("head_deg", [(0.0, 0.0, 0.0), (20.0, 10.0, 5.0), (-25.0, -10.0, -5.0)])
@pytest.mark.parametrize("target_mm", [(0.0, 0.0, 0.0), (200.0, -100.0, 0.0)])
def test_corner_anchor_removes_the_bias_of_a_face_unlike_the_model(
    head_deg: tuple[float, float, float], target_mm: tuple[float, float, float]
) -> None:
    face = SyntheticFace(head_deg, eye_shift_mm=(2.5, -2.5))
    pose = estimate_head_pose(face.landmarks, CAMERA)
    target = np.array(target_mm)
    irises = face.irises_looking_at(target)
    worst_error_deg = {}
    for anchor in EyeballAnchor:
        estimate = estimate_gaze(pose, CAMERA, face.landmarks, irises, anchor)
        worst_error_deg[anchor] = max(
            np.max(
                np.abs(
                    np.subtract(
                        estimate.per_eye[side],
                        angles_from_direction(face.direction_to(side, target)),
                    )
                )
            )
            for side in EyeSide
        )
    # Measured: within 2.1 degrees with the corner anchor, 3.5 to 7.6 with the model alone.
    assert worst_error_deg[EyeballAnchor.CORNERS] < 2.5
    assert worst_error_deg[EyeballAnchor.MODEL] > 3.0


def test_looking_to_ones_left_moves_the_iris_to_image_right_and_gives_positive_yaw() -> None:
    face = SyntheticFace((0.0, 0.0, 0.0))
    ahead = face.irises_looking_at(np.zeros(3))
    left = face.irises_looking_at(np.array([300.0, 0.0, 0.0]))
    up = face.irises_looking_at(np.array([0.0, -200.0, 0.0]))
    for side in EyeSide:
        assert left[side][0][0] > ahead[side][0][0] + 1.0
        assert up[side][0][1] < ahead[side][0][1] - 1.0
    looking_left = estimate_gaze(face.true_pose, CAMERA, face.landmarks, left)
    looking_up = estimate_gaze(face.true_pose, CAMERA, face.landmarks, up)
    assert looking_left.combined is not None and looking_up.combined is not None
    assert looking_left.combined.yaw_deg > 20.0
    assert looking_up.combined.pitch_deg > 15.0
    assert all(yaw_deg > 20.0 for yaw_deg, _ in looking_left.per_eye.values())


def test_corner_and_model_anchors_agree_on_the_model_face() -> None:
    face = SyntheticFace((15.0, -10.0, 5.0), (30.0, 10.0, 500.0))
    for side in EyeSide:
        np.testing.assert_allclose(
            eyeball_centre_mm(side, face.true_pose, CAMERA, face.landmarks, EyeballAnchor.CORNERS),
            eyeball_centre_mm(side, face.true_pose, CAMERA, face.landmarks, EyeballAnchor.MODEL),
            atol=1e-9,
        )


def test_corner_anchor_follows_the_observed_corners() -> None:
    face = SyntheticFace((0.0, 0.0, 0.0))
    moved = face.landmarks.copy()
    corners = EYE_CORNER_LANDMARKS[EyeSide.LEFT]
    moved[[corners.inner, corners.outer], 0] += 6.0
    before = eyeball_centre_mm(EyeSide.LEFT, face.true_pose, CAMERA, face.landmarks)
    after = eyeball_centre_mm(EyeSide.LEFT, face.true_pose, CAMERA, moved)
    corner_depth_mm = 600.0 + FACE_MODEL_MM[corners.inner][2]  # both corners, averaged below
    outer_depth_mm = 600.0 + FACE_MODEL_MM[corners.outer][2]
    expected_shift_mm = 6.0 * (corner_depth_mm + outer_depth_mm) / 2.0 / CAMERA.fx_px
    np.testing.assert_allclose(after - before, (expected_shift_mm, 0.0, 0.0), atol=1e-9)


def test_head_frame_eyeball_centres_round_trip_and_follow_the_head() -> None:
    face = SyntheticFace((12.0, -6.0, 4.0), (20.0, -10.0, 550.0))
    target = np.array([80.0, 40.0, 0.0])
    irises = face.irises_looking_at(target)
    centres = observed_eyeball_centres_head_mm(face.true_pose, CAMERA, face.landmarks)
    for side in EyeSide:
        # On the model face the corner anchor finds the model's centre (see the test above).
        np.testing.assert_allclose(centres[side], eyeball_centre_head_mm(side), atol=1e-6)
    anchored = estimate_gaze(face.true_pose, CAMERA, face.landmarks, irises)
    remembered = estimate_gaze(
        face.true_pose, CAMERA, face.landmarks, irises, eyeball_centres_head_mm=centres
    )
    for side in EyeSide:
        np.testing.assert_allclose(remembered.per_eye[side], anchored.per_eye[side], atol=1e-6)
    # Remembered centres ignore the corners of this frame: a corner moved by 3 px changes the
    # corner-anchored gaze but not the remembered one.
    moved = face.landmarks.copy()
    corners = EYE_CORNER_LANDMARKS[EyeSide.LEFT]
    moved[[corners.inner, corners.outer], 0] += 3.0
    jittered = estimate_gaze(face.true_pose, CAMERA, moved, irises)
    steady = estimate_gaze(face.true_pose, CAMERA, moved, irises, eyeball_centres_head_mm=centres)
    assert abs(jittered.per_eye[EyeSide.LEFT][0] - anchored.per_eye[EyeSide.LEFT][0]) > 5.0
    np.testing.assert_allclose(
        steady.per_eye[EyeSide.LEFT], anchored.per_eye[EyeSide.LEFT], atol=1e-6
    )


# --- combining the eyes ---


def test_one_eye_alone_gives_its_own_ray() -> None:
    face = SyntheticFace((10.0, 5.0, 0.0))
    irises = face.irises_looking_at(np.array([100.0, 50.0, 0.0]))
    estimate = estimate_gaze(
        face.true_pose, CAMERA, face.landmarks, {EyeSide.LEFT: irises[EyeSide.LEFT]}
    )
    left = estimate.eye(EyeSide.LEFT)
    assert left is not None and estimate.eye(EyeSide.RIGHT) is None
    assert estimate.combined is not None
    assert estimate.combined.eyes_used == (EyeSide.LEFT,)
    assert estimate.combined.direction == pytest.approx(left.direction)
    assert estimate.combined.origin_mm == pytest.approx(left.eyeball_centre_mm)
    assert list(estimate.per_eye) == [EyeSide.LEFT]


def test_no_eyes_give_no_gaze() -> None:
    face = SyntheticFace((0.0, 0.0, 0.0))
    estimate = estimate_gaze(face.true_pose, CAMERA, face.landmarks, {})
    assert estimate.combined is None and estimate.eyes == () and estimate.per_eye == {}


def test_an_eye_with_zero_confidence_is_reported_but_not_used() -> None:
    face = SyntheticFace((0.0, 0.0, 0.0))
    irises = face.irises_looking_at(np.zeros(3))
    irises[EyeSide.RIGHT] = (irises[EyeSide.RIGHT][0], 0.0)
    estimate = estimate_gaze(face.true_pose, CAMERA, face.landmarks, irises)
    right = estimate.eye(EyeSide.RIGHT)
    assert right is not None and right.weight == 0.0
    assert estimate.combined is not None and estimate.combined.eyes_used == (EyeSide.LEFT,)


def test_eyes_are_combined_by_confidence() -> None:
    face = SyntheticFace((0.0, 0.0, 0.0))
    right_direction = direction_from_angles(-10.0, 5.0)
    left_direction = direction_from_angles(20.0, -5.0)
    irises = {
        EyeSide.RIGHT: (face.iris_looking_along(EyeSide.RIGHT, right_direction), 0.9),
        EyeSide.LEFT: (face.iris_looking_along(EyeSide.LEFT, left_direction), 0.3),
    }
    estimate = estimate_gaze(face.true_pose, CAMERA, face.landmarks, irises)
    assert estimate.combined is not None
    expected = 0.9 * right_direction + 0.3 * left_direction
    np.testing.assert_allclose(estimate.combined.direction, expected / np.linalg.norm(expected))
    assert -10.0 < estimate.combined.yaw_deg < 5.0
    midpoint_mm = (face.eyeball_centre(EyeSide.RIGHT) + face.eyeball_centre(EyeSide.LEFT)) / 2.0
    np.testing.assert_allclose(estimate.combined.origin_mm, midpoint_mm, atol=1e-9)


@pytest.mark.parametrize(
    ("miss_mm", "expected_weight"), [(1.0, 0.4), (RAY_MISS_ZERO_WEIGHT_MM + 0.5, 0.0)]
)
def test_an_iris_outside_its_eyeball_loses_weight(miss_mm: float, expected_weight: float) -> None:
    face = SyntheticFace((0.0, 0.0, 0.0))
    irises = face.irises_looking_at(np.zeros(3), confidence=0.8)
    # Place the right iris beside its eyeball, `miss_mm` outside the iris sphere.
    beside_mm = face.eyeball_centre(EyeSide.RIGHT) - (IRIS_SPHERE_RADIUS_MM + miss_mm, 0.0, 0.0)
    x_px, y_px = SyntheticFace.project(beside_mm)
    irises[EyeSide.RIGHT] = ((float(x_px), float(y_px)), 0.8)
    estimate = estimate_gaze(face.true_pose, CAMERA, face.landmarks, irises)
    right = estimate.eye(EyeSide.RIGHT)
    assert right is not None
    # The ray is not quite perpendicular to the offset, so the miss is slightly shorter.
    assert right.ray_miss_mm == pytest.approx(miss_mm, abs=0.05)
    assert right.weight == pytest.approx(expected_weight, abs=0.02)
    assert right.yaw_deg < -80.0  # on the outline, looking out to the image's left
    assert estimate.combined is not None
    expected_used = (EyeSide.RIGHT, EyeSide.LEFT) if expected_weight > 0 else (EyeSide.LEFT,)
    assert estimate.combined.eyes_used == expected_used


# --- bad input ---


def test_bad_iris_input_is_rejected() -> None:
    face = SyntheticFace((0.0, 0.0, 0.0))
    good = face.irises_looking_at(np.zeros(3))
    for bad in [
        ((math.nan, 240.0), 1.0),
        (good[EyeSide.LEFT][0], -0.1),
        (good[EyeSide.LEFT][0], math.nan),
    ]:
        with pytest.raises(InputError):
            estimate_gaze(face.true_pose, CAMERA, face.landmarks, {EyeSide.LEFT: bad})


def test_bad_landmarks_and_poses_are_rejected() -> None:
    face = SyntheticFace((0.0, 0.0, 0.0))
    irises = face.irises_looking_at(np.zeros(3))
    with pytest.raises(InputError, match="shape"):
        estimate_gaze(face.true_pose, CAMERA, face.landmarks[:60], irises)
    behind = HeadPose(0.0, 0.0, 0.0, (0.0, 0.0, -600.0), (0.0, 0.0, 0.0), 0.0)
    with pytest.raises(InputError, match="in front of the camera"):
        estimate_gaze(behind, CAMERA, face.landmarks, irises)
