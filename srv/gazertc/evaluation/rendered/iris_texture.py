"""A procedural iris for the rendered-eye SIMULATION: radial fibres, a collarette, crypts, a dark
limbus ring and a pupil, evaluated at any point of the iris disc.

Coordinates are polar on the iris plane: ``radius_fraction`` is the distance from the iris centre
over the iris radius (0 at the centre, 1 at the limbus) and ``angle_rad`` the angle about the
optical axis in the eye's own frame, so the pattern turns with the eye. Colours are BGR, 0-255.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "IRIS_COLOURS_BGR",
    "PUPIL_RADIUS_FRACTION",
    "IrisAppearance",
    "iris_colour_bgr",
]

FloatArray = npt.NDArray[np.float64]

PUPIL_RADIUS_FRACTION: Final = 2.0 / 5.9
"""Pupil radius 2 mm of the 5.9 mm iris: a 4 mm pupil, typical in office light."""

COLLARETTE_RADIUS_FRACTION: Final = 0.55
"""The collarette (the jagged ring between pupillary and ciliary zones) sits at about a third of
the way from the pupil margin to the limbus."""

LIMBUS_RING_START_FRACTION: Final = 0.82
"""The dark limbal ring darkens the outer ~18 % of the iris radius (about 1 mm wide)."""

LIMBUS_RING_DARKEST: Final = 0.35
"""Brightness left at the limbus itself: the ring is clearly darker than the iris it frames."""

FIBRE_COUNT: Final = 9
"""Sinusoids summed for the radial fibres; enough for an irregular, non-repeating pattern."""

CRYPT_COUNT: Final = 7
"""Dark lacunae (Fuchs' crypts) scattered over the ciliary zone."""

PUPIL_BGR: Final = (10.0, 10.0, 12.0)
"""The pupil reflects almost nothing back to a camera away from the light."""

IRIS_COLOURS_BGR: Final = (
    (28.0, 48.0, 82.0),  # dark brown
    (40.0, 78.0, 120.0),  # hazel
    (135.0, 112.0, 88.0),  # blue-grey
    (72.0, 108.0, 92.0),  # green
)
"""Base colours drawn per face: the common adult iris colours, darkest first."""


@dataclass(frozen=True, slots=True)
class IrisAppearance:
    """The parameters of one iris pattern (see :meth:`random`)."""

    base_bgr: tuple[float, float, float]
    fibre_cycles: tuple[int, ...]
    fibre_phases_rad: tuple[float, ...]
    fibre_amplitudes: tuple[float, ...]
    collarette_phases_rad: tuple[float, float, float]
    crypt_radius_fractions: tuple[float, ...]
    crypt_angles_rad: tuple[float, ...]

    @classmethod
    def random(cls, rng: np.random.Generator) -> IrisAppearance:
        """A plausible iris: a common colour, irregular fibres, a jagged collarette, crypts."""
        colour = IRIS_COLOURS_BGR[int(rng.integers(len(IRIS_COLOURS_BGR)))]
        return cls(
            base_bgr=colour,
            fibre_cycles=tuple(int(value) for value in rng.integers(18, 90, FIBRE_COUNT)),
            fibre_phases_rad=tuple(
                float(value) for value in rng.uniform(0, 2 * math.pi, FIBRE_COUNT)
            ),
            fibre_amplitudes=tuple(float(value) for value in rng.uniform(0.3, 1.0, FIBRE_COUNT)),
            collarette_phases_rad=(
                float(rng.uniform(0, 2 * math.pi)),
                float(rng.uniform(0, 2 * math.pi)),
                float(rng.uniform(0, 2 * math.pi)),
            ),
            crypt_radius_fractions=tuple(
                float(value) for value in rng.uniform(0.6, 0.8, CRYPT_COUNT)
            ),
            crypt_angles_rad=tuple(
                float(value) for value in rng.uniform(0, 2 * math.pi, CRYPT_COUNT)
            ),
        )


def _smoothstep(edge0: float, edge1: float, values: FloatArray) -> FloatArray:
    t = np.clip((values - edge0) / (edge1 - edge0), 0.0, 1.0)
    result: FloatArray = t * t * (3.0 - 2.0 * t)
    return result


def _fibres(appearance: IrisAppearance, radius: FloatArray, angle: FloatArray) -> FloatArray:
    """Brightness factor around 1 from radial fibres that wander gently with the radius."""
    total = np.zeros_like(radius)
    wander = 0.08 * np.sin(9.0 * radius + appearance.collarette_phases_rad[0])
    for cycles, phase, amplitude in zip(
        appearance.fibre_cycles,
        appearance.fibre_phases_rad,
        appearance.fibre_amplitudes,
        strict=True,
    ):
        total += amplitude * np.sin(cycles * (angle + wander) + phase)
    weight = float(sum(appearance.fibre_amplitudes))
    result: FloatArray = 1.0 + 0.28 * total / weight * 2.0
    return result


def _collarette_radius(appearance: IrisAppearance, angle: FloatArray) -> FloatArray:
    first, second, third = appearance.collarette_phases_rad
    result: FloatArray = COLLARETTE_RADIUS_FRACTION + (
        0.035 * np.sin(5.0 * angle + first)
        + 0.025 * np.sin(11.0 * angle + second)
        + 0.015 * np.sin(23.0 * angle + third)
    )
    return result


def _crypts(appearance: IrisAppearance, radius: FloatArray, angle: FloatArray) -> FloatArray:
    """Brightness factor at most 1: soft dark spots."""
    factor = np.ones_like(radius)
    x, y = radius * np.cos(angle), radius * np.sin(angle)
    for crypt_radius, crypt_angle in zip(
        appearance.crypt_radius_fractions, appearance.crypt_angles_rad, strict=True
    ):
        dx = x - crypt_radius * math.cos(crypt_angle)
        dy = y - crypt_radius * math.sin(crypt_angle)
        factor *= 1.0 - 0.45 * np.exp(-(dx * dx + dy * dy) / (2.0 * 0.035**2))
    return factor


def iris_colour_bgr(
    appearance: IrisAppearance, radius_fraction: FloatArray, angle_rad: FloatArray
) -> FloatArray:
    """BGR colour (``(n, 3)``, 0-255) of iris points; radius fractions above 1 are not iris and
    come out as the darkest limbus colour.

    Args:
        appearance: the pattern.
        radius_fraction: ``(n,)`` distance from the iris centre over the iris radius.
        angle_rad: ``(n,)`` angle about the optical axis, in the eye's frame.
    """
    radius = np.asarray(radius_fraction, dtype=np.float64)
    angle = np.asarray(angle_rad, dtype=np.float64)
    base = np.array(appearance.base_bgr, dtype=np.float64)
    collarette = _collarette_radius(appearance, angle)
    # The pupillary zone inside the collarette is lighter and warmer than the ciliary zone.
    inside = 1.0 - _smoothstep(-0.03, 0.03, radius - collarette)
    ridge = np.exp(-((radius - collarette) ** 2) / (2.0 * 0.015**2))
    brightness = _fibres(appearance, radius, angle) * _crypts(appearance, radius, angle)
    brightness *= 1.0 + 0.25 * inside + 0.3 * ridge
    brightness *= 1.0 - (1.0 - LIMBUS_RING_DARKEST) * _smoothstep(
        LIMBUS_RING_START_FRACTION, 1.0, radius
    )
    warm = np.array([0.85, 1.0, 1.15])
    colour = base[None, :] * brightness[:, None] * (1.0 + inside[:, None] * (warm - 1.0))
    # A thin dark pigment ruff at the pupil margin, then the pupil itself.
    ruff = np.exp(-((radius - PUPIL_RADIUS_FRACTION - 0.02) ** 2) / (2.0 * 0.015**2))
    colour *= (1.0 - 0.5 * ruff)[:, None]
    pupil = _smoothstep(PUPIL_RADIUS_FRACTION + 0.01, PUPIL_RADIUS_FRACTION - 0.01, radius)
    colour = colour * (1.0 - pupil[:, None]) + np.array(PUPIL_BGR)[None, :] * pupil[:, None]
    result: FloatArray = np.clip(colour, 0.0, 255.0)
    return result
