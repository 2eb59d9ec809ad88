"""The rendered-eye SIMULATION with the head moved after calibration: where the moved face goes,
where its eyes look, and the errors per head position."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from gazertc.evaluation.rendered.benchmark import (
    CALIBRATION_GAZES_DEG,
    HEAD_DISPLACEMENTS,
    HEAD_NEARER,
    QUICK_PLAN,
    TEST_GAZES_DEG,
    FaceRun,
    MovedRun,
    Observation,
    gaze_at,
    gaze_target_mm,
    head_turn_deg,
    true_gaze,
)
from gazertc.evaluation.rendered.eyeball import LIMBUS_PLANE_MM
from gazertc.evaluation.rendered.faces import (
    DEFAULT_FACES,
    INTER_PUPIL_MM,
    PlacedFace,
    move_face,
    moved_frame_transform,
    place_face,
)
from gazertc.evaluation.rendered.head_motion import (
    CALIBRATION_FOLDS,
    HOME,
    calibration_half,
    held_out_half,
    pooled_calibration_frames,
    summarise_head_motion,
)
from gazertc.vision.gaze import direction_from_angles
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.tracker import PipelineModels
from gazertc.vision.types import EyeSide
from tests.evaluation.test_rendered_benchmark import fixation_of, skewed_observation
from tests.realdata import read_bgr

Angles = tuple[float, float]
INTRINSICS = CameraIntrinsics.from_frame_size(640, 480)
DISTANCE_MM = 600.0


def _project_px(point_mm: np.ndarray) -> np.ndarray:
    return np.array(
        [
            INTRINSICS.cx_px + INTRINSICS.fx_px * point_mm[0] / point_mm[2],
            INTRINSICS.cy_px + INTRINSICS.fy_px * point_mm[1] / point_mm[2],
        ]
    )


@pytest.mark.parametrize(
    "offset_mm", [(50.0, 0.0, 0.0), (0.0, -30.0, 0.0), (0.0, 0.0, -80.0), (20.0, 30.0, 80.0)]
)
def test_the_moved_frame_is_the_planar_face_moved_in_front_of_the_pinhole(
    offset_mm: tuple[float, float, float],
) -> None:
    transform = moved_frame_transform(INTRINSICS, DISTANCE_MM, offset_mm)
    for point_mm in ([0.0, 0.0, DISTANCE_MM], [-70.0, 40.0, DISTANCE_MM], [90.0, -60.0, 600.0]):
        home_px = _project_px(np.array(point_mm))
        moved_px = _project_px(np.array(point_mm) + offset_mm)
        assert transform @ np.append(home_px, 1.0) == pytest.approx(moved_px, abs=1e-9)


def test_the_moved_frame_goes_the_way_the_head_goes() -> None:
    centre = np.array([INTRINSICS.cx_px, INTRINSICS.cy_px, 1.0])
    right = moved_frame_transform(INTRINSICS, DISTANCE_MM, (50.0, 0.0, 0.0)) @ centre
    assert right[0] == pytest.approx(INTRINSICS.cx_px + INTRINSICS.fx_px * 50.0 / 600.0)
    assert right[1] == pytest.approx(INTRINSICS.cy_px)
    up = moved_frame_transform(INTRINSICS, DISTANCE_MM, (0.0, -30.0, 0.0)) @ centre
    assert up[0] == pytest.approx(INTRINSICS.cx_px) and up[1] < INTRINSICS.cy_px - 20.0
    nearer = moved_frame_transform(INTRINSICS, DISTANCE_MM, (0.0, 0.0, -100.0))
    assert nearer[0, 0] == pytest.approx(600.0 / 500.0) == nearer[1, 1]
    with pytest.raises(ValueError):
        moved_frame_transform(INTRINSICS, DISTANCE_MM, (0.0, 0.0, -DISTANCE_MM))


def _synthetic_face(middle_mm: tuple[float, float]) -> PlacedFace:
    """A face squarely facing the camera at 600 mm whose eyes' middle is ``middle_mm`` from
    the optical axis: only its twelve eye points are set."""
    landmarks = np.zeros((68, 2))
    # dlib's right eye (36-41) is the subject's right, on the image's left.
    for first, towards_image_right_mm in ((36, -1.0), (42, 1.0)):
        x_mm = middle_mm[0] + towards_image_right_mm * INTER_PUPIL_MM / 2.0
        eye_px = _project_px(np.array([x_mm, middle_mm[1], DISTANCE_MM]))
        outline = [(-12, 0), (-5, -4), (5, -4), (12, 0), (5, 4), (-5, 4)]
        landmarks[first : first + 6] = eye_px + np.array(outline, dtype=float)
    image = np.zeros((480, 640, 3), np.uint8)
    return PlacedFace("synthetic", image, landmarks, np.eye(3), INTRINSICS, DISTANCE_MM)


def test_a_moved_eye_looks_at_the_target_from_where_it_now_is() -> None:
    home = _synthetic_face((0.0, 0.0))
    assert gaze_at(home, np.zeros(3)).combined == pytest.approx((0.0, 0.0), abs=1e-9)
    depth_mm = DISTANCE_MM + LIMBUS_PLANE_MM
    right_of_camera = gaze_at(_synthetic_face((50.0, 0.0)), np.zeros(3))
    # The camera is to the image's left of the moved eyes: the gaze turns left (negative yaw).
    assert right_of_camera.combined == pytest.approx(
        (-math.degrees(math.atan2(50.0, depth_mm)), 0.0), abs=1e-6
    )
    for side, x_mm in ((EyeSide.RIGHT, 50.0 - 31.5), (EyeSide.LEFT, 50.0 + 31.5)):
        yaw_deg, pitch_deg = right_of_camera.per_eye[side]
        assert yaw_deg == pytest.approx(-math.degrees(math.atan2(x_mm, depth_mm)), abs=1e-6)
        assert pitch_deg == pytest.approx(0.0, abs=1e-6)
    # Moved up (y is down), the eyes look down (negative pitch) at the camera.
    above_camera = gaze_at(_synthetic_face((0.0, -30.0)), np.zeros(3))
    assert above_camera.combined == pytest.approx(
        (0.0, -math.degrees(math.atan2(30.0, depth_mm))), abs=1e-6
    )


def test_a_home_gaze_target_is_on_the_camera_plane_in_that_direction() -> None:
    home = _synthetic_face((0.0, 0.0))
    for gaze in CALIBRATION_GAZES_DEG:
        target = gaze_target_mm(home, gaze)
        assert target[2] == pytest.approx(0.0, abs=1e-9)
        assert gaze_at(home, target).combined == pytest.approx(gaze, abs=1e-9)
        assert true_gaze(home, gaze).combined == pytest.approx(gaze, abs=1e-9)
    # 15 degrees to the image's right from 610 mm lands right of the camera.
    assert gaze_target_mm(home, (15.0, 0.0))[0] == pytest.approx(
        (DISTANCE_MM + LIMBUS_PLANE_MM) * math.tan(math.radians(15.0))
    )
    # The same target seen from 5 cm to the image's right is less far to the right.
    target = gaze_target_mm(home, (15.0, 0.0))
    assert gaze_at(_synthetic_face((50.0, 0.0)), target).combined[0] < 15.0 - 4.0


def test_the_head_turn_is_the_angle_between_two_orientations() -> None:
    angle = math.radians(5.0)
    turned = np.array(
        [[math.cos(angle), 0.0, math.sin(angle)], [0.0, 1.0, 0.0],
         [-math.sin(angle), 0.0, math.cos(angle)]]
    )  # fmt: skip
    assert head_turn_deg(np.eye(3), turned) == pytest.approx(5.0)
    assert head_turn_deg(turned, turned) == pytest.approx(0.0, abs=1e-6)


def test_a_real_face_moved_carries_its_eyes_with_it() -> None:
    source = DEFAULT_FACES[3]
    models = PipelineModels()
    home = place_face(
        source.name, read_bgr(source.relative_path), width_px=640, height_px=480,
        distance_mm=DISTANCE_MM, models=models,
    )  # fmt: skip
    assert home is not None, "gazertc finds the Talking Face frame"
    for offset_mm in ((50.0, 0.0, 0.0), (0.0, -30.0, 0.0), (0.0, 0.0, 80.0)):
        moved = move_face(home, offset_mm, models)
        assert moved is not None
        assert moved.distance_mm == DISTANCE_MM + offset_mm[2]
        # gazertc's head pose reads the moved photograph as turned by up to about 5 degrees,
        # which moves each eye up to 3 mm in depth, opposite ways: their middle moves as the head.
        shifts_mm = [moved.eyeball_centre_mm(s) - home.eyeball_centre_mm(s) for s in EyeSide]
        assert np.mean(shifts_mm, axis=0) == pytest.approx(offset_mm, abs=1.5)
        for shift_mm in shifts_mm:
            assert shift_mm[:2] == pytest.approx(offset_mm[:2], abs=1.5)


def _known_run(moved: bool) -> FaceRun:
    """A run whose pipeline output is a fixed affine skew of the truth at every position."""
    precision = [skewed_observation((4.0, -2.0), 0.5) for _ in range(3)]
    tests = [skewed_observation(gaze, 0.5) for gaze in TEST_GAZES_DEG]
    return FaceRun(
        calibration=[skewed_observation(gaze, 0.5) for gaze in CALIBRATION_GAZES_DEG],
        test=tests,
        precision=precision,
        precision_smoothed=[observation.sample for observation in precision],
        moved=(
            (
                MovedRun(HEAD_DISPLACEMENTS[0], tests[:4], 4.0),
                MovedRun(HEAD_NEARER, [], math.nan),
            )
            if moved
            else ()
        ),
    )


def test_the_head_motion_summary_has_a_row_per_position_home_first() -> None:
    condition = QUICK_PLAN.conditions[0]
    assert summarise_head_motion(condition, [_known_run(False), None]) == ()
    home, sideways, nearer = summarise_head_motion(condition, [_known_run(True), None])
    assert (home.position, sideways.position) == (HOME.name, HEAD_DISPLACEMENTS[0].name)
    assert (sideways.offset_x_mm, sideways.offset_y_mm, sideways.offset_z_mm) == (50.0, 0, 0)
    assert (home.faces, home.frames, home.frames_with_gaze) == (1, 16, 16)
    assert (sideways.faces, sideways.frames) == (1, 4)
    assert (nearer.faces, nearer.frames) == (0, 0) and math.isnan(nearer.affine_error_deg_mean)
    assert sideways.head_turn_deg_mean == 4.0 and home.head_turn_deg_mean == 0.0
    for summary in (home, sideways):
        assert summary.affine_error_deg_mean == pytest.approx(0.0, abs=1e-5)
        assert 0.0 < summary.calibrated_error_deg_mean < 0.25
    assert nearer.to_dict()["simulation"] is True


def _offset_observation(gaze: Angles, yaw_offset_deg: float) -> Observation:
    """A frame whose pipeline gaze is the known skew of the truth, turned by
    ``yaw_offset_deg``: an error of that target's own that no affine map of the rest predicts."""
    observation = skewed_observation(gaze, 0.5)
    sample_gaze = observation.sample.gaze
    assert sample_gaze is not None
    yaw_deg = sample_gaze.yaw_deg + yaw_offset_deg
    x, y, z = direction_from_angles(yaw_deg, sample_gaze.pitch_deg)
    turned = replace(sample_gaze, yaw_deg=yaw_deg, direction=(float(x), float(y), float(z)))
    return replace(observation, sample=replace(observation.sample, gaze=turned))


