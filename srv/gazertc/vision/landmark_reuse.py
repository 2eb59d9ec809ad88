"""Reuse of the last landmark fit while the pixels around the eyes have not changed.

dlib's 68-point fit costs 2.2-3.9 ms a frame. With its box held (``BOX_HOLD_FRACTION`` in
:mod:`gazertc.vision.tracker`) the fit is a function of the image alone, so on a frame whose
eye region shows the same pixels as the frame of the last fit, up to sensor noise and codec
flicker, fitting again would return (nearly) the same landmarks. :class:`FitReuse` keeps a small
downscaled copy of the eye region of the last fitted frame and answers whether a new frame may
reuse that fit: the largest mean absolute grey difference over any small square of the same
region, at the same scale, is under a threshold. The comparison is always with the fitted frame,
never with the previous one, so a slow drift adds up until it forces a fit.

The measure is local because a gaze change with the head still moves only the irises: the mean
over the whole region stays under a noise threshold (a 5 degree turn of the eyes moved it by
0.10-0.13 levels in the rendered-eye simulation, sensor noise on cap12 by 0.13), while dlib's
eye points do follow the iris and the calibration relies on them. A square about an iris wide
that the limbus crosses changes by several levels instead.

The region is the union of the two eye crops the iris network reads (their side is 2.3 eye
widths, about 1.3 inter-ocular distances): what the landmarks decide downstream. The copy is
scaled so that the inter-ocular distance spans :data:`PATCH_INTER_OCULAR_PX` pixels and compared
in squares of :data:`BLOCK_SIDE_PX`, which averages noise while a shift still moves the eyes' and
brows' edges and an iris its limbus.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from gazertc.vision import landmarks as lm
from gazertc.vision.types import EyeSide, GreyImage

__all__ = [
    "FORCED_FIT_INTERVAL_FRAMES",
    "REUSE_MAX_DIFFERENCE",
    "WARM_UP_FITS",
    "FitReuse",
    "eye_region_difference",
]

Landmarks = npt.NDArray[np.float64]

REUSE_MAX_DIFFERENCE = 3.0
"""Largest square's mean absolute grey difference (levels, on the downscaled eye region) under
which the last fit may be reused: under every 2 degree eye turn of the simulation, above half of
cap12's noise. Between consecutive frames whose fitted eye points moved < 0.3 px (which include
real small eye movements), median (p90): 2.40 (6.28) on cap12 (1000 frames), 4.80 (9.22) on the
Talking Face (400), 5.48 (8.25) on it through VP8 at 300 kbit/s. The same real frame translated
by 0.5 px: at least 8.0 across, 6.2 up (p1 over both videos). SIMULATION (rendered eyes, 6 faces
x 3 gazes, 640x480 at 60 cm, no noise), eyes turned with the head still, least (median): by 2
degrees across 4.52 (6.00), up 3.68 (4.84); by 4 up 7.32 (9.12), 5 across 10.3 (13.1); the same
pairs with webcam noise and VP8 at 1 Mbit/s: same-gaze pairs at most 4.64 (median 0.08), and
VP8 often delivers a small turn frames later: median 0.04 by 2 or 4 degrees, 3.28 by 5 across."""

FORCED_FIT_INTERVAL_FRAMES = 5
"""The fit runs at least every this many frames: the region watches the eyes only, while head
pose also reads the nose, mouth and jaw points, so a change there goes unseen for at most
0.2 s at 25 fps."""

WARM_UP_FITS = 4
"""No reuse before this many fits since the face was found: the eyeball memory averages its first
frames with equal weight for 30 frames, so a reused warm-up fit counted twice moved the
SIMULATION's error by -0.10..+0.23 deg per condition; with none in the first four, all seven
conditions equalled reuse off on seeds 0 and 1."""

PATCH_INTER_OCULAR_PX = 40.0
"""The compared copy is scaled so that the eyes are this far apart (see the module docstring)."""

BLOCK_SIDE_PX = 5
"""Side of the compared squares, in pixels of the copy: an eighth of the inter-ocular distance,
about an iris's width, so an iris moving changes one square a lot (see the module docstring)."""

REGION_HALF_SIDE_PER_INTER_OCULAR = 0.7
"""The region reaches this far beyond each eye's centre (an eye crop's half side is ~0.65)."""


