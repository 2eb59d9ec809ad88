"""Gaze rays from the head pose and the iris centres: an eyeball model, one sphere per eye.

Each eyeball rotates about a centre that is fixed in the head. The iris centre moves on a sphere
about that centre (radius :data:`IRIS_SPHERE_RADIUS_MM`). The camera ray through the observed iris
centre pixel meets that sphere on the side facing the camera, and the unit vector from the eyeball
centre to that point is the eye's gaze direction.

Where the eyeball centre is (:class:`EyeballAnchor`). The face model is an average face, and a
real person's eyes sit a millimetre or two away from where the fitted model puts them. At webcam
distances a millimetre is about a pixel, and one degree of eye rotation moves the iris about
0.2 px, so a model-only eyeball centre carries a bias of several degrees per eye. What the image
does show reliably is where the iris sits between the two eye corners. The default,
:attr:`EyeballAnchor.CORNERS`, therefore places the eyeball centre relative to the *observed* eye
corners: each corner pixel is back-projected to the depth that the head pose gives that corner,
and the model's offset from the corners' midpoint to the eyeball centre, rotated by the head pose,
is added. :attr:`EyeballAnchor.MODEL` (the eyeball centre from the head pose alone) exists for
comparison: in the tests, for a face whose eyes sit 2.5 mm wider apart and higher than the
model's, it misses the true per-eye angles by 3.5-7.6 degrees, the corner anchor by under 1.5.
The price of the corner anchor is that corner jitter moves the eyeball centre. The tracker
therefore averages each corner-anchored centre in the head frame over about a second
(:func:`observed_eyeball_centres_head_mm`, :mod:`gazertc.vision.eyeball_memory`) and passes the
average back, so each frame places the eyeball by its head pose alone.

The model has no angle kappa (the visual axis is about 5 degrees nasal of the optical axis): the
eyeball centre is placed straight behind where the pupil sits when the eye looks straight ahead,
so for a straight-ahead gaze the direction is the visual axis. The per-user calibration absorbs
what remains. Signs follow :mod:`gazertc.vision.types`: gaze ``(0, 0)`` is the direction
``(0, 0, -1)``, yaw is positive towards the image's right and pitch positive upwards.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gazertc.errors import InputError
from gazertc.vision.headpose import (
    EYE_CORNER_LANDMARKS,
    FACE_MODEL_MM,
    CameraIntrinsics,
    as_landmark_array,
    rotation_matrix,
)
from gazertc.vision.types import EyeSide, GazeDirection, HeadPose, PointPx, Vector3

__all__ = [
    "EYEBALL_CENTRE_ABOVE_CORNERS_MM",
    "EYEBALL_CENTRE_DEPTH_MM",
    "EYEBALL_CENTRE_HALF_SEPARATION_MM",
    "EYEBALL_RADIUS_MM",
    "IRIS_RADIUS_MM",
    "IRIS_SPHERE_RADIUS_MM",
    "RAY_MISS_ZERO_WEIGHT_MM",
    "EyeGaze",
    "EyeballAnchor",
    "GazeEstimate",
    "IrisCentre",
    "angles_from_direction",
    "direction_from_angles",
    "estimate_gaze",
    "eyeball_centre_head_mm",
    "eyeball_centre_mm",
    "gaze_from_iris_px",
    "observed_eyeball_centres_head_mm",
]

EYEBALL_RADIUS_MM: Final = 12.0
"""Radius of the scleral sphere: adult axial eye length is about 24 mm."""

IRIS_RADIUS_MM: Final = 5.9
"""Half the adult visible iris diameter (about 11.8 mm)."""

IRIS_SPHERE_RADIUS_MM: Final = math.sqrt(EYEBALL_RADIUS_MM**2 - IRIS_RADIUS_MM**2)
"""Eyeball centre to iris centre (about 10.4 mm): the limbus lies on the scleral sphere."""

EYEBALL_CENTRE_HALF_SEPARATION_MM: Final = 31.5
"""Half the adult interpupillary distance (about 63 mm): centres sit behind the pupils."""

EYEBALL_CENTRE_DEPTH_MM: Final = 21.5
"""Head-frame z of the centres: corneal apex at 8 mm, then 13.5 mm to the centre of rotation."""

EYEBALL_CENTRE_ABOVE_CORNERS_MM: Final = 2.5
"""The iris of an eye looking ahead sits above the line through dlib's two eye corners: measured
0.07-0.12 of the corner distance (26.5 mm in the model) as the median over the shared videos of
people looking at or near the camera (cap12 0.073, Talking Face 0.117). Without this offset every
gaze read 14-22 degrees upwards there."""

RAY_MISS_ZERO_WEIGHT_MM: Final = 2.0
"""An iris seen 2 mm (about 2 px at 60 cm) outside its eyeball is a localisation error, not gaze."""

IrisCentre = tuple[PointPx, float]
"""One eye's iris centre ``(x_px, y_px)`` in full-frame pixels and its confidence (0 to 1)."""

