"""Where the gaze went over a time range: a heatmap and a scanpath (pure numpy, no drawing).

Both work in one gaze space: screen CSS px once the recording is calibrated (y down), else gaze
angles in degrees (yaw, pitch; pitch up). The time-range rule is the app's: a sample counts when
its time lies in ``[from_s, to_s]``, a fixation when its start does.

The heatmap is a 2D histogram of the gaze points over an area (the screen rectangle, or the
angles' extent), smoothed with a Gaussian of ``sigma`` in the space's units and scaled to a
peak of 1: each cell says how long the gaze dwelled near it, relative to the most looked-at one.
The scanpath lists the fixations in time order, numbered from 1, each with a radius fraction
whose square grows with its duration (circle area proportional to time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_GRID_CELLS",
    "Area",
    "Heatmap",
    "ScanpathFixation",
    "TimedFixation",
    "extent_area",
    "gaussian_smoothed",
    "gaze_heatmap",
    "scanpath",
]

DEFAULT_GRID_CELLS: Final = 64
"""Cells along the longer side: finer than webcam gaze's accuracy on any screen."""
ANGLE_MARGIN_DEG: Final = 2.0
"""Room around the angles' extent, about one webcam accuracy, so the edge points show whole."""
MIN_ANGLE_SPAN_DEG: Final = 10.0
"""A narrower extent (someone staring at one spot) would blow one fixation up to the page."""


