"""A recording as a BIDS dataset: the eye-tracking physio recordings of BIDS 1.10 and later.

Layout (``out_dir`` is the dataset's root; ``[...]`` only when given)::

    dataset_description.json
    sub-<subject>/[ses-<session>/]beh/
        <stem>_events.tsv, <stem>_events.json              the researcher's events
        <stem>_recording-eye1_physio.tsv.gz, .json          one row per sample
        <stem>_recording-eye1_physioevents.tsv.gz, .json    events, blinks, fixations, saccades

with ``<stem>`` = ``sub-<subject>[_ses-<session>]_task-<task>[_run-<run>]``. gazertc estimates
one gaze from both eyes, so there is one recording, ``eye1``, with ``RecordedEye`` ``cyclopean``.

The physio table has no header (the sidecar's ``Columns`` names them) and starts with BIDS's
``timestamp`` (``timestamp_unix_ns``: an exact integer, ns since the Unix epoch on the server's
clock), ``x_coordinate`` and ``y_coordinate``. Once the session was calibrated during the
recording those are the screen point in CSS pixels (``SampleCoordinateSystem``
``gaze-on-screen``, origin top-left); otherwise the gaze direction in degrees in the camera's
frame (``custom``, described in ``SampleCoordinateSystemDescription``). The other sample
columns of the CSV export follow. Rows are the samples as processed: none is interpolated, a
frame the server did not process is a longer step in ``timestamp`` (``SamplingFrequency`` is
one over the median step; ``SamplingGaps`` counts the longer ones). Physio events have their
``onset`` on the same ``timestamp`` scale (``OnsetSource``); ``_events.tsv`` onsets are seconds
since the recording started, as are ``StartTime`` and the CSV's ``time_s``. Missing values are
``n/a``.

The files are written 0600 and the folders created for them 0700 (personal data); the gzip
streams carry no time or name, so the same recording always exports to the same bytes.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import gazertc
from gazertc.errors import InputError
from gazertc.recording.backend import Connection
from gazertc.recording.calibration_reports import (
    CalibrationReport,
    ReportKind,
    bids_calibration_fields,
)
from gazertc.recording.private import make_private, open_private, private_directory
from gazertc.recording.rows import EXPORT_SAMPLE_COLUMNS, Row, export_sample_rows, visual_angle_for
from gazertc.recording.tables import (
    NS_PER_S,
    SamplingReport,
    blink_rows,
    calibration_reports,
    event_rows,
    load_info,
    measure_sampling,
    oculomotor_rows,
    seconds_since_start,
)
from gazertc.records import Column, OculomotorKind, RecordingInfo
from gazertc.vision.screen import CSS_PX_PER_INCH, MM_PER_INCH, SCREEN_POINT_FILTER, ScreenGeometry

__all__ = ["BIDS_VERSION", "RECORDING_LABEL", "bids_stem", "export_bids"]

BIDS_VERSION: Final = "1.10.0"
"""The first BIDS release with eye-tracking physio recordings (``PhysioType`` ``eyetrack``)."""
RECORDING_LABEL: Final = "eye1"
"""The specification's recommended label; ``RecordedEye`` says which eye it is."""
_LABEL: Final = re.compile(r"[0-9A-Za-z]+")
"""A BIDS label: ASCII letters and digits."""
_INDEX: Final = re.compile(r"[0-9]+")
"""A BIDS index (``run``): digits."""
_SECONDS_DIGITS: Final = 9

_TIMESTAMP: Final = Column(
    "timestamp",
    "capture time of the frame (timestamp_unix_ns): ns since the Unix epoch, gazertc server "
    "clock; an exact integer",
    "ns",
)
_ON_SCREEN: Final = ("screen_x_css_px", "screen_y_css_px")
_IN_CAMERA: Final = ("gaze_yaw_deg", "gaze_pitch_deg")
_CAMERA_FRAME: Final = (
    "x_coordinate and y_coordinate are the gaze direction's yaw and pitch in degrees in the "
    "camera's frame (yaw positive towards the image's right, pitch positive up): the session "
    "was not calibrated to a screen during this recording"
)

