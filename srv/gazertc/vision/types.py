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

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

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


@dataclass(frozen=True, slots=True)
class BlinkEvent:
    """A blink starting or ending. ``duration_ms`` is set on the end event."""

    phase: BlinkPhase
    timestamp_unix_ns: int
    duration_ms: float | None = None


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
        """A JSON-ready dict: tuples become lists, enums their string values."""
        as_dict: dict[str, Any] = _jsonable(asdict(self))
        return as_dict


def _jsonable(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, float):
        return round(value, 4)
    return value
