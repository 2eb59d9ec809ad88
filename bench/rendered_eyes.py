"""A SIMULATION: gaze accuracy, precision and sensitivity on eyes rendered with a known gaze into
real faces (``gazertc.evaluation.rendered``; docs/rendered-eyes.md).

The faces and lids are real (shared data), the eyes are ray-traced; the figures measure the chain
from iris pixels to degrees, not gazertc's accuracy on real eyes.

``python -m bench.rendered_eyes [--quick] [--json] [--seed N] [--head-motion] [--lids-follow]``;
with ``--head-motion`` every condition also moves the head after calibration (a longer run);
with ``--lids-follow`` the lids move up and down with the eyes (they stay put by default).
``python -m bench rendered_eyes`` runs the default plan, moves the head in one condition
(:data:`SUITE_HEAD_MOTION`), and scores two conditions over fixations (:data:`SUITE_FIXATION`).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import cv2

from bench.__main__ import DEFAULT_DATA_DIR
from bench.report import Cell, print_table
from gazertc.evaluation.rendered import SIMULATION_NOTE
from gazertc.evaluation.rendered.benchmark import (
    CALIBRATION_GAZES_DEG,
    DEFAULT_PLAN,
    PRECISION_GAZE_DEG,
    QUICK_HEAD_MOTION,
    QUICK_PLAN,
    BenchmarkPlan,
    HeadMotionPlan,
    webcam_condition,
)
from gazertc.evaluation.rendered.head_motion import HOME
from gazertc.evaluation.rendered.lids import LidMotion
from gazertc.evaluation.rendered.results import BenchmarkResult, HeadMotionSummary
from gazertc.evaluation.rendered.summary import run_benchmark

MAX_FRAMES_PER_GAZE = 30
"""A second of fixation at 30 fps; the run's time grows with it (10 frames: about 4 times)."""


def _fixation_words(plan: BenchmarkPlan) -> str:
    """How each gaze was scored, when not on one frame."""
    if plan.frames_per_gaze == 1:
        return ""
    return f" (each gaze {plan.frames_per_gaze} frames, scored on their mean)"


def print_tables(result: BenchmarkResult, plan: BenchmarkPlan) -> None:
    """The run as three Markdown tables, each titled as a simulation."""
    faces = f"{len(result.faces)} real faces"
    accuracy: list[list[Cell]] = []
    precision: list[list[Cell]] = []
    sensitivity: list[list[Cell]] = []
    for summary in result.conditions:
        accuracy.append(
            [
                summary.condition,
                f"{summary.faces}/{summary.faces + summary.faces_skipped}",
                f"{summary.frames_with_gaze}/{summary.frames}",
                summary.calibrated_error_deg_mean,
                summary.calibrated_error_deg_median,
                summary.calibrated_error_deg_p90,
                summary.calibrated_ray_error_deg_mean,
                summary.combined_error_deg_mean,
                summary.right_eye_weight_mean,
                summary.right_eye_error_deg_mean,
                summary.left_eye_error_deg_mean,
                summary.uncalibrated_error_deg_mean,
            ]
        )
        precision.append(
            [
                summary.condition,
                summary.calibrated_precision_rms_deg,
                summary.precision_rms_deg,
                summary.precision_rms_deg_smoothed,
                summary.iris_precision_rms_px,
                summary.corner_precision_rms_px,
            ]
        )
        sensitivity.append(
            [
                summary.condition,
                summary.true_px_per_deg_horizontal,
                summary.found_px_per_deg_horizontal,
                summary.sensitivity_ratio_horizontal,
                summary.true_px_per_deg_vertical,
                summary.found_px_per_deg_vertical,
                summary.sensitivity_ratio_vertical,
            ]
        )
    print_table(
        f"SIMULATION (rendered eyes, not real ones): gaze error in degrees after a per-face "
        f"{len(CALIBRATION_GAZES_DEG)}-point calibration, {len(plan.test_gazes_deg)} "
        f"test gazes per face{_fixation_words(plan)}, {faces}. gazertc's calibration, eyes "
        "weighted (what a session uses): mean, median, p90; the same with the combined ray "
        "alone; an affine map of the combined angles; the right eye's weight; per-eye affine "
        "maps",
        [
            "condition",
            "faces",
            "frames with gaze",
            "weighted mean",
            "weighted median",
            "weighted p90",
            "combined ray mean",
            "affine, combined angles mean",
            "right eye weight",
            "right eye mean",
            "left eye mean",
            "uncalibrated mean",
        ],
        accuracy,
    )
    print_table(
        f"SIMULATION: precision, RMS sample-to-sample over {plan.precision_frames} frames of one "
        f"gaze {PRECISION_GAZE_DEG} deg with fresh noise (median over faces; smoothed: a fresh "
        f"default tracker, its first {plan.smoothing_settle_frames} frames left out)",
        [
            "condition",
            "eyes weighted deg, raw",
            "affine deg, raw",
            "affine deg, smoothed",
            "iris centre px, raw",
            "eye corners px, raw",
        ],
        precision,
    )
    print_table(
        "SIMULATION: sensitivity, iris px per degree of the eye's gaze, true (iris as seen "
        "through the cornea) and found by the pipeline; mean over eyes",
        [
            "condition",
            "true px/deg across",
            "found px/deg across",
            "found/true across",
            "true px/deg up",
            "found px/deg up",
            "found/true up",
        ],
        sensitivity,
    )
    lids = "the lids moved with the eyes" if result.lids_follow_gaze else "the lids stayed put"
    print(
        f"\n{SIMULATION_NOTE}. Faces: {', '.join(result.faces)}; {lids}. "
        f"Took {result.runtime_s:.0f} s."
    )


