"""The SIMULATION's eye: a 3D eyeball with a cornea, an iris, a pupil, a sclera and a corneal
glint, ray-traced through a pinhole camera.

Geometry (millimetres, camera frame: x right, y down, z into the scene, camera at the origin):
a scleral sphere of :data:`EYEBALL_RADIUS_MM` about the centre of rotation; the iris is a flat
disc of :data:`IRIS_RADIUS_MM` whose rim (the limbus) lies on that sphere, at
:data:`LIMBUS_PLANE_MM` along the optical axis; the cornea is a sphere of
:data:`CORNEA_RADIUS_MM` through the limbus, and refracts the rays that reach the iris (one
refracting surface with the keratometric index, as in simplified schematic eyes). The glint is
the corneal reflection of one small lamp. The visual axis, which points at what the eye looks at,
is offset from the optical axis by angle kappa (:data:`KAPPA_NASAL_DEG`,
:data:`KAPPA_UP_DEG`); the offset is applied to the yaw and pitch angles, which is exact for a
gaze straight ahead and within a few hundredths of a degree over the benchmark's gazes.

Angles follow :mod:`gazertc.vision.gaze`: ``(0, 0)`` is the direction ``(0, 0, -1)`` (towards
the camera), yaw positive towards the image's right, pitch positive upwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gazertc.evaluation.rendered.iris_texture import IrisAppearance, iris_colour_bgr
from gazertc.vision.gaze import angles_from_direction
from gazertc.vision.headpose import CameraIntrinsics, rotation_from_angles
from gazertc.vision.types import EyeSide, PointPx

__all__ = [
    "CORNEA_RADIUS_MM",
    "EYEBALL_RADIUS_MM",
    "IRIS_RADIUS_MM",
    "KAPPA_NASAL_DEG",
    "KAPPA_UP_DEG",
    "LIMBUS_PLANE_MM",
    "EyeRender",
    "EyeballPose",
    "PixelBox",
    "optical_axis_angles",
    "project_px",
    "render_eyeball",
]

FloatArray = npt.NDArray[np.float64]

EYEBALL_RADIUS_MM: Final = 12.0
"""Adult axial eye length is about 24 mm (Gullstrand's schematic eye)."""

IRIS_RADIUS_MM: Final = 5.9
"""Half the adult horizontal visible iris diameter, about 11.8 mm."""

LIMBUS_PLANE_MM: Final = math.sqrt(EYEBALL_RADIUS_MM**2 - IRIS_RADIUS_MM**2)
"""Centre of rotation to the iris plane (about 10.45 mm): the limbus lies on the scleral sphere."""

CORNEA_RADIUS_MM: Final = 7.8
"""Anterior corneal radius of curvature, 7.7-7.8 mm in schematic eyes (Gullstrand, Le Grand)."""

CORNEA_CENTRE_MM: Final = LIMBUS_PLANE_MM - math.sqrt(CORNEA_RADIUS_MM**2 - IRIS_RADIUS_MM**2)
"""Centre of rotation to the corneal sphere's centre, so that the cornea meets the sclera at the
limbus (about 5.3 mm; the corneal apex is then 2.7 mm in front of the iris, a typical anterior
chamber depth)."""

REFRACTIVE_INDEX: Final = 1.3375
"""Keratometric index: cornea and aqueous humour treated as one refracting surface."""

KAPPA_NASAL_DEG: Final = 5.0
"""The visual axis lies about 5 degrees nasal of the optical axis (angle kappa; Le Grand's
schematic eye, and the value model-based gaze trackers such as Guestrin and Eizenman's assume)."""

KAPPA_UP_DEG: Final = 1.5
"""...and about 1.5 degrees above it (the fovea sits slightly below the optical axis)."""

LIGHT_POSITION_MM: Final = (0.0, -120.0, 0.0)
"""A lamp 12 cm above the camera: the glint then sits just above the pupil, as a desk lamp's or
the screen's does."""

LIGHT_RADIUS_MM: Final = 60.0
"""Radius of the lamp (a lamp shade, or a bright patch of screen): a glint of one or two pixels
at webcam distances."""

SCLERA_BGR: Final = (200.0, 208.0, 222.0)
"""Slightly warm white: a healthy sclera is not paper-white."""

SCLERA_PERIPHERY_BGR: Final = (150.0, 158.0, 200.0)
"""Pinker and darker towards the corners, where the conjunctiva carries more vessels."""

AMBIENT_LIGHT: Final = 0.55
"""Share of the light that does not depend on the surface's orientation (room light)."""

IRIS_LIGHT: Final = 0.9
"""The iris is lit through the cornea and is not shaded by orientation here."""

Colour = tuple[float, float, float]


def optical_axis_angles(
    side: EyeSide, visual_yaw_deg: float, visual_pitch_deg: float
) -> tuple[float, float]:
    """``(yaw_deg, pitch_deg)`` of the optical axis of an eye whose visual axis has these angles.

    Nasal is towards the image's right for the subject's right eye, its left for the left eye.
    """
    nasal_sign = 1.0 if side is EyeSide.RIGHT else -1.0
    return visual_yaw_deg - nasal_sign * KAPPA_NASAL_DEG, visual_pitch_deg - KAPPA_UP_DEG


@dataclass(frozen=True, slots=True, eq=False)
class EyeballPose:
    """Where one eyeball is and where it points.

    ``centre_mm`` is the centre of rotation in the camera frame; ``rotation`` the ``(3, 3)`` eye
    frame whose third column, negated, is the optical axis (its first two columns span the iris
    plane, so the iris pattern turns with the eye).
    """

    side: EyeSide
    centre_mm: FloatArray
    rotation: FloatArray

    @classmethod
    def looking_along(
        cls, side: EyeSide, centre_mm: FloatArray, visual_direction: FloatArray
    ) -> EyeballPose:
        """The eye at ``centre_mm`` whose visual axis points along ``visual_direction``."""
        yaw_deg, pitch_deg = angles_from_direction(visual_direction)
        optical_yaw_deg, optical_pitch_deg = optical_axis_angles(side, yaw_deg, pitch_deg)
        rotation = rotation_from_angles(optical_yaw_deg, optical_pitch_deg, 0.0)
        return cls(side, np.asarray(centre_mm, dtype=np.float64), rotation)

    @property
    def optical_axis(self) -> FloatArray:
        axis: FloatArray = -self.rotation[:, 2]
        return axis

    @property
    def iris_centre_mm(self) -> FloatArray:
        """The centre of the iris disc (and pupil) in the camera frame."""
        centre: FloatArray = self.centre_mm + LIMBUS_PLANE_MM * self.optical_axis
        return centre


def project_px(points_mm: FloatArray, intrinsics: CameraIntrinsics) -> FloatArray:
    """Pinhole projection of ``(n, 3)`` (or ``(3,)``) camera-frame points to pixels."""
    points = np.atleast_2d(np.asarray(points_mm, dtype=np.float64))
    x_px = intrinsics.fx_px * points[:, 0] / points[:, 2] + intrinsics.cx_px
    y_px = intrinsics.fy_px * points[:, 1] / points[:, 2] + intrinsics.cy_px
    return np.stack([x_px, y_px], axis=1)


@dataclass(frozen=True, slots=True)
class PixelBox:
    """A rectangle of whole pixels: columns ``left .. left + width - 1``, likewise rows."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True, slots=True, eq=False)
class EyeRender:
    """One eyeball rendered over a pixel box.

    ``colour_bgr`` (``(height, width, 3)``, 0-255) is premultiplied by ``coverage``, the share of
    each pixel's sub-samples whose ray meets the eyeball. ``apparent_iris_centre_px`` is the
    centroid of the iris disc as the camera sees it through the cornea, lids ignored (``None``
    when no ray reaches the iris).
    """

    box: PixelBox
    colour_bgr: FloatArray
    coverage: FloatArray
    apparent_iris_centre_px: PointPx | None


def _sphere_entry(
    directions: FloatArray, centre_mm: FloatArray, radius_mm: float
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Distance along unit rays from the origin to where they enter a sphere, and which do."""
    along = directions @ centre_mm
    discriminant = along**2 - (float(centre_mm @ centre_mm) - radius_mm**2)
    hits = discriminant >= 0.0
    distance: FloatArray = along - np.sqrt(np.maximum(discriminant, 0.0))
    return distance, hits & (distance > 0.0)


def _lamp_term(points_mm: FloatArray, normals: FloatArray) -> FloatArray:
    """Diffuse shading factor in [AMBIENT_LIGHT, 1] from the lamp."""
    to_light = np.asarray(LIGHT_POSITION_MM) - points_mm
    to_light /= np.linalg.norm(to_light, axis=1, keepdims=True)
    lambert = np.clip(np.sum(normals * to_light, axis=1), 0.0, 1.0)
    result: FloatArray = AMBIENT_LIGHT + (1.0 - AMBIENT_LIGHT) * lambert
    return result


def _glint(points_mm: FloatArray, directions: FloatArray, normals: FloatArray) -> FloatArray:
    """0-1 brightness of the lamp's mirror image in the cornea, soft-edged."""
    reflected = directions - 2.0 * np.sum(directions * normals, axis=1, keepdims=True) * normals
    to_light = np.asarray(LIGHT_POSITION_MM) - points_mm
    along = np.sum(to_light * reflected, axis=1)
    miss_mm = np.linalg.norm(to_light - along[:, None] * reflected, axis=1)
    glint = np.clip((1.2 * LIGHT_RADIUS_MM - miss_mm) / (0.4 * LIGHT_RADIUS_MM), 0.0, 1.0)
    result: FloatArray = np.where(along > 0.0, glint, 0.0)
    return result


def _cornea_colour(
    pose: EyeballPose,
    appearance: IrisAppearance,
    directions: FloatArray,
    distances_mm: FloatArray,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Colour of rays entering the cornea, and which of them land on the iris disc."""
    points = directions * distances_mm[:, None]
    cornea_centre = pose.centre_mm + CORNEA_CENTRE_MM * pose.optical_axis
    normals = (points - cornea_centre) / CORNEA_RADIUS_MM
    ratio = 1.0 / REFRACTIVE_INDEX
    cos_in = -np.sum(directions * normals, axis=1)
    cos_out = np.sqrt(np.maximum(0.0, 1.0 - ratio**2 * (1.0 - cos_in**2)))
    refracted = ratio * directions + (ratio * cos_in - cos_out)[:, None] * normals
    axis = pose.optical_axis
    depth = ((pose.iris_centre_mm - points) @ axis) / (refracted @ axis)
    on_plane = points + depth[:, None] * refracted - pose.iris_centre_mm
    u_mm, v_mm = on_plane @ pose.rotation[:, 0], on_plane @ pose.rotation[:, 1]
    radius_fraction = np.hypot(u_mm, v_mm) / IRIS_RADIUS_MM
    colour = IRIS_LIGHT * iris_colour_bgr(appearance, radius_fraction, np.arctan2(v_mm, u_mm))
    glint = _glint(points, directions, normals)[:, None]
    colour = colour * (1.0 - glint) + 255.0 * glint
    return colour, radius_fraction <= 1.0


def _sclera_colour(
    pose: EyeballPose, directions: FloatArray, distances_mm: FloatArray
) -> FloatArray:
    points = directions * distances_mm[:, None]
    normals = (points - pose.centre_mm) / EYEBALL_RADIUS_MM
    # 0 beside the cornea, 1 where the sphere turns away towards the corners.
    periphery = np.clip((0.85 - normals @ pose.optical_axis) / 0.85, 0.0, 1.0)[:, None]
    base = np.array(SCLERA_BGR) * (1.0 - periphery) + np.array(SCLERA_PERIPHERY_BGR) * periphery
    result: FloatArray = base * _lamp_term(points, normals)[:, None]
    return result


def render_eyeball(
    pose: EyeballPose,
    appearance: IrisAppearance,
    intrinsics: CameraIntrinsics,
    box: PixelBox,
    supersample: int = 3,
) -> EyeRender:
    """Ray-trace one eyeball over ``box`` with ``supersample`` x ``supersample`` rays a pixel.

    Pixel centres are at integer coordinates, as :class:`CameraIntrinsics` assumes.
    """
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    xs = (box.left + np.arange(box.width)[:, None] + offsets[None, :]).ravel()
    ys = (box.top + np.arange(box.height)[:, None] + offsets[None, :]).ravel()
    grid_x, grid_y = np.meshgrid(xs, ys)
    sample_x, sample_y = grid_x.ravel(), grid_y.ravel()
    directions = np.stack(
        [
            (sample_x - intrinsics.cx_px) / intrinsics.fx_px,
            (sample_y - intrinsics.cy_px) / intrinsics.fy_px,
            np.ones_like(sample_x),
        ],
        axis=1,
    )
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    colour = np.zeros((len(sample_x), 3))
    covered = np.zeros(len(sample_x))

    cornea_centre = pose.centre_mm + CORNEA_CENTRE_MM * pose.optical_axis
    cornea_mm, cornea_hit = _sphere_entry(directions, cornea_centre, CORNEA_RADIUS_MM)
    axial_mm = (directions * cornea_mm[:, None] - pose.centre_mm) @ pose.optical_axis
    on_cornea = cornea_hit & (axial_mm >= LIMBUS_PLANE_MM)
    on_iris = np.zeros(len(sample_x), dtype=bool)
    if on_cornea.any():
        colour[on_cornea], on_iris[on_cornea] = _cornea_colour(
            pose, appearance, directions[on_cornea], cornea_mm[on_cornea]
        )
        covered[on_cornea] = 1.0
    sclera_mm, sclera_hit = _sphere_entry(directions, pose.centre_mm, EYEBALL_RADIUS_MM)
    on_sclera = sclera_hit & ~on_cornea
    if on_sclera.any():
        colour[on_sclera] = _sclera_colour(pose, directions[on_sclera], sclera_mm[on_sclera])
        covered[on_sclera] = 1.0

    apparent: PointPx | None = None
    if on_iris.any():
        apparent = (float(sample_x[on_iris].mean()), float(sample_y[on_iris].mean()))
    shape = (box.height, supersample, box.width, supersample)
    pixel_colour = colour.reshape(*shape, 3).mean(axis=(1, 3))
    coverage = covered.reshape(shape).mean(axis=(1, 3))
    return EyeRender(box, pixel_colour, coverage, apparent)
