"""What calibration takes from one frame: the eye signal, the head pose, the viewing distance.

The *eye signal* is two numbers per frame, averaged over the open eyes, in one of three forms
(:class:`FeatureKind`): ``iris_offsets`` (the iris centre relative to the eye corners, in eye
widths, as appearance-based trackers use), ``gaze_angles`` (the pipeline's per-eye yaw/pitch,
degrees) or ``gaze_ray`` (where the pipeline's combined gaze ray meets the camera's z = 0 plane,
millimetres: the screen plane when the camera sits in the screen's bezel). With ``head_pose``
the model's basis adds the head's yaw, pitch, roll and translation (:class:`HeadFeatures`).
Each eye's own signals are kept beside them (:class:`EyeSignals`; :meth:`FrameFeatures.for_eye`),
so that a model can calibrate each eye on its own and weight the two by their precision.

The viewing distance (for degrees of visual angle) is estimated from the face: the distance
between the two iris centres, else the iris size, else the head pose's depth.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from gazertc.errors import InputError
from gazertc.vision.gaze import eyeball_centre_head_mm
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import (
    viewing_distance_from_interpupillary_mm,
    viewing_distance_from_iris_mm,
)
from gazertc.vision.types import (
    EyeObservation,
    EyeSide,
    GazeDirection,
    GazeSample,
    HeadPose,
    Vector3,
)

__all__ = [
    "DEFAULT_FEATURES",
    "EyeSignals",
    "FeatureKind",
    "FeatureSettings",
    "FrameFeatures",
    "HeadFeatures",
    "ScreenPoint",
]

_MIN_RAY_DEPTH: Final = 0.2
"""A gaze ray whose direction has |z| below this runs almost parallel to the screen (over 78
degrees off its normal): its intersection point is meaningless."""


class FeatureKind(StrEnum):
    """The form of the eye signal (see the module docstring)."""

    IRIS_OFFSETS = "iris_offsets"
    GAZE_ANGLES = "gaze_angles"
    GAZE_RAY = "gaze_ray"


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    """Which features and which basis a model uses.

    ``polynomial_degree`` (1 or 2) applies to the eye signal; ``ridge_lambda`` is the penalty on
    the standardised coefficients (mean squared error in CSS px² plus ``lambda * |b|²`` scaled
    by the targets' variance).

    Raises:
        InputError: the degree is not 1 or 2 or the penalty is negative.
    """

    kind: FeatureKind
    head_pose: bool
    polynomial_degree: int = 2
    ridge_lambda: float = 1e-3

    def __post_init__(self) -> None:
        if self.polynomial_degree not in (1, 2):
            raise InputError(f"polynomial_degree must be 1 or 2, got {self.polynomial_degree}")
        if not (math.isfinite(self.ridge_lambda) and self.ridge_lambda >= 0.0):
            raise InputError(f"ridge_lambda must be >= 0, got {self.ridge_lambda}")


DEFAULT_FEATURES: Final = FeatureSettings(
    FeatureKind.GAZE_RAY, head_pose=False, polynomial_degree=1
)
"""Chosen on generated data (``bench/calibration.py``, "model comparison": 12-point calibration
with the head swaying by +-5 mm, 16 random test targets, 3 simulated users with kappa). Mean
error in CSS px on a 15.6-inch laptop at 60 cm (head still / head moved by up to 60 mm and 12
degrees), degree 1, penalty 1e-3: iris offsets 45 / 167, with head-pose terms 38 / 85; per-eye
gaze angles 42 / 174, with head-pose terms 38 / 82; gaze ray 36 / 53 (0.78 / 1.13 deg), with
head-pose terms 38 / 83. The gaze ray already contains the head pose (the pipeline places the
eyeballs with it), so it needs no learned head terms, and terms learned from a head that barely
moved during calibration extrapolate badly. Degree 2 and a penalty of 0.1 were no better."""


@dataclass(frozen=True, slots=True)
class ScreenPoint:
    """A point on the client's screen in CSS pixels, origin top-left, y down."""

    x_css_px: float
    y_css_px: float

    def distance_css_px(self, other: ScreenPoint) -> float:
        return math.hypot(self.x_css_px - other.x_css_px, self.y_css_px - other.y_css_px)


@dataclass(frozen=True, slots=True)
class HeadFeatures:
    """The head pose as calibration uses it: orientation in degrees and the position of the
    face model's origin in the camera frame in millimetres (:class:`~gazertc.vision.types.HeadPose`
    without the rotation vector and the fit error)."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    x_mm: float
    y_mm: float
    z_mm: float

    @classmethod
    def from_pose(cls, pose: HeadPose) -> HeadFeatures | None:
        """The pose's features, ``None`` when one of them is not finite."""
        x_mm, y_mm, z_mm = pose.translation_mm
        head = cls(pose.yaw_deg, pose.pitch_deg, pose.roll_deg, x_mm, y_mm, z_mm)
        return head if _finite(head.values()) else None

    def values(self) -> tuple[float, float, float, float, float, float]:
        """``(yaw_deg, pitch_deg, roll_deg, x_mm, y_mm, z_mm)``: the model's basis order."""
        return (self.yaw_deg, self.pitch_deg, self.roll_deg, self.x_mm, self.y_mm, self.z_mm)


@dataclass(frozen=True, slots=True)
class EyeSignals:
    """One eye's own eye signal in each form (see :class:`FrameFeatures`): its iris offset, its
    gaze angles, and where its own gaze ray, from its own eyeball centre, meets the camera plane.
    """

    iris_offset: tuple[float, float] | None = None
    gaze_angles_deg: tuple[float, float] | None = None
    gaze_ray_mm: tuple[float, float] | None = None

    def signal(self, kind: FeatureKind) -> tuple[float, float] | None:
        if kind is FeatureKind.IRIS_OFFSETS:
            return self.iris_offset
        if kind is FeatureKind.GAZE_ANGLES:
            return self.gaze_angles_deg
        return self.gaze_ray_mm


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    """What calibration uses from one frame; each signal is ``None`` when the frame lacks it.

    Attributes:
        timestamp_unix_ns: capture time.
        blinking: the pipeline flagged a blink.
        iris_offsets: ``(x, y)`` iris centre minus the corners' midpoint, along and across the
            corner line, in eye widths, averaged over the open eyes (x to the image's right,
            y down).
        gaze_angles_deg: ``(yaw_deg, pitch_deg)`` averaged over the eyes with angles.
        gaze_ray_mm: ``(x_mm, y_mm)`` where the combined gaze ray meets the camera plane z = 0.
        combined_gaze_deg: the combined gaze ``(yaw_deg, pitch_deg)`` (for the saccade check).
        head: the head pose.
        viewing_distance_mm: eye-to-camera distance estimated from the face.
        right_eye, left_eye: each open eye's own signals (``None``: the eye has none).
    """

    timestamp_unix_ns: int
    blinking: bool = False
    iris_offsets: tuple[float, float] | None = None
    gaze_angles_deg: tuple[float, float] | None = None
    gaze_ray_mm: tuple[float, float] | None = None
    combined_gaze_deg: tuple[float, float] | None = None
    head: HeadFeatures | None = None
    viewing_distance_mm: float | None = None
    right_eye: EyeSignals | None = None
    left_eye: EyeSignals | None = None

    def eye_signal(self, kind: FeatureKind) -> tuple[float, float] | None:
        if kind is FeatureKind.IRIS_OFFSETS:
            return self.iris_offsets
        if kind is FeatureKind.GAZE_ANGLES:
            return self.gaze_angles_deg
        return self.gaze_ray_mm

    def for_eye(self, side: EyeSide) -> FrameFeatures:
        """These features with one eye's own signals in place of the two eyes' (no eye signal
        when that eye has none)."""
        eye = (self.right_eye if side is EyeSide.RIGHT else self.left_eye) or EyeSignals()
        return FrameFeatures(
            timestamp_unix_ns=self.timestamp_unix_ns,
            blinking=self.blinking,
            iris_offsets=eye.iris_offset,
            gaze_angles_deg=eye.gaze_angles_deg,
            gaze_ray_mm=eye.gaze_ray_mm,
            combined_gaze_deg=self.combined_gaze_deg,
            head=self.head,
            viewing_distance_mm=self.viewing_distance_mm,
        )

    @classmethod
    def from_sample(
        cls, sample: GazeSample, intrinsics: CameraIntrinsics | None = None
    ) -> FrameFeatures:
        """Features of a pipeline sample; ``intrinsics`` (for the viewing distance) are guessed
        from the frame size when not given.

        Raises:
            InputError: no ``intrinsics`` and the sample's frame size is not positive.
        """
        if not sample.face_found:
            return cls(sample.timestamp_unix_ns, sample.blinking)
        if intrinsics is None:
            intrinsics = CameraIntrinsics.from_frame_size(
                sample.frame_width_px, sample.frame_height_px
            )
        open_eyes = [
            eye
            for eye in (sample.right_eye, sample.left_eye)
            if eye is not None and eye.is_open and eye.centre_px is not None
        ]
        offset_of = {eye.side: _iris_offset(eye) for eye in open_eyes}
        offsets = [offset for offset in offset_of.values() if offset is not None]
        angles = [
            (eye.gaze_yaw_deg, eye.gaze_pitch_deg)
            for eye in open_eyes
            if eye.gaze_yaw_deg is not None and eye.gaze_pitch_deg is not None
        ]
        gaze = sample.gaze
        head = None if sample.head_pose is None else HeadFeatures.from_pose(sample.head_pose)
        eyes = _eye_signals(sample, open_eyes, offset_of)
        return cls(
            timestamp_unix_ns=sample.timestamp_unix_ns,
            blinking=sample.blinking,
            iris_offsets=_checked(_mean_pair(offsets)),
            gaze_angles_deg=_checked(_mean_pair(angles)),
            gaze_ray_mm=None if gaze is None else _checked(_camera_plane_point_mm(gaze)),
            combined_gaze_deg=None if gaze is None else _checked((gaze.yaw_deg, gaze.pitch_deg)),
            head=head,
            viewing_distance_mm=_viewing_distance_mm(open_eyes, head, intrinsics),
            right_eye=eyes.get(EyeSide.RIGHT),
            left_eye=eyes.get(EyeSide.LEFT),
        )


_EYE_X_MM: Final = {side: float(eyeball_centre_head_mm(side)[0]) for side in EyeSide}
"""Each eyeball centre's x in the head frame: the model's half separation, signed."""


def _eye_signals(
    sample: GazeSample,
    open_eyes: list[EyeObservation],
    offset_of: dict[EyeSide, tuple[float, float] | None],
) -> dict[EyeSide, EyeSignals]:
    """Each open eye's own signals. Its ray starts at its own eyeball centre: the gaze's origin
    is the midpoint of the centres of the eyes it used (or the one eye's centre), and the centres
    sit the model's half separation either side of the midpoint along the head's x axis.
    Only eyes the combined gaze used get a ray (the others' rays missed their eyeball). Plain
    floats, no arrays: this runs on every frame of a calibrated session."""
    gaze, pose = sample.gaze, sample.head_pose
    midpoint: Vector3 | None = None
    axis: Vector3 = (1.0, 0.0, 0.0)
    if gaze is not None and pose is not None and gaze.eyes_used:
        axis = _head_x_axis(pose)
        midpoint = gaze.origin_mm
        if len(gaze.eyes_used) == 1:
            midpoint = _along(midpoint, axis, -_EYE_X_MM[gaze.eyes_used[0]])
    signals: dict[EyeSide, EyeSignals] = {}
    for eye in open_eyes:
        angles = None
        if eye.gaze_yaw_deg is not None and eye.gaze_pitch_deg is not None:
            angles = _checked((eye.gaze_yaw_deg, eye.gaze_pitch_deg))
        ray = None
        if (
            angles is not None
            and midpoint is not None
            and gaze is not None
            and eye.side in gaze.eyes_used
        ):
            origin = _along(midpoint, axis, _EYE_X_MM[eye.side])
            ray = _checked(_plane_point_mm(origin, _direction(*angles)))
        signals[eye.side] = EyeSignals(_checked(offset_of[eye.side]), angles, ray)
    return signals


def _head_x_axis(pose: HeadPose) -> Vector3:
    """The head's x axis in the camera frame: the first column of the pose's rotation
    (Rodrigues' formula applied to (1, 0, 0))."""
    kx, ky, kz = pose.rotation_vector
    angle = math.sqrt(kx * kx + ky * ky + kz * kz)
    if angle < 1e-12:
        return (1.0, 0.0, 0.0)
    kx, ky, kz = kx / angle, ky / angle, kz / angle
    cosine, sine = math.cos(angle), math.sin(angle)
    return (
        cosine + kx * kx * (1.0 - cosine),
        kz * sine + ky * kx * (1.0 - cosine),
        -ky * sine + kz * kx * (1.0 - cosine),
    )


def _along(point: Vector3, step: Vector3, times: float) -> Vector3:
    return (point[0] + times * step[0], point[1] + times * step[1], point[2] + times * step[2])


def _direction(yaw_deg: float, pitch_deg: float) -> Vector3:
    """As :func:`gazertc.vision.gaze.direction_from_angles`, in plain floats."""
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    return (math.cos(pitch) * math.sin(yaw), -math.sin(pitch), -math.cos(pitch) * math.cos(yaw))


def _iris_offset(eye: EyeObservation) -> tuple[float, float] | None:
    if eye.centre_px is None:
        return None
    inner_x, inner_y = eye.inner_corner_px
    outer_x, outer_y = eye.outer_corner_px
    # The corner line oriented towards the image's right: the subject's right eye has its inner
    # corner on the image's right, the left eye its outer corner.
    axis_x, axis_y = (
        (inner_x - outer_x, inner_y - outer_y)
        if eye.side is EyeSide.RIGHT
        else (outer_x - inner_x, outer_y - inner_y)
    )
    width_px = math.hypot(axis_x, axis_y)
    if width_px < 1.0:
        return None
    axis_x, axis_y = axis_x / width_px, axis_y / width_px
    offset_x = eye.centre_px[0] - (inner_x + outer_x) / 2.0
    offset_y = eye.centre_px[1] - (inner_y + outer_y) / 2.0
    along = (offset_x * axis_x + offset_y * axis_y) / width_px
    across = (-offset_x * axis_y + offset_y * axis_x) / width_px
    return (along, across)


def _camera_plane_point_mm(gaze: GazeDirection) -> tuple[float, float] | None:
    """Where the combined gaze ray meets the camera plane z = 0 (``None``: it runs almost
    parallel to it or away from it)."""
    return _plane_point_mm(gaze.origin_mm, gaze.direction)


def _plane_point_mm(origin_mm: Vector3, direction: Vector3) -> tuple[float, float] | None:
    """Where a ray meets the camera plane z = 0 (``None``: it runs almost parallel to it or
    away from it)."""
    if direction[2] >= -_MIN_RAY_DEPTH:
        return None
    along = -origin_mm[2] / direction[2]
    return (origin_mm[0] + along * direction[0], origin_mm[1] + along * direction[1])


def _mean_pair(pairs: list[tuple[float, float]]) -> tuple[float, float] | None:
    if not pairs:
        return None
    return (
        sum(pair[0] for pair in pairs) / len(pairs),
        sum(pair[1] for pair in pairs) / len(pairs),
    )


def _finite(values: Sequence[float]) -> bool:
    return all(math.isfinite(value) for value in values)


def _checked(pair: tuple[float, float] | None) -> tuple[float, float] | None:
    return pair if pair is not None and _finite(pair) else None


def _viewing_distance_mm(
    open_eyes: list[EyeObservation],
    head: HeadFeatures | None,
    intrinsics: CameraIntrinsics,
) -> float | None:
    """Interpupillary distance when both irises are seen, else the iris size, else the pose."""
    focal_px = (intrinsics.fx_px + intrinsics.fy_px) / 2.0
    yaw_deg = 0.0 if head is None else head.yaw_deg
    centres = [eye.centre_px for eye in open_eyes if eye.centre_px is not None]
    if len(centres) == 2 and abs(yaw_deg) < 60.0:
        separation_px = math.hypot(centres[0][0] - centres[1][0], centres[0][1] - centres[1][1])
        if separation_px > 1.0:
            return viewing_distance_from_interpupillary_mm(separation_px, focal_px, yaw_deg)
    radii = [eye.iris_radius_px for eye in open_eyes if eye.iris_radius_px]
    if radii:
        return viewing_distance_from_iris_mm(2.0 * statistics.fmean(radii), focal_px)
    if head is not None and head.z_mm > 0.0:
        return head.z_mm
    return None
