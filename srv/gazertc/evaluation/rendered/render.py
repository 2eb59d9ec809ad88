"""Rendered eyeballs behind the real eyelids of a placed face (the rendered-eye SIMULATION).

The visible part of each eye is the eye opening that gazertc's own landmarks outline: its six
contour points, joined by a smooth curve per lid (a cubic through the two corners and the lid's
two points), with each edge pixel covered in proportion. Inside it the ray-traced eyeball
replaces the photograph's eye; where a ray passes beside the eyeball (the corners, wider than
the ball) the pink tissue of the caruncle and conjunctiva shows. The lids shade the eye's top
edge, and the whole eye takes the brightness and colourfulness of the skin around it. By
default the lids stay where the photograph has them whatever the gaze; real upper lids follow
the eye down and up, so the benchmark keeps vertical gazes small (or moves the lids with the
eye, :mod:`~gazertc.evaluation.rendered.lids`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from gazertc.evaluation.rendered.eyeball import (
    IRIS_RADIUS_MM,
    EyeballPose,
    PixelBox,
    project_px,
    render_eyeball,
)
from gazertc.evaluation.rendered.faces import PlacedFace
from gazertc.evaluation.rendered.iris_texture import IrisAppearance
from gazertc.evaluation.rendered.lids import (
    LidMotion,
    lid_curves,
    lid_frame,
    lid_shifts_px,
    move_lids,
)
from gazertc.vision.landmarks import eye_points
from gazertc.vision.types import BgrImage, EyeSide, PointPx

__all__ = ["RenderedEyes", "eye_opening_mask", "eye_opening_polygon", "render_eyes"]

FloatArray = npt.NDArray[np.float64]

LID_SAMPLES: Final = 24
"""Points per lid curve: smooth at any eye size used here (under 80 px wide)."""

MASK_SUPERSAMPLE: Final = 4
"""Sub-pixels per pixel side of the mask: 16 coverage levels, an edge placed to 1/4 px or better."""

MASK_SHIFT_BITS: Final = 4
"""Fractional bits of the outline's vertices when filled (1/16 of a sub-pixel)."""

UPPER_LID_SHADOW: Final = 0.45
"""The upper lid and its lashes darken the top of the eye by up to this share."""

LOWER_LID_SHADOW: Final = 0.15
"""The lower lid shades far less: light comes from above."""

LID_SHADOW_WIDTH_PER_EYE_WIDTH: Final = 0.08
"""How far the shade reaches into the eye (1/e), as a share of the corner distance."""

CORNER_TISSUE_BGR: Final = (105.0, 115.0, 170.0)
"""Caruncle and conjunctiva in the corners: pink, darker than the sclera."""

REFERENCE_SKIN_GREY: Final = 150.0
"""Skin grey level for which the eye's colours are drawn; other skin scales the eye."""

BRIGHTNESS_RANGE: Final = (0.35, 1.25)
"""Limits on that scaling: a dark photo dims the eye, but it stays an eye."""

REFERENCE_SKIN_CHROMA: Final = 35.0
"""Skin chroma (max minus min channel) of a colour photo; paler skin tones in a black-and-white
or washed-out photo desaturate the eye as much."""

IRIS_BOX_MARGIN: Final = 1.3
"""The render box covers the whole iris (in iris radii about its centre), lids ignored, so that
its apparent centre is known even when a lid covers part of it."""


@dataclass(frozen=True, slots=True, eq=False)
class RenderedEyes:
    """A face with rendered eyes, and where each iris truly appears (its centroid through the
    cornea, lids ignored; ``None`` when no ray reached that iris)."""

    image: BgrImage
    apparent_iris_centre_px: dict[EyeSide, PointPx | None]


def eye_opening_polygon(points: FloatArray) -> FloatArray:
    """The eye opening outlined by smooth lid curves through the six contour points (``(6, 2)``
    in dlib order), as ``(2 * LID_SAMPLES, 2)`` pixel points."""
    origin, axis, normal = lid_frame(points)
    upper, lower, length = lid_curves(points)
    along = np.linspace(0.0, length, LID_SAMPLES)
    top = np.polyval(upper, along)
    bottom = np.polyval(lower, along[::-1])
    curve_along = np.concatenate([along, along[::-1]])
    curve_across = np.concatenate([top, bottom])
    polygon: FloatArray = origin + curve_along[:, None] * axis + curve_across[:, None] * normal
    return polygon


def eye_opening_mask(polygon: FloatArray, box: PixelBox) -> FloatArray:
    """Coverage (0-1) of the polygon over the box: the share of each pixel's
    :data:`MASK_SUPERSAMPLE` x :data:`MASK_SUPERSAMPLE` sub-pixels inside it."""
    fine = MASK_SUPERSAMPLE
    canvas = np.zeros((box.height * fine, box.width * fine), dtype=np.uint8)
    # Sub-pixel k's centre is at (k + 0.5) / fine - 0.5 in the box's pixel coordinates.
    fine_points = ((polygon - [box.left, box.top]) + 0.5) * fine - 0.5
    scale = 1 << MASK_SHIFT_BITS
    cv2.fillPoly(canvas, [np.round(fine_points * scale).astype(np.int32)], 1, shift=MASK_SHIFT_BITS)
    coverage = canvas.reshape(box.height, fine, box.width, fine).mean(axis=(1, 3))
    result: FloatArray = coverage.astype(np.float64)
    return result


