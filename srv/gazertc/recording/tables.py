"""A stored recording read back for the exports: typed rows in time order, cut to the recording.

No time in an export is negative. A session records no sample captured before its recording
started (:meth:`~gazertc.server.session_recording.SessionRecorder.on_sample`); a fixation or
saccade that began earlier starts at the recording's start and says so
(``starts_before_recording``), one that ended earlier is left out. Anything else stamped before
the start keeps its exact ``timestamp_unix_ns`` with an empty ``time_s``: an event the client
dated earlier, or a frame or two of a recording made before gazertc left them out.

Timing (:class:`SamplingReport`): webcam frames do not arrive on a fixed clock, and the server
processes the newest frame and skips those that arrived meanwhile. Samples are never
interpolated or filled in; a missing frame shows as a longer interval between two rows.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from gazertc.recording.backend import Connection
from gazertc.recording.calibration_reports import METADATA_KEY, CalibrationReport
from gazertc.recording.store import RecordingError, read_recording_info
from gazertc.records import (
    EventSource,
    OculomotorKind,
    RecordingInfo,
    SampleMessage,
    StoredEvent,
)

__all__ = [
    "GAP_FACTOR",
    "NS_PER_S",
    "BlinkRow",
    "OculomotorRow",
    "SamplingReport",
    "blink_rows",
    "calibration_reports",
    "event_rows",
    "load_info",
    "measure_sampling",
    "oculomotor_rows",
    "sample_messages",
    "seconds_since_start",
]

NS_PER_S: Final = 1_000_000_000
GAP_FACTOR: Final = 1.5
"""An interval longer than 1.5 typical intervals is a gap (at least one frame missing): webcam
frame jitter stays well under half a frame interval, a missing frame adds a whole one."""
_TIME_DIGITS: Final = 9
"""Seconds to the nanosecond: ``time_s`` loses nothing of ``timestamp_unix_ns``."""


def load_info(connection: Connection, recording_id: str) -> RecordingInfo:
    """Raises:
    RecordingError: there is no such recording."""
    info = read_recording_info(connection, recording_id)
    if info is None:
        raise RecordingError(f"no recording {recording_id!r}")
    return info


def seconds_since_start(timestamp_unix_ns: int, info: RecordingInfo) -> float | None:
    """Seconds from the recording's start; ``None`` before it (never a negative time)."""
    if timestamp_unix_ns < info.started_unix_ns:
        return None
    return round((timestamp_unix_ns - info.started_unix_ns) / NS_PER_S, _TIME_DIGITS)


def sample_messages(connection: Connection, info: RecordingInfo) -> Iterator[SampleMessage]:
    """The recording's samples in the order they were processed.

    The query's first column is ``sample_json``: ``gazertc export`` counts those rows for its
    progress bar (:func:`gazertc.recording.cli.count_sample_rows`).
    """
    rows = connection.stream(
        "SELECT sample_json FROM samples WHERE recording_id = ? ORDER BY sample_id",
        (info.recording_id,),
    )
    for (sample_json,) in rows:
        yield SampleMessage.from_dict(json.loads(sample_json))


def event_rows(connection: Connection, info: RecordingInfo) -> list[StoredEvent]:
    """The recording's events in time order."""
    rows = connection.execute(
        "SELECT name, timestamp_unix_ns, received_unix_ns, source FROM events "
        "WHERE recording_id = ? ORDER BY timestamp_unix_ns, event_id",
        (info.recording_id,),
    )
    return [
        StoredEvent(name, ts, received, EventSource(source), info.session_id, info.recording_id)
        for name, ts, received, source in rows
    ]


@dataclass(frozen=True, slots=True)
class BlinkRow:
    """A blink starting or ending (``duration_ms`` on the end)."""

    phase: str
    timestamp_unix_ns: int
    duration_ms: float | None


def blink_rows(connection: Connection, info: RecordingInfo) -> list[BlinkRow]:
    rows = connection.execute(
        "SELECT phase, timestamp_unix_ns, duration_ms FROM blinks "
        "WHERE recording_id = ? ORDER BY blink_id",
        (info.recording_id,),
    )
    return [BlinkRow(phase, ts, duration) for phase, ts, duration in rows]


@dataclass(frozen=True, slots=True)
class OculomotorRow:
    """A fixation (mean angles) or saccade (landing angles, amplitude), cut to the recording:
    ``starts_before_recording`` when it began earlier and ``start_unix_ns``/``duration_ms`` are
    counted from the recording's start."""

    start_unix_ns: int
    end_unix_ns: int
    duration_ms: float
    yaw_deg: float | None
    pitch_deg: float | None
    amplitude_deg: float | None
    peak_velocity_deg_s: float | None
    method: str
    starts_before_recording: bool


