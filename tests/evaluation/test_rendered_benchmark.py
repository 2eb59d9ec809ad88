"""The rendered-eye SIMULATION benchmark: its measures, its summary on a perfectly known case,
and a tiny run of the real pipeline on a real face."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from bench.rendered_eyes import print_fixation_table, print_head_motion_table, print_tables

from gazertc.evaluation.rendered import SIMULATION_NOTE
from gazertc.evaluation.rendered.benchmark import (
    CALIBRATION_GAZES_DEG,
    QUICK_HEAD_MOTION,
    QUICK_PLAN,
    TEST_GAZES_DEG,
    FaceRun,
    Observation,
    TrueGaze,
)
from gazertc.evaluation.rendered.eyeball import EyeballPose
from gazertc.evaluation.rendered.lids import LidMotion
from gazertc.evaluation.rendered.measures import (
    AffineGazeMap,
    angular_error_deg,
    fit_gaze_map,
    fixations,
    gaze_map_errors_deg,
    rms_sample_to_sample,
    slopes_per_deg,
)
from gazertc.evaluation.rendered.results import BenchmarkResult
from gazertc.evaluation.rendered.summary import run_benchmark, summarise
from gazertc.vision.gaze import direction_from_angles
from gazertc.vision.types import (
    EyeObservation,
    EyeSide,
    GazeDirection,
    GazeSample,
    PointPx,
    TrackingState,
)
from tests.realdata import data_dir, data_file

Angles = tuple[float, float]


def _skewed(angles: Angles) -> Angles:
    """A pipeline that reads gaze through a known affine distortion."""
    yaw, pitch = angles
    return 0.6 * yaw + 0.1 * pitch + 3.0, 0.4 * pitch - 2.0


def test_the_affine_map_undoes_a_known_distortion() -> None:
    true = list(CALIBRATION_GAZES_DEG)
    gaze_map = AffineGazeMap.fit([_skewed(angles) for angles in true], true)
    assert gaze_map is not None
    for angles in TEST_GAZES_DEG:
        assert gaze_map.apply(_skewed(angles)) == pytest.approx(angles, abs=1e-9)
    assert AffineGazeMap.fit(true[:5], true[:5]) is None


def test_the_measures_on_known_values() -> None:
    assert angular_error_deg((10.0, 0.0), (0.0, 0.0)) == pytest.approx(10.0)
    assert angular_error_deg((0.0, -3.0), (0.0, 4.0)) == pytest.approx(7.0)
    assert rms_sample_to_sample([(0.0, 0.0), (3.0, 4.0), (3.0, 4.0)]) == pytest.approx(
        math.sqrt(12.5)
    )
    assert math.isnan(rms_sample_to_sample([(1.0, 1.0)]))
    angles = list(CALIBRATION_GAZES_DEG)
    positions = [0.25 * yaw - 0.5 * pitch + 7.0 for yaw, pitch in angles]
    assert slopes_per_deg(positions, angles) == pytest.approx((0.25, -0.5))
    assert slopes_per_deg([1.0, 2.0, 3.0], [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]) is None


def _iris_px(angles: Angles, side: EyeSide) -> PointPx:
    """Where a known iris sits: 0.2 px per degree across, 0.15 px per degree up."""
    return (
        100.0 + (50.0 if side is EyeSide.LEFT else 0.0) + 0.2 * angles[0],
        80.0 - 0.15 * angles[1],
    )


def _eye(side: EyeSide, truth: Angles, iris_px: PointPx) -> EyeObservation:
    yaw, pitch = _skewed(truth)
    return EyeObservation(
        side=side, centre_px=iris_px, iris_radius_px=5.0, confidence=1.0, openness=0.35,
        is_open=True, inner_corner_px=(0.0, 0.0), outer_corner_px=(10.0, 0.0),
        gaze_yaw_deg=yaw, gaze_pitch_deg=pitch,
    )  # fmt: skip


def skewed_observation(gaze: Angles, found_iris_scale: float) -> Observation:
    """A frame whose pipeline output is exactly the skewed truth, and whose found iris moves
    ``found_iris_scale`` times as far as the true one."""
    per_eye = {EyeSide.RIGHT: (gaze[0] + 1.0, gaze[1]), EyeSide.LEFT: (gaze[0] - 1.0, gaze[1])}
    poses = {
        side: EyeballPose.looking_along(
            side, np.array([0.0, 0.0, 600.0]), direction_from_angles(*angles)
        )
        for side, angles in per_eye.items()
    }
    apparent = {side: _iris_px(angles, side) for side, angles in per_eye.items()}
    found = {
        side: _iris_px((found_iris_scale * a[0], found_iris_scale * a[1]), side)
        for side, a in per_eye.items()
    }
    yaw, pitch = _skewed(gaze)
    x, y, z = direction_from_angles(yaw, pitch)
    direction = (float(x), float(y), float(z))
    sample = GazeSample(
        timestamp_unix_ns=0, frame_index=0, frame_width_px=640, frame_height_px=480,
        face_found=True, tracking=TrackingState.TRACKED,
        right_eye=_eye(EyeSide.RIGHT, per_eye[EyeSide.RIGHT], found[EyeSide.RIGHT]),
        left_eye=_eye(EyeSide.LEFT, per_eye[EyeSide.LEFT], found[EyeSide.LEFT]),
        gaze=GazeDirection(yaw, pitch, (0.0, 0.0, 600.0), direction, tuple(EyeSide)),
    )  # fmt: skip
    return Observation(TrueGaze(gaze, per_eye, poses), apparent, sample)


def test_a_perfectly_known_case_scores_zero_error_and_the_known_sensitivity() -> None:
    def run() -> FaceRun:
        precision = [skewed_observation((4.0, -2.0), 0.5) for _ in range(5)]
        return FaceRun(
            calibration=[skewed_observation(gaze, 0.5) for gaze in CALIBRATION_GAZES_DEG],
            test=[skewed_observation(gaze, 0.5) for gaze in TEST_GAZES_DEG],
            precision=precision,
            precision_smoothed=[observation.sample for observation in precision],
        )

    summary = summarise(
        QUICK_PLAN.conditions[0], [run(), None, run()], QUICK_PLAN.smoothing_settle_frames
    )
    assert (summary.faces, summary.faces_skipped) == (2, 1)
    assert summary.frames == summary.frames_with_gaze == 2 * (9 + 16 + 5)
    for error in (summary.combined_error_deg_mean, summary.combined_error_deg_p90,
                  summary.right_eye_error_deg_mean, summary.left_eye_error_deg_mean):  # fmt: skip
        assert error == pytest.approx(0.0, abs=1e-5)
    assert summary.uncalibrated_error_deg_mean > 1.0
    # gazertc's calibration is linear in the ray's point on the camera plane, which is the tan of
    # the (affinely skewed) angles: nearly, not exactly, undone. These frames have no head pose,
    # so no eye has a ray of its own: the combined ray alone, and no eye weights.
    assert 0.0 < summary.calibrated_error_deg_mean < 0.25
    assert summary.calibrated_error_deg_mean == summary.calibrated_ray_error_deg_mean
    assert math.isnan(summary.right_eye_weight_mean)
    assert summary.calibrated_precision_rms_deg == pytest.approx(0.0, abs=1e-9)
    assert summary.precision_rms_deg == pytest.approx(0.0, abs=1e-9)
    assert summary.iris_precision_rms_px == pytest.approx(0.0, abs=1e-9)
    assert summary.true_px_per_deg_horizontal == pytest.approx(0.2)
    assert summary.true_px_per_deg_vertical == pytest.approx(0.15)
    assert summary.sensitivity_ratio_horizontal == pytest.approx(0.5)
    assert summary.sensitivity_ratio_vertical == pytest.approx(0.5)


@pytest.fixture(scope="module")
def quick_result() -> BenchmarkResult:
    data_file(QUICK_PLAN.faces[0].relative_path)  # skips, saying so, without the data
    return run_benchmark(data_dir(), replace(QUICK_PLAN, head_motion=QUICK_HEAD_MOTION))


def test_a_tiny_run_on_a_real_face_gives_finite_numbers(quick_result: BenchmarkResult) -> None:
    assert quick_result.faces == (QUICK_PLAN.faces[0].name,)
    (summary,) = quick_result.conditions
    assert summary.faces == 1
    assert summary.frames_with_gaze >= 0.8 * summary.frames
    as_dict = summary.to_dict()
    assert as_dict["simulation"] is True
    for name, value in as_dict.items():
        if isinstance(value, float):
            assert math.isfinite(value), name
    assert 0.0 < summary.combined_error_deg_mean < 10.0
    assert 0.0 < summary.calibrated_error_deg_mean < 10.0
    assert 0.1 <= summary.right_eye_weight_mean <= 0.9
    # 640x480 at 60 cm: f = 554 px, so the iris moves 554 * 10.45 mm / 600 mm * pi / 180 px/deg.
    expected_px_per_deg = 554.3 * 10.45 / 600.0 * math.pi / 180.0
    assert summary.true_px_per_deg_horizontal == pytest.approx(expected_px_per_deg, rel=0.15)
    # The pipeline's iris moves the same way as the true one.
    assert summary.sensitivity_ratio_horizontal > 0.2


def test_a_tiny_run_moves_the_head_after_calibration(quick_result: BenchmarkResult) -> None:
    (summary,) = quick_result.conditions
    home, *moved = quick_result.head_motion
    assert [row.position for row in moved] == [d.name for d in QUICK_HEAD_MOTION.displacements]
    assert home.calibrated_error_deg_mean == pytest.approx(summary.calibrated_error_deg_mean)
    assert home.affine_error_deg_mean == pytest.approx(summary.combined_error_deg_mean)
    for row in moved:
        assert row.faces == 1 and row.frames == len(QUICK_PLAN.test_gazes_deg)
        assert row.frames_with_gaze == row.frames
        assert 0.0 < row.calibrated_error_deg_mean < 20.0
        assert 0.0 < row.affine_error_deg_mean < 20.0
        assert row.to_dict()["simulation"] is True


def test_the_result_says_it_is_a_simulation_and_round_trips(quick_result: BenchmarkResult) -> None:
    as_dict = quick_result.to_dict()
    assert as_dict["simulation"] is True and as_dict["note"] == SIMULATION_NOTE
    assert "SIMULATION" in SIMULATION_NOTE
    text = json.dumps(as_dict)
    assert BenchmarkResult.from_dict(json.loads(text)).to_dict() == as_dict


def fixation_of(gaze: Angles, spread_deg: float) -> list[Observation]:
    """Three frames of one gaze whose pipeline reads it ``spread_deg`` to either side and on
    it: their mean reads it as one frame does."""
    base = skewed_observation(gaze, 0.5)
    frames = [base]
    for offset in (spread_deg, -spread_deg):
        shifted = skewed_observation((gaze[0] + offset, gaze[1]), 0.5)
        frames.append(Observation(base.truth, base.apparent_iris_px, shifted.sample))
    return frames


def test_a_fixation_is_scored_on_its_frames_mean() -> None:
    calibration = [skewed_observation(gaze, 0.5) for gaze in CALIBRATION_GAZES_DEG]
    gaze_map = fit_gaze_map(calibration)
    assert gaze_map is not None
    test = [frame for gaze in TEST_GAZES_DEG for frame in fixation_of(gaze, 2.0)]
    assert [len(fixation) for fixation in fixations(test)] == [3] * len(TEST_GAZES_DEG)
    errors = gaze_map_errors_deg(gaze_map, test)
    assert len(errors) == len(TEST_GAZES_DEG)
    assert max(errors) == pytest.approx(0.0, abs=1e-5)
    # The same frames, each its own gaze, err by the spread.
    single = [Observation(TrueGaze(o.truth.combined, o.truth.per_eye, o.truth.poses),
                          o.apparent_iris_px, o.sample) for o in test]  # fmt: skip
    single_errors = gaze_map_errors_deg(gaze_map, single)
    assert len(single_errors) == len(test)
    assert max(single_errors) == pytest.approx(2.0, rel=0.05)


def test_a_result_says_how_its_eyes_were_rendered_and_tracked(
    quick_result: BenchmarkResult,
) -> None:
    as_dict = quick_result.to_dict()
    assert as_dict["lids_follow_gaze"] is False
    assert as_dict["frames_per_gaze"] == 1
    following = BenchmarkResult.from_dict(as_dict | {"lids_follow_gaze": True})
    assert following.lids_follow_gaze is True
    with pytest.raises(TypeError):
        BenchmarkResult.from_dict(as_dict | {"lids_follow_gaze": "yes"})
    for bad in (0, 2.5, "3", True):
        with pytest.raises(ValueError):
            BenchmarkResult.from_dict(as_dict | {"frames_per_gaze": bad})
    plan = replace(
        QUICK_PLAN, test_gazes_deg=QUICK_PLAN.test_gazes_deg[:2], lids=LidMotion(),
        frames_per_gaze=3,
    )  # fmt: skip
    result = run_benchmark(data_dir(), plan)
    assert result.lids_follow_gaze is True and result.frames_per_gaze == 3
    (summary,) = result.conditions
    gazes = len(CALIBRATION_GAZES_DEG) + len(plan.test_gazes_deg)
    assert summary.frames == 3 * gazes + plan.precision_frames
    assert summary.frames_with_gaze >= 0.8 * summary.frames


def test_every_printed_table_is_titled_a_simulation(
    quick_result: BenchmarkResult, capsys: pytest.CaptureFixture[str]
) -> None:
    print_tables(quick_result, QUICK_PLAN)
    print_head_motion_table(quick_result)
    print_fixation_table(replace(quick_result, frames_per_gaze=10), quick_result)
    lines = capsys.readouterr().out.splitlines()
    titles = [line for line in lines if line.startswith("###")]
    assert len(titles) == 5
    assert all("SIMULATION" in title for title in titles)
    assert "over a fixation of 10 frames" in titles[-1]
    (summary,) = quick_result.conditions
    assert lines[-1].startswith(f"| {summary.condition}")
