"""GazeCapture's evaluation protocol: per-recording few-shot calibration, error in centimetres.

The loaders and the two layouts are in :mod:`gazertc.evaluation.gazecapture_layout`; what this
shares with the other data sets is in :mod:`gazertc.evaluation.gaze_common`. Every figure is
measured on the user's copy; nothing here claims an accuracy by itself.

Protocol (:func:`evaluate_gazecapture`), per recording:

* per dot, at most ``max_frames_per_dot`` frames (drawn at random, seeded by the seed, the
  recording and the dot) are run through the still-image pipeline. Frames whose image file is
  missing, with no face, or with a face but not the features the screen calibration uses are
  counted and left out. A dot with at least one usable frame is a usable dot;
* few-shot: ``k_dots`` usable dots are drawn at random (seeded by the seed and the recording,
  :func:`~gazertc.evaluation.gaze_common.calibration_split`); gazertc's own screen calibration
  model (:class:`~gazertc.vision.calibration.CalibrationModel`, default features) is fitted on
  their frames and dot positions, and every frame of the other usable dots is scored;
* leave-one-dot-out: each usable dot in turn is scored by a model fitted on all the other
  usable dots of the recording (the most calibration a recording allows);
* error: the distance in cm between the predicted and the true dot position (both in the
  camera's plane, relative to the camera, as ``XCam``/``YCam``);
* baseline: the no-information prediction, the mean position of the calibration dots (each dot
  once), scored on the same frames. A calibrated error near the baseline means the gaze
  features carried next to no information about where the subject looked.

The model's targets are the dot positions in millimetres on a virtual screen at one CSS pixel
per millimetre (:data:`TARGET_PLANE`), so its fit works in the units of the labels.
Means and medians pool every scored frame, so recordings with more usable frames weigh more.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gazertc.errors import InputError
from gazertc.evaluation.gaze_common import (
    GazeEstimator,
    SampleOutcome,
    calibration_split,
    has_calibration_features,
    mean,
    median,
    sample_outcome,
    subsample,
)
from gazertc.evaluation.gazecapture_layout import (
    GazeCaptureDataset,
    GazeCaptureFrame,
    GazeCaptureLayout,
    GazeCaptureRecording,
    read_gazecapture_image,
)
from gazertc.vision.calibration import (
    MIN_TARGETS,
    CalibrationError,
    CalibrationModel,
    CalibrationSample,
    FrameFeatures,
    ScreenPoint,
)
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import ScreenGeometry

__all__ = [
    "DEFAULT_K_DOTS",
    "DEFAULT_MAX_FRAMES_PER_DOT",
    "TARGET_PLANE",
    "GazeCaptureEvaluation",
    "GazeCaptureRecordingResult",
    "ScoredFrame",
    "evaluate_gazecapture",
    "evaluate_gazecapture_recording",
]

logger = logging.getLogger(__name__)

DEFAULT_K_DOTS: Final = 9
"""Calibration dots per recording: as many as a webcam tracker's 3x3 calibration (here the dots
sit where GazeCapture put them, not on a grid)."""

DEFAULT_MAX_FRAMES_PER_DOT: Final = 3
"""Frames per dot run through the pipeline: frames of one dot differ mostly by noise, and the
still-image pipeline took 0.02-0.15 s per frame on the development machine (padded face crops
of about 300 px to 720x576 frames), so a recording costs seconds and a few recordings give a
number in minutes."""

MM_PER_CM: Final = 10.0

TARGET_PLANE: Final = ScreenGeometry(
    width_css_px=1000, height_css_px=1000, device_pixel_ratio=1.0, width_mm=1000.0, height_mm=1000.0
)
"""The calibration model's screen: one CSS pixel per millimetre, so its targets are the dot
positions in mm (the model only uses the geometry to express its fit report in degrees)."""


@dataclass(frozen=True, slots=True)
class ScoredFrame:
    """One scored frame: the calibrated and the baseline error, cm."""

    frame: GazeCaptureFrame
    calibrated_error_cm: float
    baseline_error_cm: float


@dataclass(frozen=True, slots=True)
class GazeCaptureRecordingResult:
    """One recording's evaluation.

    ``frames`` were run through the pipeline (after the per-dot cap), ``images_missing`` had no
    image file, ``faces_missed`` no face, ``gaze_unknown`` a face without the calibration's
    features. ``dots`` had frames run, ``usable_dots`` at least one usable frame.
    ``few_shot`` / ``leave_one_out`` hold the scored frames; a ``*_skipped_reason`` says why one
    is empty. ``failed_folds`` counts leave-one-dot-out models that could not be fitted.
    """

    recording_id: str
    split: str | None
    frames: int
    images_missing: int
    faces_missed: int
    gaze_unknown: int
    dots: int
    usable_dots: int
    few_shot: tuple[ScoredFrame, ...]
    leave_one_out: tuple[ScoredFrame, ...]
    few_shot_skipped_reason: str | None = None
    leave_one_out_skipped_reason: str | None = None
    failed_folds: int = 0

    @property
    def calibrated_error_cm_mean(self) -> float:
        return mean(s.calibrated_error_cm for s in self.few_shot)

    @property
    def calibrated_error_cm_median(self) -> float:
        return median(s.calibrated_error_cm for s in self.few_shot)

    @property
    def baseline_error_cm_mean(self) -> float:
        return mean(s.baseline_error_cm for s in self.few_shot)

    @property
    def baseline_error_cm_median(self) -> float:
        return median(s.baseline_error_cm for s in self.few_shot)

    @property
    def loo_calibrated_error_cm_mean(self) -> float:
        return mean(s.calibrated_error_cm for s in self.leave_one_out)

    @property
    def loo_baseline_error_cm_mean(self) -> float:
        return mean(s.baseline_error_cm for s in self.leave_one_out)


def _json_number(value: float) -> float | None:
    """JSON has no NaN: an undefined figure (nothing scored) is ``null``."""
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class GazeCaptureEvaluation:
    """Per-recording results and the settings they were made with; pooled figures weight
    every scored frame equally."""

    layout: GazeCaptureLayout
    k_dots: int
    seed: int
    max_frames_per_dot: int | None
    recordings: tuple[GazeCaptureRecordingResult, ...]
    skipped_recordings: tuple[tuple[str, str], ...]

    @property
    def pooled(self) -> GazeCaptureRecordingResult:
        """All recordings as one, ``recording_id`` "all": counts summed, scored frames pooled."""
        recordings = self.recordings
        return GazeCaptureRecordingResult(
            recording_id="all",
            split=None,
            frames=sum(r.frames for r in recordings),
            images_missing=sum(r.images_missing for r in recordings),
            faces_missed=sum(r.faces_missed for r in recordings),
            gaze_unknown=sum(r.gaze_unknown for r in recordings),
            dots=sum(r.dots for r in recordings),
            usable_dots=sum(r.usable_dots for r in recordings),
            few_shot=tuple(s for r in recordings for s in r.few_shot),
            leave_one_out=tuple(s for r in recordings for s in r.leave_one_out),
            failed_folds=sum(r.failed_folds for r in recordings),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary (``gazertc evaluate --dataset gazecapture --json``); figures that
        are undefined (nothing scored) are ``null``."""
        all_ = self.pooled
        return {
            "dataset": "gazecapture",
            "layout": self.layout.value,
            "measured": (
                f"per recording, gazertc's screen calibration fitted on {self.k_dots} random "
                "dots and scored on the other dots (and leave-one-dot-out); error: distance in "
                "cm between predicted and true dot position relative to the camera; baseline: "
                "the mean calibration dot position"
            ),
            "k_dots": self.k_dots,
            "seed": self.seed,
            "max_frames_per_dot": self.max_frames_per_dot,
            "recordings": len(self.recordings),
            "recordings_skipped": len(self.skipped_recordings),
            "frames": all_.frames,
            "images_missing": all_.images_missing,
            "faces_missed": all_.faces_missed,
            "gaze_unknown": all_.gaze_unknown,
            "dots": all_.dots,
            "usable_dots": all_.usable_dots,
            "scored_frames": len(all_.few_shot),
            "calibrated_error_cm_mean": _json_number(all_.calibrated_error_cm_mean),
            "calibrated_error_cm_median": _json_number(all_.calibrated_error_cm_median),
            "baseline_error_cm_mean": _json_number(all_.baseline_error_cm_mean),
            "baseline_error_cm_median": _json_number(all_.baseline_error_cm_median),
            "loo_scored_frames": len(all_.leave_one_out),
            "loo_calibrated_error_cm_mean": _json_number(all_.loo_calibrated_error_cm_mean),
            "loo_baseline_error_cm_mean": _json_number(all_.loo_baseline_error_cm_mean),
            "loo_failed_folds": all_.failed_folds,
        }