def oculomotor_rows(
    connection: Connection, info: RecordingInfo, kind: OculomotorKind
) -> list[OculomotorRow]:
    rows = connection.execute(
        "SELECT start_unix_ns, end_unix_ns, duration_ms, yaw_deg, pitch_deg, amplitude_deg, "
        "peak_velocity_deg_s, method FROM oculomotor WHERE recording_id = ? AND kind = ? "
        "AND end_unix_ns >= ? ORDER BY start_unix_ns",
        (info.recording_id, kind.value, info.started_unix_ns),
    )
    result = []
    for stored_start, end, stored_duration_ms, yaw, pitch, amplitude, peak, method in rows:
        early = stored_start < info.started_unix_ns
        start = info.started_unix_ns if early else stored_start
        duration_ms = (end - start) / 1e6 if early else stored_duration_ms
        result.append(
            OculomotorRow(start, end, duration_ms, yaw, pitch, amplitude, peak, method, early)
        )
    result.sort(key=lambda row: row.start_unix_ns)
    return result


def calibration_reports(connection: Connection, info: RecordingInfo) -> list[CalibrationReport]:
    """The calibration and validation results of a recording, oldest first: those from before
    it started (its metadata) and those sent while it ran."""
    kept = info.metadata.get(METADATA_KEY)
    reports = [CalibrationReport.from_dict(raw) for raw in kept] if isinstance(kept, list) else []
    if connection.has_table("calibration_reports"):  # a database from before they were kept
        rows = connection.execute(
            "SELECT report_json FROM calibration_reports WHERE recording_id = ? "
            "ORDER BY sent_unix_ns, report_id",
            (info.recording_id,),
        )
        reports += [CalibrationReport.from_dict(json.loads(text)) for (text,) in rows]
    reports.sort(key=lambda report: report.sent_unix_ns)
    return reports


@dataclass(frozen=True, slots=True)
class SamplingReport:
    """How the samples of a recording were spaced in time.

    ``sampling_rate_hz``: one over the median interval between consecutive samples, the rate
    the camera delivered and the server kept up with (``None`` with fewer than two samples);
    ``effective_rate_hz``: samples per second over the whole span, gaps included. A gap is an
    interval over :data:`GAP_FACTOR` median intervals; ``frames_not_processed`` counts frames
    the server received but skipped (under load it processes the newest frame), from jumps in
    ``frame_id``; frames lost before the server (camera, network) show only as gaps.
    """

    sample_count: int
    first_unix_ns: int | None
    last_unix_ns: int | None
    sampling_rate_hz: float | None
    effective_rate_hz: float | None
    gap_count: int
    gap_total_ms: float
    longest_interval_ms: float | None
    frames_not_processed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "sample_count": self.sample_count,
            "first_unix_ns": self.first_unix_ns,
            "last_unix_ns": self.last_unix_ns,
            "sampling_rate_hz": self.sampling_rate_hz,
            "effective_rate_hz": self.effective_rate_hz,
            "gap_count": self.gap_count,
            "gap_total_ms": self.gap_total_ms,
            "longest_interval_ms": self.longest_interval_ms,
            "frames_not_processed": self.frames_not_processed,
        }


def measure_sampling(connection: Connection, info: RecordingInfo) -> SamplingReport:
    rows = connection.execute(
        "SELECT timestamp_unix_ns, frame_id FROM samples WHERE recording_id = ? ORDER BY sample_id",
        (info.recording_id,),
    ).fetchall()
    times = [row[0] for row in rows]
    intervals = [later - earlier for earlier, later in itertools.pairwise(times)]
    positive = [interval for interval in intervals if interval > 0]
    skipped = sum(max(0, b[1] - a[1] - 1) for a, b in itertools.pairwise(rows))
    if not positive:
        return SamplingReport(
            len(times), times[0] if times else None, times[-1] if times else None,
            None, None, 0, 0.0, None, skipped,
        )  # fmt: skip
    median_ns = float(statistics.median(positive))
    gaps = [interval for interval in intervals if interval > GAP_FACTOR * median_ns]
    span_ns = times[-1] - times[0]
    return SamplingReport(
        sample_count=len(times),
        first_unix_ns=times[0],
        last_unix_ns=times[-1],
        sampling_rate_hz=round(NS_PER_S / median_ns, 3),
        effective_rate_hz=round((len(times) - 1) * NS_PER_S / span_ns, 3),
        gap_count=len(gaps),
        gap_total_ms=round(sum(gap - median_ns for gap in gaps) / 1e6, 3),
        longest_interval_ms=round(max(intervals) / 1e6, 3),
        frames_not_processed=skipped,
    )
