"""The sample rows and metadata the CSV and BIDS exports share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import gazertc
from gazertc.recording.backend import Connection
from gazertc.recording.calibration_reports import CalibrationReport, calibration_quality
from gazertc.recording.tables import SamplingReport, sample_messages, seconds_since_start
from gazertc.recording.visual_angle import VisualAngle
from gazertc.records import SAMPLE_COLUMNS, Column, RecordingInfo, sample_columns

__all__ = [
    "EXPORT_SAMPLE_COLUMNS",
    "Row",
    "export_metadata",
    "export_sample_rows",
    "visual_angle_for",
]

EXPORT_SAMPLE_COLUMNS: Final = (
    SAMPLE_COLUMNS[0],
    Column("time_s", "seconds since the recording started", "s"),
    *SAMPLE_COLUMNS[1:],
    Column("screen_x_deg", "screen point, degrees right of the screen's centre", "deg"),
    Column("screen_y_deg", "screen point, degrees above the screen's centre", "deg"),
)
"""The sample columns of the exports: :data:`~gazertc.records.SAMPLE_COLUMNS` with ``time_s``
after the capture time, and the screen point in degrees at the end."""

_SCREEN_X_INDEX: Final = [column.name for column in SAMPLE_COLUMNS].index("screen_x_css_px")

Row = list[Any]


def visual_angle_for(
    info: RecordingInfo,
    reports: Sequence[CalibrationReport],
    *,
    screen_size_mm: tuple[float, float] | None,
    viewing_distance_mm: float | None,
) -> VisualAngle:
    screen = info.metadata.get("screen")
    return VisualAngle(
        reports,
        screen if isinstance(screen, Mapping) else None,
        screen_size_mm=screen_size_mm,
        viewing_distance_mm=viewing_distance_mm,
    )


def export_sample_rows(
    connection: Connection, info: RecordingInfo, angle: VisualAngle
) -> Iterator[Row]:
    """The recording's samples in :data:`EXPORT_SAMPLE_COLUMNS` order (``None``: no value)."""
    for message in sample_messages(connection, info):
        values = sample_columns(message)
        timestamp_unix_ns = message.sample.timestamp_unix_ns
        x_px, y_px = values[_SCREEN_X_INDEX], values[_SCREEN_X_INDEX + 1]
        yield [
            values[0],
            seconds_since_start(timestamp_unix_ns, info),
            *values[1:],
            *angle.degrees(timestamp_unix_ns, x_px, y_px),
        ]


def export_metadata(
    info: RecordingInfo,
    sampling: SamplingReport,
    angle: VisualAngle,
    reports: Sequence[CalibrationReport],
) -> dict[str, Any]:
    """The recording's summary with what the export adds: timing, degrees, calibrations."""
    summary = info.to_dict()
    summary["time_s_origin"] = "started_unix_ns"
    summary["sampling_rate_hz"] = sampling.sampling_rate_hz
    summary["timing"] = sampling.to_dict()
    summary["visual_angle"] = angle.describe()
    summary["calibration_reports"] = [report.to_dict() for report in reports]
    summary["calibration_quality"] = calibration_quality(reports)
    summary["exported_by"] = f"gazertc {gazertc.__version__}"
    return summary