def _lid_shade(points: FloatArray, box: PixelBox) -> FloatArray:
    origin, axis, normal = lid_frame(points)
    upper, lower, length = lid_curves(points)
    grid_x, grid_y = np.meshgrid(
        box.left + np.arange(box.width, dtype=np.float64),
        box.top + np.arange(box.height, dtype=np.float64),
    )
    relative = np.stack([grid_x - origin[0], grid_y - origin[1]], axis=-1)
    along = np.clip(relative @ axis, 0.0, length)
    across = relative @ normal
    width = LID_SHADOW_WIDTH_PER_EYE_WIDTH * length
    below_upper = np.maximum(across - np.polyval(upper, along), 0.0)
    above_lower = np.maximum(np.polyval(lower, along) - across, 0.0)
    shade: FloatArray = (1.0 - UPPER_LID_SHADOW * np.exp(-below_upper / width)) * (
        1.0 - LOWER_LID_SHADOW * np.exp(-above_lower / width)
    )
    return shade


def _render_box(
    polygon: FloatArray, iris_px: FloatArray, iris_radius_px: float, shape: tuple[int, ...]
) -> PixelBox:
    reach = IRIS_BOX_MARGIN * iris_radius_px
    low = np.minimum(polygon.min(axis=0), iris_px - reach)
    high = np.maximum(polygon.max(axis=0), iris_px + reach)
    left, top = max(0, int(np.floor(low[0])) - 1), max(0, int(np.floor(low[1])) - 1)
    right = min(shape[1] - 1, int(np.ceil(high[0])) + 1)
    bottom = min(shape[0] - 1, int(np.ceil(high[1])) + 1)
    return PixelBox(left, top, right - left + 1, bottom - top + 1)


@dataclass(frozen=True, slots=True)
class _SkinTone:
    brightness: float
    """Median grey of the skin over :data:`REFERENCE_SKIN_GREY`, within :data:`BRIGHTNESS_RANGE`."""
    saturation: float
    """Median chroma of the skin over :data:`REFERENCE_SKIN_CHROMA`, at most 1."""


def _skin_tone(image: BgrImage, polygon: FloatArray) -> _SkinTone:
    """How bright and how colourful the skin is in a band around the eye opening."""
    low, high = polygon.min(axis=0), polygon.max(axis=0)
    reach = 0.5 * float(high[0] - low[0])
    top, bottom = max(0, int(low[1] - reach)), min(image.shape[0], int(high[1] + reach) + 1)
    left, right = max(0, int(low[0] - reach)), min(image.shape[1], int(high[0] + reach) + 1)
    region = image[top:bottom, left:right].astype(np.float64)
    outside = eye_opening_mask(polygon, PixelBox(left, top, right - left, bottom - top)) < 0.5
    if not outside.any():
        return _SkinTone(1.0, 1.0)
    skin = region[outside]
    grey = skin @ np.array([0.114, 0.587, 0.299])
    chroma = skin.max(axis=1) - skin.min(axis=1)
    low_limit, high_limit = BRIGHTNESS_RANGE
    brightness = float(np.median(grey)) / REFERENCE_SKIN_GREY
    saturation = float(np.median(chroma)) / REFERENCE_SKIN_CHROMA
    return _SkinTone(min(high_limit, max(low_limit, brightness)), min(1.0, saturation))


def render_eyes(
    face: PlacedFace,
    poses: Mapping[EyeSide, EyeballPose],
    appearance: IrisAppearance,
    supersample: int = 3,
    lids: LidMotion | None = None,
) -> RenderedEyes:
    """The placed face with each posed eyeball rendered behind its real lids (moved with the
    eye's vertical turn when ``lids`` says how, :mod:`~gazertc.evaluation.rendered.lids`)."""
    skin = face.image  # the face as the eyes sit in it, before any eye is drawn
    contours = {side: eye_points(face.landmarks_px, side) for side in poses}
    if lids is not None:
        for side, pose in poses.items():
            skin, contours[side] = move_lids(skin, contours[side], *lid_shifts_px(face, pose, lids))
    image = skin.copy()
    apparent: dict[EyeSide, PointPx | None] = {}
    for side, pose in poses.items():
        points = contours[side]
        polygon = eye_opening_polygon(points)
        iris_px = project_px(pose.iris_centre_mm, face.intrinsics)[0]
        iris_radius_px = face.intrinsics.fx_px * IRIS_RADIUS_MM / float(pose.iris_centre_mm[2])
        box = _render_box(polygon, iris_px, iris_radius_px, image.shape)
        eye = render_eyeball(pose, appearance, face.intrinsics, box, supersample)
        apparent[side] = eye.apparent_iris_centre_px
        tissue = (1.0 - eye.coverage)[..., None] * np.array(CORNER_TISSUE_BGR)
        tone = _skin_tone(skin, polygon)
        colour = (eye.colour_bgr + tissue) * (_lid_shade(points, box) * tone.brightness)[..., None]
        grey = colour @ np.array([0.114, 0.587, 0.299])
        colour = grey[..., None] + tone.saturation * (colour - grey[..., None])
        mask = eye_opening_mask(polygon, box)[..., None]
        rows = slice(box.top, box.top + box.height)
        columns = slice(box.left, box.left + box.width)
        blended = image[rows, columns] * (1.0 - mask) + colour * mask
        image[rows, columns] = np.clip(np.round(blended), 0, 255).astype(np.uint8)
    return RenderedEyes(image, apparent)
