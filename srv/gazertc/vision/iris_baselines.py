"""The baselines the iris network is compared with on the annotated pupils.

* :func:`contour_centroid`: the centroid of the six dlib eye points. It lands near the pupil of
  a person looking at the camera but does not move with the eye, so it carries no gaze.
* :func:`locate_centre_gradients`: Timm and Barth's means of gradients, an image-only method.

Both take the six dlib contour points of one eye, as :mod:`gazertc.vision.iris` does, and return
full-frame pixel coordinates. ``bench/eye_centre.py`` measures them beside the network.
"""

from __future__ import annotations

import cv2
import numpy as np

from gazertc.vision.blink import eye_aspect_ratio
from gazertc.vision.iris import (
    EyePoints,
    IrisEstimate,
    check_eye_points,
    check_image,
)
from gazertc.vision.iris_refine import parabola_vertex_offset
from gazertc.vision.landmarks import INNER_CORNER, OUTER_CORNER
from gazertc.vision.types import GreyImage

__all__ = [
    "GRADIENT_EYE_WIDTH_PX",
    "GRADIENT_MIN_EAR",
    "contour_centroid",
    "locate_centre_gradients",
]


def contour_centroid(eye_points: EyePoints) -> IrisEstimate:
    """The mean of the six dlib eye points: the baseline.

    ``radius_px`` is ``None``; ``confidence`` is 0, since the centroid does not look at the iris
    at all (it says where the eye is, not where it points).

    Raises:
        InputError: ``eye_points`` is not ``(6, 2)`` finite, or its corners coincide.
    """
    points = check_eye_points(eye_points)
    x_px, y_px = points.mean(axis=0)
    return IrisEstimate((float(x_px), float(y_px)), None, 0.0)


GRADIENT_EYE_WIDTH_PX = 40.0
"""The gradient method resamples each eye so its corners are this far apart: small eyes are
upsampled (sub-pixel detail) and large ones downsampled (bounded cost)."""

GRADIENT_MIN_EAR = 0.10
"""Below this eye aspect ratio the gradient method declines: the lid gap is under 4 resampled
pixels, too little iris edge to find. (An open but narrowed annotated eye here measures 0.13-0.14,
under the tracker's closed-eye threshold of 0.15.)"""

_GRADIENT_CROP_SIZE = (56, 32)
"""Resampled crop width and height in pixels: 1.4 and 0.8 eye widths."""

_GRADIENT_THRESHOLD_STDS = 0.3
"""Gradients weaker than the mean plus this many standard deviations are ignored (Timm and
Barth's dynamic threshold)."""

_GRADIENT_BLUR_SIGMA_PX = 1.0
"""Gaussian smoothing before differentiation, in resampled pixels."""

_IRIS_RADIUS_PER_EYE_WIDTH = 0.2
"""Typical iris radius over eye-corner distance (the iris network measures 0.19-0.23)."""

_GRADIENT_MARGIN_PX = 3
"""Gradients are taken up to this many resampled pixels outside the dlib outline, whose lid points
often cut through the iris edge: median error 0.052 without the margin, 0.041 with it (no gain
beyond 3)."""


