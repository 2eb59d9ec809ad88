"""``gazertc report``'s page: one self-contained HTML file about a stored recording.

It holds the recording's metadata, data quality, every calibration and validation result with
its quality, a heatmap and a scanpath of the whole recording, and a timeline with every event
(and blinks, fixations, saccades and gaps), drawn from the same records the app's recording
page gets (:mod:`gazertc.recording.summary`, :mod:`gazertc.recording.replay`). Nothing in it is
fetched: the plots are inline SVG (:mod:`gazertc.recording.report_svg`), the style is inline,
there are no scripts, and a Content-Security-Policy forbids loading anything else. Everything
taken from the recording (names, event names, calibration verdicts) is HTML-escaped.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np

import gazertc
from gazertc.recording.backend import Connection
from gazertc.recording.calibration_reports import ReportKind
from gazertc.recording.gaze_columns import GazeColumns, load_gaze_columns
from gazertc.recording.heatmap import (
    Area,
    TimedFixation,
    extent_area,
    gaze_heatmap,
    scanpath,
)
from gazertc.recording.replay import RecordingReplay, build_replay
from gazertc.recording.report_svg import (
    GazeSpace,
    TimelineLane,
    heatmap_svg,
    scanpath_svg,
    timeline_svg,
)
from gazertc.recording.summary import RecordingSummary, ReportEntry, build_summary
from gazertc.records import RecordingInfo

__all__ = ["build_report", "render_report"]

SCREEN_SIGMA_FRACTION: Final = 0.03
"""Heatmap smoothing on the screen: 3 % of its longer side, about 1 deg of visual angle on a
laptop at arm's length (1536 CSS px over 344 mm, 600 mm away)."""
ANGLE_SIGMA_DEG: Final = 1.0
"""Heatmap smoothing in gaze angles: 1 deg, the size of the fovea."""
SCREEN_MARGIN_FRACTION: Final = 0.05
"""Room around the points when the screen's size is unknown."""