def _run_with_pooled_position(nearer: list[Observation]) -> FaceRun:
    """:func:`_known_run` with the test targets seen from 8 cm nearer given by ``nearer`` and
    exactly skewed ones seen from 5 cm to the right."""
    run = _known_run(True)
    right = [skewed_observation(gaze, 0.5) for gaze in TEST_GAZES_DEG]
    return replace(
        run,
        moved=(
            MovedRun(HEAD_DISPLACEMENTS[0], right, 4.0),
            MovedRun(HEAD_NEARER, nearer, 1.0),
        ),
    )


def test_the_folds_split_the_targets_into_complementary_halves() -> None:
    frames = [skewed_observation(gaze, 0.5) for gaze in TEST_GAZES_DEG]
    scored = []
    for fold in range(CALIBRATION_FOLDS):
        held_out = held_out_half(frames, fold)
        calibrating = calibration_half(frames, fold)
        assert len(held_out) == len(calibrating) == len(frames) // 2
        assert not {id(o) for o in held_out} & {id(o) for o in calibrating}
        scored += held_out
    assert sorted(map(id, scored)) == sorted(map(id, frames))


def test_the_folds_keep_the_frames_of_a_fixation_together() -> None:
    frames = [frame for gaze in TEST_GAZES_DEG for frame in fixation_of(gaze, 1.0)]
    for fold in range(CALIBRATION_FOLDS):
        held_out = held_out_half(frames, fold)
        calibrating = calibration_half(frames, fold)
        assert len(held_out) == len(calibrating) == len(frames) // 2
        held_truths = {id(o.truth) for o in held_out}
        assert len(held_truths) == len(TEST_GAZES_DEG) // 2
        assert not held_truths & {id(o.truth) for o in calibrating}