_SIDE_SIGN_X: Final = {EyeSide.RIGHT: -1.0, EyeSide.LEFT: 1.0}
"""Sign of each eye's x in the head frame (x points to the subject's left)."""


class EyeballAnchor(StrEnum):
    """Where the eyeball centre comes from (see the module docstring)."""

    CORNERS = "corners"
    """The observed eye corners at the head pose's depth, plus the model's offset behind them."""
    MODEL = "model"
    """The face model's eyeball centre, placed by the head pose alone."""


@dataclass(frozen=True, slots=True)
class EyeGaze:
    """One eye's gaze ray in the camera frame.

    ``weight`` (0 to 1) is the eye's share in the combined gaze: its iris confidence, lowered
    linearly to 0 as ``ray_miss_mm`` (how far the iris ray passes outside the iris sphere, 0 when
    it hits) grows to :data:`RAY_MISS_ZERO_WEIGHT_MM`.
    """

    side: EyeSide
    yaw_deg: float
    pitch_deg: float
    eyeball_centre_mm: Vector3
    direction: Vector3
    weight: float
    ray_miss_mm: float


@dataclass(frozen=True, slots=True)
class GazeEstimate:
    """Both eyes' rays and their combination; ``combined`` is ``None`` when no eye has weight."""

    combined: GazeDirection | None
    eyes: tuple[EyeGaze, ...]

    def eye(self, side: EyeSide) -> EyeGaze | None:
        return next((eye for eye in self.eyes if eye.side is side), None)

    @property
    def per_eye(self) -> dict[EyeSide, tuple[float, float]]:
        """``(yaw_deg, pitch_deg)`` of each eye that has a ray, whatever its weight."""
        return {eye.side: (eye.yaw_deg, eye.pitch_deg) for eye in self.eyes}


def angles_from_direction(direction: ArrayLike) -> tuple[float, float]:
    """``(yaw_deg, pitch_deg)`` of a direction in the camera frame (need not be unit length).

    Yaw in (-180, 180] is positive towards the image's right, pitch in [-90, 90] positive upwards;
    ``(0, 0, -1)`` (back towards the camera) is ``(0, 0)``.

    Raises:
        InputError: the direction is not a finite, non-zero 3-vector.
    """
    vector = np.asarray(direction, dtype=np.float64)
    if vector.shape != (3,) or not np.isfinite(vector).all():
        raise InputError(f"a direction must be a finite 3-vector, got {vector!r}")
    x, y, z = float(vector[0]), float(vector[1]), float(vector[2])
    horizontal = math.hypot(x, z)
    if horizontal == 0.0 and y == 0.0:
        raise InputError("a direction must not be the zero vector")
    return math.degrees(math.atan2(x, -z)), math.degrees(math.atan2(-y, horizontal))


def direction_from_angles(yaw_deg: float, pitch_deg: float) -> NDArray[np.float64]:
    """The unit direction with these angles (inverse of :func:`angles_from_direction`).

    Raises:
        InputError: an angle is not finite.
    """
    if not (math.isfinite(yaw_deg) and math.isfinite(pitch_deg)):
        raise InputError(f"angles must be finite, got yaw={yaw_deg}, pitch={pitch_deg}")
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    return np.array(
        [math.cos(pitch) * math.sin(yaw), -math.sin(pitch), -math.cos(pitch) * math.cos(yaw)]
    )