@dataclass(frozen=True, slots=True)
class _UsableFrame:
    frame: GazeCaptureFrame
    features: FrameFeatures


def _fit(calibration: Sequence[_UsableFrame], dot_index: Mapping[int, int]) -> CalibrationModel:
    samples = [
        CalibrationSample(
            u.features,
            ScreenPoint(u.frame.target_cm[0] * MM_PER_CM, u.frame.target_cm[1] * MM_PER_CM),
            target_id=dot_index[u.frame.dot_id],
        )
        for u in calibration
    ]
    # Still frames, timing unknown: one frame per dot is a sample; the dots carry the geometry.
    return CalibrationModel.fit(samples, TARGET_PLANE, min_samples=MIN_TARGETS)


def _score(
    model: CalibrationModel,
    calibration_dots: Sequence[Sequence[_UsableFrame]],
    evaluated: Sequence[_UsableFrame],
) -> list[ScoredFrame]:
    """The evaluated frames' errors under ``model`` and under the mean calibration dot."""
    centres = [_dot_target_cm(frames) for frames in calibration_dots]
    baseline = (mean(c[0] for c in centres), mean(c[1] for c in centres))
    scored = []
    for usable in evaluated:
        point = model.predict_features(usable.features)
        if point is None:  # cannot happen: usable frames have the features (checked)
            continue
        predicted = (point.x_css_px / MM_PER_CM, point.y_css_px / MM_PER_CM)
        target = usable.frame.target_cm
        scored.append(
            ScoredFrame(usable.frame, math.dist(predicted, target), math.dist(baseline, target))
        )
    return scored