@dataclass(frozen=True, slots=True)
class Area:
    """A rectangle of the gaze space: ``x_min``..``x_max`` by ``y_min``..``y_max``."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float

    def __post_init__(self) -> None:
        if not (self.x_max > self.x_min and self.y_max > self.y_min):
            raise ValueError(f"an area needs a positive size, got {self}")

    @property
    def width(self) -> float:
        return self.x_max - self.x_min

    @property
    def height(self) -> float:
        return self.y_max - self.y_min


def extent_area(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    margin: float = ANGLE_MARGIN_DEG,
    min_span: float = MIN_ANGLE_SPAN_DEG,
) -> Area:
    """The points' extent (NaN ignored) with ``margin`` around it, at least ``min_span`` on
    each side; centred on 0 without points. The defaults suit gaze angles in degrees."""
    spans = []
    for values in (np.asarray(x, np.float64), np.asarray(y, np.float64)):
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        low, high = low - margin, high + margin
        missing = min_span - (high - low)
        if missing > 0:
            low, high = low - missing / 2, high + missing / 2
        spans.append((low, high))
    (x_min, x_max), (y_min, y_max) = spans
    return Area(x_min, x_max, y_min, y_max)


@dataclass(frozen=True, slots=True, eq=False)
class Heatmap:
    """``density[row, column]`` in [0, 1] over ``area``: row 0 at ``y_min``, column 0 at
    ``x_min``; ``points`` counts the gaze points inside the area and time range."""

    density: npt.NDArray[np.float64]
    area: Area
    points: int

    @property
    def cell_width(self) -> float:
        return self.area.width / int(self.density.shape[1])

    @property
    def cell_height(self) -> float:
        return self.area.height / int(self.density.shape[0])

    def peak(self) -> tuple[float, float]:
        """The centre of the densest cell, in the gaze space."""
        row, column = np.unravel_index(int(np.argmax(self.density)), self.density.shape)
        return (
            self.area.x_min + (int(column) + 0.5) * self.cell_width,
            self.area.y_min + (int(row) + 0.5) * self.cell_height,
        )


def _gaussian_matrix(cells: int, sigma_cells: float) -> npt.NDArray[np.float64]:
    """Row ``i`` spreads cell ``i`` over its neighbours (unnormalised: the heatmap is scaled
    to its peak; what falls off the edge is lost, so an edge is not made hotter than it was)."""
    index = np.arange(cells, dtype=np.float64)
    distance = index[:, None] - index[None, :]
    weights: npt.NDArray[np.float64] = np.exp(-0.5 * (distance / sigma_cells) ** 2)
    return weights


def gaussian_smoothed(
    counts: npt.NDArray[np.float64], sigma_rows: float, sigma_columns: float
) -> npt.NDArray[np.float64]:
    """``counts`` convolved with a separable Gaussian (standard deviations in cells)."""
    rows, columns = counts.shape
    smoothed: npt.NDArray[np.float64] = (
        _gaussian_matrix(rows, max(sigma_rows, 1e-6)).T
        @ counts
        @ _gaussian_matrix(columns, max(sigma_columns, 1e-6))
    )
    return smoothed


def gaze_heatmap(
    t_s: npt.ArrayLike,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    area: Area,
    *,
    sigma: float,
    from_s: float = 0.0,
    to_s: float = float("inf"),
    grid_cells: int = DEFAULT_GRID_CELLS,
) -> Heatmap:
    """The smoothed density of the points ``(x, y)`` at times ``t_s`` in ``[from_s, to_s]``
    over ``area``; ``sigma`` in the space's units (px or degrees). NaN points are skipped.

    Raises:
        ValueError: ``sigma`` or ``grid_cells`` is not positive, or the arrays differ in length.
    """
    if not sigma > 0 or grid_cells < 1:
        raise ValueError(f"sigma and grid_cells must be positive, got {sigma}, {grid_cells}")
    times, xs, ys = (np.asarray(values, np.float64) for values in (t_s, x, y))
    if not times.shape == xs.shape == ys.shape:
        raise ValueError(f"t_s, x, y differ in length: {times.shape}, {xs.shape}, {ys.shape}")
    scale = grid_cells / max(area.width, area.height)
    columns = max(1, round(area.width * scale))
    rows = max(1, round(area.height * scale))
    chosen = (
        (times >= from_s)
        & (times <= to_s)
        & np.isfinite(xs)
        & np.isfinite(ys)
        & (xs >= area.x_min)
        & (xs <= area.x_max)
        & (ys >= area.y_min)
        & (ys <= area.y_max)
    )
    counts, _, _ = np.histogram2d(
        ys[chosen],
        xs[chosen],
        bins=(rows, columns),
        range=((area.y_min, area.y_max), (area.x_min, area.x_max)),
    )
    smoothed = gaussian_smoothed(counts, sigma * rows / area.height, sigma * columns / area.width)
    peak = float(smoothed.max()) if smoothed.size else 0.0
    density = smoothed / peak if peak > 0 else smoothed
    return Heatmap(density, area, int(chosen.sum()))


@dataclass(frozen=True, slots=True)
class TimedFixation:
    """A fixation in the gaze space: start and end (s since the recording's start), where."""

    start_s: float
    end_s: float
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class ScanpathFixation:
    """One circle of a scanpath: its ``number`` (1 = first in the range), where, how long,
    and ``radius_fraction`` in (0, 1] (1 = the longest fixation of the range)."""

    number: int
    x: float
    y: float
    duration_s: float
    radius_fraction: float


def scanpath(
    fixations: Sequence[TimedFixation], *, from_s: float = 0.0, to_s: float = float("inf")
) -> list[ScanpathFixation]:
    """The fixations starting in ``[from_s, to_s]``, in time order, numbered from 1; the
    circle's area is proportional to the duration (radius to its square root)."""
    chosen = sorted(
        (fixation for fixation in fixations if from_s <= fixation.start_s <= to_s),
        key=lambda fixation: fixation.start_s,
    )
    durations = [max(fixation.end_s - fixation.start_s, 0.0) for fixation in chosen]
    longest = max(durations, default=0.0)
    return [
        ScanpathFixation(
            number=number,
            x=fixation.x,
            y=fixation.y,
            duration_s=duration,
            radius_fraction=float(np.sqrt(duration / longest)) if longest > 0 else 1.0,
        )
        for number, (fixation, duration) in enumerate(zip(chosen, durations, strict=True), start=1)
    ]
