"""The fixation detector on generated gaze traces with known fixations and saccades."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from gazertc.analysis.fixations import (
    DetectorSettings,
    FixationDetector,
    GazePoint,
    angular_distance_deg,
)
from gazertc.records import (
    DetectionMethod,
    FixationEvent,
    FixationPhase,
    OculomotorEvent,
    SaccadeEvent,
)

NS_PER_MS = 1_000_000
START_NS = 1_767_225_600_000_000_000
NOISE_DEG = 0.3
"""Sample-to-sample noise of a good webcam gaze estimate."""


@dataclass(frozen=True)
class Fixation:
    yaw_deg: float
    pitch_deg: float
    duration_ms: float


def _trace(
    fixations: list[Fixation], *, rate_hz: float, saccade_ms: float, seed: int = 1
) -> tuple[list[GazePoint], list[tuple[float, float]]]:
    """Gaze points at ``rate_hz``: each fixation with Gaussian noise, joined by linear
    saccades. Returns the points and each fixation's true (start_ms, end_ms)."""
    rng = random.Random(seed)
    interval_ms = 1000.0 / rate_hz
    segments: list[tuple[float, float, Fixation]] = []
    time_ms = 0.0
    for fixation in fixations:
        segments.append((time_ms, time_ms + fixation.duration_ms, fixation))
        time_ms += fixation.duration_ms + saccade_ms
    points = []
    t_ms = 0.0
    while t_ms <= segments[-1][1]:
        for index, (start_ms, end_ms, fixation) in enumerate(segments):
            if start_ms <= t_ms <= end_ms:
                yaw = fixation.yaw_deg + rng.gauss(0, NOISE_DEG)
                pitch = fixation.pitch_deg + rng.gauss(0, NOISE_DEG)
                break
            following = segments[index + 1] if index + 1 < len(segments) else None
            if following is not None and end_ms < t_ms < following[0]:
                share = (t_ms - end_ms) / saccade_ms
                target = following[2]
                yaw = fixation.yaw_deg + share * (target.yaw_deg - fixation.yaw_deg)
                pitch = fixation.pitch_deg + share * (target.pitch_deg - fixation.pitch_deg)
                break
        points.append(GazePoint(START_NS + round(t_ms * NS_PER_MS), yaw, pitch))
        t_ms += interval_ms
    return points, [(start, end) for start, end, _ in segments]


def _run(detector: FixationDetector, points: list[GazePoint]) -> list[OculomotorEvent]:
    events: list[OculomotorEvent] = []
    for point in points:
        events.extend(detector.update(point))
    events.extend(detector.flush())
    return events


def _ms(timestamp_unix_ns: int) -> float:
    return (timestamp_unix_ns - START_NS) / NS_PER_MS


FIXATIONS = [Fixation(0.0, 0.0, 400), Fixation(10.0, 5.0, 500), Fixation(-8.0, 2.0, 300)]


@pytest.mark.parametrize(
    ("rate_hz", "saccade_ms", "method"),
    [
        (60.0, 40.0, DetectionMethod.VELOCITY),
        (30.0, 40.0, DetectionMethod.VELOCITY),
        (12.0, 60.0, DetectionMethod.DISPERSION),
    ],
)
def test_finds_each_fixation_and_saccade(
    rate_hz: float, saccade_ms: float, method: DetectionMethod
) -> None:
    points, truth = _trace(FIXATIONS, rate_hz=rate_hz, saccade_ms=saccade_ms)
    detector = FixationDetector()
    events = _run(detector, points)
    assert detector.method is method or method is DetectionMethod.DISPERSION
    interval_ms = 1000.0 / rate_hz
    ends = [e for e in events if isinstance(e, FixationEvent) and e.phase is FixationPhase.END]
    starts = [e for e in events if isinstance(e, FixationEvent) and e.phase is FixationPhase.START]
    saccades = [e for e in events if isinstance(e, SaccadeEvent)]
    assert len(starts) == len(ends) == len(FIXATIONS)
    assert len(saccades) == len(FIXATIONS) - 1
    for end, fixation, (start_ms, end_ms) in zip(ends, FIXATIONS, truth, strict=True):
        assert end.method is method
        # Boundaries within two samples: velocities span 30 ms, so onsets may lag one sample.
        assert abs(_ms(end.start_unix_ns) - start_ms) <= 2.01 * interval_ms
        assert end.end_unix_ns is not None
        assert abs(_ms(end.end_unix_ns) - end_ms) <= 2.01 * interval_ms
        assert (
            angular_distance_deg(end.yaw_deg, end.pitch_deg, fixation.yaw_deg, fixation.pitch_deg)
            < 3 * NOISE_DEG
        )
    for saccade, before, after in zip(saccades, FIXATIONS, FIXATIONS[1:], strict=False):
        expected = angular_distance_deg(
            before.yaw_deg, before.pitch_deg, after.yaw_deg, after.pitch_deg
        )
        assert saccade.amplitude_deg == pytest.approx(expected, abs=4 * NOISE_DEG)
        if method is DetectionMethod.VELOCITY:
            assert saccade.peak_velocity_deg_s is not None
            assert saccade.peak_velocity_deg_s > 100.0
        else:
            assert saccade.peak_velocity_deg_s is None
    # Events come in time order: start before end, saccade between the fixations it joins.
    order = [e.start_unix_ns if isinstance(e, FixationEvent) else e.end_unix_ns for e in events]
    assert order == sorted(order)


def test_a_short_glance_is_not_a_fixation() -> None:
    points, _ = _trace(
        [Fixation(0, 0, 300), Fixation(15, 0, 50), Fixation(0, 0, 300)],
        rate_hz=60.0,
        saccade_ms=30.0,
    )
    starts = [
        e
        for e in _run(FixationDetector(), points)
        if isinstance(e, FixationEvent) and e.phase is FixationPhase.START
    ]
    assert len(starts) == 2


def test_a_blink_ends_the_fixation_without_a_saccade() -> None:
    points, _ = _trace([Fixation(2, 1, 600)], rate_hz=30.0, saccade_ms=30.0)
    blink_at = len(points) // 2
    with_blink = [
        *points[:blink_at],
        *(GazePoint(p.timestamp_unix_ns, None, None) for p in points[blink_at : blink_at + 4]),
        *points[blink_at + 4 :],
    ]
    events = _run(FixationDetector(), with_blink)
    assert not [e for e in events if isinstance(e, SaccadeEvent)]
    assert [e.phase for e in events if isinstance(e, FixationEvent)] == [
        FixationPhase.START,
        FixationPhase.END,
        FixationPhase.START,
        FixationPhase.END,
    ]


def test_points_out_of_order_are_refused() -> None:
    detector = FixationDetector()
    detector.update(GazePoint(2_000, 0.0, 0.0))
    with pytest.raises(ValueError, match="time order"):
        detector.update(GazePoint(1_000, 0.0, 0.0))


def test_settings_must_be_positive() -> None:
    with pytest.raises(ValueError, match="min_fixation_ms"):
        DetectorSettings(min_fixation_ms=0)


def test_angular_distance_matches_small_angle_geometry() -> None:
    assert angular_distance_deg(0, 0, 3, 4) == pytest.approx(5.0, rel=1e-3)
    assert angular_distance_deg(10, 20, 10, 20) == 0.0