def eyeball_centre_head_mm(side: EyeSide) -> NDArray[np.float64]:
    """The model's eyeball centre of one eye in the head frame, millimetres."""
    return np.array(
        [
            _SIDE_SIGN_X[side] * EYEBALL_CENTRE_HALF_SEPARATION_MM,
            -EYEBALL_CENTRE_ABOVE_CORNERS_MM,
            EYEBALL_CENTRE_DEPTH_MM,
        ]
    )


def _point_px(point: PointPx, what: str) -> tuple[float, float]:
    x_px, y_px = float(point[0]), float(point[1])
    if not (math.isfinite(x_px) and math.isfinite(y_px)):
        raise InputError(f"{what} must be finite, got {point}")
    return x_px, y_px


def _back_project(point: PointPx, intrinsics: CameraIntrinsics, what: str) -> NDArray[np.float64]:
    """The camera ray through an image point, scaled to unit depth (z = 1)."""
    x_px, y_px = _point_px(point, what)
    return np.array(
        [
            (x_px - intrinsics.cx_px) / intrinsics.fx_px,
            (y_px - intrinsics.cy_px) / intrinsics.fy_px,
            1.0,
        ]
    )


def _pose_arrays(head_pose: HeadPose) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    translation_mm = np.array(head_pose.translation_mm, dtype=np.float64)
    if not np.isfinite(translation_mm).all() or translation_mm[2] <= 0.0:
        raise InputError(f"the head must be in front of the camera, got {head_pose.translation_mm}")
    return rotation_matrix(head_pose), translation_mm


def _eyeball_centre(
    side: EyeSide,
    *,
    rotation: NDArray[np.float64],
    translation_mm: NDArray[np.float64],
    intrinsics: CameraIntrinsics,
    landmarks: NDArray[np.float64],
    anchor: EyeballAnchor,
) -> NDArray[np.float64]:
    centre_head_mm = eyeball_centre_head_mm(side)
    if anchor is EyeballAnchor.MODEL:
        result: NDArray[np.float64] = rotation @ centre_head_mm + translation_mm
        return result
    corner_indices = EYE_CORNER_LANDMARKS[side]
    corners_head_mm = np.array(
        [FACE_MODEL_MM[corner_indices.inner], FACE_MODEL_MM[corner_indices.outer]]
    )
    corner_depths_mm = (corners_head_mm @ rotation.T + translation_mm)[:, 2]
    corners_px = landmarks[[corner_indices.inner, corner_indices.outer]]
    observed_corners_mm = [
        _back_project((float(x_px), float(y_px)), intrinsics, "an eye corner") * depth_mm
        for (x_px, y_px), depth_mm in zip(corners_px, corner_depths_mm, strict=True)
    ]
    observed_midpoint_mm = (observed_corners_mm[0] + observed_corners_mm[1]) / 2.0
    offset_head_mm = centre_head_mm - corners_head_mm.mean(axis=0)
    centre_mm: NDArray[np.float64] = observed_midpoint_mm + rotation @ offset_head_mm
    return centre_mm


def eyeball_centre_mm(
    side: EyeSide,
    head_pose: HeadPose,
    intrinsics: CameraIntrinsics,
    landmarks_px: ArrayLike,
    anchor: EyeballAnchor = EyeballAnchor.CORNERS,
) -> NDArray[np.float64]:
    """One eye's eyeball centre in the camera frame, millimetres (see :class:`EyeballAnchor`).

    ``landmarks_px`` are the ``(68, 2)`` landmarks the pose was fitted to; the corner anchor
    reads the eye's corners from them (39/36 for the right eye, 42/45 for the left).

    Raises:
        InputError: the head is not in front of the camera, or the landmarks are not a finite
            ``(68, 2)`` array.
    """
    rotation, translation_mm = _pose_arrays(head_pose)
    landmarks = as_landmark_array(landmarks_px)
    return _eyeball_centre(
        side,
        rotation=rotation,
        translation_mm=translation_mm,
        intrinsics=intrinsics,
        landmarks=landmarks,
        anchor=anchor,
    )


