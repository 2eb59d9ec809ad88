"""The client's screen, physical units, viewing distance, and display smoothing of screen points.

Units. Screen points are CSS pixels of the page (``x_css_px`` right, ``y_css_px`` down, origin at
the top-left of the viewport the client reports). A CSS pixel is nominally 1/96 inch, but real
displays differ (a 14-inch laptop at 1.25 scaling shows a CSS pixel as about 0.23 mm): the
physical size the client reports wins, and without it the nominal size is an *estimate* that
:attr:`ScreenGeometry.size_is_estimated` flags.

Visual angle. An offset of ``s`` millimetres on a screen seen from ``d`` millimetres subtends
``atan(s / d)``; the viewing distance is taken as the eye-to-camera distance (the camera sits on
the screen's edge), estimated from the face: the distance between the two iris centres (adult
interpupillary distance about 63 mm) or, with one eye, the iris diameter (about 11.7 mm), both
through the camera's focal length. For a point 20 degrees off the line of sight the true
distance is 6 % longer, so degrees near the screen's corners are overstated by up to that much.

Display smoothing: :class:`OneEuroFilter` (Casiraghi, Roussel and Vogel, CHI 2012), a low-pass
filter whose cutoff frequency rises with the speed of the signal: steady on fixations, little
lag on saccades.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gazertc.errors import InputError

__all__ = [
    "CSS_PX_PER_INCH",
    "INTERPUPILLARY_DISTANCE_MM",
    "IRIS_DIAMETER_MM",
    "MM_PER_INCH",
    "SCREEN_POINT_FILTER",
    "OneEuroFilter",
    "OneEuroParameters",
    "ScreenGeometry",
    "offset_cm_from_css_px",
    "offset_deg_from_css_px",
    "viewing_distance_from_interpupillary_mm",
    "viewing_distance_from_iris_mm",
    "visual_angle_deg",
]

CSS_PX_PER_INCH: Final = 96.0
"""The CSS reference pixel: 1/96 inch (used only when the client does not know its size)."""
MM_PER_INCH: Final = 25.4
INTERPUPILLARY_DISTANCE_MM: Final = 63.0
"""Adult mean interpupillary distance (about 57-70 mm across adults: a +-10 % distance error)."""
IRIS_DIAMETER_MM: Final = 11.7
"""Adult visible iris diameter (horizontal, about 11-12.5 mm across adults)."""
PHYSICAL_SIZE_TOLERANCE_MM: Final = 1.0
"""Two reports of the same monitor's size may round differently; a millimetre is the same screen."""


