"""How finely the wire records round what they send, where more than one record needs it."""

from __future__ import annotations

from typing import Final

SCREEN_DIGITS: Final = 1
"""Screen points to a tenth of a CSS pixel: far below the calibrated accuracy."""


def round_optional(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
