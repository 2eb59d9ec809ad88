"""Recordings as files people open directly: CSV tables, or BIDS-style eye-tracking TSV.

Every time appears twice: ``timestamp_unix_ns`` (ns since the Unix epoch, the server's clock)
and ``time_s`` (seconds since the recording started). Angles are degrees of gaze or head
direction (sign conventions in :mod:`gazertc.vision.types`); image points are frame pixels.

CSV (``export_csv``): ``samples.csv``, ``events.csv``, ``blinks.csv``, ``fixations.csv``,
``saccades.csv`` with a header row each, and ``recording.json`` (summary and metadata).

BIDS (``export_bids``), after the BIDS eye-tracking (physio) layout:
``sub-<subject>_task-<task>_recording-gaze_physio.tsv`` (no header: the sidecar's ``Columns``
names them), its ``_physio.json`` sidecar (sampling rate, units, screen geometry when known),
and ``_physioevents.tsv`` + ``.json`` with events, blinks, fixations and saccades. Missing
values are ``n/a``.

The files are written 0600 and a folder created for them 0700 (personal data).
"""

from __future__ import annotations

import csv
import itertools
import json
import sqlite3
import statistics
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import gazertc
from gazertc.recording.private import open_private, private_directory
from gazertc.recording.store import RecordingError, read_recording_info
from gazertc.records import (
    SAMPLE_COLUMNS,
    Column,
    OculomotorKind,
    RecordingInfo,
    SampleMessage,
    sample_columns,
)

__all__ = ["EXPORT_SAMPLE_COLUMNS", "export_bids", "export_csv", "sampling_rate_hz"]

NS_PER_S: Final = 1_000_000_000


EXPORT_SAMPLE_COLUMNS: Final = (
    SAMPLE_COLUMNS[0],
    Column("time_s", "seconds since the recording started", "s"),
    *SAMPLE_COLUMNS[1:],
)
"""The sample columns of the exports: :data:`~gazertc.records.SAMPLE_COLUMNS` with ``time_s``
after the capture time."""


def _sample_rows(connection: sqlite3.Connection, info: RecordingInfo) -> Iterator[list[Any]]:
    cursor = connection.execute(
        "SELECT sample_json FROM samples WHERE recording_id = ? ORDER BY sample_id",
        (info.recording_id,),
    )
    for (sample_json,) in cursor:
        message = SampleMessage.from_dict(json.loads(sample_json))
        values = sample_columns(message)
        yield [values[0], _seconds(message.sample.timestamp_unix_ns, info), *values[1:]]


def _seconds(timestamp_unix_ns: int, info: RecordingInfo) -> float:
    return round((timestamp_unix_ns - info.started_unix_ns) / NS_PER_S, 9)


def _load_info(connection: sqlite3.Connection, recording_id: str) -> RecordingInfo:
    info = read_recording_info(connection, recording_id)
    if info is None:
        raise RecordingError(f"no recording {recording_id!r}")
    return info


def sampling_rate_hz(connection: sqlite3.Connection, recording_id: str) -> float | None:
    """Median sampling rate of a recording's samples, ``None`` with fewer than two."""
    times = [
        row[0]
        for row in connection.execute(
            "SELECT timestamp_unix_ns FROM samples WHERE recording_id = ? ORDER BY sample_id",
            (recording_id,),
        )
    ]
    intervals = [later - earlier for earlier, later in itertools.pairwise(times)]
    positive = [interval for interval in intervals if interval > 0]
    if not positive:
        return None
    return round(NS_PER_S / float(statistics.median(positive)), 3)


def _events(connection: sqlite3.Connection, info: RecordingInfo) -> list[list[Any]]:
    rows = connection.execute(
        "SELECT timestamp_unix_ns, name, source, received_unix_ns FROM events "
        "WHERE recording_id = ? ORDER BY timestamp_unix_ns, event_id",
        (info.recording_id,),
    )
    return [[ts, _seconds(ts, info), name, source, received] for ts, name, source, received in rows]