PHYSIOEVENT_COLUMNS: Final = (
    Column("onset", "start, on the physio file's timestamp scale (ns since the Unix epoch)", "ns"),
    Column("duration", "seconds; n/a for a researcher's event (a moment)", "s"),
    Column("trial_type", "blink, fixation or saccade; n/a for a researcher's event", None),
    Column("message", "the researcher's event name", None),
    Column("gaze_yaw_deg", "fixation: mean gaze yaw; saccade: landing gaze yaw", "deg"),
    Column("gaze_pitch_deg", "fixation: mean gaze pitch; saccade: landing gaze pitch", "deg"),
    Column("amplitude_deg", "saccade amplitude", "deg"),
)
EVENT_COLUMNS: Final = (
    Column("onset", "seconds since the recording started", "s"),
    Column("duration", "0: an event marks a moment", "s"),
    Column("trial_type", "the event's name, as the researcher marked it", None),
    Column("timestamp_unix_ns", "the event's time, ns since the Unix epoch, server clock", "ns"),
    Column("source", "client: the client gave the time; arrival: the server stamped it", None),
)


def bids_stem(subject: str, task: str, session: str | None = None, run: int | None = None) -> str:
    """``sub-<subject>[_ses-<session>]_task-<task>[_run-<run>]``.

    Raises:
        ValueError: a label is not ASCII letters and digits, or ``run`` is negative.
    """
    for name, label in (("subject", subject), ("session", session), ("task", task)):
        if label is not None and not _LABEL.fullmatch(label):
            raise ValueError(f"the BIDS {name} label must be alphanumeric, got {label!r}")
    if run is not None and not (run >= 0 and _INDEX.fullmatch(str(run))):
        raise ValueError(f"the BIDS run index must be a non-negative integer, got {run!r}")
    parts = [f"sub-{subject}", *([f"ses-{session}"] if session else []), f"task-{task}"]
    return "_".join([*parts, *([f"run-{run}"] if run is not None else [])])


def _value(value: Any) -> str:
    return "n/a" if value is None else str(value)


def _write_tsv_gz(path: Path, rows: Iterable[Row]) -> None:
    """Header-less TSV, gzip-compressed without a time or name (reproducible bytes)."""
    make_private(path)
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
        io.TextIOWrapper(compressed, encoding="utf-8", newline="") as text,
    ):
        for row in rows:
            text.write("\t".join(_value(value) for value in row) + "\n")


def _write_json(path: Path, content: dict[str, Any]) -> None:
    with open_private(path) as file:
        file.write(json.dumps(content, indent=2) + "\n")


def _column_fields(columns: Sequence[Column]) -> dict[str, Any]:
    fields: dict[str, Any] = {"Columns": [column.name for column in columns]}
    for column in columns:
        entry: dict[str, Any] = {"Description": column.description}
        if column.units is not None:
            entry["Units"] = column.units
        fields[column.name] = entry
    return fields


def _physio_layout(on_screen: bool) -> tuple[list[Column], list[int]]:
    """The physio columns and, for each, its index in :data:`EXPORT_SAMPLE_COLUMNS`."""
    names = [column.name for column in EXPORT_SAMPLE_COLUMNS]
    x_name, y_name = _ON_SCREEN if on_screen else _IN_CAMERA
    x_source, y_source = (
        EXPORT_SAMPLE_COLUMNS[names.index(x_name)],
        EXPORT_SAMPLE_COLUMNS[names.index(y_name)],
    )
    first = [
        _TIMESTAMP,
        Column("x_coordinate", f"{x_name}: {x_source.description}", x_source.units),
        Column("y_coordinate", f"{y_name}: {y_source.description}", y_source.units),
    ]
    used = {"timestamp_unix_ns", x_name, y_name}
    rest = [index for index, name in enumerate(names) if name not in used]
    order = [names.index("timestamp_unix_ns"), names.index(x_name), names.index(y_name), *rest]
    return [*first, *(EXPORT_SAMPLE_COLUMNS[index] for index in rest)], order


def _screen_fields(
    screen: ScreenGeometry | None, size_mm: tuple[float, float] | None, distance_m: float | None
) -> dict[str, Any]:
    """``StimulusPresentation``'s screen fields: the viewport in CSS pixels, its size in metres
    (the CSS nominal 96 per inch when nobody measured it, flagged), the viewing distance."""
    if screen is None:
        return {"ScreenResolution": "n/a", "ScreenSize": "n/a", "ScreenDistance": "n/a"}
    estimated = False
    if size_mm is None and screen.width_mm is not None and screen.height_mm is not None:
        size_mm = (screen.width_mm, screen.height_mm)
    elif size_mm is None:
        estimated = True
        mm_per_css_px = MM_PER_INCH / CSS_PX_PER_INCH
        size_mm = (screen.width_css_px * mm_per_css_px, screen.height_css_px * mm_per_css_px)
    return {
        "ScreenResolution": [screen.width_css_px, screen.height_css_px],
        "ScreenSize": [round(side / 1000.0, 4) for side in size_mm],
        "ScreenSizeEstimated": estimated,
        "ScreenDistance": "n/a" if distance_m is None else distance_m,
        "ScreenOrigin": ["top", "left"],
        "ScreenDevicePixelRatio": screen.device_pixel_ratio,
    }


