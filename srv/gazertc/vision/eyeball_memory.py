"""A per-session estimate of where each eyeball centre sits in the head.

The corner anchor (:mod:`gazertc.vision.gaze`) places each eyeball from that frame's two eye
corners, so every wobble of the landmark fit moves the eyeball, and the gaze with it: on rendered
eyes (a simulation, docs/rendered-eyes.md) the corners move 0.6-1 px frame to frame on a still
face while the iris moves 0.2-0.5 px. The corners are fixed in the head, so their eyeball centre,
expressed in the head frame, is a constant of the person. This memory averages it over recent
frames; the tracker then places the eyeball by each frame's head pose. Head motion is followed at
once through the pose, with no smoothing lag; only the head-frame offset is averaged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from gazertc.vision.types import EyeSide

__all__ = ["EyeballMemory"]

Vector = npt.NDArray[np.float64]


class EyeballMemory:
    """Running mean of each eye's eyeball centre in the head frame over the last ~``frames``.

    The first ``frames`` observations are averaged with equal weights, later ones exponentially
    (weight ``1 / frames``), so the estimate settles fast after a reset and then follows slow
    changes (a person replaced in front of the camera without a lost face).
    """

    def __init__(self, frames: int) -> None:
        if frames < 1:
            raise ValueError(f"frames must be at least 1, got {frames}")
        self.frames = frames
        self._means: dict[EyeSide, Vector] = {}
        self._counts: dict[EyeSide, int] = {}

    def reset(self) -> None:
        self._means.clear()
        self._counts.clear()

    def update(self, observed_mm: Mapping[EyeSide, Vector]) -> dict[EyeSide, Vector]:
        """Fold in one frame's observed centres; return the current estimates (copies)."""
        for side, centre in observed_mm.items():
            count = min(self._counts.get(side, 0) + 1, self.frames)
            self._counts[side] = count
            previous = self._means.get(side)
            if previous is None:
                self._means[side] = np.array(centre, dtype=np.float64)
            else:
                self._means[side] = previous + (centre - previous) / count
        return {side: mean.copy() for side, mean in self._means.items()}
