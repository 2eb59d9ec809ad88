"""The verdict on a calibration or a validation: good, fair or poor, in words for a person.

A calibration is judged by its *leave-one-target-out* (LOTO) error: for each target position on
the screen, the same model is refitted on the samples kept at the other positions and predicts
the held-out one; the error there is the distance of the mean prediction from it (the systematic
offset, as the fit's own offsets and most eye trackers' calibration reports measure it: the
scatter of single frames is precision, not accuracy). The LOTO error is the mean of those
distances over the positions, in CSS px and, with the viewing distance estimated from the face,
in degrees. A position shown more than once (the same targets again at another viewing
distance, with other target ids) is left out with all its repeats: a repeat kept in the fit
would have seen the held-out point. It is the closest a calibration gets to measuring its own
accuracy: a fit can pass through every target of a person who never looked at them (issue 13),
a prediction of a target it did not see cannot.

Before that, the eye signal must tell the targets apart: when the per-target medians of the eye
signal are spread less than one target's own samples scatter, or the gaze angle moved by less
than :data:`MIN_GAZE_RANGE_DEG` across all the targets, the person did not look from target to
target (e.g. stared at the camera) and the verdict is poor whatever the fit says.

Degrees need the viewing distance; without it, lengths are judged against the screen diagonal,
assumed to subtend :data:`ASSUMED_DIAGONAL_DEG`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
from numpy.typing import NDArray

from gazertc.vision.calibration.features import DEFAULT_FEATURES, FeatureSettings
from gazertc.vision.calibration.model import (
    MIN_SAMPLES,
    MIN_TARGETS,
    CalibrationModel,
    basis_rows,
)
from gazertc.vision.calibration.report import ValidationResult
from gazertc.vision.calibration.selection import SIGNAL_FLOOR, CalibrationSample
from gazertc.vision.screen import ScreenGeometry, offset_deg_from_css_px

__all__ = [
    "ASSUMED_DIAGONAL_DEG",
    "LOTO_FAIR_DEG",
    "LOTO_GOOD_DEG",
    "MIN_GAZE_RANGE_DEG",
    "MIN_GAZE_SEPARATION",
    "MIN_TARGETS_FOR_LOTO",
    "VALIDATION_FAIR_DEG",
    "VALIDATION_GOOD_DEG",
    "CalibrationVerdict",
    "Quality",
    "ValidationVerdict",
    "fit_and_judge",
    "judge_fit",
    "judge_validation",
    "screen_css_px",
    "screen_deg",
]

LOTO_GOOD_DEG: Final = 3.5
"""Webcam gaze at its best is 1.5-3 degrees off; within 3.5 (3.7 cm at 60 cm) a grid of about
6 x 4 buttons on a laptop screen can be selected by gaze."""
LOTO_FAIR_DEG: Final = 6.0
"""Up to 6 degrees (6 cm at 60 cm) large targets (a 3 x 3 board) still work; beyond, only halves
of the screen can be told apart: the calibration did not work."""
VALIDATION_GOOD_DEG: Final = 3.0
"""A validation's accuracy is the mean distance of single frames (noise included) from new
targets, the standard measure: 3 degrees is a good webcam calibration."""
VALIDATION_FAIR_DEG: Final = 5.0
"""Beyond 5 degrees of measured accuracy only large targets can be hit: poor."""
ASSUMED_DIAGONAL_DEG: Final = 36.0
"""Without a viewing distance, the screen diagonal is taken to subtend this: a 15.6-inch laptop
at 60 cm (so the LOTO thresholds become about 10 % and 17 % of the diagonal)."""
MIN_TARGETS_FOR_LOTO: Final = MIN_TARGETS + 1
"""Leaving a target position out must leave enough positions to fit the model."""
MIN_GAZE_SEPARATION: Final = 1.0
"""The per-target medians of the eye signal must be spread (RMS about their mean) at least as far
as one target's samples scatter (median distance from its median): looking across a screen gives
5-20, staring at one point about 0.2 (the medians then differ by noise over the square root of
the sample count)."""
MIN_GAZE_RANGE_DEG: Final = 3.0
"""Targets spread over a screen span 20-35 degrees at 50-70 cm; a gaze angle that moved less
than 3 degrees between the targets did not follow them, even with a compressed estimate."""


class Quality(StrEnum):
    """The verdict (the schema's ``calibration_quality``)."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


@dataclass(frozen=True, slots=True)
class CalibrationVerdict:
    """The verdict on a fit and the numbers behind it.

    ``loto_error_css_px``/``loto_error_deg``: the mean leave-one-target-out error (``None`` with
    too few targets, or without a viewing distance for the degrees); ``gaze_separation``: the
    spread of the per-target eye-signal medians over the within-target scatter;
    ``gaze_range_deg``: the largest distance between two targets' median gaze angles (``None``
    without gaze angles).
    """

    quality: Quality
    reason: str
    loto_error_css_px: float | None
    loto_error_deg: float | None
    gaze_separation: float
    gaze_range_deg: float | None


@dataclass(frozen=True, slots=True)
class ValidationVerdict:
    """The verdict on a validation, from its accuracy."""

    quality: Quality
    reason: str


def screen_deg(offset_css_px: float, screen: ScreenGeometry, distance_mm: float | None) -> float:
    """An on-screen length in degrees: of visual angle at ``distance_mm``, else as a fraction
    of the screen diagonal taken to subtend :data:`ASSUMED_DIAGONAL_DEG`."""
    if distance_mm is not None:
        return offset_deg_from_css_px(offset_css_px, screen, distance_mm)
    return offset_css_px / screen.diagonal_css_px * ASSUMED_DIAGONAL_DEG


def screen_css_px(deg: float, screen: ScreenGeometry, distance_mm: float | None) -> float:
    """The on-screen length (CSS px) that subtends ``deg`` (the inverse of :func:`screen_deg`)."""
    if distance_mm is not None:
        return math.tan(math.radians(deg)) * distance_mm / screen.mm_per_css_px
    return deg / ASSUMED_DIAGONAL_DEG * screen.diagonal_css_px


def fit_and_judge(
    samples: Sequence[CalibrationSample],
    screen: ScreenGeometry,
    settings: FeatureSettings = DEFAULT_FEATURES,
    *,
    min_samples: int = MIN_SAMPLES,
) -> tuple[CalibrationModel, CalibrationVerdict]:
    """Fit a model (:meth:`CalibrationModel.fit`) and judge it (:func:`judge_fit`): a few
    milliseconds plus one small ridge solve per target (run it off the event loop).

    Raises:
        CalibrationError: as :meth:`CalibrationModel.fit`.
    """
    model, kept = CalibrationModel.fit_kept(samples, screen, settings, min_samples=min_samples)
    return model, judge_fit(model, kept)


def judge_fit(model: CalibrationModel, kept: Sequence[CalibrationSample]) -> CalibrationVerdict:
    """The verdict on ``model`` fitted on ``kept`` (:meth:`CalibrationModel.fit_kept`)."""
    settings, screen = model.settings, model.screen
    report = model.fit_report
    distance_mm = None if report is None else report.viewing_distance_mm
    by_target: dict[int, list[CalibrationSample]] = defaultdict(list)
    for sample in kept:
        by_target[sample.target_id].append(sample)
    separation, range_deg = _gaze_spread(by_target, settings)
    positions = {(sample.target.x_css_px, sample.target.y_css_px) for sample in kept}
    loto_px = _loto_error_css_px(model, kept) if len(positions) >= MIN_TARGETS_FOR_LOTO else None
    loto_deg = (
        None
        if loto_px is None or distance_mm is None
        else offset_deg_from_css_px(loto_px, screen, distance_mm)
    )

    def verdict(quality: Quality, reason: str) -> CalibrationVerdict:
        return CalibrationVerdict(quality, reason, loto_px, loto_deg, separation, range_deg)

    if separation < MIN_GAZE_SEPARATION or (
        range_deg is not None and range_deg < MIN_GAZE_RANGE_DEG
    ):
        moved = "" if range_deg is None else f" (your gaze angle moved by {range_deg:.1f}°)"
        return verdict(
            Quality.POOR,
            f"Your gaze barely moved between the targets{moved}, so the calibration cannot "
            "map it to the screen.",
        )
    if loto_px is not None:
        length = _length(loto_px, loto_deg)
        measured = f"Predicting each target position from the others is off by {length}"
        judged_deg = screen_deg(loto_px, screen, distance_mm)
    else:
        fit_px = 0.0 if report is None else report.mean_offset_css_px
        fit_deg = None if report is None else report.mean_offset_deg
        measured = (
            f"Only {len(positions)} targets had usable samples, too few to test the calibration "
            f"on targets it did not see; its own fit is off by {_length(fit_px, fit_deg)} "
            "(which understates the error)"
        )
        judged_deg = screen_deg(fit_px, screen, distance_mm)
    quality = _grade(judged_deg, LOTO_GOOD_DEG, LOTO_FAIR_DEG)
    return verdict(quality, f"{measured}: {_VERDICT_WORDS[quality]}")


def judge_validation(result: ValidationResult, screen: ScreenGeometry) -> ValidationVerdict:
    """The verdict on a validation: from its accuracy in degrees (or against the screen
    diagonal without a viewing distance); poor when no target had usable samples."""
    accuracy_px = result.accuracy_css_px
    if accuracy_px is None:
        return ValidationVerdict(
            Quality.POOR,
            "No validation target had usable samples: keep your face in view and your eyes open.",
        )
    judged_deg = (
        result.accuracy_deg
        if result.accuracy_deg is not None
        else screen_deg(accuracy_px, screen, None)
    )
    quality = _grade(judged_deg, VALIDATION_GOOD_DEG, VALIDATION_FAIR_DEG)
    return ValidationVerdict(
        quality,
        f"Measured accuracy {_length(accuracy_px, result.accuracy_deg)}: {_VERDICT_WORDS[quality]}",
    )


_VERDICT_WORDS: Final = {
    Quality.GOOD: "good.",
    Quality.FAIR: "fair: usable with large targets; calibrating again may do better.",
    Quality.POOR: "poor, the calibration did not work.",
}


def _grade(error_deg: float, good_deg: float, fair_deg: float) -> Quality:
    if error_deg <= good_deg:
        return Quality.GOOD
    if error_deg <= fair_deg:
        return Quality.FAIR
    return Quality.POOR


def _length(css_px: float, deg: float | None) -> str:
    return f"{css_px:.0f} px" if deg is None else f"{deg:.1f}° ({css_px:.0f} px)"


def _loto_error_css_px(model: CalibrationModel, kept: Sequence[CalibrationSample]) -> float:
    """Mean over the target positions of the distance between the position and the mean
    prediction, at its samples, of a model refitted without any sample of that position (same
    settings, same kept samples). Samples are grouped by the target's position, not its id: the
    same position shown again (e.g. at another viewing distance) is held out with it."""
    settings, screen = model.settings, model.screen
    rows = basis_rows([sample.features for sample in kept], settings)
    targets = np.array([(s.target.x_css_px, s.target.y_css_px) for s in kept], dtype=np.float64)
    target_ids = np.array([sample.target_id for sample in kept])
    held_out_positions: set[tuple[float, float]] = set()
    errors: list[float] = []
    # In the order of the targets' ids, as before positions could repeat (same sums, same result).
    for target_id in np.unique(target_ids):
        position = targets[target_ids == target_id][0]
        key = (float(position[0]), float(position[1]))
        if key in held_out_positions:
            continue
        held_out_positions.add(key)
        held_out = np.all(targets == position, axis=1)
        refit = CalibrationModel.fit_rows(rows[~held_out], targets[~held_out], settings, screen)
        mean_prediction = refit.predict_rows(rows[held_out]).mean(axis=0)
        errors.append(float(np.hypot(*(mean_prediction - position))))
    return float(np.mean(errors))


def _gaze_spread(
    by_target: dict[int, list[CalibrationSample]], settings: FeatureSettings
) -> tuple[float, float | None]:
    """``(separation, range_deg)``: the spread of the per-target medians of the model's eye
    signal over the median within-target scatter, and the largest distance between two
    targets' median combined gaze angles (``None`` when a target has none)."""
    medians: list[NDArray[np.float64]] = []
    scatters: list[float] = []
    angle_medians: list[NDArray[np.float64]] = []
    for samples in by_target.values():
        signal = np.array([s.features.eye_signal(settings.kind) for s in samples], dtype=np.float64)
        median = np.median(signal, axis=0)
        medians.append(median)
        scatters.append(float(np.median(np.hypot(*(signal - median).T))))
        angles = [s.features.combined_gaze_deg for s in samples if s.features.combined_gaze_deg]
        if angles:
            angle_medians.append(np.median(np.array(angles, dtype=np.float64), axis=0))
    centres = np.array(medians)
    spread = math.sqrt(float(np.mean(np.sum((centres - centres.mean(axis=0)) ** 2, axis=1))))
    within = max(float(np.median(scatters)), SIGNAL_FLOOR[settings.kind])
    range_deg = None
    if len(angle_medians) == len(by_target):
        points = np.array(angle_medians)
        range_deg = float(np.max(np.hypot(*(points[:, None, :] - points[None, :, :]).T)))
    return spread / within, range_deg
