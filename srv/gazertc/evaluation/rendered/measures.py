"""The measures of the rendered-eye SIMULATION: a per-person affine calibration of gaze angles,
angular error, sample-to-sample precision and pixels per degree.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gazertc.evaluation.rendered.benchmark import Observation
from gazertc.vision.gaze import direction_from_angles
from gazertc.vision.types import GazeSample

__all__ = [
    "MIN_CALIBRATION_GAZES",
    "AffineGazeMap",
    "angular_error_deg",
    "combined_angles",
    "combined_truth",
    "finite_mean",
    "finite_median",
    "fit_gaze_map",
    "fixation_errors_deg",
    "fixations",
    "gaze_map_errors_deg",
    "p90",
    "rms_sample_to_sample",
    "slopes_per_deg",
]

FloatArray = npt.NDArray[np.float64]
Angles = tuple[float, float]
"""``(yaw_deg, pitch_deg)``."""

MIN_CALIBRATION_GAZES: Final = 6
"""An affine map has three parameters per angle; twice as many gazes keep one bad frame from
deciding it (of the nine a 3x3 calibration shows)."""


@dataclass(frozen=True, slots=True, eq=False)
class AffineGazeMap:
    """Measured ``(yaw, pitch)`` to true ``(yaw, pitch)``: ``true = [yaw, pitch, 1] @ matrix``,
    fitted by least squares on calibration gazes (one per target, as a 9-point calibration)."""

    matrix: FloatArray

    @classmethod
    def fit(cls, measured: Sequence[Angles], true: Sequence[Angles]) -> AffineGazeMap | None:
        """The map, or ``None`` with fewer than :data:`MIN_CALIBRATION_GAZES` pairs."""
        if len(measured) != len(true):
            raise ValueError(f"{len(measured)} measured gazes for {len(true)} true ones")
        if len(measured) < MIN_CALIBRATION_GAZES:
            return None
        design = np.column_stack([np.asarray(measured, dtype=np.float64), np.ones(len(measured))])
        matrix, *_ = np.linalg.lstsq(design, np.asarray(true, dtype=np.float64), rcond=None)
        return cls(np.asarray(matrix, dtype=np.float64))

    def apply(self, measured: Angles) -> Angles:
        yaw_deg, pitch_deg = np.array([measured[0], measured[1], 1.0]) @ self.matrix
        return float(yaw_deg), float(pitch_deg)


def combined_angles(sample: GazeSample) -> Angles | None:
    """The pipeline's combined gaze ``(yaw_deg, pitch_deg)``, ``None`` without one."""
    gaze = sample.gaze
    return None if gaze is None else (gaze.yaw_deg, gaze.pitch_deg)


def combined_truth(observation: Observation) -> Angles:
    """The true combined gaze of a rendered frame."""
    return observation.truth.combined


MeasuredAngles = Callable[[GazeSample], Angles | None]
TrueAngles = Callable[[Observation], Angles]


def fit_gaze_map(
    calibration: Sequence[Observation],
    measured: MeasuredAngles = combined_angles,
    truth: TrueAngles = combined_truth,
) -> AffineGazeMap | None:
    """The affine map from the pipeline's angles to the true ones over the calibration frames
    that have a measured gaze (by default the combined gaze); ``None`` when too few do."""
    pairs = [
        (angles, truth(observation))
        for observation in calibration
        if (angles := measured(observation.sample)) is not None
    ]
    return AffineGazeMap.fit([m for m, _ in pairs], [t for _, t in pairs])


def fixations(observations: Sequence[Observation]) -> list[list[Observation]]:
    """The frames grouped by the gaze they show: consecutive frames of one rendered truth (one
    frame each, unless the plan tracks several frames per gaze)."""
    groups: list[list[Observation]] = []
    for observation in observations:
        if groups and groups[-1][0].truth is observation.truth:
            groups[-1].append(observation)
        else:
            groups.append([observation])
    return groups


def _mean_angles(angles: Sequence[Angles]) -> Angles:
    """The mean ``(yaw_deg, pitch_deg)`` (the angles here are small)."""
    yaw_deg, pitch_deg = np.mean(np.asarray(angles, dtype=np.float64), axis=0)
    return float(yaw_deg), float(pitch_deg)


def fixation_errors_deg(
    test: Sequence[Observation],
    angles: Callable[[Observation], Angles | None],
    truth: TrueAngles = combined_truth,
) -> list[float]:
    """The angular error of each test fixation's mean gaze (``angles`` of its frames, those
    that have one), as an eye tracker's accuracy is defined; a fixation of one frame is scored
    on that frame."""
    errors = []
    for fixation in fixations(test):
        found = [value for observation in fixation if (value := angles(observation)) is not None]
        if found:
            errors.append(angular_error_deg(_mean_angles(found), truth(fixation[0])))
    return errors


def gaze_map_errors_deg(
    gaze_map: AffineGazeMap,
    test: Sequence[Observation],
    measured: MeasuredAngles = combined_angles,
    truth: TrueAngles = combined_truth,
) -> list[float]:
    """The mapped gaze's angular error on each test fixation that has a measured gaze."""

    def mapped(observation: Observation) -> Angles | None:
        angles = measured(observation.sample)
        return None if angles is None else gaze_map.apply(angles)

    return fixation_errors_deg(test, mapped, truth)


def finite_mean(values: Sequence[float]) -> float:
    """Mean of the finite values, NaN without any."""
    finite = [value for value in values if math.isfinite(value)]
    return statistics.fmean(finite) if finite else math.nan


def finite_median(values: Sequence[float]) -> float:
    """Median of the finite values, NaN without any."""
    finite = [value for value in values if math.isfinite(value)]
    return statistics.median(finite) if finite else math.nan


def p90(values: Sequence[float]) -> float:
    """The 90th percentile, NaN without values."""
    return float(np.percentile(values, 90)) if values else math.nan


def angular_error_deg(estimate: Angles, truth: Angles) -> float:
    """Angle between two gaze directions given as ``(yaw_deg, pitch_deg)``."""
    cosine = float(direction_from_angles(*estimate) @ direction_from_angles(*truth))
    return math.degrees(math.acos(min(1.0, max(-1.0, cosine))))


def rms_sample_to_sample(values: Sequence[Sequence[float]]) -> float:
    """Root mean square of the distances between consecutive samples (points or angle pairs,
    treated as Euclidean: the angles here are small), NaN with fewer than two samples."""
    array = np.asarray(values, dtype=np.float64)
    if len(array) < 2:
        return math.nan
    steps = np.linalg.norm(np.diff(array, axis=0), axis=1)
    return float(np.sqrt(np.mean(steps**2)))


def slopes_per_deg(
    positions_px: Sequence[float], angles: Sequence[Angles]
) -> tuple[float, float] | None:
    """Least-squares ``(d position / d yaw, d position / d pitch)`` in px per degree, fitted
    jointly with an offset; ``None`` without three points spanning both angles."""
    if len(positions_px) != len(angles):
        raise ValueError(f"{len(positions_px)} positions for {len(angles)} gazes")
    design = np.column_stack([np.asarray(angles, dtype=np.float64), np.ones(len(angles))])
    if len(angles) < 3 or np.linalg.matrix_rank(design) < 3:
        return None
    coefficients, *_ = np.linalg.lstsq(
        design, np.asarray(positions_px, dtype=np.float64), rcond=None
    )
    return float(coefficients[0]), float(coefficients[1])
