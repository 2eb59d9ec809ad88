"""Eye openness and blinks.

Openness is a lid gap over the corner-to-corner width. The tracker takes it from the iris
network's 16-point lid contour (:class:`gazertc.vision.iris.EyeLandmarks`) and, for eyes the
network is not run on, from dlib's six points as the eye aspect ratio (EAR). Both read roughly
0.25-0.4 for an open eye and under 0.12 for a closed one. People differ, so the blink detector
compares each frame with this person's own open-eye level, learnt as the session goes.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from gazertc.vision.types import BlinkEvent, BlinkPhase

__all__ = ["BlinkDetector", "eye_aspect_ratio"]

SHUT_EAR = 0.05
"""Below this dlib's lid points touch: the eye is shut and the iris network is not run on it.
dlib's six points are too coarse to judge anything finer: open eyes 11-17 px wide measure 0.10."""

BLINK_START_FRACTION = 0.60
"""A blink starts when openness falls below this share of the person's open-eye level."""

BLINK_END_FRACTION = 0.75
"""...and ends when it rises above this share: hysteresis, so noise at the edge makes no extra
events."""

_BASELINE_FRAMES = 90
"""Open-eye level = median openness of the last ~3 s of frames outside blinks."""

_MIN_BASELINE_FRAMES = _BASELINE_FRAMES // 3
"""No blink is reported until ~1 s of frames has shown this person's open-eye level: a fixed
guess would mistake narrow eyes for closed ones."""


def eye_aspect_ratio(eye: npt.NDArray[np.float64]) -> float:
    """EAR of one eye from its six dlib points (corner, 2 upper, corner, 2 lower)."""
    width = float(np.linalg.norm(eye[3] - eye[0]))
    if width <= 0.0:
        return 0.0
    gaps = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    return float(gaps / (2.0 * width))


class BlinkDetector:
    """A two-state machine (open, closed) on the mean openness of both eyes.

    Feed it one openness per frame; it returns the blink events that frame produced.
    """

    def __init__(self) -> None:
        self._history: deque[float] = deque(maxlen=_BASELINE_FRAMES)
        self._closed_since_ns: int | None = None

    @property
    def blinking(self) -> bool:
        return self._closed_since_ns is not None

    @property
    def open_level(self) -> float | None:
        """This person's open-eye openness, once enough frames have been seen."""
        if len(self._history) < _MIN_BASELINE_FRAMES:
            return None
        return float(np.median(self._history))

    def reset(self) -> tuple[BlinkEvent, ...]:
        """End any blink in progress (the face was lost): no event is emitted for it."""
        self._closed_since_ns = None
        return ()

    def update(self, openness: float, timestamp_unix_ns: int) -> tuple[BlinkEvent, ...]:
        level = self.open_level
        if level is None:
            self._history.append(openness)
            return ()
        if self._closed_since_ns is None:
            if openness < BLINK_START_FRACTION * level:
                self._closed_since_ns = timestamp_unix_ns
                return (BlinkEvent(BlinkPhase.START, timestamp_unix_ns),)
            self._history.append(openness)
            return ()
        if openness > BLINK_END_FRACTION * level:
            duration_ms = (timestamp_unix_ns - self._closed_since_ns) / 1e6
            self._closed_since_ns = None
            self._history.append(openness)
            return (BlinkEvent(BlinkPhase.END, timestamp_unix_ns, duration_ms),)
        return ()
