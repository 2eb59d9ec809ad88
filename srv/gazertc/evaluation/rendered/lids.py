"""Lids that follow the eye up and down: an option of the rendered-eye SIMULATION.

By default the photographed lids stay where they are whatever the gaze. Real upper lids ride on
the eye: in steady fixation the upper lid takes about the same vertical angle as the eye (Becker
and Fuchs 1988, search coils in three people). A network trained on real eyes may read that
cue, and a still lid then tells it that the eye did not move.

With :class:`LidMotion`, the photograph around each eye opening is warped before the eyeball is
rendered behind it. The lid margins move along the normal to the corner line by their gain
times the eyeball's radius times the sine of the eye's vertical turn in the face (the optical
axis, which rests along the face's forward direction), most at the middle of the lid and not at
all at the corners. The skin above the upper lid and below the lower one moves with them, less
the farther it is from the margin. The corners stay, as on a real face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from gazertc.evaluation.rendered.eyeball import EYEBALL_RADIUS_MM, EyeballPose
from gazertc.evaluation.rendered.faces import PlacedFace
from gazertc.vision.gaze import angles_from_direction
from gazertc.vision.types import BgrImage

__all__ = ["LidMotion", "eye_turn_up_deg", "lid_curves", "lid_frame", "lid_shifts_px", "move_lids"]

FloatArray = npt.NDArray[np.float64]

UPPER_LID_GAIN: Final = 1.0
"""The upper lid turns as far as the eye in steady fixation (Becker and Fuchs 1988)."""

LOWER_LID_GAIN: Final = 0.3
"""The lower lid moves much less than the upper one; a third is assumed here, not measured."""

UPPER_SKIN_REACH_PER_EYE_WIDTH: Final = 0.6
"""The skin above the upper lid moves with it up to this far (in corner distances): the lid
fold, below the brow, which stays."""

LOWER_SKIN_REACH_PER_EYE_WIDTH: Final = 0.4
"""The skin below the lower lid moves with it up to this far (in corner distances)."""


@dataclass(frozen=True, slots=True)
class LidMotion:
    """How far each lid margin follows the eye's vertical turn (1: as far as the eye's front)."""

    upper_gain: float = UPPER_LID_GAIN
    lower_gain: float = LOWER_LID_GAIN


def eye_turn_up_deg(face: PlacedFace, pose: EyeballPose) -> float:
    """How far the eye's optical axis is turned up in the face, in degrees (negative: down)."""
    in_head = face.head_rotation.T @ pose.optical_axis
    return angles_from_direction(in_head)[1]


def lid_shifts_px(face: PlacedFace, pose: EyeballPose, lids: LidMotion) -> tuple[float, float]:
    """How far the upper and the lower lid margin move at the middle of the lid, in pixels along
    the normal to the corner line that points down the face (negative: up)."""
    front_rise_mm = EYEBALL_RADIUS_MM * math.sin(math.radians(eye_turn_up_deg(face, pose)))
    px_per_mm = face.intrinsics.fx_px / float(pose.iris_centre_mm[2])
    return (
        -lids.upper_gain * front_rise_mm * px_per_mm,
        -lids.lower_gain * front_rise_mm * px_per_mm,
    )