def _latest_screen(
    info: RecordingInfo, reports: Sequence[CalibrationReport]
) -> ScreenGeometry | None:
    raw = next(
        (
            report.screen
            for report in reversed(reports)
            if report.kind is ReportKind.CALIBRATION and report.screen
        ),
        info.metadata.get("screen"),
    )
    try:
        return None if raw is None else ScreenGeometry.from_dict(raw)
    except InputError:
        return None


def _timing_fields(sampling: SamplingReport, info: RecordingInfo) -> dict[str, Any]:
    first = sampling.first_unix_ns
    # A recording from before early frames were left out may begin a frame early: 0 then.
    start_s = None if first is None else seconds_since_start(first, info)
    return {
        "SamplingFrequency": "n/a"
        if sampling.sampling_rate_hz is None
        else sampling.sampling_rate_hz,
        "StartTime": 0.0 if start_s is None else start_s,
        "SamplingFrequencyEffective": sampling.effective_rate_hz,
        "SamplingGaps": {
            "Description": "steps between consecutive samples longer than 1.5 median steps "
            "(frames missing); rows are never interpolated",
            "Count": sampling.gap_count,
            "TotalMissingMs": sampling.gap_total_ms,
            "LongestStepMs": sampling.longest_interval_ms,
            "FramesNotProcessed": sampling.frames_not_processed,
        },
    }


def _physio_sidecar(
    info: RecordingInfo,
    columns: Sequence[Column],
    *,
    on_screen: bool,
    sampling: SamplingReport,
    reports: Sequence[CalibrationReport],
    screen_fields: dict[str, Any],
    distance_m: float | None,
) -> dict[str, Any]:
    filter_ = SCREEN_POINT_FILTER
    sidecar: dict[str, Any] = {
        "PhysioType": "eyetrack",
        "RecordedEye": "cyclopean",
        "SampleCoordinateSystem": "gaze-on-screen" if on_screen else "custom",
        **_timing_fields(sampling, info),
        "Manufacturer": "gazertc",
        "ManufacturersModelName": "webcam gaze estimation (gazertc)",
        "SoftwareVersions": str(info.metadata.get("software_version", gazertc.__version__)),
        "EyeTrackingMethod": "webcam video: face landmarks, iris centres (no corneal reflection)",
        "RawDataFilters": "x_coordinate/y_coordinate unfiltered; screen_smoothed_* after a One "
        f"Euro filter (min cutoff {filter_.min_cutoff_hz} Hz, beta {filter_.beta_s_per_px} s/px)",
        **bids_calibration_fields(reports),
        **{name: value for name, value in screen_fields.items() if value is not None},
        "RecordingId": info.recording_id,
        "RecordingStartUnixNs": info.started_unix_ns,
        "CameraResolution": None
        if info.frame_width_px is None
        else [info.frame_width_px, info.frame_height_px],
        **_column_fields(columns),
    }
    if distance_m is not None:
        sidecar["EyeTrackerDistance"] = distance_m
    if not on_screen:
        sidecar["SampleCoordinateSystemDescription"] = _CAMERA_FRAME
    sidecar["timestamp"]["Origin"] = "Unix epoch (1970-01-01T00:00:00Z)"
    return sidecar


def _physioevent_rows(connection: Connection, info: RecordingInfo) -> list[Row]:
    rows: list[Row] = [
        [event.timestamp_unix_ns, None, None, event.name, None, None, None]
        for event in event_rows(connection, info)
    ]
    for blink in blink_rows(connection, info):
        if blink.phase == "end" and blink.duration_ms is not None:
            onset_ns = max(
                blink.timestamp_unix_ns - round(blink.duration_ms * 1e6), info.started_unix_ns
            )
            duration_s = round((blink.timestamp_unix_ns - onset_ns) / NS_PER_S, _SECONDS_DIGITS)
            rows.append([onset_ns, duration_s, "blink", None, None, None, None])
    for kind in OculomotorKind:
        for row in oculomotor_rows(connection, info, kind):
            rows.append(
                [
                    row.start_unix_ns,
                    round(row.duration_ms / 1000.0, _SECONDS_DIGITS),
                    kind.value,
                    None,
                    row.yaw_deg,
                    row.pitch_deg,
                    row.amplitude_deg,
                ]
            )
    rows.sort(key=lambda row: int(row[0]))
    return rows


