"""One camera frame as the pipeline reads it: the grey image always, colour only where asked.

The server's decoder hands over I420 (planar Y, then U and V at half resolution). The landmark
fit, the detector and the quality statistics read grey, and only the iris network reads colour,
in two small eye crops. Converting a whole I420 frame to BGR, then to grey, then cutting the
crops cost 4.9 M instructions at 640x480 (6.7 M at 1280x720, callgrind); here the grey image is
the Y plane rescaled from video range in one vectorised pass and only the rows and columns an
eye crop reads are converted to colour.

Both give the pixels the BGR path gave: the grey image equals OpenCV's ``I420 -> BGR -> grey``
within one grey level (exactly, except where a saturated colour clips a channel), and a colour
crop equals the same crop cut from the fully converted frame within one level.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from gazertc.errors import InputError
from gazertc.vision.types import BgrImage, GreyImage

__all__ = ["LUMA_GAIN", "LUMA_OFFSET", "LUMA_VIDEO_BLACK", "MIN_FRAME_SIDE_PX", "CameraFrame"]

Affine = npt.NDArray[np.float64]

MIN_FRAME_SIDE_PX = 16
"""Smaller frames hold no face worth tracking (and a crop's border rules need a few pixels)."""

LUMA_VIDEO_BLACK = 16
"""Video-range luma of black (BT.601)."""

LUMA_GAIN = 1.16405
LUMA_OFFSET = -0.01
"""Grey = round(LUMA_GAIN * (luma - 16) + LUMA_OFFSET), saturated: 255/219 stretches video range
to full range, and this gain and offset reproduce OpenCV's ``I420 -> BGR -> grey`` of every luma
value on neutral chroma exactly, with OpenCV's rounding (a test checks all 256). BT.601 makes
grey depend on luma alone: the chroma terms of the three channels cancel in the grey weights
to 1e-3."""

_VIDEO_BLACK_SCALAR = np.full((4, 1), float(LUMA_VIDEO_BLACK))
"""The same as an OpenCV scalar (what ``cv2.subtract`` takes for a number)."""

_CROP_MARGIN_PX = 2
"""Bilinear sampling reads the pixel after each source coordinate, and coordinates are rounded to
1/32 px: two pixels beyond the crop's exact footprint cover both."""


class CameraFrame:
    """A frame from a camera, BGR or I420, read as a grey image and as colour crops.

    Make one with :meth:`from_bgr` or :meth:`from_i420`. The grey image and the full colour
    image are computed on first use and kept; nothing is converted that is never read.
    """

    __slots__ = ("_bgr", "_grey", "_i420", "height_px", "width_px")

    def __init__(
        self,
        width_px: int,
        height_px: int,
        *,
        bgr: BgrImage | None = None,
        i420: npt.NDArray[np.uint8] | None = None,
    ) -> None:
        self.width_px = width_px
        self.height_px = height_px
        self._bgr = bgr
        self._i420 = i420
        self._grey: GreyImage | None = None

    @classmethod
    def from_bgr(cls, image_bgr: BgrImage) -> CameraFrame:
        """Wrap a ``(height, width, 3)`` uint8 BGR frame (not copied: do not change it after).

        Raises:
            InputError: not such an array, or a side under :data:`MIN_FRAME_SIDE_PX`.
        """
        if (
            not isinstance(image_bgr, np.ndarray)
            or image_bgr.dtype != np.uint8
            or image_bgr.ndim != 3
            or image_bgr.shape[2] != 3
            or image_bgr.shape[0] < MIN_FRAME_SIDE_PX
            or image_bgr.shape[1] < MIN_FRAME_SIDE_PX
        ):
            described = (
                f"{image_bgr.dtype} array of shape {image_bgr.shape}"
                if isinstance(image_bgr, np.ndarray)
                else type(image_bgr).__name__
            )
            raise InputError(f"expected an (height, width, 3) uint8 BGR frame, got a {described}")
        return cls(image_bgr.shape[1], image_bgr.shape[0], bgr=image_bgr)

    @classmethod
    def from_i420(cls, i420: npt.NDArray[np.uint8], width_px: int, height_px: int) -> CameraFrame:
        """Wrap an I420 frame: ``(height * 3 / 2, width)`` uint8, the Y plane then U then V
        (each ``(height / 2) * (width / 2)`` bytes). Not copied: do not change it after.

        Raises:
            InputError: odd or too small sides, or an array of another shape or type.
        """
        if (
            width_px % 2
            or height_px % 2
            or min(width_px, height_px) < MIN_FRAME_SIDE_PX
            or not isinstance(i420, np.ndarray)
            or i420.dtype != np.uint8
            or i420.shape != (height_px * 3 // 2, width_px)
            or not i420.flags.c_contiguous
        ):
            shape = i420.shape if isinstance(i420, np.ndarray) else type(i420).__name__
            raise InputError(
                f"expected a contiguous ({height_px * 3 // 2}, {width_px}) uint8 I420 frame "
                f"with even sides of at least {MIN_FRAME_SIDE_PX} px, got {shape}"
            )
        return cls(width_px, height_px, i420=i420)

    @property
    def grey(self) -> GreyImage:
        """The ``(height, width)`` grey image (OpenCV's BGR to grey weights)."""
        if self._grey is None:
            if self._i420 is not None:
                # Two vectorised passes; a 256-entry cv2.LUT costs 3.6 times more (callgrind).
                luma = cv2.subtract(self._i420[: self.height_px], _VIDEO_BLACK_SCALAR)
                self._grey = np.asarray(
                    cv2.convertScaleAbs(luma, alpha=LUMA_GAIN, beta=LUMA_OFFSET), np.uint8
                )
            else:
                self._grey = np.asarray(cv2.cvtColor(self.bgr(), cv2.COLOR_BGR2GRAY), np.uint8)
        return self._grey

    def bgr(self) -> BgrImage:
        """The whole frame in colour (converted once from I420; for drawing on, not tracking)."""
        if self._bgr is None:
            assert self._i420 is not None  # one of the two is always set
            self._bgr = np.asarray(cv2.cvtColor(self._i420, cv2.COLOR_YUV2BGR_I420), np.uint8)
        return self._bgr

    def colour_crop(self, affine: Affine, side_px: int) -> BgrImage:
        """The ``(side_px, side_px, 3)`` BGR crop that ``cv2.warpAffine(bgr, affine, ...)`` cuts
        (bilinear, border replicated), converting from I420 only the region it reads."""
        size = (side_px, side_px)
        if self._bgr is not None or self._i420 is None:
            return np.asarray(
                cv2.warpAffine(
                    self.bgr(), affine, size, flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE,
                ),
                np.uint8,
            )  # fmt: skip
        left, top, right, bottom = self._footprint(affine, side_px)
        region = self._i420_region_bgr(left, top, right, bottom)
        shifted = affine.copy()
        shifted[:, 2] += affine[:, :2] @ np.array([left, top], np.float64)
        return np.asarray(
            cv2.warpAffine(
                region, shifted, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            ),
            np.uint8,
        )

    def _footprint(self, affine: Affine, side_px: int) -> tuple[int, int, int, int]:
        """Even-aligned ``(left, top, right, bottom)`` of the frame pixels a crop reads, clamped
        to the frame (border replication then reads the same edge pixels), right/bottom
        exclusive, at least 2x2."""
        inverse = cv2.invertAffineTransform(affine)
        corners = np.array([[0, 0], [side_px - 1, 0], [0, side_px - 1], [side_px - 1] * 2], float)
        frame_points = corners @ inverse[:, :2].T + inverse[:, 2]
        (min_x, min_y), (max_x, max_y) = frame_points.min(axis=0), frame_points.max(axis=0)
        width, height = self.width_px, self.height_px

        def span(low: float, high: float, limit: int) -> tuple[int, int]:
            start = math.floor(low) - _CROP_MARGIN_PX if math.isfinite(low) else 0
            stop = math.ceil(high) + 1 + _CROP_MARGIN_PX if math.isfinite(high) else limit
            start = min(max(start - start % 2, 0), limit - 2)
            stop = max(min(stop + stop % 2, limit), start + 2)
            return start, stop

        left, right = span(float(min_x), float(max_x), width)
        top, bottom = span(float(min_y), float(max_y), height)
        return left, top, right, bottom

    def _i420_region_bgr(self, left: int, top: int, right: int, bottom: int) -> BgrImage:
        """BGR of the even-aligned region: its Y, U and V packed as a small I420 image."""
        assert self._i420 is not None
        width, height = self.width_px, self.height_px
        plane = self._i420.reshape(-1)
        chroma_shape = (height // 2, width // 2)
        u_plane = plane[width * height : width * height * 5 // 4].reshape(chroma_shape)
        v_plane = plane[width * height * 5 // 4 :].reshape(chroma_shape)
        region_w, region_h = right - left, bottom - top
        packed = np.empty(region_w * region_h * 3 // 2, np.uint8)
        luma_size, chroma_size = region_w * region_h, region_w * region_h // 4
        packed[:luma_size].reshape(region_h, region_w)[:] = self._i420[top:bottom, left:right]
        chroma = (slice(top // 2, bottom // 2), slice(left // 2, right // 2))
        packed[luma_size : luma_size + chroma_size] = u_plane[chroma].reshape(-1)
        packed[luma_size + chroma_size :] = v_plane[chroma].reshape(-1)
        return np.asarray(
            cv2.cvtColor(packed.reshape(region_h * 3 // 2, region_w), cv2.COLOR_YUV2BGR_I420),
            np.uint8,
        )
