"""Recordings as CSV tables people open directly (BIDS: :mod:`gazertc.recording.bids`).

Every time appears twice: ``timestamp_unix_ns`` (ns since the Unix epoch, the server's clock,
always written as an exact integer) and ``time_s`` (seconds since the recording started, never
negative: see :mod:`gazertc.recording.tables`). Angles are degrees of gaze or head direction
(sign conventions in :mod:`gazertc.vision.types`); image points are frame pixels; screen points
CSS pixels of the client's viewport (empty until the session is calibrated); ``screen_x_deg``/
``screen_y_deg`` the screen point in degrees from the screen's centre when the geometry is
known (:mod:`gazertc.recording.visual_angle`).

``export_csv`` writes ``samples.csv``, ``events.csv``, ``blinks.csv``, ``fixations.csv``,
``saccades.csv`` with a header row each, and ``recording.json``: the recording's summary and
metadata, how its samples were spaced (``timing``), how the degrees were computed
(``visual_angle``), and every calibration and validation result (``calibration_reports``, per
target and overall accuracy and precision; ``calibration_quality`` the latest validation's).
:func:`gazertc.read_recording` reads them back typed. docs/exports.md is the reader's guide.

The files are written 0600 and a folder created for them 0700 (personal data).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from gazertc.recording.backend import Connection
from gazertc.recording.bids import export_bids
from gazertc.recording.private import open_private, private_directory
from gazertc.recording.rows import (
    EXPORT_SAMPLE_COLUMNS,
    Row,
    export_metadata,
    export_sample_rows,
    visual_angle_for,
)
from gazertc.recording.tables import (
    OculomotorRow,
    blink_rows,
    calibration_reports,
    event_rows,
    load_info,
    measure_sampling,
    oculomotor_rows,
    seconds_since_start,
)
from gazertc.records import OculomotorKind, RecordingInfo

__all__ = [
    "BLINK_HEADER",
    "EVENT_HEADER",
    "EXPORT_SAMPLE_COLUMNS",
    "OCULOMOTOR_HEADER",
    "export_bids",
    "export_csv",
]

EVENT_HEADER: Final = ("timestamp_unix_ns", "time_s", "name", "source", "received_unix_ns")
BLINK_HEADER: Final = ("phase", "timestamp_unix_ns", "time_s", "duration_ms")
OCULOMOTOR_HEADER: Final = (
    "start_unix_ns",
    "start_time_s",
    "end_unix_ns",
    "duration_ms",
    "yaw_deg",
    "pitch_deg",
    "amplitude_deg",
    "peak_velocity_deg_s",
    "method",
    "starts_before_recording",
)


def _oculomotor_row(row: OculomotorRow, info: RecordingInfo) -> Row:
    return [
        row.start_unix_ns,
        seconds_since_start(row.start_unix_ns, info),
        row.end_unix_ns,
        row.duration_ms,
        row.yaw_deg,
        row.pitch_deg,
        row.amplitude_deg,
        row.peak_velocity_deg_s,
        row.method,
        int(row.starts_before_recording),
    ]


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Row]) -> None:
    with open_private(path, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def export_csv(
    connection: Connection,
    recording_id: str,
    out_dir: Path,
    *,
    screen_size_mm: tuple[float, float] | None = None,
    viewing_distance_mm: float | None = None,
) -> list[Path]:
    """Write a recording as CSV tables into ``out_dir`` (created); returns the files written.

    ``screen_size_mm`` (width, height of the client's viewport) and ``viewing_distance_mm``,
    when the researcher knows them, take the place of what the recording knows for
    ``screen_x_deg``/``screen_y_deg``.

    Raises:
        RecordingError: there is no such recording.
        ValueError: a size or distance given is not positive.
    """
    info = load_info(connection, recording_id)
    reports = calibration_reports(connection, info)
    angle = visual_angle_for(
        info, reports, screen_size_mm=screen_size_mm, viewing_distance_mm=viewing_distance_mm
    )
    private_directory(out_dir)
    paths = {
        name: out_dir / f"{name}.csv"
        for name in ("samples", "events", "blinks", "fixations", "saccades")
    }
    _write_csv(
        paths["samples"],
        [column.name for column in EXPORT_SAMPLE_COLUMNS],
        export_sample_rows(connection, info, angle),
    )
    _write_csv(
        paths["events"],
        EVENT_HEADER,
        (
            [
                event.timestamp_unix_ns,
                seconds_since_start(event.timestamp_unix_ns, info),
                event.name,
                event.source.value,
                event.received_unix_ns,
            ]
            for event in event_rows(connection, info)
        ),
    )
    _write_csv(
        paths["blinks"],
        BLINK_HEADER,
        (
            [
                blink.phase,
                blink.timestamp_unix_ns,
                seconds_since_start(blink.timestamp_unix_ns, info),
                blink.duration_ms,
            ]
            for blink in blink_rows(connection, info)
        ),
    )
    for name, kind in (
        ("fixations", OculomotorKind.FIXATION),
        ("saccades", OculomotorKind.SACCADE),
    ):
        _write_csv(
            paths[name],
            OCULOMOTOR_HEADER,
            (_oculomotor_row(row, info) for row in oculomotor_rows(connection, info, kind)),
        )
    summary_path = out_dir / "recording.json"
    metadata = export_metadata(info, measure_sampling(connection, info), angle, reports)
    with open_private(summary_path) as file:
        file.write(json.dumps(metadata, indent=2) + "\n")
    return [*paths.values(), summary_path]