SUITE_HEAD_MOTION = HeadMotionPlan(conditions=(webcam_condition(640, 480, 60).name,))
"""The head-motion block of ``python -m bench rendered_eyes``: 640x480 at 60 cm with webcam and
VP8, which adds about 40 % to the default run's time. The block costs about four times a
condition's default frames (CPU time, measured paired on two faces), so in every condition
(``--head-motion``) the run takes about five times as long."""


SUITE_FIXATION = replace(
    DEFAULT_PLAN,
    conditions=(webcam_condition(640, 480, 60), webcam_condition(1280, 720, 60)),
    frames_per_gaze=10,
)
"""The fixation block of ``python -m bench rendered_eyes``: a third of a second per gaze (as eye
trackers' accuracy is scored) at 60 cm in both webcam sizes, which adds about 60 % to the
default run's time."""


def print_fixation_table(fixation: BenchmarkResult, single_frame: BenchmarkResult) -> None:
    """The fixation run's accuracy beside the single-frame run's, as one Markdown table titled
    as a simulation."""
    single = {summary.condition: summary for summary in single_frame.conditions}
    rows: list[list[Cell]] = []
    for summary in fixation.conditions:
        before = single.get(summary.condition)
        rows.append(
            [
                summary.condition,
                f"{summary.faces}/{summary.faces + summary.faces_skipped}",
                before.calibrated_error_deg_mean if before is not None else None,
                summary.calibrated_error_deg_mean,
                summary.calibrated_error_deg_median,
                summary.calibrated_error_deg_p90,
                summary.combined_error_deg_mean,
            ]
        )
    print_table(
        f"SIMULATION: gaze error in degrees over a fixation of {fixation.frames_per_gaze} frames "
        "(each test gaze scored on its frames' mean; the calibration on every frame of its 9 "
        "targets, as a session's), beside the same conditions scored on single frames",
        [
            "condition",
            "faces",
            "weighted mean, single frames",
            "weighted mean, fixation",
            "weighted median, fixation",
            "weighted p90, fixation",
            "affine mean, fixation",
        ],
        rows,
    )


def _pooled_role(summary: HeadMotionSummary) -> str:
    """What the position gave the pooled calibration, and so what of it was scored."""
    if not summary.pooled_in_calibration:
        return "no (all targets scored)"
    if summary.position == HOME.name:
        return "yes (calibration gazes)"
    return "yes (half; other half scored)"