def observed_eyeball_centres_head_mm(
    head_pose: HeadPose, intrinsics: CameraIntrinsics, landmarks_px: ArrayLike
) -> dict[EyeSide, NDArray[np.float64]]:
    """Each eye's corner-anchored eyeball centre, expressed in the head frame (millimetres).

    The eye corners move rigidly with the head, so for one person these points are constant; a
    caller can average them over frames and pass the average back to :func:`estimate_gaze`.

    Raises:
        InputError: the head is not in front of the camera, or the landmarks are not a finite
            ``(68, 2)`` array.
    """
    rotation, translation_mm = _pose_arrays(head_pose)
    landmarks = as_landmark_array(landmarks_px)
    return {
        side: rotation.T
        @ (
            _eyeball_centre(
                side,
                rotation=rotation,
                translation_mm=translation_mm,
                intrinsics=intrinsics,
                landmarks=landmarks,
                anchor=EyeballAnchor.CORNERS,
            )
            - translation_mm
        )
        for side in EyeSide
    }


def gaze_from_iris_px(
    eyeball_centre_camera_mm: ArrayLike,
    iris_centre_px: PointPx,
    intrinsics: CameraIntrinsics,
) -> tuple[NDArray[np.float64], float]:
    """The gaze direction of an eye whose iris centre is seen at ``iris_centre_px``.

    The camera ray through the iris pixel is intersected with the sphere of radius
    :data:`IRIS_SPHERE_RADIUS_MM` about the eyeball centre, at the entry point (the hemisphere
    facing the camera). When the ray misses the sphere, the iris is taken at the point of the
    sphere closest to the ray, which is on the eyeball's outline as the camera sees it (the gaze
    then points at right angles to the ray), and the miss distance is returned so that the
    caller can lower its trust.

    Returns:
        ``(direction, ray_miss_mm)``: a unit vector in the camera frame, and how far the ray
        passes outside the sphere (0 when it hits).

    Raises:
        InputError: the eyeball centre is not a finite 3-vector in front of the camera, or the
            iris pixel is not finite.
    """
    centre = np.asarray(eyeball_centre_camera_mm, dtype=np.float64)
    if centre.shape != (3,) or not np.isfinite(centre).all() or centre[2] <= 0.0:
        raise InputError(f"the eyeball centre must be a finite 3-vector with z > 0, got {centre!r}")
    ray = _back_project(iris_centre_px, intrinsics, "the iris centre")
    ray /= math.sqrt(float(ray @ ray))
    along_ray_mm = float(ray @ centre)
    off_ray = ray * along_ray_mm - centre
    off_ray_mm = math.sqrt(float(off_ray @ off_ray))
    if off_ray_mm <= IRIS_SPHERE_RADIUS_MM:
        entry_mm = along_ray_mm - math.sqrt(IRIS_SPHERE_RADIUS_MM**2 - off_ray_mm**2)
        direction = ray * entry_mm - centre
        return direction / math.sqrt(float(direction @ direction)), 0.0
    return off_ray / off_ray_mm, off_ray_mm - IRIS_SPHERE_RADIUS_MM


def _vector3(values: NDArray[np.float64]) -> Vector3:
    return (float(values[0]), float(values[1]), float(values[2]))


