"""The report's plots as inline SVG text: heatmap, scanpath and timeline.

Plain SVG elements with no external reference (no fonts, images or scripts), so the report opens
with no network. Every text that comes from a recording (event names) is HTML-escaped here; all
numbers are formatted by this module.

A plot of gaze shows its space: screen CSS px (y down, the screen's top-left at the origin) once
the recording is calibrated, else gaze angles in degrees (yaw across, pitch up), as the camera
sees them: positive yaw is towards the image's right, the participant's left.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from gazertc.recording.heatmap import Area, Heatmap, ScanpathFixation

__all__ = [
    "GazeSpace",
    "TimelineLane",
    "heatmap_svg",
    "scanpath_svg",
    "timeline_svg",
]

PLOT_WIDTH_PX: Final = 640
MARGIN_PX: Final = 44
"""Room for the axis labels around a plot."""
MIN_CIRCLE_PX: Final = 4.0
MAX_CIRCLE_PX: Final = 28.0
"""Scanpath circles: the shortest fixation still visible, the longest about a tenth of the
plot's width."""
TIMELINE_LANE_PX: Final = 22
MAX_LABELLED_EVENTS: Final = 60
"""Event ticks get their number written beside them up to this many; beyond, the numbers would
overlap (each tick still names its event on hover)."""
MIN_HEATMAP_SHOWN: Final = 0.02
"""Cells below 2 % of the peak are left blank, so the plot shows where gaze went, not noise."""


class GazeSpace(StrEnum):
    """The units gaze is plotted in."""

    SCREEN_PX = "screen CSS px"
    ANGLE_DEG = "gaze angle, degrees"

    @property
    def axis_names(self) -> tuple[str, str]:
        if self is GazeSpace.SCREEN_PX:
            return ("x (CSS px, right)", "y (CSS px, down)")
        return ("yaw (deg, + = image right / participant's left)", "pitch (deg, + = up)")

    @property
    def y_up(self) -> bool:
        return self is GazeSpace.ANGLE_DEG


@dataclass(frozen=True, slots=True)
class _Frame:
    """Maps the gaze space's ``area`` onto a plot of ``width`` x ``height`` SVG px."""

    area: Area
    space: GazeSpace
    width: float
    height: float

    @classmethod
    def for_area(cls, area: Area, space: GazeSpace) -> _Frame:
        height = min(PLOT_WIDTH_PX * area.height / area.width, 1.2 * PLOT_WIDTH_PX)
        return cls(area, space, PLOT_WIDTH_PX, height)

    def x(self, value: float) -> float:
        return MARGIN_PX + (value - self.area.x_min) / self.area.width * self.width

    def y(self, value: float) -> float:
        fraction = (value - self.area.y_min) / self.area.height
        return MARGIN_PX + (1 - fraction if self.space.y_up else fraction) * self.height

    def open(self, title: str) -> str:
        total_w, total_h = self.width + 2 * MARGIN_PX, self.height + 2 * MARGIN_PX
        return (
            f'<svg class="plot" viewBox="0 0 {total_w:.0f} {total_h:.0f}" width="{total_w:.0f}" '
            f'height="{total_h:.0f}" role="img" aria-label="{_escape(title)}">'
            f"<title>{_escape(title)}</title>"
            f'<rect x="{MARGIN_PX}" y="{MARGIN_PX}" width="{self.width:.1f}" '
            f'height="{self.height:.1f}" fill="#f7f7f7" stroke="#888"/>'
        )

    def axes(self) -> str:
        area, (x_name, y_name) = self.area, self.space.axis_names
        parts = []
        for value in (area.x_min, (area.x_min + area.x_max) / 2, area.x_max):
            parts.append(
                f'<text x="{self.x(value):.1f}" y="{MARGIN_PX + self.height + 14:.1f}" '
                f'text-anchor="middle">{value:.0f}</text>'
            )
        for value in (area.y_min, (area.y_min + area.y_max) / 2, area.y_max):
            parts.append(
                f'<text x="{MARGIN_PX - 4}" y="{self.y(value) + 4:.1f}" '
                f'text-anchor="end">{value:.0f}</text>'
            )
        parts.append(
            f'<text x="{MARGIN_PX + self.width / 2:.1f}" y="{MARGIN_PX + self.height + 32:.1f}" '
            f'text-anchor="middle">{_escape(x_name)}</text>'
        )
        parts.append(f'<text x="{MARGIN_PX}" y="{MARGIN_PX - 8}">{_escape(y_name)}</text>')
        return "".join(parts)


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _heat_colour(level: float) -> str:
    """Yellow at the peak through orange to transparent red (opacity follows the level)."""
    green = round(220 * level)
    return f'fill="rgb(230,{green},0)" fill-opacity="{0.15 + 0.8 * level:.2f}"'