def print_head_motion_table(result: BenchmarkResult) -> None:
    """The head-motion summaries as one Markdown table titled as a simulation."""
    pooled_at = sorted({summary.pooled_calibrated_at for summary in result.head_motion})
    rows: list[list[Cell]] = [
        [
            summary.condition,
            summary.position,
            summary.faces,
            f"{summary.frames_with_gaze}/{summary.frames}",
            summary.calibrated_error_deg_mean,
            summary.calibrated_error_deg_median,
            summary.calibrated_error_deg_p90,
            summary.calibrated_ray_error_deg_mean,
            summary.affine_error_deg_mean,
            summary.affine_error_deg_median,
            summary.affine_error_deg_p90,
            summary.head_turn_deg_mean,
            _pooled_role(summary),
            f"{summary.pooled_faces}",
            summary.pooled_calibrated_error_deg_mean,
            summary.pooled_calibrated_error_deg_p90,
            summary.pooled_calibrated_ray_error_deg_mean,
            summary.pooled_affine_error_deg_mean,
        ]
        for summary in result.head_motion
    ]
    print_table(
        "SIMULATION: the head moved after calibration (the same planar photograph translated in "
        "3D, not turned); gaze error in degrees on the test targets seen from each position, "
        "under the calibrations fitted at home, and (pooled) fitted at "
        f"{' / '.join(pooled_at)} on alternate targets in two folds, each target scored by the "
        "fold that did not calibrate on it",
        [
            "condition",
            "head position",
            "faces",
            "frames with gaze",
            "weighted mean",
            "weighted median",
            "weighted p90",
            "combined ray mean",
            "affine mean",
            "affine median",
            "affine p90",
            "head pose turn deg",
            "in pooled calibration",
            "pooled faces",
            "pooled weighted mean",
            "pooled weighted p90",
            "pooled combined ray mean",
            "pooled affine mean",
        ],
        rows,
    )


def run(
    data_dir: Path,
    *,
    quick: bool = False,
    as_json: bool = False,
    seed: int = 0,
    head_motion: HeadMotionPlan | None = SUITE_HEAD_MOTION,
    lids: LidMotion | None = None,
    frames_per_gaze: int = 1,
    fixation: BenchmarkPlan | None = SUITE_FIXATION,
) -> None:
    """Run the default plan (or the quick one), with the head moved after calibration where
    ``head_motion`` says, the lids moved with the eyes when ``lids`` says how and
    ``frames_per_gaze`` frames of each calibration and test gaze, and print tables, or one JSON
    object; then, for the default plan's tables, the ``fixation`` plan beside it. The same seed
    gives the same numbers; other seeds draw other irises and other noise."""
    cv2.setNumThreads(1)
    plan = replace(
        QUICK_PLAN if quick else DEFAULT_PLAN,
        head_motion=head_motion,
        lids=lids,
        frames_per_gaze=frames_per_gaze,
    )
    result = run_benchmark(data_dir, plan, seed=seed)
    if not result.faces:
        print(f"rendered-eye simulation skipped: no face of the plan under {data_dir}")
        return
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print_tables(result, plan)
        if result.head_motion:
            print_head_motion_table(result)
        if fixation is not None and not quick:
            print_fixation_table(
                run_benchmark(data_dir, replace(fixation, lids=lids), seed=seed), result
            )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rendered_eyes", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one face, one condition")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seed", type=int, default=0, help="irises and noise (default 0)")
    parser.add_argument(
        "--head-motion",
        action="store_true",
        help="move the head after calibration in every condition (about 5 times as long)",
    )
    parser.add_argument(
        "--lids-follow",
        action="store_true",
        help="move the lids up and down with the eyes (by default they stay put)",
    )
    parser.add_argument(
        "--frames-per-gaze",
        type=int,
        choices=range(1, MAX_FRAMES_PER_GAZE + 1),
        default=1,
        metavar="N",
        help=f"frames of each calibration and test gaze, 1-{MAX_FRAMES_PER_GAZE} (default 1); "
        "above 1 a test gaze is scored on its frames' mean, as a fixation",
    )
    args = parser.parse_args()
    data_dir = Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR))
    if not data_dir.is_dir():
        print(f"the rendered-eye simulation needs the real faces: {data_dir} is absent")
        return 1
    head_motion = None
    if args.head_motion:
        head_motion = QUICK_HEAD_MOTION if args.quick else HeadMotionPlan()
    lids = LidMotion() if args.lids_follow else None
    run(
        data_dir,
        quick=args.quick,
        as_json=args.json,
        seed=args.seed,
        head_motion=head_motion,
        lids=lids,
        frames_per_gaze=args.frames_per_gaze,
        fixation=None,
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
