"""Draw what the pipeline found onto the frame it came from (for annotated video and debugging).

Pure drawing: a BGR frame, a :class:`GazeSample` and the camera intrinsics in, pixels changed in
place. Drawn: the face box, the 68 landmarks, each iris (circle of its radius and a centre dot),
the head-pose axes projected from the head frame (x red towards the subject's left, y green
downwards, blue along the face's forward direction) and the gaze ray.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from gazertc.errors import InputError
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.types import GazeSample, PointPx, Vector3

__all__ = ["AnnotationStyle", "draw_sample"]

BgrImage = npt.NDArray[np.uint8]
Colour = tuple[int, int, int]

SUBPIXEL_BITS = 4
"""OpenCV draws at 1/16 px with ``shift=4``: iris centres move by fractions of a pixel."""

MIN_PROJECTION_DEPTH_MM = 1.0
"""Points this close to (or behind) the camera plane have no meaningful projection."""


@dataclass(frozen=True, slots=True)
class AnnotationStyle:
    """Colours (BGR), sizes and what to draw. Line widths scale with the frame width."""

    landmark_colour: Colour = (0, 255, 255)
    iris_colour: Colour = (255, 255, 0)
    box_colour: Colour = (0, 200, 0)
    gaze_colour: Colour = (255, 0, 255)
    axis_colours: tuple[Colour, Colour, Colour] = ((0, 0, 255), (0, 255, 0), (255, 0, 0))
    axis_length_mm: float = 60.0
    gaze_length_mm: float = 200.0
    reference_width_px: int = 640
    """Frame width at which lines are 1 px wide and landmarks 1 px in radius."""
    draw_landmarks: bool = True
    draw_box: bool = True


DEFAULT_STYLE = AnnotationStyle()


def draw_sample(
    image_bgr: BgrImage,
    sample: GazeSample,
    intrinsics: CameraIntrinsics,
    *,
    style: AnnotationStyle = DEFAULT_STYLE,
) -> None:
    """Draw ``sample`` onto ``image_bgr`` in place.

    Args:
        image_bgr: ``(height, width, 3)`` uint8 BGR frame, the one ``sample`` was computed on
            (same size).
        sample: the pipeline's result for this frame; without a face nothing is drawn.
        intrinsics: the camera intrinsics the pipeline used, to project 3D axes and the gaze ray.
        style: colours and sizes.

    Raises:
        InputError: the frame is not a writable ``(h, w, 3)`` uint8 array, or its size differs
            from the sample's.
    """
    _check_image(image_bgr, sample)
    if not sample.face_found:
        return
    scale = max(1, round(image_bgr.shape[1] / style.reference_width_px))
    if style.draw_box and sample.face_box is not None:
        box = sample.face_box
        cv2.rectangle(
            image_bgr,
            _fixed((box.left_px, box.top_px)),
            _fixed((box.right_px, box.bottom_px)),
            style.box_colour,
            scale,
            cv2.LINE_AA,
            SUBPIXEL_BITS,
        )
    if style.draw_landmarks and sample.landmarks_px is not None:
        for point in sample.landmarks_px:
            cv2.circle(
                image_bgr,
                _fixed(point),
                scale << SUBPIXEL_BITS,
                style.landmark_colour,
                -1,
                cv2.LINE_AA,
                SUBPIXEL_BITS,
            )
    for eye in (sample.right_eye, sample.left_eye):
        if eye is None or eye.centre_px is None:
            continue
        if eye.iris_radius_px is not None and eye.iris_radius_px > 0:
            radius = round(eye.iris_radius_px * (1 << SUBPIXEL_BITS))
            cv2.circle(
                image_bgr,
                _fixed(eye.centre_px),
                radius,
                style.iris_colour,
                scale,
                cv2.LINE_AA,
                SUBPIXEL_BITS,
            )
        cv2.circle(
            image_bgr,
            _fixed(eye.centre_px),
            scale << SUBPIXEL_BITS,
            style.iris_colour,
            -1,
            cv2.LINE_AA,
            SUBPIXEL_BITS,
        )
    camera_matrix = intrinsics.matrix()
    if sample.head_pose is not None:
        _draw_head_axes(image_bgr, sample, camera_matrix, style, scale)
    if sample.gaze is not None:
        origin = np.array(sample.gaze.origin_mm, dtype=np.float64)
        end = origin + style.gaze_length_mm * np.array(sample.gaze.direction, dtype=np.float64)
        _draw_segment(
            image_bgr, camera_matrix, origin, end, colour=style.gaze_colour, thickness_px=scale + 1
        )


def _draw_head_axes(
    image_bgr: BgrImage,
    sample: GazeSample,
    camera_matrix: npt.NDArray[np.float64],
    style: AnnotationStyle,
    scale: int,
) -> None:
    pose = sample.head_pose
    assert pose is not None
    rotation, _ = cv2.Rodrigues(np.array(pose.rotation_vector, dtype=np.float64))
    origin = np.array(pose.translation_mm, dtype=np.float64)
    # Head z points to the back of the head; the forward axis (-z) is the informative one.
    head_axes = np.diag([1.0, 1.0, -1.0]) * style.axis_length_mm
    for axis, colour in zip(head_axes, style.axis_colours, strict=True):
        _draw_segment(
            image_bgr,
            camera_matrix,
            origin,
            origin + rotation @ axis,
            colour=colour,
            thickness_px=scale,
        )


def _draw_segment(
    image_bgr: BgrImage,
    camera_matrix: npt.NDArray[np.float64],
    start_mm: npt.NDArray[np.float64],
    end_mm: npt.NDArray[np.float64],
    *,
    colour: Colour,
    thickness_px: int,
) -> None:
    start_px = _project(camera_matrix, start_mm)
    end_px = _project(camera_matrix, end_mm)
    if start_px is None or end_px is None:
        return
    cv2.arrowedLine(
        image_bgr,
        _fixed(start_px),
        _fixed(end_px),
        colour,
        thickness_px,
        cv2.LINE_AA,
        SUBPIXEL_BITS,
        0.15,
    )


def _project(
    camera_matrix: npt.NDArray[np.float64], point_mm: npt.NDArray[np.float64]
) -> PointPx | None:
    if point_mm[2] < MIN_PROJECTION_DEPTH_MM or not np.all(np.isfinite(point_mm)):
        return None
    projected = camera_matrix @ point_mm
    return (float(projected[0] / projected[2]), float(projected[1] / projected[2]))


def _fixed(point: PointPx | Vector3) -> tuple[int, int]:
    """A point in OpenCV's fixed-point form for ``shift=SUBPIXEL_BITS``, clamped to int range."""
    limit = 1 << 24
    return (
        int(np.clip(round(point[0] * (1 << SUBPIXEL_BITS)), -limit, limit)),
        int(np.clip(round(point[1] * (1 << SUBPIXEL_BITS)), -limit, limit)),
    )


def _check_image(image_bgr: BgrImage, sample: GazeSample) -> None:
    if (
        not isinstance(image_bgr, np.ndarray)
        or image_bgr.dtype != np.uint8
        or image_bgr.ndim != 3
        or image_bgr.shape[2] != 3
    ):
        described = (
            f"{image_bgr.dtype} array of shape {image_bgr.shape}"
            if isinstance(image_bgr, np.ndarray)
            else type(image_bgr).__name__
        )
        raise InputError(f"expected an (height, width, 3) uint8 BGR frame, got a {described}")
    if not image_bgr.flags.writeable:
        raise InputError("the frame is read-only; annotation draws in place")
    height_px, width_px = image_bgr.shape[:2]
    if (width_px, height_px) != (sample.frame_width_px, sample.frame_height_px):
        raise InputError(
            f"the frame is {width_px}x{height_px} but the sample was computed on a "
            f"{sample.frame_width_px}x{sample.frame_height_px} frame"
        )
