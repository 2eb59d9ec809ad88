"""From the rendered-eye SIMULATION's tracked frames to one summary per condition."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazertc.evaluation.rendered.benchmark import (
    BenchmarkPlan,
    Condition,
    FaceRun,
    Observation,
    run_plan,
)
from gazertc.evaluation.rendered.head_motion import summarise_head_motion
from gazertc.evaluation.rendered.measures import (
    AffineGazeMap,
    MeasuredAngles,
    TrueAngles,
    combined_angles,
    combined_truth,
    finite_mean,
    finite_median,
    fit_gaze_map,
    fixation_errors_deg,
    gaze_map_errors_deg,
    p90,
    rms_sample_to_sample,
    slopes_per_deg,
)
from gazertc.evaluation.rendered.results import BenchmarkResult, ConditionSummary
from gazertc.evaluation.rendered.screen_calibration import screen_calibration_errors
from gazertc.vision.landmarks import eye_corners_px
from gazertc.vision.tracker import PipelineModels
from gazertc.vision.types import EyeSide, GazeSample, PointPx

__all__ = ["Sensitivity", "eye_sensitivity", "run_benchmark", "summarise"]

Angles = tuple[float, float]


def _eye_angles(side: EyeSide) -> MeasuredAngles:
    def measured(sample: GazeSample) -> Angles | None:
        eye = sample.eye(side)
        if eye is None or eye.gaze_yaw_deg is None or eye.gaze_pitch_deg is None:
            return None
        return eye.gaze_yaw_deg, eye.gaze_pitch_deg

    return measured


def _eye_truth(side: EyeSide) -> TrueAngles:
    def truth(observation: Observation) -> Angles:
        return observation.truth.per_eye[side]

    return truth


def _iris_px(sample: GazeSample, side: EyeSide) -> PointPx | None:
    eye = sample.eye(side)
    return None if eye is None else eye.centre_px


def _calibrated_errors(
    run: FaceRun, measured: MeasuredAngles, truth: TrueAngles
) -> tuple[AffineGazeMap | None, list[float]]:
    gaze_map = fit_gaze_map(run.calibration, measured, truth)
    if gaze_map is None:
        return None, []
    return gaze_map, gaze_map_errors_deg(gaze_map, run.test, measured, truth)


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """Iris pixels per degree of one eye's gaze: ``true`` from where the iris appeared,
    ``found`` from where the pipeline put it (vertical: upwards, per degree of pitch)."""

    true_horizontal: float
    found_horizontal: float
    true_vertical: float
    found_vertical: float


def eye_sensitivity(observations: Sequence[Observation], side: EyeSide) -> Sensitivity | None:
    """One eye's sensitivity over the frames where both the truth and the pipeline have its
    iris, ``None`` when they do not span both angles."""
    angles, true_px, found_px = [], [], []
    for observation in observations:
        apparent = observation.apparent_iris_px.get(side)
        found = _iris_px(observation.sample, side)
        if apparent is None or found is None:
            continue
        angles.append(observation.truth.per_eye[side])
        true_px.append(apparent)
        found_px.append(found)
    slopes = [
        slopes_per_deg([point[axis] for point in points], angles)
        for points in (true_px, found_px)
        for axis in (0, 1)
    ]
    if any(slope is None for slope in slopes):
        return None
    true_x, true_y, found_x, found_y = (slope for slope in slopes if slope is not None)
    return Sensitivity(true_x[0], found_x[0], -true_y[1], -found_y[1])


def _precision(gaze_map: AffineGazeMap | None, samples: Sequence[GazeSample]) -> float:
    if gaze_map is None:
        return math.nan
    mapped = [gaze_map.apply(angles) for s in samples if (angles := combined_angles(s)) is not None]
    return rms_sample_to_sample(mapped)


def _iris_precision_px(run: FaceRun) -> float:
    per_eye = []
    for side in EyeSide:
        points = [p for o in run.precision if (p := _iris_px(o.sample, side)) is not None]
        per_eye.append(rms_sample_to_sample(points))
    return finite_mean(per_eye)


def _corner_precision_px(run: FaceRun) -> float:
    """RMS sample-to-sample of the four eye corners, from which gazertc places the eyeballs
    (mean over corners)."""
    corners = [
        eye_corners_px(np.asarray(o.sample.landmarks_px))
        for o in run.precision
        if o.sample.landmarks_px is not None
    ]
    return finite_mean([rms_sample_to_sample([c[k] for c in corners]) for k in range(4)])


def summarise(
    condition: Condition, runs: Sequence[FaceRun | None], smoothing_settle_frames: int
) -> ConditionSummary:
    """The condition's summary over its faces (``None``: a face gazertc did not find); the
    smoothed precision leaves out the first ``smoothing_settle_frames`` fixed-gaze frames."""
    found = [run for run in runs if run is not None]
    combined_errors: list[float] = []
    eye_errors: dict[EyeSide, list[float]] = {side: [] for side in EyeSide}
    uncalibrated: list[float] = []
    weighted_errors: list[float] = []
    ray_errors: list[float] = []
    right_weights: list[float] = []
    weighted_precision: list[float] = []
    precision, smoothed, iris_px, corner_px = [], [], [], []
    sensitivities: list[Sensitivity] = []
    calibrated_faces = 0
    for run in found:
        gaze_map, errors = _calibrated_errors(run, combined_angles, combined_truth)
        if gaze_map is None:
            continue
        calibrated_faces += 1
        combined_errors += errors
        screen = screen_calibration_errors(run.calibration, run.test, run.precision)
        if screen is not None:
            weighted_errors += screen.weighted
            ray_errors += screen.combined
            weighted_precision.append(screen.weighted_precision_rms_deg)
            if screen.right_eye_weight is not None:
                right_weights.append(screen.right_eye_weight)
        for side in EyeSide:
            eye_errors[side] += _calibrated_errors(run, _eye_angles(side), _eye_truth(side))[1]
        uncalibrated += fixation_errors_deg(run.test, lambda o: combined_angles(o.sample))
        precision.append(_precision(gaze_map, [o.sample for o in run.precision]))
        smoothed.append(_precision(gaze_map, run.precision_smoothed[smoothing_settle_frames:]))
        iris_px.append(_iris_precision_px(run))
        corner_px.append(_corner_precision_px(run))
        for side in EyeSide:
            sensitivity = eye_sensitivity(run.calibration + run.test, side)
            if sensitivity is not None:
                sensitivities.append(sensitivity)
    observations = [o for run in found for o in run.calibration + run.test + run.precision]
    return ConditionSummary(
        condition=condition.name,
        width_px=condition.width_px,
        height_px=condition.height_px,
        distance_mm=condition.distance_mm,
        faces=calibrated_faces,
        faces_skipped=len(runs) - calibrated_faces,
        frames=len(observations),
        frames_with_gaze=sum(o.sample.gaze is not None for o in observations),
        uncalibrated_error_deg_mean=finite_mean(uncalibrated),
        combined_error_deg_mean=finite_mean(combined_errors),
        combined_error_deg_median=finite_median(combined_errors),
        combined_error_deg_p90=p90(combined_errors),
        right_eye_error_deg_mean=finite_mean(eye_errors[EyeSide.RIGHT]),
        left_eye_error_deg_mean=finite_mean(eye_errors[EyeSide.LEFT]),
        calibrated_error_deg_mean=finite_mean(weighted_errors),
        calibrated_error_deg_median=finite_median(weighted_errors),
        calibrated_error_deg_p90=p90(weighted_errors),
        calibrated_ray_error_deg_mean=finite_mean(ray_errors),
        right_eye_weight_mean=finite_mean(right_weights),
        precision_rms_deg=finite_median(precision),
        calibrated_precision_rms_deg=finite_median(weighted_precision),
        precision_rms_deg_smoothed=finite_median(smoothed),
        iris_precision_rms_px=finite_median(iris_px),
        corner_precision_rms_px=finite_median(corner_px),
        true_px_per_deg_horizontal=finite_mean([s.true_horizontal for s in sensitivities]),
        found_px_per_deg_horizontal=finite_mean([s.found_horizontal for s in sensitivities]),
        sensitivity_ratio_horizontal=finite_mean(
            [s.found_horizontal / s.true_horizontal for s in sensitivities]
        ),
        true_px_per_deg_vertical=finite_mean([s.true_vertical for s in sensitivities]),
        found_px_per_deg_vertical=finite_mean([s.found_vertical for s in sensitivities]),
        sensitivity_ratio_vertical=finite_mean(
            [s.found_vertical / s.true_vertical for s in sensitivities]
        ),
    )


def run_benchmark(
    data_dir: Path,
    plan: BenchmarkPlan,
    *,
    models: PipelineModels | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> BenchmarkResult:
    """Run the plan on the faces found under ``data_dir`` and summarise each condition (and
    each head position, when the plan moves the head)."""
    started = time.perf_counter()
    runs = run_plan(data_dir, plan, models=models, seed=seed, progress=progress)
    present = tuple(
        source.name for source in plan.faces if (data_dir / source.relative_path).is_file()
    )
    return BenchmarkResult(
        faces=present,
        conditions=tuple(
            summarise(condition, runs[condition], plan.smoothing_settle_frames)
            for condition in plan.conditions
        ),
        runtime_s=time.perf_counter() - started,
        head_motion=tuple(
            summary
            for condition in plan.conditions
            for summary in summarise_head_motion(condition, runs[condition])
        ),
        lids_follow_gaze=plan.lids is not None,
        frames_per_gaze=plan.frames_per_gaze,
    )
