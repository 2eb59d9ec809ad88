from __future__ import annotations

import numpy as np

from gazertc.vision.blink import BlinkDetector, eye_aspect_ratio
from gazertc.vision.types import BlinkEvent, BlinkPhase

FRAME_NS = 33_333_333


def _eye(width: float, gap: float) -> np.ndarray:
    half = gap / 2.0
    return np.array(
        [[0, 0], [width / 3, -half], [2 * width / 3, -half], [width, 0],
         [2 * width / 3, half], [width / 3, half]],
        dtype=np.float64,
    )  # fmt: skip


def test_eye_aspect_ratio_is_gap_over_width() -> None:
    assert eye_aspect_ratio(_eye(30.0, 9.0)) == 0.3
    assert eye_aspect_ratio(_eye(30.0, 0.0)) == 0.0
    assert eye_aspect_ratio(np.zeros((6, 2))) == 0.0


def test_blink_start_and_end_with_duration() -> None:
    detector = BlinkDetector()
    rng = np.random.default_rng(3)
    openness = list(0.30 + rng.normal(0, 0.01, 120))
    openness += [0.12, 0.05, 0.04, 0.08]  # ~130 ms closed
    openness += list(0.30 + rng.normal(0, 0.01, 30))
    events: list[BlinkEvent] = []
    for frame, value in enumerate(openness):
        events.extend(detector.update(value, frame * FRAME_NS))
    assert [event.phase for event in events] == [BlinkPhase.START, BlinkPhase.END]
    assert events[0].timestamp_unix_ns == 120 * FRAME_NS
    assert events[1].duration_ms is not None
    assert abs(events[1].duration_ms - 4 * FRAME_NS / 1e6) < 1e-6
    assert not detector.blinking


def test_noise_and_narrow_eyes_make_no_blinks() -> None:
    # A person whose eyes are narrow (EAR ~0.18) must not be seen as blinking all the time.
    detector = BlinkDetector()
    rng = np.random.default_rng(4)
    events = [
        event
        for frame, value in enumerate(0.18 + rng.normal(0, 0.008, 400))
        for event in detector.update(float(value), frame * FRAME_NS)
    ]
    assert events == []
    assert detector.open_level is not None
    assert abs(detector.open_level - 0.18) < 0.01


def test_reset_forgets_a_blink_in_progress() -> None:
    detector = BlinkDetector()
    for frame in range(60):
        detector.update(0.3, frame * FRAME_NS)
    assert detector.update(0.05, 60 * FRAME_NS)[0].phase is BlinkPhase.START
    detector.reset()
    assert not detector.blinking
    assert detector.update(0.3, 61 * FRAME_NS) == ()
