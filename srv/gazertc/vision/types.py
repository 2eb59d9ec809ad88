"""Immutable records that the vision pipeline produces.

Coordinate conventions, used everywhere in gazertc:

* Image points are ``(x_px, y_px)`` in pixels of the *full-resolution* input frame, origin at the
  top-left corner, x growing to the right and y growing downwards. Pixel centres sit on integer
  coordinates (OpenCV and dlib convention).
* "Right" and "left" eye are the *subject's* own: for a person facing the camera their right eye
  appears on the image's left side.
* The camera frame is OpenCV's: x to the image's right, y down, z out of the lens into the scene.
  Millimetres.
* Angles are degrees. Head and gaze yaw are positive towards the image's right (the subject's own
  left); pitch is positive upwards; head roll is positive when the head tilts clockwise in the
  image. Gaze ``(0, 0)`` points straight back along the optical axis (at the camera plane).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import numpy as np
import numpy.typing as npt

PointPx = tuple[float, float]
"""An image point ``(x_px, y_px)``."""

Vector3 = tuple[float, float, float]
"""A 3D vector ``(x, y, z)`` in the camera frame."""

BgrImage = npt.NDArray[np.uint8]
"""A colour frame, ``(height, width, 3)``, OpenCV's BGR channel order."""

GreyImage = npt.NDArray[np.uint8]
"""A single-channel frame, ``(height, width)``."""

WIRE_DIGITS: Final = 4
"""Floats go on the wire rounded to 4 decimals: 1e-4 px and 1e-4 deg are far below what the
pipeline resolves, and the rounding keeps a sample message near 2.3 KB. ``from_dict`` of a
``to_dict`` gives back a record whose own ``to_dict`` is identical (an exact round trip at wire
precision)."""


def _r(value: float) -> float:
    return round(value, WIRE_DIGITS)


def _r_opt(value: float | None) -> float | None:
    return None if value is None else round(value, WIRE_DIGITS)


def _point_to_list(point: PointPx) -> list[float]:
    return [round(point[0], WIRE_DIGITS), round(point[1], WIRE_DIGITS)]


def _point_from(raw: Sequence[Any]) -> PointPx:
    return (float(raw[0]), float(raw[1]))


def _vector_to_list(vector: Vector3) -> list[float]:
    return [
        round(vector[0], WIRE_DIGITS),
        round(vector[1], WIRE_DIGITS),
        round(vector[2], WIRE_DIGITS),
    ]


def _vector_from(raw: Sequence[Any]) -> Vector3:
    return (float(raw[0]), float(raw[1]), float(raw[2]))


def _float_opt(value: Any) -> float | None:
    return None if value is None else float(value)


class EyeSide(StrEnum):
    """Which of the subject's eyes (not which side of the image)."""

    RIGHT = "right"
    LEFT = "left"


class TrackingState(StrEnum):
    """How the face in a sample was found."""

    DETECTED = "detected"
    """The face detector ran on this frame and found the face."""
    TRACKED = "tracked"
    """Landmarks were fitted from the previous frame's landmarks; no detector call."""
    LOST = "lost"
    """No face in this frame."""


class QualityFlag(StrEnum):
    """Conditions that a user interface can turn into advice."""

    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    LOW_CONTRAST = "low_contrast"
    TOO_FAR = "too_far"
    TOO_CLOSE = "too_close"
    FACE_AT_EDGE = "face_at_edge"


