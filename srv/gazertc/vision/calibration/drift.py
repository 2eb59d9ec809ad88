"""Drift correction: a small offset added to a calibration's screen points, learned from targets
the user confirmed by dwelling on them.

A calibration drifts as the head settles into another position or the light changes: the screen
points slide off by a degree or two, the same way all over the screen. Each confirmation
(``dwell_confirmed``: the user selected the target at a known point by looking at it over a
window of frames) gives a *residual*: the target minus the model's mean raw prediction over the
window's steady frames (blinks, saccades and eye-signal outliers dropped as for calibration,
at least :data:`MIN_STEADY_FRAMES`). The residuals do not depend on the correction in use, so
the correction cannot feed on itself.

The correction moves by :data:`GAIN` of the way toward the per-axis median of the last
:data:`RECENT_CONFIRMATIONS` accepted residuals (toward zero while that median is within
:data:`DEADBAND_DEG`), and its size is bounded by :data:`MAX_OFFSET_DEG`. A residual beyond
:data:`MAX_RESIDUAL_DEG`, or farther from the current correction than the recent residuals'
robust spread allows (at least :data:`OUTLIER_FLOOR_DEG`, once :data:`MIN_HELD_FOR_OUTLIERS`
are held), is refused: the user looked elsewhere, the window's times are wrong, or the
calibration needs redoing, none of which an offset should follow. A reset returns to no
correction (later confirmations build it again); a new calibration clears it.

Degrees use the viewing distance estimated from the window's frames (else the last one known);
without any, lengths are judged against the screen diagonal
(:func:`~gazertc.vision.calibration.quality.screen_deg`).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np

from gazertc.vision.calibration.features import FrameFeatures, ScreenPoint
from gazertc.vision.calibration.quality import screen_css_px, screen_deg
from gazertc.vision.calibration.report import ScreenMapping
from gazertc.vision.calibration.selection import (
    MAD_TO_SIGMA,
    OUTLIER_ROBUST_Z,
    CalibrationSample,
    select_samples,
)
from gazertc.vision.screen import ScreenGeometry, offset_deg_from_css_px

__all__ = [
    "DEADBAND_DEG",
    "GAIN",
    "MAX_OFFSET_DEG",
    "MAX_RESIDUAL_DEG",
    "MIN_HELD_FOR_OUTLIERS",
    "MIN_STEADY_FRAMES",
    "OUTLIER_FLOOR_DEG",
    "RECENT_CONFIRMATIONS",
    "DriftCorrection",
    "DriftEvent",
    "DriftStatus",
    "DwellResidual",
    "measure_dwell",
]

MIN_STEADY_FRAMES: Final = 6
"""A fifth of a second at 30 fps: fewer steady frames average too little of the gaze's jitter
(about 1 degree per frame) to measure a drift of a degree."""
RECENT_CONFIRMATIONS: Final = 5
"""The median of the last five residuals ignores two bad ones and follows a change within about
three confirmations (a minute of use on a board)."""
GAIN: Final = 0.5
"""Each confirmation moves the correction half way to the recent residuals' median: it converges
within a few confirmations and one confirmation alone moves it by half its residual."""
MAX_OFFSET_DEG: Final = 2.5
"""The largest correction: the drift of a head that settled a few centimetres from where it
calibrated; beyond, calibrating again is the remedy, not an offset."""
MAX_RESIDUAL_DEG: Final = 2.0 * MAX_OFFSET_DEG
"""A residual over twice the largest correction is not drift (another target, wrong times)."""
DEADBAND_DEG: Final = 0.5
"""Recent residuals whose median is within half a degree of zero are the calibration's own error
across the screen, not drift: the correction then returns toward zero instead of following
them (on generated data without drift following them made the error slightly worse)."""
OUTLIER_FLOOR_DEG: Final = 3.0
"""A residual within this of the current correction is always plausible: a dwell target's own
size plus the calibration's error across the screen."""
MIN_HELD_FOR_OUTLIERS: Final = 2
"""The correction must rest on two confirmations before it can call a new one an outlier (the
first ones are bounded by :data:`MAX_RESIDUAL_DEG` only)."""