def _blinks(connection: sqlite3.Connection, info: RecordingInfo) -> list[list[Any]]:
    rows = connection.execute(
        "SELECT phase, timestamp_unix_ns, duration_ms FROM blinks WHERE recording_id = ? "
        "ORDER BY blink_id",
        (info.recording_id,),
    )
    return [[phase, ts, _seconds(ts, info), duration] for phase, ts, duration in rows]


def _oculomotor(
    connection: sqlite3.Connection, info: RecordingInfo, kind: OculomotorKind
) -> list[list[Any]]:
    rows = connection.execute(
        "SELECT start_unix_ns, end_unix_ns, duration_ms, yaw_deg, pitch_deg, amplitude_deg, "
        "peak_velocity_deg_s, method FROM oculomotor WHERE recording_id = ? AND kind = ? "
        "ORDER BY start_unix_ns",
        (info.recording_id, kind.value),
    )
    return [
        [start, _seconds(start, info), end, duration, *rest] for start, end, duration, *rest in rows
    ]


def _write_csv(
    path: Path, header: Sequence[str], rows: Iterator[list[Any]] | list[list[Any]]
) -> None:
    with open_private(path, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def _write_text(path: Path, text: str) -> None:
    with open_private(path) as file:
        file.write(text)


def _metadata(info: RecordingInfo, rate_hz: float | None) -> dict[str, Any]:
    summary = info.to_dict()
    summary["sampling_rate_hz"] = rate_hz
    summary["exported_by"] = f"gazertc {gazertc.__version__}"
    return summary


_OCULOMOTOR_HEADER: Final = (
    "start_unix_ns",
    "start_time_s",
    "end_unix_ns",
    "duration_ms",
    "yaw_deg",
    "pitch_deg",
    "amplitude_deg",
    "peak_velocity_deg_s",
    "method",
)


def export_csv(connection: sqlite3.Connection, recording_id: str, out_dir: Path) -> list[Path]:
    """Write a recording as CSV tables into ``out_dir`` (created); returns the files written.

    Raises:
        RecordingError: there is no such recording.
    """
    info = _load_info(connection, recording_id)
    private_directory(out_dir)
    paths = {
        name: out_dir / f"{name}.csv"
        for name in ("samples", "events", "blinks", "fixations", "saccades")
    }
    _write_csv(
        paths["samples"], [c.name for c in EXPORT_SAMPLE_COLUMNS], _sample_rows(connection, info)
    )
    _write_csv(
        paths["events"],
        ["timestamp_unix_ns", "time_s", "name", "source", "received_unix_ns"],
        _events(connection, info),
    )
    _write_csv(
        paths["blinks"],
        ["phase", "timestamp_unix_ns", "time_s", "duration_ms"],
        _blinks(connection, info),
    )
    _write_csv(
        paths["fixations"],
        _OCULOMOTOR_HEADER,
        _oculomotor(connection, info, OculomotorKind.FIXATION),
    )
    _write_csv(
        paths["saccades"], _OCULOMOTOR_HEADER, _oculomotor(connection, info, OculomotorKind.SACCADE)
    )
    summary_path = out_dir / "recording.json"
    _write_text(
        summary_path,
        json.dumps(_metadata(info, sampling_rate_hz(connection, recording_id)), indent=2) + "\n",
    )
    return [*paths.values(), summary_path]


def _bids_value(value: Any) -> str:
    return "n/a" if value is None else str(value)


def _write_tsv(path: Path, rows: Iterator[list[Any]] | list[list[Any]]) -> None:
    with open_private(path) as file:
        for row in rows:
            file.write("\t".join(_bids_value(value) for value in row) + "\n")


PHYSIOEVENT_COLUMNS: Final = (
    Column("onset", "seconds since the recording started", "s"),
    Column("duration", "seconds; n/a for instantaneous events", "s"),
    Column("trial_type", "event, blink, fixation or saccade", None),
    Column("message", "the event's name; for fixations and saccades, their angles", None),
    Column("timestamp_unix_ns", "the onset in ns since the Unix epoch, server clock", "ns"),
)


def _physioevents(connection: sqlite3.Connection, info: RecordingInfo) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for ts, onset_s, name, _, _ in _events(connection, info):
        rows.append([onset_s, None, "event", name, ts])
    for phase, ts, _, duration_ms in _blinks(connection, info):
        if phase == "end" and duration_ms is not None:
            onset_ns = ts - round(duration_ms * 1e6)
            rows.append([_seconds(onset_ns, info), duration_ms / 1000.0, "blink", "n/a", onset_ns])
    for kind in OculomotorKind:
        for start, start_s, _, duration_ms, yaw, pitch, amplitude, *_ in _oculomotor(
            connection, info, kind
        ):
            if kind is OculomotorKind.FIXATION:
                message = f"yaw_deg={yaw:.3f} pitch_deg={pitch:.3f}"
            else:
                message = f"amplitude_deg={amplitude:.3f}"
            rows.append([start_s, duration_ms / 1000.0, kind.value, message, start])
    rows.sort(key=lambda row: int(row[4]))
    return rows


def _columns_sidecar(columns: Sequence[Column]) -> dict[str, Any]:
    sidecar: dict[str, Any] = {"Columns": [column.name for column in columns]}
    for column in columns:
        entry: dict[str, str] = {"Description": column.description}
        if column.units is not None:
            entry["Units"] = column.units
        sidecar[column.name] = entry
    return sidecar


def export_bids(
    connection: sqlite3.Connection,
    recording_id: str,
    out_dir: Path,
    *,
    subject: str = "01",
    task: str = "gazertc",
) -> list[Path]:
    """Write a recording as BIDS-style eye-tracking physio files; returns the files written.

    Raises:
        RecordingError: there is no such recording.
        ValueError: ``subject`` or ``task`` is not alphanumeric (BIDS labels).
    """
    for label_name, label in (("subject", subject), ("task", task)):
        if not label.isalnum():
            raise ValueError(f"the BIDS {label_name} label must be alphanumeric, got {label!r}")
    info = _load_info(connection, recording_id)
    private_directory(out_dir)
    stem = f"sub-{subject}_task-{task}_recording-gaze"
    rate_hz = sampling_rate_hz(connection, recording_id)
    first = connection.execute(
        "SELECT MIN(timestamp_unix_ns) FROM samples WHERE recording_id = ?", (recording_id,)
    ).fetchone()[0]
    physio_tsv = out_dir / f"{stem}_physio.tsv"
    _write_tsv(physio_tsv, _sample_rows(connection, info))
    sidecar: dict[str, Any] = {
        "PhysioType": "eyetrack",
        "SamplingFrequency": rate_hz if rate_hz is not None else "n/a",
        "StartTime": None if first is None else _seconds(first, info),
        "RecordedEye": "both",
        "SampleCoordinateUnits": "deg",
        "SampleCoordinateSystem": "gaze direction in the camera frame (yaw, pitch)",
        "Manufacturer": "gazertc (webcam)",
        "SoftwareVersions": str(info.metadata.get("software_version", gazertc.__version__)),
        "RecordingStartUnixNs": info.started_unix_ns,
        "RecordingId": info.recording_id,
        "RecordingState": info.state.value,
        "CameraResolution": (
            None if info.frame_width_px is None else [info.frame_width_px, info.frame_height_px]
        ),
        **_columns_sidecar(EXPORT_SAMPLE_COLUMNS),
    }
    screen = info.metadata.get("screen")
    if isinstance(screen, dict):
        sidecar["ScreenResolution"] = [screen["width_px"], screen["height_px"]]
        if "width_mm" in screen and "height_mm" in screen:
            sidecar["ScreenSize"] = [screen["width_mm"] / 1000.0, screen["height_mm"] / 1000.0]
    physio_json = out_dir / f"{stem}_physio.json"
    _write_text(physio_json, json.dumps(sidecar, indent=2) + "\n")
    events_tsv = out_dir / f"{stem}_physioevents.tsv"
    _write_tsv(events_tsv, _physioevents(connection, info))
    events_json = out_dir / f"{stem}_physioevents.json"
    _write_text(events_json, json.dumps(_columns_sidecar(PHYSIOEVENT_COLUMNS), indent=2) + "\n")
    return [physio_tsv, physio_json, events_tsv, events_json]
