"""The recent frames' calibration features, kept so a calibration can use frames already seen.

A page written for WebGazer says where the user looked (``recordScreenPosition``) without
declaring targets first; its client groups those calls into targets and sends the procedure
afterwards, with target times in the past. :class:`FeatureHistory` keeps what the fit needs of
each recent frame (the numbers of a :class:`~gazertc.vision.calibration.FrameFeatures`, no image
and no landmarks) in a fixed-size ring of float64 columns, bounded by age and by count, in
memory only.

Memory: 29 numbers (232 bytes) per frame, so :data:`HISTORY_MAX_FRAMES` frames take about
1.7 MB, allocated on the first frame.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from gazertc.errors import InputError
from gazertc.vision.calibration.features import EyeSignals, FrameFeatures, HeadFeatures

__all__ = ["HISTORY_MAX_FRAMES", "HISTORY_S", "FeatureHistory"]

HISTORY_S: Final = 120.0
"""How far back a calibration may reach: a WebGazer-style page records a 9-13 point
calibration at the user's pace (about a minute with jsPsych's calibrate plugin) before its
client sends it; two minutes leave room for that and keep little per session."""
HISTORY_MAX_FRAMES: Final = round(HISTORY_S * 60)
"""Two minutes of a 60 fps camera; a faster camera gets a shorter history, and windows that fall
out of it are refused (:attr:`FeatureHistory.complete_since_unix_ns`)."""

_IRIS_COLUMN: Final = 0
_ANGLES_COLUMN: Final = 2
_RAY_COLUMN: Final = 4
_COMBINED_COLUMN: Final = 6
_HEAD_COLUMN: Final = 8
_DISTANCE_COLUMN: Final = 14
_BLINK_COLUMN: Final = 15
_EYE_COLUMNS: Final = (16, 22)
"""Where each eye's own three pairs begin (right eye, then left)."""
_COLUMNS: Final = 28
"""Column layout of a frame's row: four (x, y) pairs, the six head values, the viewing distance,
the blink flag (1.0 or 0.0), then per eye its own iris offset, angles and ray. NaN stands for a
signal the frame lacks: the pairs and the head are finite when present
(:class:`~gazertc.vision.calibration.FrameFeatures` checks them), and a NaN viewing distance
comes back as none."""


class FeatureHistory:
    """The features of the last ``max_age_s`` seconds of frames, at most ``max_frames`` of them.

    Frames are expected in capture order; age is measured from the newest frame's capture time.
    Not thread-safe.

    Raises:
        InputError: ``max_age_s`` or ``max_frames`` is not positive.
    """

    def __init__(self, max_age_s: float = HISTORY_S, max_frames: int = HISTORY_MAX_FRAMES) -> None:
        if not (math.isfinite(max_age_s) and max_age_s > 0.0):
            raise InputError(f"max_age_s must be positive, got {max_age_s}")
        if max_frames < 1:
            raise InputError(f"max_frames must be positive, got {max_frames}")
        self.max_age_ns: Final = round(max_age_s * 1e9)
        self.max_frames: Final = max_frames
        self._timestamps: NDArray[np.int64] | None = None
        self._values: NDArray[np.float64] | None = None
        self._oldest = 0  # ring index of the oldest frame
        self._count = 0
        self._dropped_until_unix_ns: int | None = None

    def __len__(self) -> int:
        return self._count

    @property
    def complete_since_unix_ns(self) -> int | None:
        """Frames captured after this time are all here (``None``: none was dropped or cleared
        since the history began)."""
        return self._dropped_until_unix_ns

    def clear(self) -> None:
        """Forget every frame and free the memory (windows that began before stay refused:
        :attr:`complete_since_unix_ns` becomes the newest frame's time)."""
        if self._timestamps is not None and self._count > 0:
            newest = (self._oldest + self._count - 1) % self.max_frames
            self._dropped_until_unix_ns = int(self._timestamps[newest])
        self._timestamps = None
        self._values = None
        self._oldest = 0
        self._count = 0

    def append(self, features: FrameFeatures) -> None:
        """Add a frame, dropping the oldest beyond ``max_frames`` or ``max_age_s``."""
        if self._timestamps is None or self._values is None:
            # np.empty: every column of a row is written before it is read.
            self._timestamps = np.empty(self.max_frames, dtype=np.int64)
            self._values = np.empty((self.max_frames, _COLUMNS), dtype=np.float64)
        if self._count == self.max_frames:
            self._drop_oldest()
        index = (self._oldest + self._count) % self.max_frames
        self._timestamps[index] = features.timestamp_unix_ns
        self._values[index] = _row(features)
        self._count += 1
        too_old_unix_ns = features.timestamp_unix_ns - self.max_age_ns
        while self._count > 1 and self._timestamps[self._oldest] < too_old_unix_ns:
            self._drop_oldest()

    def between(self, start_unix_ns: int, end_unix_ns: int) -> list[FrameFeatures]:
        """The frames captured from ``start_unix_ns`` to ``end_unix_ns`` (both included), oldest
        first."""
        if self._timestamps is None or self._values is None or self._count == 0:
            return []
        order = (self._oldest + np.arange(self._count)) % self.max_frames
        stamps = self._timestamps[order]
        chosen = order[(stamps >= start_unix_ns) & (stamps <= end_unix_ns)]
        # One conversion to Python numbers for the whole window: far cheaper than per element.
        timestamps: list[int] = self._timestamps[chosen].tolist()
        rows: list[list[float]] = self._values[chosen].tolist()
        return [_features(stamp, row) for stamp, row in zip(timestamps, rows, strict=True)]

    def _drop_oldest(self) -> None:
        assert self._timestamps is not None  # only called with frames held
        self._dropped_until_unix_ns = int(self._timestamps[self._oldest])
        self._oldest = (self._oldest + 1) % self.max_frames
        self._count -= 1