def _eye_gaze(
    side: EyeSide,
    iris: IrisCentre,
    *,
    rotation: NDArray[np.float64],
    translation_mm: NDArray[np.float64],
    intrinsics: CameraIntrinsics,
    landmarks: NDArray[np.float64],
    anchor: EyeballAnchor,
    centre_head_mm: NDArray[np.float64] | None,
) -> EyeGaze:
    centre_px, confidence = iris
    if not (math.isfinite(confidence) and confidence >= 0.0):
        raise InputError(f"the {side} iris confidence must be finite and >= 0, got {confidence}")
    if centre_head_mm is not None:
        centre_mm: NDArray[np.float64] = rotation @ centre_head_mm + translation_mm
    else:
        centre_mm = _eyeball_centre(
            side,
            rotation=rotation,
            translation_mm=translation_mm,
            intrinsics=intrinsics,
            landmarks=landmarks,
            anchor=anchor,
        )
    direction, miss_mm = gaze_from_iris_px(centre_mm, centre_px, intrinsics)
    yaw_deg, pitch_deg = angles_from_direction(direction)
    miss_factor = max(0.0, 1.0 - miss_mm / RAY_MISS_ZERO_WEIGHT_MM)
    return EyeGaze(
        side=side,
        yaw_deg=yaw_deg,
        pitch_deg=pitch_deg,
        eyeball_centre_mm=_vector3(centre_mm),
        direction=_vector3(direction),
        weight=min(confidence, 1.0) * miss_factor,
        ray_miss_mm=miss_mm,
    )


def _combine(eyes: tuple[EyeGaze, ...]) -> GazeDirection | None:
    used = tuple(eye for eye in eyes if eye.weight > 0.0)
    if not used:
        return None
    weights = np.array([eye.weight for eye in used])
    mean_direction = weights @ np.array([eye.direction for eye in used])
    length = math.sqrt(float(mean_direction @ mean_direction))
    if length == 0.0:
        # Exactly opposed rays: no direction to report.
        return None
    mean_direction /= length
    yaw_deg, pitch_deg = angles_from_direction(mean_direction)
    origin_mm = np.mean(np.array([eye.eyeball_centre_mm for eye in used]), axis=0)
    return GazeDirection(
        yaw_deg=yaw_deg,
        pitch_deg=pitch_deg,
        origin_mm=_vector3(origin_mm),
        direction=_vector3(mean_direction),
        eyes_used=tuple(eye.side for eye in used),
    )


def estimate_gaze(
    head_pose: HeadPose,
    intrinsics: CameraIntrinsics,
    landmarks_px: ArrayLike,
    irises: Mapping[EyeSide, IrisCentre],
    anchor: EyeballAnchor = EyeballAnchor.CORNERS,
    *,
    eyeball_centres_head_mm: Mapping[EyeSide, NDArray[np.float64]] | None = None,
) -> GazeEstimate:
    """Per-eye gaze rays and their combination for one face.

    Args:
        head_pose: the face's pose, fitted to ``landmarks_px``.
        intrinsics: the camera.
        landmarks_px: the ``(68, 2)`` landmarks (the corner anchor reads the eye corners).
        irises: the iris centre and confidence of each eye that has one; a closed or rejected
            eye is simply absent.
        anchor: where the eyeball centres come from.
        eyeball_centres_head_mm: eyeball centres in the head frame (for example a running
            average of :func:`observed_eyeball_centres_head_mm`); an eye given here is placed by
            the head pose alone and ``anchor`` is not used for it.

    Returns:
        One :class:`EyeGaze` per eye in ``irises`` (right eye first), and their combination: the
        weight-averaged unit direction of the eyes with positive weight, its origin the midpoint
        of their eyeball centres, or ``None`` when no eye has weight.

    Raises:
        InputError: the head is not in front of the camera, the landmarks are not a finite
            ``(68, 2)`` array, an iris pixel is not finite, or a confidence is negative or not
            finite.
    """
    rotation, translation_mm = _pose_arrays(head_pose)
    landmarks = as_landmark_array(landmarks_px)
    eyes = tuple(
        _eye_gaze(
            side,
            irises[side],
            rotation=rotation,
            translation_mm=translation_mm,
            intrinsics=intrinsics,
            landmarks=landmarks,
            anchor=anchor,
            centre_head_mm=(eyeball_centres_head_mm or {}).get(side),
        )
        for side in EyeSide
        if side in irises
    )
    return GazeEstimate(combined=_combine(eyes), eyes=eyes)