class BlinkPhase(StrEnum):
    START = "start"
    END = "end"


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face rectangle in full-frame pixels: ``left <= x < right``, ``top <= y < bottom``."""

    left_px: float
    top_px: float
    right_px: float
    bottom_px: float

    @property
    def width_px(self) -> float:
        return self.right_px - self.left_px

    @property
    def height_px(self) -> float:
        return self.bottom_px - self.top_px

    @property
    def centre_px(self) -> PointPx:
        return ((self.left_px + self.right_px) / 2.0, (self.top_px + self.bottom_px) / 2.0)

    def padded_region(
        self, margin_share: float, frame_width_px: int, frame_height_px: int
    ) -> tuple[int, int, int, int]:
        """The whole pixels within ``margin_share`` of the box's width around it, clipped to the
        frame: ``(left, top, right, bottom)``, right and bottom exclusive, for slicing a frame."""
        margin_px = margin_share * self.width_px
        return (
            max(0, math.floor(self.left_px - margin_px)),
            max(0, math.floor(self.top_px - margin_px)),
            min(frame_width_px, math.ceil(self.right_px + margin_px) + 1),
            min(frame_height_px, math.ceil(self.bottom_px + margin_px) + 1),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "left_px": _r(self.left_px),
            "top_px": _r(self.top_px),
            "right_px": _r(self.right_px),
            "bottom_px": _r(self.bottom_px),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FaceBox:
        return cls(
            float(raw["left_px"]),
            float(raw["top_px"]),
            float(raw["right_px"]),
            float(raw["bottom_px"]),
        )


@dataclass(frozen=True, slots=True)
class EyeObservation:
    """One eye in one frame.

    ``centre_px`` is the iris centre with sub-pixel precision, ``None`` when the eye is closed
    (``confidence`` is then 0). ``confidence`` in [0, 1] falls when the lids cover the iris or the
    network's iris is not round (see :class:`gazertc.vision.iris.EyeLandmarks`). ``openness`` is
    the lid gap over the eye width: about 0.25-0.4 open, below 0.12 closed.
    """

    side: EyeSide
    centre_px: PointPx | None
    iris_radius_px: float | None
    confidence: float
    openness: float
    is_open: bool
    inner_corner_px: PointPx
    outer_corner_px: PointPx
    gaze_yaw_deg: float | None = None
    gaze_pitch_deg: float | None = None

    def to_dict(self) -> dict[str, Any]:
        centre = self.centre_px
        return {
            "side": self.side.value,
            "centre_px": None if centre is None else _point_to_list(centre),
            "iris_radius_px": _r_opt(self.iris_radius_px),
            "confidence": _r(self.confidence),
            "openness": _r(self.openness),
            "is_open": self.is_open,
            "inner_corner_px": _point_to_list(self.inner_corner_px),
            "outer_corner_px": _point_to_list(self.outer_corner_px),
            "gaze_yaw_deg": _r_opt(self.gaze_yaw_deg),
            "gaze_pitch_deg": _r_opt(self.gaze_pitch_deg),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> EyeObservation:
        centre = raw["centre_px"]
        return cls(
            side=EyeSide(raw["side"]),
            centre_px=None if centre is None else _point_from(centre),
            iris_radius_px=_float_opt(raw["iris_radius_px"]),
            confidence=float(raw["confidence"]),
            openness=float(raw["openness"]),
            is_open=bool(raw["is_open"]),
            inner_corner_px=_point_from(raw["inner_corner_px"]),
            outer_corner_px=_point_from(raw["outer_corner_px"]),
            gaze_yaw_deg=_float_opt(raw["gaze_yaw_deg"]),
            gaze_pitch_deg=_float_opt(raw["gaze_pitch_deg"]),
        )


@dataclass(frozen=True, slots=True)
class HeadPose:
    """Head pose from PnP against the 3D face model, in the camera frame.

    ``translation_mm`` is the position of the face model's origin (between the eyes, at the nose
    bridge) in camera coordinates. ``rotation_vector`` is the Rodrigues vector that rotates head
    coordinates (x to the subject's left, y down, z from the face towards the back of the head)
    into camera coordinates. ``reprojection_error_px`` is the RMS distance between the landmarks
    and the projected model points.
    """

    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    translation_mm: Vector3
    rotation_vector: Vector3
    reprojection_error_px: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "yaw_deg": _r(self.yaw_deg),
            "pitch_deg": _r(self.pitch_deg),
            "roll_deg": _r(self.roll_deg),
            "translation_mm": _vector_to_list(self.translation_mm),
            "rotation_vector": _vector_to_list(self.rotation_vector),
            "reprojection_error_px": _r(self.reprojection_error_px),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HeadPose:
        return cls(
            yaw_deg=float(raw["yaw_deg"]),
            pitch_deg=float(raw["pitch_deg"]),
            roll_deg=float(raw["roll_deg"]),
            translation_mm=_vector_from(raw["translation_mm"]),
            rotation_vector=_vector_from(raw["rotation_vector"]),
            reprojection_error_px=float(raw["reprojection_error_px"]),
        )


@dataclass(frozen=True, slots=True)
class GazeDirection:
    """A gaze ray in the camera frame.

    ``origin_mm`` is the midpoint between the eyeball centres (or the one eye used);
    ``direction`` is a unit vector. ``yaw_deg``/``pitch_deg`` follow the module's sign convention.
    """

    yaw_deg: float
    pitch_deg: float
    origin_mm: Vector3
    direction: Vector3
    eyes_used: tuple[EyeSide, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "yaw_deg": _r(self.yaw_deg),
            "pitch_deg": _r(self.pitch_deg),
            "origin_mm": _vector_to_list(self.origin_mm),
            "direction": _vector_to_list(self.direction),
            "eyes_used": [side.value for side in self.eyes_used],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GazeDirection:
        return cls(
            yaw_deg=float(raw["yaw_deg"]),
            pitch_deg=float(raw["pitch_deg"]),
            origin_mm=_vector_from(raw["origin_mm"]),
            direction=_vector_from(raw["direction"]),
            eyes_used=tuple(EyeSide(side) for side in raw["eyes_used"]),
        )


@dataclass(frozen=True, slots=True)
class FrameQuality:
    """How usable the face region is, with flags for advice.

    ``face_brightness`` is the mean grey level (0-255) of the face region, ``face_contrast`` its
    standard deviation; both are ``None`` when no face was found.
    """

    face_brightness: float | None
    face_contrast: float | None
    face_width_px: float | None
    flags: tuple[QualityFlag, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "face_brightness": _r_opt(self.face_brightness),
            "face_contrast": _r_opt(self.face_contrast),
            "face_width_px": _r_opt(self.face_width_px),
            "flags": [flag.value for flag in self.flags],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FrameQuality:
        return cls(
            face_brightness=_float_opt(raw["face_brightness"]),
            face_contrast=_float_opt(raw["face_contrast"]),
            face_width_px=_float_opt(raw["face_width_px"]),
            flags=tuple(QualityFlag(flag) for flag in raw["flags"]),
        )


@dataclass(frozen=True, slots=True)
class BlinkEvent:
    """A blink starting or ending. ``duration_ms`` is set on the end event."""

    phase: BlinkPhase
    timestamp_unix_ns: int
    duration_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase.value,
            "timestamp_unix_ns": self.timestamp_unix_ns,
            "duration_ms": _r_opt(self.duration_ms),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BlinkEvent:
        return cls(
            BlinkPhase(raw["phase"]), int(raw["timestamp_unix_ns"]), _float_opt(raw["duration_ms"])
        )


@dataclass(frozen=True, slots=True)
class GazeSample:
    """Everything the pipeline knows about one frame.

    ``landmarks_px`` holds the 68 smoothed dlib/iBUG landmarks (0-based order: jaw 0-16, brows
    17-26, nose 27-35, right eye 36-41, left eye 42-47, mouth 48-67), ``None`` without a face.
    """

    timestamp_unix_ns: int
    frame_index: int
    frame_width_px: int
    frame_height_px: int
    face_found: bool
    tracking: TrackingState
    face_box: FaceBox | None = None
    landmarks_px: tuple[PointPx, ...] | None = None
    right_eye: EyeObservation | None = None
    left_eye: EyeObservation | None = None
    head_pose: HeadPose | None = None
    gaze: GazeDirection | None = None
    blinking: bool = False
    blink_events: tuple[BlinkEvent, ...] = ()
    quality: FrameQuality = field(default_factory=lambda: FrameQuality(None, None, None, ()))

    def eye(self, side: EyeSide) -> EyeObservation | None:
        return self.right_eye if side is EyeSide.RIGHT else self.left_eye

    def to_dict(self) -> dict[str, Any]:
        """The sample's fields of a ``sample`` message: JSON-ready (tuples become lists, enums
        their values, floats rounded to :data:`WIRE_DIGITS`)."""
        box, landmarks = self.face_box, self.landmarks_px
        right, left = self.right_eye, self.left_eye
        pose, gaze = self.head_pose, self.gaze
        return {
            "timestamp_unix_ns": self.timestamp_unix_ns,
            "frame_index": self.frame_index,
            "frame_width_px": self.frame_width_px,
            "frame_height_px": self.frame_height_px,
            "face_found": self.face_found,
            "tracking": self.tracking.value,
            "face_box": None if box is None else box.to_dict(),
            "landmarks_px": None
            if landmarks is None
            else [[round(x, WIRE_DIGITS), round(y, WIRE_DIGITS)] for x, y in landmarks],
            "right_eye": None if right is None else right.to_dict(),
            "left_eye": None if left is None else left.to_dict(),
            "head_pose": None if pose is None else pose.to_dict(),
            "gaze": None if gaze is None else gaze.to_dict(),
            "blinking": self.blinking,
            "blink_events": [event.to_dict() for event in self.blink_events],
            "quality": self.quality.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GazeSample:
        """A sample from a ``sample`` message or a :meth:`to_dict` (other fields are ignored).

        Raises:
            KeyError, TypeError, ValueError: ``raw`` is not a valid sample (validate it first).
        """
        box, landmarks = raw["face_box"], raw["landmarks_px"]
        right, left = raw["right_eye"], raw["left_eye"]
        pose, gaze = raw["head_pose"], raw["gaze"]
        return cls(
            timestamp_unix_ns=int(raw["timestamp_unix_ns"]),
            frame_index=int(raw["frame_index"]),
            frame_width_px=int(raw["frame_width_px"]),
            frame_height_px=int(raw["frame_height_px"]),
            face_found=bool(raw["face_found"]),
            tracking=TrackingState(raw["tracking"]),
            face_box=None if box is None else FaceBox.from_dict(box),
            landmarks_px=None
            if landmarks is None
            else tuple((float(x), float(y)) for x, y in landmarks),
            right_eye=None if right is None else EyeObservation.from_dict(right),
            left_eye=None if left is None else EyeObservation.from_dict(left),
            head_pose=None if pose is None else HeadPose.from_dict(pose),
            gaze=None if gaze is None else GazeDirection.from_dict(gaze),
            blinking=bool(raw["blinking"]),
            blink_events=tuple(BlinkEvent.from_dict(event) for event in raw["blink_events"]),
            quality=FrameQuality.from_dict(raw["quality"]),
        )


STAGES: Final = ("detect", "landmarks", "iris", "pose", "gaze", "total")
"""The pipeline's stages, in order, as named on the wire (``stage_ms``)."""