def _row(features: FrameFeatures) -> list[float]:
    row = [math.nan] * _COLUMNS
    for column, pair in (
        (_IRIS_COLUMN, features.iris_offsets),
        (_ANGLES_COLUMN, features.gaze_angles_deg),
        (_RAY_COLUMN, features.gaze_ray_mm),
        (_COMBINED_COLUMN, features.combined_gaze_deg),
    ):
        if pair is not None:
            row[column : column + 2] = pair
    if features.head is not None:
        row[_HEAD_COLUMN:_DISTANCE_COLUMN] = features.head.values()
    if features.viewing_distance_mm is not None:
        row[_DISTANCE_COLUMN] = features.viewing_distance_mm
    row[_BLINK_COLUMN] = 1.0 if features.blinking else 0.0
    for start, eye in zip(_EYE_COLUMNS, (features.right_eye, features.left_eye), strict=True):
        if eye is None:
            continue
        for offset, pair in enumerate((eye.iris_offset, eye.gaze_angles_deg, eye.gaze_ray_mm)):
            if pair is not None:
                row[start + 2 * offset : start + 2 * offset + 2] = pair
    return row


def _eye(values: list[float], start: int) -> EyeSignals | None:
    pairs = [_pair(values, start + 2 * offset) for offset in range(3)]
    return None if all(pair is None for pair in pairs) else EyeSignals(*pairs)


def _pair(row: list[float], column: int) -> tuple[float, float] | None:
    first, second = row[column], row[column + 1]
    return None if math.isnan(first) else (first, second)


def _features(timestamp_unix_ns: int, values: list[float]) -> FrameFeatures:
    head_values = values[_HEAD_COLUMN:_DISTANCE_COLUMN]
    distance_mm = values[_DISTANCE_COLUMN]
    return FrameFeatures(
        timestamp_unix_ns=timestamp_unix_ns,
        blinking=values[_BLINK_COLUMN] != 0.0,
        iris_offsets=_pair(values, _IRIS_COLUMN),
        gaze_angles_deg=_pair(values, _ANGLES_COLUMN),
        gaze_ray_mm=_pair(values, _RAY_COLUMN),
        combined_gaze_deg=_pair(values, _COMBINED_COLUMN),
        head=None if math.isnan(head_values[0]) else HeadFeatures(*head_values),
        viewing_distance_mm=None if math.isnan(distance_mm) else distance_mm,
        right_eye=_eye(values, _EYE_COLUMNS[0]),
        left_eye=_eye(values, _EYE_COLUMNS[1]),
    )
