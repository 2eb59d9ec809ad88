"""Which recorded frames a calibration or validation may use.

Samples are dropped when the face or eye signal is missing, while blinking, in the first
:data:`SETTLE_MS` after the target appeared (saccade latency and landing) and when the gaze moved
faster than :data:`SACCADE_DEG_PER_S` since the previous frame. Per target, samples whose eye
signal lies more than :data:`OUTLIER_ROBUST_Z` robust standard deviations (median/MAD) from the
target's median are rejected. (After a first fit the model drops residual outliers in the same
sense and refits once: :meth:`~gazertc.vision.calibration.CalibrationModel.fit`.)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from gazertc.vision.calibration.features import (
    FeatureKind,
    FeatureSettings,
    FrameFeatures,
    ScreenPoint,
)
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.types import GazeSample

__all__ = [
    "MAD_TO_SIGMA",
    "OUTLIER_ROBUST_Z",
    "SACCADE_DEG_PER_S",
    "SETTLE_MS",
    "SIGNAL_FLOOR",
    "CalibrationSample",
    "select_samples",
]

SETTLE_MS: Final = 300.0
"""Saccade latency (about 200 ms) plus landing and a corrective saccade after a target appears."""
SACCADE_DEG_PER_S: Final = 120.0
"""Above this the eye is moving between points: 4 degrees per frame at 30 fps, over the
pipeline's gaze jitter (about 1 degree RMS per frame on cap12, so 1.4 between two frames), under
a saccade of 8 degrees or more spread over two frames by the landmark smoothing."""
OUTLIER_ROBUST_Z: Final = 3.5
"""Robust z-score (|x - median| / (1.4826 MAD)) beyond which a sample is an outlier (Iglewicz and
Hoaglin's cut-off)."""
MAD_TO_SIGMA: Final = 1.4826
"""MAD times this estimates the standard deviation of normal data."""


@dataclass(frozen=True, slots=True)
class CalibrationSample:
    """One frame recorded while the user looked at a target.

    ``time_since_target_ms`` is the frame's capture time minus the time the target appeared
    (``None``: unknown, e.g. a still-image data set; the settle check is then skipped).
    """

    features: FrameFeatures
    target: ScreenPoint
    target_id: int = 0
    time_since_target_ms: float | None = None

    @classmethod
    def from_gaze_sample(
        cls,
        sample: GazeSample,
        target: ScreenPoint,
        *,
        target_id: int = 0,
        time_since_target_ms: float | None = None,
        intrinsics: CameraIntrinsics | None = None,
    ) -> CalibrationSample:
        return cls(
            FrameFeatures.from_sample(sample, intrinsics), target, target_id, time_since_target_ms
        )


def select_samples(
    samples: Sequence[CalibrationSample], settings: FeatureSettings
) -> tuple[list[CalibrationSample], int]:
    """The samples fit for calibration or validation, and how many were dropped.

    Drops frames without the eye signal (or head pose when the settings use it), blinks, frames
    within :data:`SETTLE_MS` of the target's appearance, frames after a gaze jump faster than
    :data:`SACCADE_DEG_PER_S`, then per target the eye-signal outliers (median/MAD).
    """
    by_target: dict[int, list[CalibrationSample]] = defaultdict(list)
    for sample in samples:
        by_target[sample.target_id].append(sample)
    kept: list[CalibrationSample] = []
    for target_samples in by_target.values():
        ordered = sorted(target_samples, key=lambda s: s.features.timestamp_unix_ns)
        steady: list[CalibrationSample] = []
        previous: FrameFeatures | None = None
        for sample in ordered:
            features = sample.features
            moving = previous is not None and _gaze_speed_deg_per_s(previous, features) > (
                SACCADE_DEG_PER_S
            )
            previous = features
            if (
                features.blinking
                or moving
                or features.eye_signal(settings.kind) is None
                or (settings.head_pose and features.head is None)
                or (
                    sample.time_since_target_ms is not None
                    and sample.time_since_target_ms < SETTLE_MS
                )
            ):
                continue
            steady.append(sample)
        kept.extend(_without_signal_outliers(steady, settings.kind))
    return kept, len(samples) - len(kept)


def _gaze_speed_deg_per_s(previous: FrameFeatures, current: FrameFeatures) -> float:
    if previous.combined_gaze_deg is None or current.combined_gaze_deg is None:
        return 0.0
    dt_s = (current.timestamp_unix_ns - previous.timestamp_unix_ns) / 1e9
    if dt_s <= 0.0:
        return 0.0
    change_deg = math.hypot(
        current.combined_gaze_deg[0] - previous.combined_gaze_deg[0],
        current.combined_gaze_deg[1] - previous.combined_gaze_deg[1],
    )
    return change_deg / dt_s


def _robust_inliers(values: NDArray[np.float64], floor: float) -> NDArray[np.bool_]:
    """Per column: within :data:`OUTLIER_ROBUST_Z` robust deviations of the median (``floor``
    bounds the deviation from below, so identical values do not make every tiny difference an
    outlier)."""
    median = np.median(values, axis=0)
    deviation = np.abs(values - median)
    sigma = np.maximum(MAD_TO_SIGMA * np.median(deviation, axis=0), floor)
    inliers: NDArray[np.bool_] = np.all(deviation <= OUTLIER_ROBUST_Z * sigma, axis=1)
    return inliers


SIGNAL_FLOOR: Final = {
    FeatureKind.IRIS_OFFSETS: 0.005,
    FeatureKind.GAZE_ANGLES: 0.2,
    FeatureKind.GAZE_RAY: 2.0,
}
"""The smallest spread assumed per eye-signal kind: 0.2 deg of eye rotation (0.005 eye widths,
about 2 mm on the screen plane) is below anything the pipeline resolves."""


def _without_signal_outliers(
    samples: list[CalibrationSample], kind: FeatureKind
) -> list[CalibrationSample]:
    if len(samples) < 3:
        return samples
    values = np.array([sample.features.eye_signal(kind) for sample in samples], dtype=np.float64)
    inliers = _robust_inliers(values, SIGNAL_FLOOR[kind])
    return [sample for sample, keep in zip(samples, inliers, strict=True) if keep]