class DriftEvent(StrEnum):
    """What the last event did (the schema's drift_status ``last``)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RESET = "reset"
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class DriftStatus:
    """The correction now added to screen points (CSS px; ``offset_deg`` ``None`` without a
    viewing distance), how many recent confirmations it rests on, what the last event did and
    why."""

    offset_x_css_px: float
    offset_y_css_px: float
    offset_deg: float | None
    confirmations_used: int
    last: DriftEvent
    reason: str


@dataclass(frozen=True, slots=True)
class DwellResidual:
    """What a confirmation measured: the target minus the model's mean prediction over the
    window's steady frames (CSS px; 0 without enough frames), how many frames that used, and
    their median viewing distance."""

    x_css_px: float
    y_css_px: float
    steady_frames: int
    viewing_distance_mm: float | None


def measure_dwell(
    model: ScreenMapping, frames: Sequence[FrameFeatures], target: ScreenPoint
) -> DwellResidual:
    """The residual of a confirmation that ``frames`` looked at ``target`` (pure: may run in a
    thread; about a millisecond per hundred frames)."""
    steady, _ = select_samples(
        [CalibrationSample(frame, target) for frame in frames], model.settings
    )
    predicted = [model.predict_features(sample.features) for sample in steady]
    points = [
        point
        for point in predicted
        if point is not None and math.isfinite(point.x_css_px) and math.isfinite(point.y_css_px)
    ]
    distances = [
        frame.viewing_distance_mm for frame in frames if frame.viewing_distance_mm is not None
    ]
    distance_mm = statistics.median(distances) if distances else None
    if not points:
        return DwellResidual(0.0, 0.0, 0, distance_mm)
    return DwellResidual(
        target.x_css_px - statistics.fmean(point.x_css_px for point in points),
        target.y_css_px - statistics.fmean(point.y_css_px for point in points),
        len(points),
        distance_mm,
    )


class DriftCorrection:
    """The drift correction of one session's calibration (not thread-safe)."""

    def __init__(self) -> None:
        self._residuals: deque[tuple[float, float]] = deque(maxlen=RECENT_CONFIRMATIONS)
        self._offset_x_css_px = 0.0
        self._offset_y_css_px = 0.0
        self._distance_mm: float | None = None
        self._screen: ScreenGeometry | None = None

    @property
    def active(self) -> bool:
        """A correction is in use or confirmations are held (a reset or clear changes
        something)."""
        return bool(self._residuals) or self._offset_x_css_px != 0.0 or self._offset_y_css_px != 0.0

    def apply(self, point: ScreenPoint) -> ScreenPoint:
        """``point`` with the correction added."""
        return ScreenPoint(
            point.x_css_px + self._offset_x_css_px, point.y_css_px + self._offset_y_css_px
        )

    def confirm(self, residual: DwellResidual, screen: ScreenGeometry) -> DriftStatus:
        """Learn from a confirmation (:func:`measure_dwell`) of a model made for ``screen``."""
        if residual.viewing_distance_mm is not None:
            self._distance_mm = residual.viewing_distance_mm
        self._screen = screen
        if residual.steady_frames < MIN_STEADY_FRAMES:
            return self._status(
                DriftEvent.REJECTED,
                f"only {residual.steady_frames} steady frames with the eyes open in the "
                f"confirmation's window (need {MIN_STEADY_FRAMES}): the correction is unchanged",
            )
        residual_x, residual_y = residual.x_css_px, residual.y_css_px
        residual_deg = self._deg(math.hypot(residual_x, residual_y), screen)
        if residual_deg > MAX_RESIDUAL_DEG:
            return self._status(
                DriftEvent.REJECTED,
                f"the gaze was {residual_deg:.1f}° from the target, beyond the "
                f"{MAX_RESIDUAL_DEG:g}° a drift may explain (looked elsewhere, or calibrate "
                "again): the correction is unchanged",
            )
        from_offset_deg = self._deg(
            math.hypot(residual_x - self._offset_x_css_px, residual_y - self._offset_y_css_px),
            screen,
        )
        allowed_deg = max(self._spread_deg(screen) * OUTLIER_ROBUST_Z, OUTLIER_FLOOR_DEG)
        if len(self._residuals) >= MIN_HELD_FOR_OUTLIERS and from_offset_deg > allowed_deg:
            return self._status(
                DriftEvent.REJECTED,
                f"the gaze was {from_offset_deg:.1f}° from where the correction expects it "
                f"(over {allowed_deg:.1f}°): an outlier, the correction is unchanged (reset it "
                "or calibrate again if the gaze moved for good)",
            )
        self._residuals.append((residual_x, residual_y))
        aim_x = statistics.median(x for x, _ in self._residuals)
        aim_y = statistics.median(y for _, y in self._residuals)
        if self._deg(math.hypot(aim_x, aim_y), screen) < DEADBAND_DEG:
            aim_x = aim_y = 0.0
        offset_x = self._offset_x_css_px + GAIN * (aim_x - self._offset_x_css_px)
        offset_y = self._offset_y_css_px + GAIN * (aim_y - self._offset_y_css_px)
        size_css_px = math.hypot(offset_x, offset_y)
        limit_css_px = screen_css_px(MAX_OFFSET_DEG, screen, self._distance_mm)
        bounded = size_css_px > limit_css_px
        if bounded:
            offset_x *= limit_css_px / size_css_px
            offset_y *= limit_css_px / size_css_px
        self._offset_x_css_px, self._offset_y_css_px = offset_x, offset_y
        limit = f", held at the {MAX_OFFSET_DEG:g}° limit" if bounded else ""
        return self._status(
            DriftEvent.ACCEPTED,
            f"the gaze was {residual_deg:.1f}° from the target; the correction moved toward "
            f"the last {len(self._residuals)} confirmations{limit}",
        )

    def ignored(self, why: str) -> DriftStatus:
        """The state, unchanged, for a confirmation that cannot be used (``why`` says why)."""
        return self._status(DriftEvent.REJECTED, f"{why}: the correction is unchanged")

    def reset(self) -> DriftStatus:
        """Drop the correction and the confirmations (the client asked)."""
        self._forget()
        return self._status(DriftEvent.RESET, "drift correction reset: no offset")

    def clear(self) -> DriftStatus:
        """Drop the correction and the confirmations: a new calibration replaced the one they
        corrected."""
        self._forget()
        return self._status(DriftEvent.CLEARED, "a new calibration is in use: no offset")

    def _forget(self) -> None:
        self._residuals.clear()
        self._offset_x_css_px = self._offset_y_css_px = 0.0

    def _deg(self, css_px: float, screen: ScreenGeometry) -> float:
        return screen_deg(css_px, screen, self._distance_mm)

    def _spread_deg(self, screen: ScreenGeometry) -> float:
        """The robust spread (MAD) of the held residuals around their median, in degrees (0
        with fewer than three)."""
        if len(self._residuals) < 3:
            return 0.0
        values = np.array(self._residuals, dtype=np.float64)
        distances = np.hypot(*(values - np.median(values, axis=0)).T)
        return self._deg(MAD_TO_SIGMA * float(np.median(distances)), screen)

    def _status(self, last: DriftEvent, reason: str) -> DriftStatus:
        size_css_px = math.hypot(self._offset_x_css_px, self._offset_y_css_px)
        screen, distance_mm = self._screen, self._distance_mm
        return DriftStatus(
            offset_x_css_px=self._offset_x_css_px,
            offset_y_css_px=self._offset_y_css_px,
            offset_deg=None
            if screen is None or distance_mm is None
            else offset_deg_from_css_px(size_css_px, screen, distance_mm),
            confirmations_used=len(self._residuals),
            last=last,
            reason=reason,
        )