def _task_event_rows(connection: Connection, info: RecordingInfo) -> list[Row]:
    """Events from the recording's start on (``_events.tsv`` onsets are never negative; an
    event the client stamped earlier is in the physio events, with its exact time)."""
    return [
        [
            seconds_since_start(event.timestamp_unix_ns, info),
            0,
            event.name,
            event.timestamp_unix_ns,
            event.source.value,
        ]
        for event in event_rows(connection, info)
        if event.timestamp_unix_ns >= info.started_unix_ns
    ]


def _write_events_tsv(path: Path, rows: Iterable[Row]) -> None:
    with open_private(path, newline="") as file:
        file.write("\t".join(column.name for column in EVENT_COLUMNS) + "\n")
        for row in rows:
            file.write("\t".join(_value(value) for value in row) + "\n")


def export_bids(
    connection: Connection,
    recording_id: str,
    out_dir: Path,
    *,
    subject: str = "01",
    task: str = "gazertc",
    session: str | None = None,
    run: int | None = None,
    screen_size_mm: tuple[float, float] | None = None,
    viewing_distance_mm: float | None = None,
) -> list[Path]:
    """Write a recording as a BIDS eye-tracking dataset rooted at ``out_dir`` (created);
    returns the files written. Several recordings may share a dataset (other subject, session
    or run labels).

    ``screen_size_mm`` (width, height of the client's viewport) and ``viewing_distance_mm``,
    when the researcher knows them, take the place of what the recording knows.

    Raises:
        RecordingError: there is no such recording.
        ValueError: a label is not BIDS letters and digits, ``run`` is negative, or a size or
            distance given is not positive.
    """
    stem = bids_stem(subject, task, session, run)
    info = load_info(connection, recording_id)
    reports = calibration_reports(connection, info)
    angle = visual_angle_for(
        info, reports, screen_size_mm=screen_size_mm, viewing_distance_mm=viewing_distance_mm
    )
    on_screen = any(report.kind is ReportKind.CALIBRATION for report in reports)
    folder = out_dir
    private_directory(folder)
    for part in (f"sub-{subject}", *([f"ses-{session}"] if session else []), "beh"):
        folder = folder / part
        private_directory(folder)
    columns, order = _physio_layout(on_screen)
    physio_stem = folder / f"{stem}_recording-{RECORDING_LABEL}"
    physio_tsv = physio_stem.with_name(physio_stem.name + "_physio.tsv.gz")
    _write_tsv_gz(
        physio_tsv,
        ([row[index] for index in order] for row in export_sample_rows(connection, info, angle)),
    )
    distance_m = angle.viewing_distance_m()
    screen_fields = _screen_fields(_latest_screen(info, reports), screen_size_mm, distance_m)
    physio_json = physio_tsv.with_name(physio_stem.name + "_physio.json")
    sampling = measure_sampling(connection, info)
    _write_json(
        physio_json,
        _physio_sidecar(
            info,
            columns,
            on_screen=on_screen,
            sampling=sampling,
            reports=reports,
            screen_fields=screen_fields,
            distance_m=distance_m,
        ),
    )
    events_tsv = physio_tsv.with_name(physio_stem.name + "_physioevents.tsv.gz")
    _write_tsv_gz(events_tsv, _physioevent_rows(connection, info))
    events_json = physio_tsv.with_name(physio_stem.name + "_physioevents.json")
    _write_json(
        events_json,
        {
            **_column_fields(PHYSIOEVENT_COLUMNS),
            "Description": "researcher's events, blinks, fixations and saccades (gazertc)",
            "OnsetSource": "timestamp",
        },
    )
    task_tsv = folder / f"{stem}_events.tsv"
    _write_events_tsv(task_tsv, _task_event_rows(connection, info))
    task_json = folder / f"{stem}_events.json"
    stimulus = {key: value for key, value in screen_fields.items() if value is not None}
    event_fields = _column_fields(EVENT_COLUMNS)
    del event_fields["Columns"]  # a TSV with a header names its own columns
    _write_json(task_json, {**event_fields, "StimulusPresentation": stimulus})
    description = out_dir / "dataset_description.json"
    _write_json(
        description,
        {
            "Name": "gazertc recordings",
            "BIDSVersion": BIDS_VERSION,
            "DatasetType": "raw",
            "GeneratedBy": [{"Name": "gazertc", "Version": gazertc.__version__}],
        },
    )
    return [description, physio_tsv, physio_json, events_tsv, events_json, task_tsv, task_json]