def _dot_target_cm(frames: Sequence[_UsableFrame]) -> tuple[float, float]:
    return (mean(u.frame.target_cm[0] for u in frames), mean(u.frame.target_cm[1] for u in frames))


def evaluate_gazecapture_recording(
    recording: GazeCaptureRecording,
    estimator: GazeEstimator,
    *,
    k_dots: int = DEFAULT_K_DOTS,
    seed: int = 0,
    max_frames_per_dot: int | None = DEFAULT_MAX_FRAMES_PER_DOT,
) -> GazeCaptureRecordingResult:
    """Run the protocol (module docstring) on one recording.

    Raises:
        InputError: ``k_dots`` is below :data:`~gazertc.vision.calibration.MIN_TARGETS`,
            ``max_frames_per_dot`` below 1, or an existing image cannot be read.
    """
    if k_dots < MIN_TARGETS:
        raise InputError(f"k_dots must be at least {MIN_TARGETS}, got {k_dots}")
    if max_frames_per_dot is not None and max_frames_per_dot < 1:
        raise InputError(f"max_frames_per_dot must be at least 1, got {max_frames_per_dot}")
    rid = recording.recording_id
    counts = dict.fromkeys(SampleOutcome, 0)
    missing = run = 0
    usable: dict[int, list[_UsableFrame]] = {}
    dots = recording.dots()
    for dot_id, frames in dots.items():
        chosen = subsample(len(frames), max_frames_per_dot, seed=seed, key=f"{rid}/{dot_id}")
        for frame in (frames[i] for i in chosen):
            run += 1
            if not frame.image_path.is_file():
                missing += 1
                continue
            image = read_gazecapture_image(frame, recording.layout)
            intrinsics = CameraIntrinsics.from_frame_size(image.shape[1], image.shape[0])
            sample = estimator(image, intrinsics)
            outcome = sample_outcome(sample)
            if outcome is SampleOutcome.USED and not has_calibration_features(sample, intrinsics):
                outcome = SampleOutcome.NO_GAZE
            counts[outcome] += 1
            if outcome is SampleOutcome.USED:
                features = FrameFeatures.from_sample(sample, intrinsics)
                usable.setdefault(dot_id, []).append(_UsableFrame(frame, features))
    usable_ids = sorted(usable)
    dot_index = {dot_id: i for i, dot_id in enumerate(usable_ids)}
    logger.info("%s: %d frames, %d usable dots of %d", rid, run, len(usable_ids), len(dots))

    few_shot: list[ScoredFrame] = []
    few_reason = None
    if len(usable_ids) <= k_dots:
        few_reason = f"{len(usable_ids)} usable dots, need more than {k_dots}"
    else:
        chosen_dots, other_dots = calibration_split(len(usable_ids), k_dots, seed=seed, key=rid)
        calibration = [usable[usable_ids[i]] for i in chosen_dots]
        try:
            model = _fit([u for frames in calibration for u in frames], dot_index)
        except CalibrationError as exc:
            few_reason = f"calibration failed: {exc}"
        else:
            evaluated = [u for i in other_dots for u in usable[usable_ids[i]]]
            few_shot = _score(model, calibration, evaluated)

    leave_one_out: list[ScoredFrame] = []
    loo_reason = None
    failed = 0
    if len(usable_ids) <= MIN_TARGETS:
        loo_reason = f"{len(usable_ids)} usable dots, need more than {MIN_TARGETS}"
    else:
        for held_out in usable_ids:
            calibration = [usable[d] for d in usable_ids if d != held_out]
            try:
                model = _fit([u for frames in calibration for u in frames], dot_index)
            except CalibrationError:
                failed += 1
                continue
            leave_one_out.extend(_score(model, calibration, usable[held_out]))
    return GazeCaptureRecordingResult(
        recording_id=rid,
        split=recording.split,
        frames=run,
        images_missing=missing,
        faces_missed=counts[SampleOutcome.NO_FACE],
        gaze_unknown=counts[SampleOutcome.NO_GAZE],
        dots=len(dots),
        usable_dots=len(usable_ids),
        few_shot=tuple(few_shot),
        leave_one_out=tuple(leave_one_out),
        few_shot_skipped_reason=few_reason,
        leave_one_out_skipped_reason=loo_reason,
        failed_folds=failed,
    )


def evaluate_gazecapture(
    dataset: GazeCaptureDataset,
    estimator: GazeEstimator,
    *,
    k_dots: int = DEFAULT_K_DOTS,
    seed: int = 0,
    max_frames_per_dot: int | None = DEFAULT_MAX_FRAMES_PER_DOT,
) -> GazeCaptureEvaluation:
    """The GazeCapture protocol (module docstring) over every recording of ``dataset``.

    Raises:
        InputError: as :func:`evaluate_gazecapture_recording`.
    """
    results = tuple(
        evaluate_gazecapture_recording(
            recording,
            estimator,
            k_dots=k_dots,
            seed=seed,
            max_frames_per_dot=max_frames_per_dot,
        )
        for recording in dataset.recordings
    )
    return GazeCaptureEvaluation(
        layout=dataset.layout,
        k_dots=k_dots,
        seed=seed,
        max_frames_per_dot=max_frames_per_dot,
        recordings=results,
        skipped_recordings=dataset.skipped,
    )
