"""The ``gazertc evaluate`` command: a gaze data set in its original layout, scored as a table."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from gazertc.errors import InputError
from gazertc.evaluation.columbia import (
    COLUMBIA_HORIZONTAL_SIGN,
    COLUMBIA_VERTICAL_SIGN,
    ColumbiaEvaluation,
    ColumbiaGroupResult,
    evaluate_columbia,
    load_columbia,
)
from gazertc.evaluation.gaze_common import (
    DEFAULT_CALIBRATION_SAMPLES,
    GazeDatasetName,
    still_estimator,
)
from gazertc.evaluation.gazecapture import (
    DEFAULT_K_DOTS,
    DEFAULT_MAX_FRAMES_PER_DOT,
    GazeCaptureEvaluation,
    GazeCaptureRecordingResult,
    evaluate_gazecapture,
)
from gazertc.evaluation.gazecapture_layout import load_gazecapture
from gazertc.evaluation.mpiifacegaze import (
    MpiiEvaluation,
    MpiiPersonResult,
    evaluate_mpiifacegaze,
    load_mpiifacegaze,
)
from gazertc.evaluation.tables import Cell, format_table
from gazertc.progress import Progress, counting

__all__ = ["add_arguments", "columbia_tables", "gazecapture_tables", "mpii_tables", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``evaluate`` arguments to ``parser``."""
    parser.add_argument(
        "--dataset",
        required=True,
        choices=[name.value for name in GazeDatasetName],
        help=(
            "which data set PATH holds (in its original layout; GazeCapture also as its "
            "prepareDataset.py writes it)"
        ),
    )
    parser.add_argument("path", type=Path, help="the data set's folder")
    parser.add_argument(
        "--calibration-samples",
        type=int,
        default=DEFAULT_CALIBRATION_SAMPLES,
        help=(
            "MPIIFaceGaze: images per person to calibrate on, drawn at random "
            f"(default {DEFAULT_CALIBRATION_SAMPLES})"
        ),
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random draws")
    parser.add_argument(
        "--max-images-per-person",
        type=int,
        default=None,
        help="MPIIFaceGaze: evaluate a random subset of each person's images (default: all)",
    )
    parser.add_argument(
        "--k-dots",
        type=int,
        default=DEFAULT_K_DOTS,
        help=f"GazeCapture: calibration dots per recording (default {DEFAULT_K_DOTS})",
    )
    parser.add_argument(
        "--max-recordings",
        type=int,
        default=None,
        help="GazeCapture: evaluate this many recordings, drawn at random (default: all)",
    )
    parser.add_argument(
        "--max-frames-per-dot",
        type=int,
        default=DEFAULT_MAX_FRAMES_PER_DOT,
        help=(
            "GazeCapture: frames per dot run through the pipeline, drawn at random "
            f"(default {DEFAULT_MAX_FRAMES_PER_DOT})"
        ),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="GazeCapture: print one JSON summary object instead of the tables",
    )


MPII_HEADERS = (
    "person",
    "images",
    "no face",
    "no gaze",
    "calibration",
    "evaluated",
    "angle mean deg",
    "angle median deg",
    "on screen mean mm",
    "uncalibrated mean deg",
    "gt check mm",
)


def _mpii_row(result: MpiiPersonResult) -> list[Cell]:
    return [
        result.person_id,
        result.image_count,
        result.faces_not_found,
        result.gaze_unknown,
        result.calibration_count,
        len(result.predictions),
        result.mean_angular_error_deg,
        result.median_angular_error_deg,
        result.mean_screen_error_mm,
        result.mean_uncalibrated_angular_error_deg,
        result.target_mismatch_mm,
    ]


def mpii_tables(evaluation: MpiiEvaluation) -> str:
    """The MPIIFaceGaze report: one row per person and a pooled row, then notes."""
    pooled = MpiiPersonResult(
        person_id="all",
        image_count=evaluation.image_count,
        faces_not_found=evaluation.faces_not_found,
        gaze_unknown=evaluation.gaze_unknown,
        calibration_count=sum(p.calibration_count for p in evaluation.persons),
        predictions=evaluation.predictions,
        target_mismatch_mm=math.nan,
    )
    rows = [_mpii_row(person) for person in evaluation.persons] + [_mpii_row(pooled)]
    title = (
        f"MPIIFaceGaze: {evaluation.calibration_samples} calibration images per person "
        f"(seed {evaluation.seed}), errors on the others"
    )
    notes = [
        "",
        "angle: between (predicted screen point - fc) and (gt - fc), camera frame; on screen: "
        "distance between predicted and true screen points; uncalibrated: the pipeline's own "
        "gaze direction against gt - fc; gt check: median distance between gt and the screen "
        "target converted with monitorPose (near 0 when the files are read right). "
        "The 'all' row pools every evaluated image.",
    ]
    notes.extend(
        f"{person.person_id} not evaluated: {person.skipped_reason}"
        for person in evaluation.persons
        if person.skipped_reason is not None
    )
    return "\n".join([format_table(title, MPII_HEADERS, rows), *notes])


COLUMBIA_HEADERS = (
    "head pose deg",
    "images",
    "no face",
    "no gaze",
    "uncalibrated mean deg",
    "calibrated mean deg",
    "calibrated n",
    "horizontal order",
    "horizontal pairs",
    "vertical order",
    "vertical pairs",
)


def _columbia_row(group: ColumbiaGroupResult) -> list[Cell]:
    return [
        "all" if group.head_pose_deg is None else group.head_pose_deg,
        group.image_count,
        group.faces_not_found,
        group.gaze_unknown,
        group.mean_uncalibrated_error_deg,
        group.mean_calibrated_error_deg,
        group.calibrated_count,
        group.horizontal_order,
        group.horizontal_pairs,
        group.vertical_order,
        group.vertical_pairs,
    ]


def columbia_tables(evaluation: ColumbiaEvaluation) -> str:
    """The Columbia Gaze report: one row per head pose and one over all images, then notes."""
    rows = [_columbia_row(group) for group in evaluation.by_head_pose]
    rows.append(_columbia_row(evaluation.overall))
    notes = [
        "",
        "Gaze angles are relative to the line from the eyes to the camera, as the labels are. "
        f"Uncalibrated: assumes H x {COLUMBIA_HORIZONTAL_SIGN:+.0f} is gazertc's yaw and "
        f"V x {COLUMBIA_VERTICAL_SIGN:+.0f} its pitch (signs not documented by the data set; an "
        "order near 0 instead of 1 means the other sign). Calibrated: per-subject affine "
        "angle correction fitted on the 9 frontal images with V in {-10, 0, 10} and H in "
        "{-15, 0, 15}, errors on the subject's other images. Order: share of image pairs "
        "ordered like their labels (1 perfect, 0.5 chance).",
    ]
    if evaluation.uncalibrated_subjects:
        notes.append(
            "not calibrated (fewer than 3 usable calibration images): "
            + ", ".join(evaluation.uncalibrated_subjects)
        )
    return "\n".join([format_table("Columbia Gaze", COLUMBIA_HEADERS, rows), *notes])


GAZECAPTURE_HEADERS = (
    "recording",
    "split",
    "frames",
    "no image",
    "no face",
    "no gaze",
    "dots",
    "usable dots",
    "scored",
    "calibrated mean cm",
    "baseline mean cm",
    "loo scored",
    "loo calibrated mean cm",
    "loo baseline mean cm",
)


def _gazecapture_row(result: GazeCaptureRecordingResult) -> list[Cell]:
    return [
        result.recording_id,
        result.split,
        result.frames,
        result.images_missing,
        result.faces_missed,
        result.gaze_unknown,
        result.dots,
        result.usable_dots,
        len(result.few_shot),
        result.calibrated_error_cm_mean,
        result.baseline_error_cm_mean,
        len(result.leave_one_out),
        result.loo_calibrated_error_cm_mean,
        result.loo_baseline_error_cm_mean,
    ]


def gazecapture_tables(evaluation: GazeCaptureEvaluation) -> str:
    """The GazeCapture report: one row per recording and a pooled row, then notes."""
    rows = [_gazecapture_row(r) for r in [*evaluation.recordings, evaluation.pooled]]
    frames_per_dot = evaluation.max_frames_per_dot or "all"
    title = (
        f"GazeCapture ({evaluation.layout.value} layout): {evaluation.k_dots} calibration dots "
        f"per recording (seed {evaluation.seed}), up to {frames_per_dot} frames per dot"
    )
    notes = [
        "",
        "Measured: per recording, gazertc's screen calibration is fitted on the frames of "
        f"{evaluation.k_dots} dots drawn at random and scored on the frames of the other dots "
        "(scored, calibrated); loo: each dot scored by a calibration on all the recording's "
        "other dots. Error: distance between the predicted and the true dot position, cm, in "
        "the camera's plane. Baseline: predicting the mean calibration dot position for every "
        "frame (no information from the face); calibrated near baseline means the gaze told "
        "next to nothing. The 'all' row pools every scored frame.",
    ]
    for r in evaluation.recordings:
        if r.few_shot_skipped_reason is not None:
            notes.append(f"{r.recording_id} not scored: {r.few_shot_skipped_reason}")
        if r.leave_one_out_skipped_reason is not None:
            notes.append(f"{r.recording_id} loo not scored: {r.leave_one_out_skipped_reason}")
        if r.failed_folds:
            notes.append(f"{r.recording_id}: {r.failed_folds} loo calibrations failed")
    notes.extend(
        f"{recording_id} skipped: {reason}"
        for recording_id, reason in evaluation.skipped_recordings
    )
    return "\n".join([format_table(title, GAZECAPTURE_HEADERS, rows), *notes])


def _run_gazecapture(args: argparse.Namespace) -> str:
    for option in ("max_recordings", "max_frames_per_dot"):
        value = getattr(args, option)
        if value is not None and value < 1:
            raise InputError(f"--{option.replace('_', '-')} must be at least 1, got {value}")
    dataset = load_gazecapture(args.path, max_recordings=args.max_recordings, seed=args.seed)
    limit = args.max_frames_per_dot
    total = sum(
        min(limit, len(frames)) if limit is not None else len(frames)
        for recording in dataset.recordings
        for frames in recording.dots().values()
    )
    with Progress("evaluate gazecapture", total, "frames") as progress:
        evaluation = evaluate_gazecapture(
            dataset,
            counting(still_estimator(), progress),
            k_dots=args.k_dots,
            seed=args.seed,
            max_frames_per_dot=limit,
        )
    if args.json:
        return json.dumps(evaluation.to_dict(), indent=2)
    return gazecapture_tables(evaluation)


def run(args: argparse.Namespace) -> int:
    """Evaluate the pipeline on the data set and print the report. Returns the exit status.

    Raises:
        InputError: the folder is not the data set named, a file is malformed, or an option is
            out of range.
    """
    path: Path = args.path
    dataset = GazeDatasetName(args.dataset)
    if dataset is GazeDatasetName.GAZECAPTURE:
        print(_run_gazecapture(args), file=sys.stdout)
        return 0
    if args.json:
        raise InputError("--json is only available with --dataset gazecapture")
    if args.max_images_per_person is not None and args.max_images_per_person < 1:
        raise InputError(
            f"--max-images-per-person must be at least 1, got {args.max_images_per_person}"
        )
    estimator = still_estimator()
    # Progress (on a terminal only) counts the estimator's calls: one per image evaluated.
    if dataset is GazeDatasetName.MPIIFACEGAZE:
        persons = load_mpiifacegaze(path)
        limit = args.max_images_per_person
        total = sum(
            len(p.samples) if limit is None else min(limit, len(p.samples)) for p in persons
        )
        with Progress(f"evaluate {dataset.value}", total, "images") as progress:
            evaluation = evaluate_mpiifacegaze(
                persons,
                counting(estimator, progress),
                calibration_samples=args.calibration_samples,
                seed=args.seed,
                max_images_per_person=args.max_images_per_person,
            )
        report = mpii_tables(evaluation)
    else:
        samples = load_columbia(path)
        with Progress(f"evaluate {dataset.value}", len(samples), "images") as progress:
            report = columbia_tables(evaluate_columbia(samples, counting(estimator, progress)))
    print(report, file=sys.stdout)
    return 0
