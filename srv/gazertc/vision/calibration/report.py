"""How good a calibration is: the fit's residuals per target, and validation on new targets.

Both are measured in CSS pixels and, with the viewing distance estimated from the face, in
degrees of visual angle. Accuracy is the mean distance of the single predictions from the
target, precision the RMS of the distances between consecutive predictions.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from gazertc.vision.calibration.features import FeatureSettings, FrameFeatures, ScreenPoint
from gazertc.vision.calibration.selection import CalibrationSample, select_samples
from gazertc.vision.screen import ScreenGeometry, offset_deg_from_css_px

__all__ = [
    "CalibrationFit",
    "ScreenMapping",
    "TargetResidual",
    "TargetValidation",
    "ValidationResult",
    "summarise_fit",
    "validate_calibration",
]


class ScreenMapping(Protocol):
    """What the reports need of a model (:class:`~gazertc.vision.calibration.CalibrationModel`
    is one): its features, its screen and its predictions."""

    @property
    def settings(self) -> FeatureSettings: ...

    @property
    def screen(self) -> ScreenGeometry: ...

    def predict_features(self, features: FrameFeatures) -> ScreenPoint | None: ...


@dataclass(frozen=True, slots=True)
class TargetResidual:
    """How well the fit reproduces one calibration target.

    ``mean_point`` is the mean prediction over the samples kept; ``offset_css_px`` /
    ``offset_deg`` its distance from the target; ``rms_css_px`` the RMS distance of the single
    samples' predictions from the target.
    """

    target_id: int
    target: ScreenPoint
    mean_point: ScreenPoint | None
    offset_css_px: float | None
    offset_deg: float | None
    rms_css_px: float | None
    samples_used: int
    samples_dropped: int


@dataclass(frozen=True, slots=True)
class CalibrationFit:
    """The fit's per-target residuals and totals.

    ``mean_offset_css_px`` / ``mean_offset_deg``: the mean of the targets' offsets;
    ``viewing_distance_mm``: the median over the samples used (``None`` when no frame had it).
    """

    targets: tuple[TargetResidual, ...]
    mean_offset_css_px: float
    mean_offset_deg: float | None
    samples_used: int
    samples_dropped: int
    viewing_distance_mm: float | None


@dataclass(frozen=True, slots=True)
class TargetValidation:
    """Accuracy (mean distance of the single predictions from the target) and precision (RMS of
    the distances between consecutive predictions) at one validation target."""

    target_id: int
    target: ScreenPoint
    accuracy_css_px: float | None
    accuracy_deg: float | None
    precision_css_px: float | None
    precision_deg: float | None
    samples_used: int


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Per-target and overall (mean over the targets with samples) accuracy and precision."""

    targets: tuple[TargetValidation, ...]
    accuracy_css_px: float | None
    accuracy_deg: float | None
    precision_css_px: float | None
    precision_deg: float | None
    viewing_distance_mm: float | None


def _median_distance_mm(samples: Sequence[CalibrationSample]) -> float | None:
    distances = [s.features.viewing_distance_mm for s in samples if s.features.viewing_distance_mm]
    return statistics.median(distances) if distances else None


def _deg(offset_css_px: float, screen: ScreenGeometry, distance_mm: float | None) -> float | None:
    if distance_mm is None:
        return None
    return offset_deg_from_css_px(offset_css_px, screen, distance_mm)


