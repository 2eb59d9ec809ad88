"""Online fixation and saccade detection on gaze angles.

Input is a stream of :class:`GazePoint` (capture time in ns, gaze yaw and pitch in degrees, the
convention of :mod:`gazertc.vision.types`), output is a stream of :class:`FixationEvent`
(``start`` once a fixation has lasted ``min_fixation_ms``, ``end`` when it is over) and
:class:`SaccadeEvent` (once the eye has settled again); both records live in
:mod:`gazertc.records` because they travel on the wire.

Two methods, chosen per sample from the recent sampling interval:

* velocity threshold (I-VT, Salvucci & Goldberg 2000): a sample whose angular velocity from its
  predecessor is below ``velocity_threshold_deg_s`` belongs to a fixation, above it to a saccade.
* dispersion threshold (I-DT), when samples come further apart than
  ``max_velocity_interval_ms``: then a saccade fits between two samples and its velocity cannot
  be measured, so a fixation is a run of samples whose spread in yaw plus pitch stays below
  ``dispersion_threshold_deg``.

Gaps (no gaze: eyes closed, face lost, or samples missing for longer than ``max_gap_ms``) end the
current fixation without a saccade. Angles are degrees of gaze direction, not screen pixels:
mapping onto the screen needs screen geometry and a calibration.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Final

from gazertc.records import (
    DetectionMethod,
    FixationEvent,
    FixationPhase,
    OculomotorEvent,
    SaccadeEvent,
)

__all__ = ["DetectorSettings", "FixationDetector", "GazePoint", "angular_distance_deg"]

NS_PER_MS: Final = 1_000_000
INTERVAL_WINDOW: Final = 9
"""Samples whose median interval picks the method: enough to ignore one late frame."""
VELOCITY_SPAN_MS: Final = 30.0
"""Velocities are measured over at least this span: at 60 Hz it averages two intervals' noise,
and it stays shorter than a saccade (30-80 ms)."""


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """Thresholds of :class:`FixationDetector`.

    Attributes:
        velocity_threshold_deg_s: above this a sample is saccadic. 30 deg/s is the usual I-VT
            value for lab trackers; webcam gaze is noisier (about 1 deg per sample), so 60.
        dispersion_threshold_deg: largest spread (yaw range + pitch range) of a fixation in
            I-DT; 2.5 deg allows for webcam noise while a saccade between words (>3 deg) breaks it.
        min_fixation_ms: shorter stable runs are not reported (below 100 ms the eye cannot
            take in information; shorter runs are noise between saccades).
        max_velocity_interval_ms: above this median sample interval (below 20 Hz) velocities
            are not measurable and the dispersion method is used.
        max_gap_ms: a longer pause between samples ends the fixation (a blink or dropped frames).
    """

    velocity_threshold_deg_s: float = 60.0
    dispersion_threshold_deg: float = 2.5
    min_fixation_ms: float = 100.0
    max_velocity_interval_ms: float = 50.0
    max_gap_ms: float = 150.0

    def __post_init__(self) -> None:
        for name in (
            "velocity_threshold_deg_s",
            "dispersion_threshold_deg",
            "min_fixation_ms",
            "max_velocity_interval_ms",
            "max_gap_ms",
        ):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")

    def to_dict(self) -> dict[str, float]:
        """The thresholds by name (stored in a recording's metadata)."""
        return {
            "velocity_threshold_deg_s": self.velocity_threshold_deg_s,
            "dispersion_threshold_deg": self.dispersion_threshold_deg,
            "min_fixation_ms": self.min_fixation_ms,
            "max_velocity_interval_ms": self.max_velocity_interval_ms,
            "max_gap_ms": self.max_gap_ms,
        }


@dataclass(frozen=True, slots=True)
class GazePoint:
    """One gaze direction: capture time (ns since the Unix epoch) and angles in degrees.
    ``yaw_deg``/``pitch_deg`` are ``None`` when there is no gaze (eyes closed, no face)."""

    timestamp_unix_ns: int
    yaw_deg: float | None
    pitch_deg: float | None


def angular_distance_deg(
    yaw_a_deg: float, pitch_a_deg: float, yaw_b_deg: float, pitch_b_deg: float
) -> float:
    """Angle in degrees between two gaze directions given as yaw and pitch (great circle)."""
    yaw_a, pitch_a = math.radians(yaw_a_deg), math.radians(pitch_a_deg)
    yaw_b, pitch_b = math.radians(yaw_b_deg), math.radians(pitch_b_deg)
    # Haversine: accurate for the small angles that matter here, unlike acos of a dot product.
    half = (
        math.sin((pitch_b - pitch_a) / 2) ** 2
        + math.cos(pitch_a) * math.cos(pitch_b) * math.sin((yaw_b - yaw_a) / 2) ** 2
    )
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(half))))


