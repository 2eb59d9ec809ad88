"""The recent gaze of one session, kept for the monitor: frame rate, face, the last gaze points.

Plain data, no network code: a sink of the session's samples (about 2 µs each); the monitor
reads it when polled.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Final

from gazertc.records import SampleMessage

__all__ = ["RATE_WINDOW_S", "TRACE_MAX_POINTS", "GazeTrace", "TracePoint"]

TRACE_MAX_POINTS: Final = 60
"""About 2 s of gaze at 30 fps: enough to see a scan path, small enough to poll 8 sessions at
4 Hz (at most 7 KB of JSON per session, about 1.2 KB gzip-compressed)."""
RATE_WINDOW_S: Final = 2.0
"""The frame rate is measured over this much recent time: steady, yet a stall shows within it."""
_RATE_TIMES_KEPT: Final = 256
"""Processing times kept for the rate: 2 s at up to 128 fps."""


@dataclass(frozen=True, slots=True)
class TracePoint:
    """One gaze point of the trace.

    Attributes:
        timestamp_unix_ns: capture time on the server's clock.
        yaw_deg, pitch_deg: gaze direction (sign conventions of :mod:`gazertc.vision.types`).
        screen_x_px, screen_y_px: the smoothed point on the participant's screen, CSS pixels,
            once the session is calibrated; ``None`` before.
    """

    timestamp_unix_ns: int
    yaw_deg: float
    pitch_deg: float
    screen_x_px: float | None = None
    screen_y_px: float | None = None


class GazeTrace:
    """Frame rate, face state and the last gaze points of one session.

    Args:
        max_points: gaze points kept (older ones are forgotten).
        rate_window_s: the time over which :meth:`processed_fps` counts samples.
    """

    def __init__(
        self, max_points: int = TRACE_MAX_POINTS, rate_window_s: float = RATE_WINDOW_S
    ) -> None:
        if max_points < 1:
            raise ValueError(f"max_points must be at least 1, got {max_points}")
        if rate_window_s <= 0:
            raise ValueError(f"rate_window_s must be positive, got {rate_window_s}")
        self.max_points = max_points
        self.rate_window_s = rate_window_s
        self._points: deque[TracePoint] = deque(maxlen=max_points)
        self._processed_s: deque[float] = deque(maxlen=_RATE_TIMES_KEPT)
        self._first_s: float | None = None
        self.face_found = False
        self.calibrated = False

    def on_sample(self, message: SampleMessage, text: str) -> None:
        """Take one sample as it is sent (``text`` is unused), processed now."""
        self.add(message, time.monotonic())

    def add(self, message: SampleMessage, processed_s: float) -> None:
        """Take one sample, processed at ``processed_s`` (monotonic seconds). Samples without a
        gaze direction (no face, eyes closed) count towards the rate but add no point."""
        if self._first_s is None:
            self._first_s = processed_s
        self._processed_s.append(processed_s)
        sample = message.sample
        self.face_found = sample.face_found
        self.calibrated = message.calibrated
        gaze = sample.gaze
        if gaze is None:
            return
        point = message.screen_point
        self._points.append(
            TracePoint(
                timestamp_unix_ns=sample.timestamp_unix_ns,
                yaw_deg=gaze.yaw_deg,
                pitch_deg=gaze.pitch_deg,
                screen_x_px=None if point is None else point.smoothed_x_css_px,
                screen_y_px=None if point is None else point.smoothed_y_css_px,
            )
        )

    def points(self) -> tuple[TracePoint, ...]:
        """The kept gaze points, oldest first."""
        return tuple(self._points)

    def processed_fps(self, now_s: float) -> float:
        """Samples per second over the last ``rate_window_s`` before ``now_s`` (monotonic
        seconds), or since the first sample when that is more recent; 0 before any sample.
        A session that stops sending shows its rate falling to 0 over the window."""
        if self._first_s is None:
            return 0.0
        since_s = now_s - self.rate_window_s
        count = sum(1 for time_s in self._processed_s if since_s < time_s <= now_s)
        span_s = min(self.rate_window_s, now_s - self._first_s)
        return count / span_s if span_s > 0 else 0.0
