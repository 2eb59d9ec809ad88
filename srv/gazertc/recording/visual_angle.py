"""The screen point in degrees of visual angle from the screen's centre, when the geometry is
known: the screen's physical size and the viewing distance.

``screen_x_deg`` is positive right of the centre, ``screen_y_deg`` positive above it (as
``gaze_pitch_deg``); each axis is ``atan(offset_mm / distance_mm)``, taking the eye to face the
screen's centre. The screen's size is known when the client reported it (browsers rarely can)
or the researcher gives it at export; the nominal 96 CSS px per inch is not used here (real
displays differ from it by a third and more). The distance is the researcher's, given at export,
or else the server's estimate from the face at the latest calibration or validation before the
sample (the camera-to-eye distance, from a 63 mm mean interpupillary distance: about +-10 %
across adults). Without either, the columns stay empty; :meth:`VisualAngle.describe` says which
case applies, for the export's metadata.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gazertc.errors import InputError
from gazertc.recording.calibration_reports import CalibrationReport, ReportKind
from gazertc.vision.screen import ScreenGeometry, visual_angle_deg

__all__ = ["VisualAngle"]

_DEG_DIGITS = 3
"""A thousandth of a degree: far below webcam gaze accuracy (about 2-4 degrees)."""


def _screen(raw: Mapping[str, Any] | None) -> ScreenGeometry | None:
    if raw is None:
        return None
    try:
        return ScreenGeometry.from_dict(raw)
    except InputError:
        return None


@dataclass(frozen=True, slots=True)
class _Step:
    """The geometry from ``from_unix_ns`` on."""

    from_unix_ns: int
    screen: ScreenGeometry | None
    viewing_distance_mm: float | None


class VisualAngle:
    """Converts a recording's screen points to degrees.

    Args:
        reports: the recording's calibration and validation results, oldest first.
        recording_screen: the screen in the recording's metadata (the client's at its start).
        screen_size_mm: the physical width and height of the client's viewport, given at export.
        viewing_distance_mm: the eye-to-screen distance, given at export.

    Raises:
        ValueError: a size or distance given is not positive.
    """

    def __init__(
        self,
        reports: Sequence[CalibrationReport],
        recording_screen: Mapping[str, Any] | None,
        *,
        screen_size_mm: tuple[float, float] | None = None,
        viewing_distance_mm: float | None = None,
    ) -> None:
        for value in (*(screen_size_mm or ()), viewing_distance_mm):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"screen sizes and distances must be positive and finite, got {value}"
                )
        self._screen_size_mm = screen_size_mm
        self._given_distance_mm = viewing_distance_mm
        screen = _screen(recording_screen)
        distance: float | None = None
        steps = [_Step(0, screen, None)]
        for report in reports:
            if report.kind is ReportKind.CALIBRATION:
                screen = _screen(report.screen) or screen
            distance = report.viewing_distance_mm or distance
            steps.append(_Step(report.sent_unix_ns, screen, distance))
        self._steps = steps
        self._starts = [step.from_unix_ns for step in steps]

    def _geometry(self, timestamp_unix_ns: int) -> tuple[float, float, float, float, float] | None:
        """Viewport width and height (CSS px), mm per CSS px on each axis, and the distance."""
        step = self._steps[bisect.bisect_right(self._starts, timestamp_unix_ns) - 1]
        screen = step.screen
        distance = self._given_distance_mm or step.viewing_distance_mm
        if screen is None or distance is None:
            return None
        size = self._screen_size_mm
        if size is None and screen.width_mm is not None and screen.height_mm is not None:
            size = (screen.width_mm, screen.height_mm)
        if size is None:
            return None
        width, height = screen.width_css_px, screen.height_css_px
        return width, height, size[0] / width, size[1] / height, distance

    def degrees(
        self, timestamp_unix_ns: int, x_css_px: float | None, y_css_px: float | None
    ) -> tuple[float | None, float | None]:
        """The point in degrees from the screen's centre (x right, y up); ``(None, None)``
        without a point or without the geometry."""
        if x_css_px is None or y_css_px is None:
            return None, None
        geometry = self._geometry(timestamp_unix_ns)
        if geometry is None:
            return None, None
        width, height, mm_per_px_x, mm_per_px_y, distance = geometry
        x_deg = visual_angle_deg((x_css_px - width / 2.0) * mm_per_px_x, distance)
        y_deg = visual_angle_deg((height / 2.0 - y_css_px) * mm_per_px_y, distance)
        return round(x_deg, _DEG_DIGITS), round(y_deg, _DEG_DIGITS)

    def describe(self) -> dict[str, Any]:
        """How the degrees were computed (or why not), for the export's metadata."""
        if self._screen_size_mm is not None:
            size_source = "given at export"
        elif any(step.screen is not None and step.screen.width_mm for step in self._steps):
            size_source = "reported by the client"
        else:
            size_source = None
        if self._given_distance_mm is not None:
            distance_source = "given at export"
        elif any(step.viewing_distance_mm for step in self._steps):
            distance_source = (
                "estimated by the server from the face at the latest calibration or validation "
                "before each sample (63 mm interpupillary distance, about +-10 %)"
            )
        else:
            distance_source = None
        missing = [
            what
            for what, source in (
                ("the screen's physical size", size_source),
                ("the viewing distance", distance_source),
            )
            if source is None
        ]
        return {
            "columns": ["screen_x_deg", "screen_y_deg"],
            "computed": not missing,
            "origin": "screen centre; x positive right, y positive up",
            "screen_size_source": size_source,
            "screen_size_mm": None if self._screen_size_mm is None else list(self._screen_size_mm),
            "viewing_distance_source": distance_source,
            "viewing_distance_mm": self._given_distance_mm
            if self._given_distance_mm is not None
            else [
                {"from_unix_ns": step.from_unix_ns, "viewing_distance_mm": step.viewing_distance_mm}
                for step in self._steps
                if step.viewing_distance_mm is not None
            ],
            "empty_because": None if not missing else f"{' and '.join(missing)} unknown",
        }

    def viewing_distance_m(self) -> float | None:
        """The distance for a single-valued field (BIDS ``ScreenDistance``): the one given, or
        the latest estimate; ``None`` without one."""
        distance = self._given_distance_mm or self._steps[-1].viewing_distance_mm
        return None if distance is None else round(distance / 1000.0, 4)