def lid_frame(points: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Origin (the image-left corner), unit axis along the corners, unit normal pointing down."""
    origin = points[0]
    axis = points[3] - points[0]
    axis = axis / np.linalg.norm(axis)
    return origin, axis, np.array([-axis[1], axis[0]])


def lid_curves(points: FloatArray) -> tuple[FloatArray, FloatArray, float]:
    """Cubic coefficients ``s(t)`` of the upper and lower lids in the lid frame, and the corner
    distance (``t`` runs from 0 to it)."""
    origin, axis, normal = lid_frame(points)
    relative = points - origin
    along, across = relative @ axis, relative @ normal
    upper = np.polyfit(along[[0, 1, 2, 3]], across[[0, 1, 2, 3]], 3)
    lower = np.polyfit(along[[3, 4, 5, 0]], across[[3, 4, 5, 0]], 3)
    return upper, lower, float(along[3])


def _margin_profile(along: FloatArray, length: float) -> FloatArray:
    """Share of the lid's middle shift at each position along the corner line: 1 at the middle,
    0 at and beyond the corners."""
    profile: FloatArray = np.clip(4.0 * along * (length - along) / length**2, 0.0, 1.0)
    return profile


def move_lids(
    image: BgrImage, points: FloatArray, upper_px: float, lower_px: float
) -> tuple[BgrImage, FloatArray]:
    """The image with one eye's lids moved by ``upper_px`` and ``lower_px`` at the lid's middle
    (see :func:`lid_shifts_px`), and the eye's six contour points (``(6, 2)``, dlib order) where
    the lids put them."""
    origin, axis, normal = lid_frame(points)
    along_points = (points - origin) @ axis
    length = float(along_points[3])
    shifts = np.zeros(6)
    shifts[[1, 2]] = upper_px * _margin_profile(along_points[[1, 2]], length)
    shifts[[4, 5]] = lower_px * _margin_profile(along_points[[4, 5]], length)
    moved: FloatArray = points + shifts[:, None] * normal
    upper, lower, _ = lid_curves(moved)
    across_moved = (moved - origin) @ normal

    reach_up = UPPER_SKIN_REACH_PER_EYE_WIDTH * length
    reach_down = LOWER_SKIN_REACH_PER_EYE_WIDTH * length
    top = float(across_moved.min()) - reach_up - abs(upper_px)
    bottom = float(across_moved.max()) + reach_down + abs(lower_px)
    corners = np.array(
        [origin + a * axis + s * normal for a in (0.0, length) for s in (top, bottom)]
    )
    left, upper_row = np.floor(corners.min(axis=0)).astype(int) - 1
    right, lower_row = np.ceil(corners.max(axis=0)).astype(int) + 2
    left, upper_row = max(0, int(left)), max(0, int(upper_row))
    right, lower_row = min(image.shape[1], int(right)), min(image.shape[0], int(lower_row))
    if right <= left or lower_row <= upper_row:
        return image.copy(), moved

    grid_x, grid_y = np.meshgrid(
        np.arange(left, right, dtype=np.float64), np.arange(upper_row, lower_row, dtype=np.float64)
    )
    relative = np.stack([grid_x - origin[0], grid_y - origin[1]], axis=-1)
    along = relative @ axis
    across = relative @ normal
    profile = _margin_profile(along, length)
    on_lid = np.clip(along, 0.0, length)
    upper_margin, lower_margin = np.polyval(upper, on_lid), np.polyval(lower, on_lid)
    upper_shift, lower_shift = upper_px * profile, lower_px * profile
    # Inside the opening the shift goes from one margin's to the other's (the eyeball is drawn
    # over it); outside, it fades to nothing over the skin's reach.
    gap = np.maximum(lower_margin - upper_margin, 1e-6)
    between = np.clip((across - upper_margin) / gap, 0.0, 1.0)
    shift = np.where(
        across <= upper_margin,
        upper_shift * np.clip(1.0 - (upper_margin - across) / reach_up, 0.0, 1.0),
        np.where(
            across >= lower_margin,
            lower_shift * np.clip(1.0 - (across - lower_margin) / reach_down, 0.0, 1.0),
            upper_shift + (lower_shift - upper_shift) * between,
        ),
    )
    # Each pixel takes the photograph's pixel from where its shift came from.
    map_x = (grid_x - shift * normal[0]).astype(np.float32)
    map_y = (grid_y - shift * normal[1]).astype(np.float32)
    result = image.copy()
    result[upper_row:lower_row, left:right] = cv2.remap(
        image, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )
    return result, moved