def summarise_fit(
    model: ScreenMapping,
    all_samples: Sequence[CalibrationSample],
    kept: Sequence[CalibrationSample],
) -> CalibrationFit:
    """The residuals of ``model`` on the samples ``kept`` out of ``all_samples`` (those it was
    fitted on); a target whose samples were all dropped has no offset.

    ``kept`` must hold at least one sample with a prediction.
    """
    distance_mm = _median_distance_mm(kept)
    kept_by_target: dict[int, list[CalibrationSample]] = defaultdict(list)
    for sample in kept:
        kept_by_target[sample.target_id].append(sample)
    first_of_target: dict[int, CalibrationSample] = {}
    total_by_target: dict[int, int] = defaultdict(int)
    for sample in all_samples:
        first_of_target.setdefault(sample.target_id, sample)
        total_by_target[sample.target_id] += 1
    residuals: list[TargetResidual] = []
    for target_id, first in first_of_target.items():
        used = kept_by_target.get(target_id, [])
        points = [model.predict_features(sample.features) for sample in used]
        xy = np.array([(p.x_css_px, p.y_css_px) for p in points if p is not None])
        mean_point = offset = rms = None
        if len(xy):
            mean_point = ScreenPoint(float(xy[:, 0].mean()), float(xy[:, 1].mean()))
            offset = mean_point.distance_css_px(first.target)
            target_xy = np.array([first.target.x_css_px, first.target.y_css_px])
            rms = float(np.sqrt(np.mean(np.sum((xy - target_xy) ** 2, axis=1))))
        residuals.append(
            TargetResidual(
                target_id=target_id,
                target=first.target,
                mean_point=mean_point,
                offset_css_px=offset,
                offset_deg=None if offset is None else _deg(offset, model.screen, distance_mm),
                rms_css_px=rms,
                samples_used=len(used),
                samples_dropped=total_by_target[target_id] - len(used),
            )
        )
    offsets = [r.offset_css_px for r in residuals if r.offset_css_px is not None]
    mean_offset = statistics.fmean(offsets)
    return CalibrationFit(
        targets=tuple(residuals),
        mean_offset_css_px=mean_offset,
        mean_offset_deg=_deg(mean_offset, model.screen, distance_mm),
        samples_used=len(kept),
        samples_dropped=len(all_samples) - len(kept),
        viewing_distance_mm=distance_mm,
    )


def validate_calibration(
    model: ScreenMapping, samples: Sequence[CalibrationSample]
) -> ValidationResult:
    """Accuracy and precision of ``model`` on samples recorded at known validation targets.

    The same selection as for fitting applies (blinks, settling, saccades, per-target eye-signal
    outliers); no residual-based rejection, so a bad calibration cannot hide its errors. Degrees
    use the median viewing distance of each target's samples.
    """
    kept, _ = select_samples(samples, model.settings)
    by_target: dict[int, list[CalibrationSample]] = defaultdict(list)
    for sample in kept:
        by_target[sample.target_id].append(sample)
    targets: dict[int, ScreenPoint] = {}
    for sample in samples:
        targets.setdefault(sample.target_id, sample.target)
    results: list[TargetValidation] = []
    for target_id, target in targets.items():
        used = sorted(by_target.get(target_id, []), key=lambda s: s.features.timestamp_unix_ns)
        predicted = [model.predict_features(sample.features) for sample in used]
        points = [point for point in predicted if point is not None]
        distance_mm = _median_distance_mm(used)
        accuracy = precision = None
        if points:
            accuracy = statistics.fmean(point.distance_css_px(target) for point in points)
        if len(points) >= 2:
            steps = [a.distance_css_px(b) for a, b in itertools.pairwise(points)]
            precision = math.sqrt(statistics.fmean(step * step for step in steps))
        results.append(
            TargetValidation(
                target_id=target_id,
                target=target,
                accuracy_css_px=accuracy,
                accuracy_deg=None
                if accuracy is None
                else _deg(accuracy, model.screen, distance_mm),
                precision_css_px=precision,
                precision_deg=None
                if precision is None
                else _deg(precision, model.screen, distance_mm),
                samples_used=len(points),
            )
        )
    return ValidationResult(
        targets=tuple(results),
        accuracy_css_px=_mean_of([r.accuracy_css_px for r in results]),
        accuracy_deg=_mean_of([r.accuracy_deg for r in results]),
        precision_css_px=_mean_of([r.precision_css_px for r in results]),
        precision_deg=_mean_of([r.precision_deg for r in results]),
        viewing_distance_mm=_median_distance_mm(kept),
    )


def _mean_of(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.fmean(present) if present else None