class FitReuse:
    """Decides, frame by frame, whether the last landmark fit may stand for a new frame.

    Args:
        max_difference: threshold of :func:`eye_region_difference`, in grey levels (0: never
            reuse).
        forced_fit_interval_frames: a fit is due at least every this many frames.
        warm_up_fits: no reuse until this many fits were recorded since the last :meth:`reset`.
    """

    def __init__(
        self, max_difference: float, forced_fit_interval_frames: int, warm_up_fits: int
    ) -> None:
        self.max_difference = max_difference
        self.forced_fit_interval_frames = forced_fit_interval_frames
        self.warm_up_fits = warm_up_fits
        self.reuses = 0
        self._fits_since_reset = 0
        self._landmarks: Landmarks | None = None
        self._region: _Region | None = None
        self._patch: GreyImage | None = None
        self._frames_since_fit = 0

    def reset(self) -> None:
        """Forget the last fit (the face was lost or detected again): warm up again."""
        self._fits_since_reset = 0
        self._landmarks = None
        self._region = None
        self._patch = None

    def reusable(self, grey: GreyImage) -> Landmarks | None:
        """The last fit when it may stand for ``grey`` (counted as a reuse), else ``None``."""
        if (
            self.max_difference <= 0.0
            or self._landmarks is None
            or self._region is None
            or self._patch is None
            or self._fits_since_reset < self.warm_up_fits
            or self._frames_since_fit + 1 >= self.forced_fit_interval_frames
        ):
            return None
        patch = self._region.patch(grey)
        if patch is None or patch.shape != self._patch.shape:
            return None
        if _largest_block_difference(patch, self._patch) >= self.max_difference:
            return None
        self._frames_since_fit += 1
        self.reuses += 1
        return self._landmarks

    def fitted(self, grey: GreyImage, landmarks: Landmarks) -> None:
        """Record a fit of ``landmarks`` on ``grey``: later frames are compared with this one."""
        self._frames_since_fit = 0
        self._fits_since_reset += 1
        if self.max_difference <= 0.0:
            return
        self._landmarks = landmarks
        self._region = _Region.around_eyes(landmarks)
        self._patch = None if self._region is None else self._region.patch(grey)


def eye_region_difference(grey: GreyImage, reference: GreyImage, landmarks: Landmarks) -> float:
    """The measure :class:`FitReuse` compares with its threshold: the largest mean absolute grey
    difference over the squares of the two images' eye regions (placed by ``landmarks``),
    downscaled; ``inf`` when the region leaves the image."""
    region = _Region.around_eyes(landmarks)
    if region is None:
        return float("inf")
    patch, reference_patch = region.patch(grey), region.patch(reference)
    if patch is None or reference_patch is None:
        return float("inf")
    return _largest_block_difference(patch, reference_patch)


class _Region:
    """An integer pixel rectangle and the size its downscaled copy takes."""

    __slots__ = ("bottom", "left", "right", "size", "top")

    def __init__(self, left: int, top: int, right: int, bottom: int, scale: float) -> None:
        self.left, self.top, self.right, self.bottom = left, top, right, bottom
        self.size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))

    @classmethod
    def around_eyes(cls, landmarks: Landmarks) -> _Region | None:
        right_eye = lm.eye_points(landmarks, EyeSide.RIGHT).mean(axis=0)
        left_eye = lm.eye_points(landmarks, EyeSide.LEFT).mean(axis=0)
        inter_ocular = float(np.linalg.norm(left_eye - right_eye))
        if inter_ocular < 1.0:
            return None
        reach = REGION_HALF_SIDE_PER_INTER_OCULAR * inter_ocular
        centre_y = (right_eye[1] + left_eye[1]) / 2.0
        return cls(
            round(min(right_eye[0], left_eye[0]) - reach),
            round(centre_y - reach),
            round(max(right_eye[0], left_eye[0]) + reach),
            round(centre_y + reach),
            PATCH_INTER_OCULAR_PX / inter_ocular,
        )

    def patch(self, grey: GreyImage) -> GreyImage | None:
        """The downscaled copy of this region of ``grey``; ``None`` when it leaves the image."""
        height, width = grey.shape[:2]
        if self.left < 0 or self.top < 0 or self.right > width or self.bottom > height:
            return None
        crop = grey[self.top : self.bottom, self.left : self.right]
        return np.asarray(cv2.resize(crop, self.size, interpolation=cv2.INTER_AREA), np.uint8)


def _largest_block_difference(patch: GreyImage, reference: GreyImage) -> float:
    """The largest mean absolute difference over any square of :data:`BLOCK_SIDE_PX` pixels."""
    difference = cv2.absdiff(patch, reference)
    side: int = min(BLOCK_SIDE_PX, patch.shape[0], patch.shape[1])
    sums = np.asarray(cv2.integral(difference, sdepth=cv2.CV_64F), np.float64)
    block_sums = (
        sums[side:, side:] - sums[:-side, side:] - sums[side:, :-side] + sums[:-side, :-side]
    )
    return float(block_sums.max()) / (side * side)