def heatmap_svg(heatmap: Heatmap, space: GazeSpace, title: str) -> str:
    """The heatmap's cells over its area (blank below :data:`MIN_HEATMAP_SHOWN`)."""
    frame = _Frame.for_area(heatmap.area, space)
    rows, columns = heatmap.density.shape
    cell_w, cell_h = frame.width / columns, frame.height / rows
    parts = [frame.open(title)]
    for row in range(rows):
        for column in range(columns):
            level = float(heatmap.density[row, column])
            if level < MIN_HEATMAP_SHOWN:
                continue
            low = heatmap.area.y_min + row * heatmap.cell_height
            top = min(frame.y(low), frame.y(low + heatmap.cell_height))
            parts.append(
                f'<rect x="{MARGIN_PX + column * cell_w:.1f}" y="{top:.1f}" '
                f'width="{cell_w + 0.3:.1f}" height="{cell_h + 0.3:.1f}" {_heat_colour(level)}/>'
            )
    parts.append(frame.axes())
    parts.append("</svg>")
    return "".join(parts)


def scanpath_svg(
    fixations: Sequence[ScanpathFixation], area: Area, space: GazeSpace, title: str
) -> str:
    """The fixations as numbered circles (area proportional to duration) joined in order."""
    frame = _Frame.for_area(area, space)
    parts = [frame.open(title)]
    if len(fixations) > 1:
        points = " ".join(f"{frame.x(item.x):.1f},{frame.y(item.y):.1f}" for item in fixations)
        parts.append(f'<polyline points="{points}" fill="none" stroke="#4a6fa5" stroke-width="1"/>')
    for item in fixations:
        radius = MIN_CIRCLE_PX + (MAX_CIRCLE_PX - MIN_CIRCLE_PX) * item.radius_fraction
        cx, cy = frame.x(item.x), frame.y(item.y)
        parts.append(
            f'<circle class="fixation" cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" '
            f'fill="#4a6fa5" fill-opacity="0.35" stroke="#23395d">'
            f"<title>fixation {item.number}: {item.duration_s * 1000:.0f} ms</title></circle>"
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle">{item.number}</text>'
        )
    parts.append(frame.axes())
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class TimelineLane:
    """One row of the timeline: stretches (start, end in s) drawn in ``colour``."""

    name: str
    intervals: Sequence[tuple[float, float]]
    colour: str


def timeline_svg(
    duration_s: float,
    lanes: Iterable[TimelineLane],
    events: Sequence[tuple[int, float, str]],
    title: str,
) -> str:
    """Lanes of stretches over the recording's time and a tick per event (``number``, ``t_s``,
    name; the number refers to the report's event table, the name shows on hover)."""
    span = max(duration_s, 1e-3)
    width = PLOT_WIDTH_PX
    lane_list = list(lanes)
    height = (len(lane_list) + 1) * TIMELINE_LANE_PX
    left = 90

    def x(t_s: float) -> float:
        return left + min(max(t_s, 0.0), span) / span * width

    parts = [
        f'<svg class="plot timeline" viewBox="0 0 {left + width + 20} {height + 36}" '
        f'width="{left + width + 20}" height="{height + 36}" role="img" '
        f'aria-label="{_escape(title)}"><title>{_escape(title)}</title>'
    ]
    for index, lane in enumerate(lane_list):
        top = index * TIMELINE_LANE_PX
        parts.append(f'<text x="0" y="{top + 15}">{_escape(lane.name)}</text>')
        for start, end in lane.intervals:
            parts.append(
                f'<rect x="{x(start):.1f}" y="{top + 4}" width="{max(x(end) - x(start), 0.8):.1f}" '
                f'height="{TIMELINE_LANE_PX - 8}" fill="{lane.colour}"/>'
            )
    events_top = len(lane_list) * TIMELINE_LANE_PX
    parts.append(f'<text x="0" y="{events_top + 15}">events</text>')
    labelled = len(events) <= MAX_LABELLED_EVENTS
    for number, t_s, name in events:
        label = (
            f'<text x="{x(t_s) + 2:.1f}" y="{events_top + 12}">{number}</text>' if labelled else ""
        )
        parts.append(
            f'<g class="event"><line x1="{x(t_s):.1f}" x2="{x(t_s):.1f}" y1="{events_top + 2}" '
            f'y2="{events_top + TIMELINE_LANE_PX}" stroke="#b00" stroke-width="1.5"/>{label}'
            f"<title>{number}. {_escape(name)} at {t_s:.3f} s</title></g>"
        )
    axis_y = height + 16
    parts.append(
        f'<line x1="{left}" x2="{left + width}" y1="{height}" y2="{height}" stroke="#888"/>'
    )
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<text x="{left + fraction * width:.1f}" y="{axis_y}" text-anchor="middle">'
            f"{fraction * span:.1f}</text>"
        )
    parts.append(
        f'<text x="{left + width / 2:.1f}" y="{axis_y + 16}" text-anchor="middle">'
        "time since the recording started (s)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