def locate_centre_gradients(grey: GreyImage, eye_points: EyePoints) -> IrisEstimate | None:
    """Timm and Barth's means of gradients: the point that most image gradients point away from.

    The eye is resampled (exact float affine) so its corners are :data:`GRADIENT_EYE_WIDTH_PX`
    apart. Each candidate centre inside the dlib eye outline scores the mean squared dot product
    of the normalised strong gradients in and near the outline with the unit vectors from the
    candidate to them (negative products count 0), weighted by the candidate's darkness. The
    maximum is refined to sub-pixel by a parabola through its neighbours along each axis.

    ``confidence`` is the peak's prominence: 1 minus the ratio of the best score outside the
    iris-sized neighbourhood of the peak to the peak score, in [0, 1]. Returns ``None`` when the
    eye aspect ratio is below :data:`GRADIENT_MIN_EAR` (closed eye) or no strong
    gradient lies in the outline. ``radius_px`` is ``None``.

    Raises:
        InputError: ``grey`` is not a 2D uint8 image, or ``eye_points`` is malformed.
    """
    check_image(grey, None)
    points = check_eye_points(eye_points)
    if eye_aspect_ratio(points) < GRADIENT_MIN_EAR:
        return None
    width_px, height_px = _GRADIENT_CROP_SIZE
    eye_width = float(np.linalg.norm(points[INNER_CORNER] - points[OUTER_CORNER]))
    scale = GRADIENT_EYE_WIDTH_PX / eye_width
    centre = (points[OUTER_CORNER] + points[INNER_CORNER]) / 2.0
    to_crop = np.array(
        [
            [scale, 0.0, (width_px - 1) / 2.0 - scale * centre[0]],
            [0.0, scale, (height_px - 1) / 2.0 - scale * centre[1]],
        ]
    )
    crop = cv2.warpAffine(
        grey, to_crop, (width_px, height_px),
        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip
    crop = cv2.GaussianBlur(crop.astype(np.float32), (0, 0), _GRADIENT_BLUR_SIGMA_PX)
    outline = (points @ to_crop[:, :2].T + to_crop[:, 2]).astype(np.float32)
    inside = np.zeros((height_px, width_px), np.uint8)
    cv2.fillConvexPoly(inside, np.round(outline * 16).astype(np.int32), 1, cv2.LINE_8, 4)
    gx = cv2.Sobel(crop, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(crop, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    region = inside.astype(bool)
    if not region.any():
        return None
    margin = 2 * _GRADIENT_MARGIN_PX + 1
    near = cv2.dilate(inside, np.ones((margin, margin), np.uint8)).astype(bool)
    strong = near & (
        magnitude > magnitude[region].mean() + _GRADIENT_THRESHOLD_STDS * magnitude[region].std()
    )
    if not strong.any():
        return None
    gy_idx, gx_idx = np.nonzero(strong)
    grad = np.stack([gx[strong], gy[strong]], axis=1) / magnitude[strong][:, None]
    cy_idx, cx_idx = np.nonzero(region)
    offsets_x = gx_idx[None, :] - cx_idx[:, None]
    offsets_y = gy_idx[None, :] - cy_idx[:, None]
    lengths = np.hypot(offsets_x, offsets_y)
    lengths[lengths == 0] = np.inf
    dots = (offsets_x * grad[:, 0] + offsets_y * grad[:, 1]) / lengths
    darkness = 255.0 - crop[cy_idx, cx_idx]
    scores = np.zeros((height_px, width_px))
    scores[cy_idx, cx_idx] = (np.maximum(dots, 0.0) ** 2).mean(axis=1) * darkness
    peak = int(np.argmax(scores[cy_idx, cx_idx]))
    py, px = int(cy_idx[peak]), int(cx_idx[peak])
    sub_x = (
        px + parabola_vertex_offset(*scores[py, px - 1 : px + 2].tolist())
        if 0 < px < width_px - 1
        else px
    )
    sub_y = (
        py + parabola_vertex_offset(*scores[py - 1 : py + 2, px].tolist())
        if 0 < py < height_px - 1
        else py
    )
    far = np.hypot(cx_idx - px, cy_idx - py) > _IRIS_RADIUS_PER_EYE_WIDTH * GRADIENT_EYE_WIDTH_PX
    runner_up = float(scores[cy_idx[far], cx_idx[far]].max()) if far.any() else 0.0
    peak_score = float(scores[py, px])
    confidence = 0.0 if peak_score <= 0 else max(0.0, 1.0 - runner_up / peak_score)
    x_px = centre[0] + (sub_x - (width_px - 1) / 2.0) / scale
    y_px = centre[1] + (sub_y - (height_px - 1) / 2.0) / scale
    return IrisEstimate((float(x_px), float(y_px)), None, confidence)