@dataclass(frozen=True, slots=True)
class _Point:
    timestamp_unix_ns: int
    yaw_deg: float
    pitch_deg: float


class _Run:
    """Samples of the current (candidate) fixation with their running extent."""

    def __init__(self) -> None:
        self.points: list[_Point] = []

    def __len__(self) -> int:
        return len(self.points)

    @property
    def duration_ms(self) -> float:
        if not self.points:
            return 0.0
        return (self.points[-1].timestamp_unix_ns - self.points[0].timestamp_unix_ns) / NS_PER_MS

    def dispersion_deg(self, extra: _Point | None = None) -> float:
        points = self.points if extra is None else [*self.points, extra]
        yaws = [point.yaw_deg for point in points]
        pitches = [point.pitch_deg for point in points]
        return (max(yaws) - min(yaws)) + (max(pitches) - min(pitches))

    def centre(self) -> tuple[float, float]:
        return (
            statistics.fmean(point.yaw_deg for point in self.points),
            statistics.fmean(point.pitch_deg for point in self.points),
        )


class FixationDetector:
    """Feeds on gaze points in time order; :meth:`update` returns the events they complete.

    Args:
        settings: thresholds; defaults suit webcam gaze at 15-60 Hz.
    """

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self._intervals_ms: deque[float] = deque(maxlen=INTERVAL_WINDOW)
        self._previous: _Point | None = None
        self._recent: deque[_Point] = deque()
        self._run = _Run()
        self._announced = False
        self._method = DetectionMethod.VELOCITY
        # The last reported fixation's final sample, and the saccade in progress after it.
        self._saccade_from: _Point | None = None
        self._peak_velocity_deg_s: float | None = None

    @property
    def method(self) -> DetectionMethod:
        """The method used for the latest sample."""
        return self._method

    def update(self, point: GazePoint) -> list[OculomotorEvent]:
        """Add one gaze point; returns the events it completes (often none).

        Raises:
            ValueError: the point is older than its predecessor.
        """
        previous = self._previous
        if previous is not None and point.timestamp_unix_ns < previous.timestamp_unix_ns:
            raise ValueError(
                f"gaze points must come in time order: {point.timestamp_unix_ns} ns after "
                f"{previous.timestamp_unix_ns} ns"
            )
        if point.yaw_deg is None or point.pitch_deg is None:
            ended = self._end_fixation()
            self._reset_motion()
            return ended
        current = _Point(point.timestamp_unix_ns, point.yaw_deg, point.pitch_deg)
        self._previous = current
        if previous is None:
            self._recent.append(current)
            self._run.points.append(current)
            return []
        interval_ms = (current.timestamp_unix_ns - previous.timestamp_unix_ns) / NS_PER_MS
        if interval_ms > self.settings.max_gap_ms:
            ended = self._end_fixation()
            self._reset_motion()
            self._previous = current
            self._recent.append(current)
            self._run.points.append(current)
            return ended
        self._intervals_ms.append(interval_ms)
        self._method = (
            DetectionMethod.VELOCITY
            if statistics.median(self._intervals_ms) <= self.settings.max_velocity_interval_ms
            else DetectionMethod.DISPERSION
        )
        velocity = 0.0
        if self._method is DetectionMethod.VELOCITY:
            velocity = self._velocity_deg_s(current)
            stable = velocity < self.settings.velocity_threshold_deg_s
        else:
            stable = self._run.dispersion_deg(current) <= self.settings.dispersion_threshold_deg
        events: list[OculomotorEvent] = []
        if stable:
            if not self._run.points and self._method is DetectionMethod.VELOCITY:
                # The previous sample is where the eye landed: the fixation starts there.
                self._run.points.append(previous)
            self._run.points.append(current)
        else:
            events.extend(self._end_fixation())
            if self._method is DetectionMethod.DISPERSION:
                self._run.points.append(current)
            else:
                self._peak_velocity_deg_s = max(self._peak_velocity_deg_s or 0.0, velocity)
        if not self._announced and self._run.duration_ms >= self.settings.min_fixation_ms:
            events.extend(self._start_fixation())
        return events

    def _velocity_deg_s(self, current: _Point) -> float:
        recent = self._recent
        recent.append(current)
        span_ns = VELOCITY_SPAN_MS * NS_PER_MS
        while (
            len(recent) > 2 and current.timestamp_unix_ns - recent[1].timestamp_unix_ns >= span_ns
        ):
            recent.popleft()
        reference = recent[0]
        elapsed_s = max((current.timestamp_unix_ns - reference.timestamp_unix_ns) / 1e9, 1e-6)
        distance_deg = angular_distance_deg(
            reference.yaw_deg, reference.pitch_deg, current.yaw_deg, current.pitch_deg
        )
        return distance_deg / elapsed_s

    def flush(self) -> list[OculomotorEvent]:
        """End the current fixation, if any (call at the end of a stream)."""
        events = self._end_fixation()
        self._reset_motion()
        return events

    def _reset_motion(self) -> None:
        self._previous = None
        self._saccade_from = None
        self._peak_velocity_deg_s = None
        self._intervals_ms.clear()
        self._recent.clear()

    def _start_fixation(self) -> list[OculomotorEvent]:
        self._announced = True
        run = self._run
        first = run.points[0]
        yaw_deg, pitch_deg = run.centre()
        events: list[OculomotorEvent] = []
        origin = self._saccade_from
        if origin is not None:
            peak = self._peak_velocity_deg_s if self._method is DetectionMethod.VELOCITY else None
            events.append(
                SaccadeEvent(
                    start_unix_ns=origin.timestamp_unix_ns,
                    end_unix_ns=first.timestamp_unix_ns,
                    duration_ms=(first.timestamp_unix_ns - origin.timestamp_unix_ns) / NS_PER_MS,
                    amplitude_deg=angular_distance_deg(
                        origin.yaw_deg, origin.pitch_deg, first.yaw_deg, first.pitch_deg
                    ),
                    peak_velocity_deg_s=peak,
                    start_yaw_deg=origin.yaw_deg,
                    start_pitch_deg=origin.pitch_deg,
                    end_yaw_deg=first.yaw_deg,
                    end_pitch_deg=first.pitch_deg,
                    method=self._method,
                )
            )
        self._saccade_from = None
        self._peak_velocity_deg_s = None
        events.append(
            FixationEvent(
                phase=FixationPhase.START,
                start_unix_ns=first.timestamp_unix_ns,
                end_unix_ns=None,
                duration_ms=None,
                yaw_deg=yaw_deg,
                pitch_deg=pitch_deg,
                dispersion_deg=run.dispersion_deg(),
                method=self._method,
            )
        )
        return events

    def _end_fixation(self) -> list[OculomotorEvent]:
        run = self._run
        self._run = _Run()
        if not self._announced:
            return []
        self._announced = False
        first, last = run.points[0], run.points[-1]
        self._saccade_from = last
        self._peak_velocity_deg_s = None
        yaw_deg, pitch_deg = run.centre()
        return [
            FixationEvent(
                phase=FixationPhase.END,
                start_unix_ns=first.timestamp_unix_ns,
                end_unix_ns=last.timestamp_unix_ns,
                duration_ms=run.duration_ms,
                yaw_deg=yaw_deg,
                pitch_deg=pitch_deg,
                dispersion_deg=run.dispersion_deg(),
                method=self._method,
            )
        ]