@dataclass(frozen=True, slots=True)
class StageTimings:
    """Where one frame's pipeline time went, in milliseconds of wall time in the worker.

    ``detect_ms`` is 0 on frames tracked from the previous one; ``total_ms`` includes the
    conversion to grey and the quality statistics, so it exceeds the sum of the stages.
    """

    detect_ms: float = 0.0
    landmarks_ms: float = 0.0
    iris_ms: float = 0.0
    pose_ms: float = 0.0
    gaze_ms: float = 0.0
    total_ms: float = 0.0

    def stage_ms(self, stage: str) -> float:
        """The time of one of :data:`STAGES`."""
        if stage not in STAGES:
            raise KeyError(f"no pipeline stage {stage!r}; expected one of {', '.join(STAGES)}")
        value: float = getattr(self, f"{stage}_ms")
        return value

    def to_dict(self) -> dict[str, float]:
        """The ``stage_ms`` object of a ``sample`` message (microsecond resolution)."""
        return {
            "detect": round(self.detect_ms, 3),
            "landmarks": round(self.landmarks_ms, 3),
            "iris": round(self.iris_ms, 3),
            "pose": round(self.pose_ms, 3),
            "gaze": round(self.gaze_ms, 3),
            "total": round(self.total_ms, 3),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> StageTimings:
        """Timings from a ``stage_ms`` object; stages it does not name count 0."""
        return cls(**{f"{stage}_ms": float(raw.get(stage, 0.0)) for stage in STAGES})


@dataclass(frozen=True, slots=True)
class TrackedFrame:
    """A tracker's answer for one frame: the sample and how long each stage took."""

    sample: GazeSample
    stages: StageTimings