@dataclass(frozen=True, slots=True)
class ScreenGeometry:
    """The client's screen (the schema's ``screen``): viewport size in CSS pixels, the device
    pixel ratio (device pixels per CSS pixel; ``None`` when the client did not say, taken as 1),
    and the physical size of that area when known.

    Raises:
        InputError: a size or ratio is not positive and finite, or only one physical side is given.
    """

    width_css_px: int
    height_css_px: int
    device_pixel_ratio: float | None = None
    width_mm: float | None = None
    height_mm: float | None = None

    def __post_init__(self) -> None:
        if self.width_css_px <= 0 or self.height_css_px <= 0:
            raise InputError(
                f"screen size must be positive, got {self.width_css_px}x{self.height_css_px}"
            )
        ratio = self.device_pixel_ratio
        if ratio is not None and not (math.isfinite(ratio) and ratio > 0.0):
            raise InputError(f"device_pixel_ratio must be positive, got {ratio}")
        if (self.width_mm is None) != (self.height_mm is None):
            raise InputError("give both width_mm and height_mm, or neither")
        for value in (self.width_mm, self.height_mm):
            if value is not None and not (math.isfinite(value) and value > 0.0):
                raise InputError(f"physical screen size must be positive, got {value}")

    @classmethod
    def from_dict(cls, screen: Mapping[str, Any]) -> ScreenGeometry:
        """From the protocol's ``screen`` object (``width_px``/``height_px`` are CSS pixels).

        Numbers are kept as sent (an integer stays an integer), so that :meth:`to_dict` gives
        back the client's object exactly.

        Raises:
            InputError: a field is missing, not a number or out of range.
        """
        try:
            return cls(
                width_css_px=_integer(screen["width_px"]),
                height_css_px=_integer(screen["height_px"]),
                device_pixel_ratio=_optional_number(screen.get("device_pixel_ratio")),
                width_mm=_optional_number(screen.get("width_mm")),
                height_mm=_optional_number(screen.get("height_mm")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a screen description: {exc!r}") from exc

    def to_dict(self) -> dict[str, Any]:
        """The protocol's ``screen`` object: the fields that were given, nothing added."""
        screen: dict[str, Any] = {"width_px": self.width_css_px, "height_px": self.height_css_px}
        if self.device_pixel_ratio is not None:
            screen["device_pixel_ratio"] = self.device_pixel_ratio
        if self.width_mm is not None and self.height_mm is not None:
            screen["width_mm"] = self.width_mm
            screen["height_mm"] = self.height_mm
        return screen

    @property
    def pixel_ratio(self) -> float:
        """The device pixel ratio, 1 when the client did not give it."""
        return 1.0 if self.device_pixel_ratio is None else self.device_pixel_ratio

    @property
    def size_is_estimated(self) -> bool:
        """True when the physical size is the CSS nominal 96 per inch, not a measurement."""
        return self.width_mm is None

    @property
    def mm_per_css_px(self) -> float:
        """Millimetres per CSS pixel (the mean of both axes when the size is known)."""
        if self.width_mm is None or self.height_mm is None:
            return MM_PER_INCH / CSS_PX_PER_INCH
        return (self.width_mm / self.width_css_px + self.height_mm / self.height_css_px) / 2.0

    @property
    def diagonal_css_px(self) -> float:
        return math.hypot(self.width_css_px, self.height_css_px)

    def same_screen(self, other: ScreenGeometry) -> bool:
        """Same viewport, pixel ratio and (when both know it) physical size."""
        if (self.width_css_px, self.height_css_px) != (other.width_css_px, other.height_css_px):
            return False
        if not math.isclose(self.pixel_ratio, other.pixel_ratio, rel_tol=1e-6):
            return False
        if self.width_mm is None or other.width_mm is None:
            return True
        assert self.height_mm is not None and other.height_mm is not None
        return (
            abs(self.width_mm - other.width_mm) <= PHYSICAL_SIZE_TOLERANCE_MM
            and abs(self.height_mm - other.height_mm) <= PHYSICAL_SIZE_TOLERANCE_MM
        )


def _integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def _optional_number(value: object) -> float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise ValueError(f"expected a number, got {value!r}")


def _positive(value: float, what: str) -> float:
    if not (math.isfinite(value) and value > 0.0):
        raise InputError(f"{what} must be positive and finite, got {value}")
    return value


def viewing_distance_from_interpupillary_mm(
    interpupillary_px: float, focal_px: float, head_yaw_deg: float = 0.0
) -> float:
    """Eye-to-camera distance (mm) from the image distance between the two iris centres.

    A head turned by ``head_yaw_deg`` shows the eyes foreshortened by ``cos(yaw)``.

    Raises:
        InputError: a length is not positive, or the yaw is not within (-90, 90) degrees.
    """
    _positive(interpupillary_px, "the interpupillary distance in pixels")
    _positive(focal_px, "the focal length")
    if not abs(head_yaw_deg) < 90.0:
        raise InputError(f"head yaw must be within (-90, 90) degrees, got {head_yaw_deg}")
    return (
        focal_px
        * INTERPUPILLARY_DISTANCE_MM
        * math.cos(math.radians(head_yaw_deg))
        / (interpupillary_px)
    )


def viewing_distance_from_iris_mm(iris_diameter_px: float, focal_px: float) -> float:
    """Eye-to-camera distance (mm) from the iris diameter in the image (noisier: a 6 px iris
    measured 0.5 px off is 8 % off).

    Raises:
        InputError: a length is not positive.
    """
    _positive(iris_diameter_px, "the iris diameter in pixels")
    _positive(focal_px, "the focal length")
    return focal_px * IRIS_DIAMETER_MM / iris_diameter_px


def visual_angle_deg(offset_mm: float, viewing_distance_mm: float) -> float:
    """The angle (degrees) an offset of ``offset_mm`` subtends from ``viewing_distance_mm``.

    Raises:
        InputError: the distance is not positive or the offset is not finite.
    """
    _positive(viewing_distance_mm, "the viewing distance")
    if not math.isfinite(offset_mm):
        raise InputError(f"the offset must be finite, got {offset_mm}")
    return math.degrees(math.atan2(offset_mm, viewing_distance_mm))


def offset_cm_from_css_px(offset_css_px: float, screen: ScreenGeometry) -> float:
    """An on-screen length in CSS pixels, in centimetres (estimated when the size is unknown)."""
    return offset_css_px * screen.mm_per_css_px / 10.0


def offset_deg_from_css_px(
    offset_css_px: float, screen: ScreenGeometry, viewing_distance_mm: float
) -> float:
    """An on-screen length in CSS pixels, in degrees of visual angle at that distance.

    Raises:
        InputError: the distance is not positive or the offset not finite.
    """
    return visual_angle_deg(offset_css_px * screen.mm_per_css_px, viewing_distance_mm)


@dataclass(frozen=True, slots=True)
class OneEuroParameters:
    """``min_cutoff_hz``: the cutoff at rest (lower: steadier fixations, more lag when slow);
    ``beta_s_per_px``: how fast the cutoff rises with speed, Hz per (px/s) (higher: less lag on
    saccades); ``derivative_cutoff_hz`` smooths the speed estimate itself. A gap over
    ``max_dt_s`` restarts the filter.

    Raises:
        InputError: a parameter is not positive (``beta_s_per_px`` may be 0).
    """

    min_cutoff_hz: float
    beta_s_per_px: float
    derivative_cutoff_hz: float = 1.0
    max_dt_s: float = 0.5

    def __post_init__(self) -> None:
        _positive(self.min_cutoff_hz, "min_cutoff_hz")
        _positive(self.derivative_cutoff_hz, "derivative_cutoff_hz")
        _positive(self.max_dt_s, "max_dt_s")
        if not (math.isfinite(self.beta_s_per_px) and self.beta_s_per_px >= 0.0):
            raise InputError(f"beta_s_per_px must be >= 0, got {self.beta_s_per_px}")


SCREEN_POINT_FILTER: Final = OneEuroParameters(min_cutoff_hz=0.5, beta_s_per_px=0.002)
"""Chosen by a sweep at 30 Hz with 30 px white noise per axis (min cutoff 0.3-1.2 Hz, beta
0.001-0.008): sample-to-sample jitter falls about 7x on a fixation while a 600 px saccade
reaches 90 % in 3 frames (beta 0.001: 4 frames; 0.004: 2-3 frames but only 5x less jitter).
tests/vision/test_calibration.py checks both."""


def _smoothing_factor(dt_s: float, cutoff_hz: float) -> float:
    time_constant_s = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + time_constant_s / dt_s)


class OneEuroFilter:
    """One Euro filter of a 2D point; the two axes share one cutoff (driven by the speed's
    magnitude) so that a diagonal saccade is not bent."""

    def __init__(self, parameters: OneEuroParameters = SCREEN_POINT_FILTER) -> None:
        self.parameters = parameters
        self._point: tuple[float, float] | None = None
        self._velocity_px_s = (0.0, 0.0)
        self._last_s = 0.0

    def reset(self) -> None:
        """Forget the state; the next point is taken as it is."""
        self._point = None
        self._velocity_px_s = (0.0, 0.0)

    def update(self, x_px: float, y_px: float, timestamp_s: float) -> tuple[float, float]:
        """Fold in a point measured at ``timestamp_s`` (seconds, any origin) and return the
        smoothed point. Restarts on a time step that is not positive or exceeds ``max_dt_s``.

        Raises:
            InputError: a coordinate is not finite.
        """
        if not (math.isfinite(x_px) and math.isfinite(y_px)):
            raise InputError(f"a screen point must be finite, got ({x_px}, {y_px})")
        dt_s = timestamp_s - self._last_s
        self._last_s = timestamp_s
        previous = self._point
        if previous is None or not 0.0 < dt_s <= self.parameters.max_dt_s:
            self._point = (x_px, y_px)
            self._velocity_px_s = (0.0, 0.0)
            return self._point
        parameters = self.parameters
        raw_vx, raw_vy = (x_px - previous[0]) / dt_s, (y_px - previous[1]) / dt_s
        velocity_factor = _smoothing_factor(dt_s, parameters.derivative_cutoff_hz)
        vx = self._velocity_px_s[0] + velocity_factor * (raw_vx - self._velocity_px_s[0])
        vy = self._velocity_px_s[1] + velocity_factor * (raw_vy - self._velocity_px_s[1])
        self._velocity_px_s = (vx, vy)
        cutoff_hz = parameters.min_cutoff_hz + parameters.beta_s_per_px * math.hypot(vx, vy)
        factor = _smoothing_factor(dt_s, cutoff_hz)
        self._point = (
            previous[0] + factor * (x_px - previous[0]),
            previous[1] + factor * (y_px - previous[1]),
        )
        return self._point
