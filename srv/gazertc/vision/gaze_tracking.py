"""GazeTracking-compatible fields, computed from a finished sample.

Clients written against the GazeTracking library (and its web service) read ``pupil_left``,
``pupil_right``, ``horizontal_ratio``, ``vertical_ratio``, ``is_left``, ``is_right``,
``is_center``, ``is_blinking``, ``attention_score`` and ``frame_processed``. This module derives
them from a :class:`~gazertc.vision.types.GazeSample` alone (a pure function, a few
microseconds), so the server adds them only for the sessions that ask.

Definitions (image coordinates, y down; "right"/"left" of the gaze are the subject's own):

* ``pupil_left``/``pupil_right``: GazeTracking names the eyes by image side, landmarks 36-41
  "left" and 42-47 "right": ``pupil_left`` is the subject's *right* eye (on the image's left).
* ``horizontal_ratio``: the iris centre projected on the line from the eye's image-left corner
  (0) to its image-right corner (1), mean of the located eyes, clamped to [0, 1]. Looking to
  the subject's right moves the irises towards the image's left: 0 = right, 1 = left, as in
  GazeTracking. (GazeTracking measures within a crop around the eye with a margin, so its values
  spread a little less; the thresholds are its own.)
* ``vertical_ratio``: the iris centre between the mean upper-lid line (0) and the mean
  lower-lid line (1), measured across the corner-to-corner line (so head roll cancels).
* ``is_right``/``is_left``/``is_center``: :data:`RIGHT_RATIO_MAX`, :data:`LEFT_RATIO_MIN`.
* ``is_blinking``: the blink detector's state (the sample's ``blinking``).
* ``attention_score``: 0 without a face or while blinking; else the share of open eyes
  (0, 0.5 or 1) times the gaze's closeness to the centre, ``1 - d / ATTENTION_SPAN`` with ``d``
  the larger distance of the two ratios from 0.5 (0 without a located pupil).
* ``frame_processed``: a face was found and at least one pupil located (GazeTracking's
  ``pupils_located``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from gazertc.records import GazeTrackingFields
from gazertc.vision.types import EyeObservation, EyeSide, GazeSample, PointPx

__all__ = [
    "ATTENTION_SPAN",
    "LEFT_RATIO_MIN",
    "RIGHT_RATIO_MAX",
    "eye_ratios",
    "gaze_tracking_fields",
]

RIGHT_RATIO_MAX: Final = 0.35
"""GazeTracking's ``is_right``: ``horizontal_ratio <= 0.35`` (its documented default)."""
LEFT_RATIO_MIN: Final = 0.65
"""GazeTracking's ``is_left``: ``horizontal_ratio >= 0.65`` (its documented default)."""
ATTENTION_SPAN: Final = 0.5
"""A ratio this far from the centre (0 or 1: the iris at a corner or lid) scores no attention."""
CENTRE_RATIO: Final = 0.5
MIN_EYE_SPAN_PX: Final = 1.0
"""Eyes narrower (corner to corner) or flatter (lid to lid) than a pixel give no ratio: a
degenerate fit, not an eye."""

_UPPER_LID: Final = {EyeSide.RIGHT: (37, 38), EyeSide.LEFT: (43, 44)}
_LOWER_LID: Final = {EyeSide.RIGHT: (41, 40), EyeSide.LEFT: (47, 46)}
"""dlib/iBUG landmark indices of each eye's lids (see GazeSample.landmarks_px)."""


def _clamp_ratio(value: float) -> float:
    return min(1.0, max(0.0, value))


def eye_ratios(
    eye: EyeObservation, landmarks_px: Sequence[PointPx] | None
) -> tuple[float, float | None] | None:
    """One eye's ``(horizontal, vertical)`` ratios (module docstring), unclamped; the vertical
    one is ``None`` without landmarks. ``None`` when the iris was not located."""
    centre = eye.centre_px
    if centre is None:
        return None
    inner, outer = eye.inner_corner_px, eye.outer_corner_px
    left, right = (inner, outer) if inner[0] <= outer[0] else (outer, inner)
    axis_x, axis_y = right[0] - left[0], right[1] - left[1]
    length = math.hypot(axis_x, axis_y)
    if length < MIN_EYE_SPAN_PX:
        return None
    along_x, along_y = axis_x / length, axis_y / length
    across_x, across_y = -along_y, along_x  # the corner line turned a quarter: down the image

    def along(point: PointPx) -> float:
        return (point[0] - left[0]) * along_x + (point[1] - left[1]) * along_y

    def across(point: PointPx) -> float:
        return (point[0] - left[0]) * across_x + (point[1] - left[1]) * across_y

    horizontal = along(centre) / length
    if landmarks_px is None:
        return horizontal, None
    top = sum(across(landmarks_px[i]) for i in _UPPER_LID[eye.side]) / 2.0
    bottom = sum(across(landmarks_px[i]) for i in _LOWER_LID[eye.side]) / 2.0
    if bottom - top < MIN_EYE_SPAN_PX:
        return horizontal, None
    return horizontal, (across(centre) - top) / (bottom - top)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def gaze_tracking_fields(sample: GazeSample) -> GazeTrackingFields:
    """The GazeTracking fields of one sample (definitions in the module docstring)."""
    horizontals: list[float] = []
    verticals: list[float] = []
    eyes = (sample.right_eye, sample.left_eye)
    if sample.face_found:
        for eye in eyes:
            ratios = None if eye is None else eye_ratios(eye, sample.landmarks_px)
            if ratios is not None:
                horizontals.append(ratios[0])
                if ratios[1] is not None:
                    verticals.append(ratios[1])
    horizontal = _mean(horizontals)
    vertical = _mean(verticals)
    horizontal = None if horizontal is None else _clamp_ratio(horizontal)
    vertical = None if vertical is None else _clamp_ratio(vertical)
    located = horizontal is not None
    is_right = horizontal is not None and horizontal <= RIGHT_RATIO_MAX
    is_left = horizontal is not None and horizontal >= LEFT_RATIO_MIN
    attention = 0.0
    if sample.face_found and not sample.blinking and horizontal is not None:
        open_share = sum(eye is not None and eye.is_open for eye in eyes) / len(eyes)
        offset = abs(horizontal - CENTRE_RATIO)
        if vertical is not None:
            offset = max(offset, abs(vertical - CENTRE_RATIO))
        attention = open_share * max(0.0, 1.0 - offset / ATTENTION_SPAN)
    right, left = sample.right_eye, sample.left_eye
    return GazeTrackingFields(
        pupil_left=None if right is None or not sample.face_found else right.centre_px,
        pupil_right=None if left is None or not sample.face_found else left.centre_px,
        horizontal_ratio=horizontal,
        vertical_ratio=vertical,
        is_left=is_left,
        is_right=is_right,
        is_center=located and not is_left and not is_right,
        is_blinking=sample.blinking,
        attention_score=attention,
        frame_processed=sample.face_found and located,
    )