_STYLE: Final = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:820px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}svg.plot{display:block;margin:.5em 0}
svg text{font:11px sans-serif;fill:#333}.note{color:#555}.poor{color:#a00}.fair{color:#a60}
.good{color:#070}
"""


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _utc(unix_ns: int | None) -> str:
    if unix_ns is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(unix_ns / 1e9, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _number(value: object, unit: str = "", digits: int = 2) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-"
    return f"{value:.{digits}f}{unit}"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _table(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table; the values are already HTML (escaped by the caller)."""
    body = "".join(f"<tr><th>{_escape(name)}</th><td>{value}</td></tr>" for name, value in rows)
    return f"<table>{body}</table>"


def _metadata(info: RecordingInfo, summary: RecordingSummary) -> str:
    metadata = info.metadata
    screen = summary.screen
    return _table(
        [
            ("recording id", _escape(info.recording_id)),
            ("name", _escape(info.name or "-")),
            ("participant", _escape(info.participant_label or "-")),
            ("state", _escape(info.state.value)),
            ("started", _escape(f"{_utc(info.started_unix_ns)} by {info.started_by.value}")),
            (
                "stopped",
                _escape(
                    _utc(info.stopped_unix_ns)
                    + ("" if info.stopped_by is None else f" by {info.stopped_by.value}")
                ),
            ),
            ("duration", _escape(f"{summary.duration_s:.1f} s")),
            (
                "counts",
                _escape(
                    f"{info.sample_count} samples, {info.event_count} events, "
                    f"{info.blink_count} blinks, {info.fixation_count} fixations, "
                    f"{info.saccade_count} saccades"
                ),
            ),
            (
                "camera frames",
                _escape(
                    "-"
                    if info.frame_width_px is None
                    else f"{info.frame_width_px} x {info.frame_height_px} px"
                ),
            ),
            (
                "screen",
                _escape(
                    "unknown"
                    if screen is None
                    else f"{screen.width_px} x {screen.height_px} CSS px"
                ),
            ),
            ("video stored", "yes" if info.video else "no"),
            ("recorded with", _escape(f"gazertc {metadata.get('software_version', '?')}")),
        ]
    )


def _quality(summary: RecordingSummary) -> str:
    quality = summary.data_quality
    gaps = ", ".join(f"{gap.start_s:.2f}-{gap.end_s:.2f} s" for gap in quality.gaps[:20])
    if quality.gap_count > 20:
        gaps += f" (and {quality.gap_count - 20} more)"
    expected = "-" if quality.expected_frames is None else str(quality.expected_frames)
    return _table(
        [
            ("samples", _escape(f"{quality.samples} (expected at this frame rate: {expected})")),
            ("frame rate", _number(quality.frame_rate_hz, " Hz", 1)),
            (
                "gaps over 200 ms",
                _escape(f"{quality.gap_count}, {quality.gap_total_s:.2f} s in all")
                + (f"<br><span class=note>{_escape(gaps)}</span>" if gaps else ""),
            ),
            ("face found", _share(quality.face_found_share)),
            ("gaze angles", _share(quality.gaze_share)),
            ("gaze on the screen (calibrated)", _share(quality.screen_gaze_share)),
        ]
    )


def _verdict(message: Mapping[str, Any]) -> str:
    quality = message.get("quality")
    if not isinstance(quality, str):
        return "-"
    reason = message.get("quality_reason")
    text = f'<b class="{_escape(quality)}">{_escape(quality)}</b>'
    return text + (f"<br>{_escape(reason)}" if isinstance(reason, str) else "")


def _calibrations(entries: Sequence[ReportEntry]) -> str:
    if not entries:
        return "<p>No calibration or validation was kept with this recording.</p>"
    head = (
        "<tr><th>when</th><th>what</th><th>applied</th><th>accuracy</th>"
        "<th>precision</th><th>quality</th></tr>"
    )
    rows = []
    for entry in entries:
        message = entry.message
        when = "before the start" if entry.t_s is None else f"{entry.t_s:.1f} s"
        if entry.type is ReportKind.VALIDATION:
            what, applied = "validation", "-"
            accuracy = (
                f"{_number(message.get('accuracy_deg'), ' deg')} / "
                f"{_number(message.get('accuracy_px'), ' px', 0)}"
            )
            precision = (
                f"{_number(message.get('precision_deg'), ' deg')} / "
                f"{_number(message.get('precision_px'), ' px', 0)}"
            )
        else:
            what = f"calibration ({message.get('source', 'fit')})"
            applied = "no" if message.get("applied") is False else "yes"
            accuracy = (
                f"fit {_number(message.get('mean_offset_deg'), ' deg')}; "
                f"left-out targets {_number(message.get('loto_error_deg'), ' deg')}"
            )
            precision = "-"
        rows.append(
            f"<tr><td>{_escape(when)}</td><td>{_escape(what)}</td><td>{applied}</td>"
            f"<td>{_escape(accuracy)}</td><td>{_escape(precision)}</td>"
            f"<td>{_verdict(message)}</td></tr>"
        )
    note = (
        "<p class=note>Validation accuracy is the mean angle between the targets and the gaze "
        "on them (precision: its spread), measured by the server on the participant's "
        "validation targets. A calibration's fit offsets say how well the model fits its own "
        "data, not how accurate it is.</p>"
    )
    return f"<table>{head}{''.join(rows)}</table>{note}"


def _gaze_space(replay: RecordingReplay) -> GazeSpace:
    return GazeSpace.SCREEN_PX if replay.x_px is not None else GazeSpace.ANGLE_DEG


def _plots(replay: RecordingReplay, columns: GazeColumns) -> str:
    space = _gaze_space(replay)
    fixations: list[TimedFixation]
    if space is GazeSpace.SCREEN_PX:
        xs, ys = columns.x_px, columns.y_px
        screen = replay.screen
        if screen is not None:
            area = Area(0.0, float(screen.width_px), 0.0, float(screen.height_px))
            sigma = SCREEN_SIGMA_FRACTION * max(screen.width_px, screen.height_px)
        else:
            finite = xs[np.isfinite(xs)]
            span = float(np.ptp(finite)) if finite.size else 0.0
            area = extent_area(xs, ys, margin=SCREEN_MARGIN_FRACTION * span + 1, min_span=100)
            sigma = SCREEN_SIGMA_FRACTION * max(area.width, area.height)
        fixations = [
            TimedFixation(item.start_s, item.end_s, item.x_px, item.y_px)
            for item in replay.fixations
            if item.x_px is not None and item.y_px is not None
        ]
        statement = (
            "Gaze is shown on the participant's screen in CSS pixels (the calibrated screen "
            "point of each frame; the origin is the screen's top-left corner, y down)."
        )
    else:
        xs, ys = columns.yaw_deg, columns.pitch_deg
        area = extent_area(xs, ys)
        sigma = ANGLE_SIGMA_DEG
        fixations = [
            TimedFixation(item.start_s, item.end_s, item.yaw_deg, item.pitch_deg)
            for item in replay.fixations
        ]
        statement = (
            "This recording has no screen points (it was not calibrated), so gaze is shown as "
            "gaze angles in degrees: yaw across (positive towards the camera image's right, the "
            "participant's left), pitch up."
        )
    heatmap = gaze_heatmap(columns.t_s, xs, ys, area, sigma=sigma)
    path = scanpath(fixations)
    return (
        f"<p><b>Gaze space: {_escape(space.value)}.</b> {_escape(statement)}</p>"
        f"<h2>Heatmap</h2><p class=note>Where the gaze dwelled over the whole recording "
        f"({heatmap.points} samples, Gaussian smoothing {sigma:.1f} "
        f"{'px' if space is GazeSpace.SCREEN_PX else 'deg'}), relative to the most looked-at "
        f"place.</p>{heatmap_svg(heatmap, space, 'heatmap of gaze')}"
        f"<h2>Scanpath</h2><p class=note>{_count(len(path), 'fixation')} in time order, "
        "numbered; a circle's area is proportional to the fixation's duration.</p>"
        f"{scanpath_svg(path, area, space, 'scanpath of fixations')}"
    )


def _timeline(summary: RecordingSummary, replay: RecordingReplay) -> str:
    numbered = list(enumerate(summary.events, start=1))
    lanes = [
        TimelineLane(
            "gaps", [(gap.start_s, gap.end_s) for gap in summary.data_quality.gaps], "#999"
        ),
        TimelineLane("blinks", [(item.start_s, item.end_s) for item in replay.blinks], "#6a3"),
        TimelineLane(
            "fixations", [(item.start_s, item.end_s) for item in replay.fixations], "#4a6fa5"
        ),
        TimelineLane("saccades", [(item.start_s, item.end_s) for item in replay.saccades], "#c80"),
    ]
    ticks = [(number, event.t_s, event.name) for number, event in numbered if event.t_s is not None]
    rows = "".join(
        f"<tr><td>{number}</td>"
        f"<td>{'before the start' if event.t_s is None else f'{event.t_s:.3f} s'}</td>"
        f"<td class=event-name>{_escape(event.name)}</td><td>{_escape(event.source)}</td></tr>"
        for number, event in numbered
    )
    table = (
        f"<table><tr><th>#</th><th>time</th><th>event</th><th>timed by</th></tr>{rows}</table>"
        if numbered
        else "<p>No events.</p>"
    )
    return timeline_svg(replay.duration_s, lanes, ticks, "timeline") + table


def render_report(summary: RecordingSummary, replay: RecordingReplay, columns: GazeColumns) -> str:
    """The report's HTML for a recording's summary, replay and samples."""
    info = summary.recording
    title = f"gazertc recording {info.name or info.recording_id}"
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        f"<title>{_escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_escape(title)}</h1>"
        f"<h2>Recording</h2>{_metadata(info, summary)}"
        f"<h2>Data quality</h2>{_quality(summary)}"
        f"<h2>Calibration and validation</h2>{_calibrations(summary.calibrations)}"
        f"{_plots(replay, columns)}"
        f"<h2>Timeline</h2>{_timeline(summary, replay)}"
        f"<p class=note>Made by gazertc {_escape(gazertc.__version__)} on "
        f"{_escape(_utc(int(datetime.datetime.now(datetime.UTC).timestamp() * 1e9)))}.</p>"
        "</body></html>\n"
    )


def build_report(connection: Connection, info: RecordingInfo) -> str:
    """The report of a stored recording (reads every sample)."""
    columns = load_gaze_columns(connection, info)
    summary = build_summary(connection, info, columns, max_events=None)
    replay = build_replay(connection, info, video=info.video, columns=columns)
    return render_report(summary, replay, columns)