def test_no_scored_frame_is_in_its_own_folds_calibration() -> None:
    nearer = [_offset_observation(gaze, 0.0) for gaze in TEST_GAZES_DEG]
    run = _run_with_pooled_position(nearer)
    pooled = (HEAD_NEARER,)
    for fold in range(CALIBRATION_FOLDS):
        fitted_on = {id(o) for o in pooled_calibration_frames(run, pooled, fold)}
        assert {id(o) for o in run.calibration} <= fitted_on
        assert len(fitted_on) == len(run.calibration) + len(nearer) // 2
        # Only the pooled position gives frames; the scored ones never do.
        assert not fitted_on & {id(o) for o in run.moved[0].test}
        assert not fitted_on & {id(o) for o in held_out_half(nearer, fold)}


def test_a_pooled_position_is_scored_on_targets_its_calibration_did_not_see() -> None:
    # Seen from nearer, even targets read 3 degrees to one side, odd ones 3 to the other (the
    # skew's yaw gain is 0.6): a fold calibrated on one parity (and on home, which reads true)
    # errs on the other by more than 3 degrees; a target scored by a calibration that saw it
    # would err by less.
    offset_deg = 3.0
    nearer = [
        _offset_observation(gaze, 0.6 * (offset_deg if index % 2 == 0 else -offset_deg))
        for index, gaze in enumerate(TEST_GAZES_DEG)
    ]
    home, right, moved_nearer = summarise_head_motion(
        QUICK_PLAN.conditions[0], [_run_with_pooled_position(nearer)]
    )
    assert moved_nearer.pooled_calibrated_at == f"home + {HEAD_NEARER.name}"
    assert [row.pooled_in_calibration for row in (home, right, moved_nearer)] == [
        True,
        False,
        True,
    ]
    assert moved_nearer.pooled_frames == moved_nearer.frames == len(TEST_GAZES_DEG)
    assert moved_nearer.pooled_affine_error_deg_mean > 1.3 * offset_deg
    assert moved_nearer.pooled_calibrated_error_deg_mean > 1.3 * offset_deg
    # Calibrated at home alone, nearer errs by the offsets, and home and 5 cm to the right
    # (both read true) not at all; the pooled calibration carries part of nearer's offsets.
    assert moved_nearer.affine_error_deg_mean == pytest.approx(offset_deg, abs=0.1)
    for row in (home, right):
        assert row.affine_error_deg_mean == pytest.approx(0.0, abs=1e-5)
        assert 0.5 < row.pooled_affine_error_deg_mean < offset_deg


def test_a_face_lost_at_a_pooled_position_is_left_out_of_the_pooled_calibration() -> None:
    home, right, nearer = summarise_head_motion(
        QUICK_PLAN.conditions[0], [_run_with_pooled_position([]), _known_run(True)]
    )
    assert (nearer.faces, nearer.pooled_faces) == (0, 0)
    assert (home.faces, home.pooled_faces) == (2, 0)
    assert math.isnan(home.pooled_calibrated_error_deg_mean)
    assert right.faces == 2 and right.frames == len(TEST_GAZES_DEG) + 4
