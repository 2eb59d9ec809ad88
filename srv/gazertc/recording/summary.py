"""What a stored recording holds, at a glance: the schema's ``recording_summary`` (the answer to
``GET /api/recordings/{id}/summary``, and the top of ``gazertc report``).

Data quality is measured on the samples kept from the recording's start on:

* ``frame_rate_hz``: one over the median interval between samples (the rate the camera
  delivered and the server kept up with); ``expected_frames``: that rate times the duration,
  the samples a recording without losses would hold.
* ``gaps``: stretches longer than :data:`GAP_S` without a sample (between two samples, or
  between the start and the first sample, or the last sample and the stop), at most
  :data:`MAX_GAPS` listed (the longest ones, in time order); ``gap_count`` and ``gap_total_s``
  count all of them.
* ``face_found_share``, ``gaze_share``, ``screen_gaze_share``: the share of samples with a face,
  with gaze angles, with a point on the screen (``None`` without samples).

``calibrations``: the calibration and validation results kept with the recording (the latest
:data:`MAX_CALIBRATIONS`), oldest first, as sent (the message) with when it was sent (``t_s``
``None`` for one sent before the start).
Times are seconds since the start, to the millisecond.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from gazertc.recording.backend import Connection
from gazertc.recording.calibration_reports import CalibrationReport, ReportKind
from gazertc.recording.gaze_columns import GazeColumns, load_gaze_columns
from gazertc.recording.tables import calibration_reports, event_rows
from gazertc.records import RecordingInfo, StoredEvent

__all__ = [
    "GAP_S",
    "MAX_CALIBRATIONS",
    "MAX_EVENTS",
    "MAX_GAPS",
    "DataQuality",
    "Gap",
    "RecordingSummary",
    "ReportEntry",
    "ScreenSize",
    "SummaryEvent",
    "build_summary",
    "measure_quality",
    "recording_duration_s",
    "recording_screen",
    "relative_s",
]

GAP_S: Final = 0.2
"""A longer stretch without a sample is a gap: at webcam rates (15-60 Hz) it is several frames
lost, longer than a blink's missing gaze would look in a lossless recording."""
MAX_GAPS: Final = 100
"""Gaps listed (the longest); beyond this the list says little that the totals do not."""
MAX_EVENTS: Final = 10_000
"""Events listed, the first ones in time order: a bound on the answer's size (an event name is
up to 200 characters)."""
MAX_CALIBRATIONS: Final = 200
"""Calibration and validation results listed, the latest ones (each takes half a minute or
more, so this is hours of calibrating)."""
TIME_DIGITS: Final = 3
"""Seconds to the millisecond: finer than any webcam frame interval."""
SHARE_DIGITS: Final = 4


def relative_s(timestamp_unix_ns: int, info: RecordingInfo) -> float | None:
    """Seconds since the recording's start to the millisecond; ``None`` before it."""
    if timestamp_unix_ns < info.started_unix_ns:
        return None
    return round((timestamp_unix_ns - info.started_unix_ns) / 1e9, TIME_DIGITS)


@dataclass(frozen=True, slots=True)
class ScreenSize:
    """The participant's screen (CSS px) the screen points refer to."""

    width_px: int
    height_px: int

    def to_dict(self) -> dict[str, Any]:
        return {"width_px": self.width_px, "height_px": self.height_px}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ScreenSize:
        return cls(int(raw["width_px"]), int(raw["height_px"]))


def _screen_of(raw: object) -> ScreenSize | None:
    if not isinstance(raw, Mapping):
        return None
    width, height = raw.get("width_px"), raw.get("height_px")
    if not (isinstance(width, int | float) and isinstance(height, int | float)):
        return None
    if not (width >= 1 and height >= 1):
        return None
    return ScreenSize(round(width), round(height))


def recording_screen(
    info: RecordingInfo, reports: Sequence[CalibrationReport]
) -> ScreenSize | None:
    """The screen the client described when the recording started, else the one the latest
    calibration in use was made for, else ``None``."""
    described = _screen_of(info.metadata.get("screen"))
    if described is not None:
        return described
    for report in reversed(reports):
        if report.kind is ReportKind.CALIBRATION and report.applied:
            fitted = _screen_of(report.screen)
            if fitted is not None:
                return fitted
    return None


def recording_duration_s(info: RecordingInfo, columns: GazeColumns) -> float:
    """From the start to the stop, or to the last sample when later (a recording the server
    left incomplete has no stop)."""
    stopped = 0.0 if info.stopped_unix_ns is None else relative_s(info.stopped_unix_ns, info)
    last = float(columns.t_s[-1]) if columns.size else 0.0
    return round(max(stopped or 0.0, last), TIME_DIGITS)


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch without samples, seconds since the start."""

    start_s: float
    end_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Gap:
        return cls(float(raw["start_s"]), float(raw["end_s"]))


@dataclass(frozen=True, slots=True)
class DataQuality:
    """How complete the samples are (see the module's docstring)."""

    samples: int
    expected_frames: int | None
    frame_rate_hz: float | None
    gaps: tuple[Gap, ...]
    gap_count: int
    gap_total_s: float
    face_found_share: float | None
    gaze_share: float | None
    screen_gaze_share: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "expected_frames": self.expected_frames,
            "frame_rate_hz": self.frame_rate_hz,
            "gaps": [gap.to_dict() for gap in self.gaps],
            "gap_count": self.gap_count,
            "gap_total_s": self.gap_total_s,
            "face_found_share": self.face_found_share,
            "gaze_share": self.gaze_share,
            "screen_gaze_share": self.screen_gaze_share,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DataQuality:
        return cls(
            samples=int(raw["samples"]),
            expected_frames=raw["expected_frames"],
            frame_rate_hz=raw["frame_rate_hz"],
            gaps=tuple(Gap.from_dict(gap) for gap in raw["gaps"]),
            gap_count=int(raw["gap_count"]),
            gap_total_s=float(raw["gap_total_s"]),
            face_found_share=raw["face_found_share"],
            gaze_share=raw["gaze_share"],
            screen_gaze_share=raw["screen_gaze_share"],
        )


def _share(flags: np.ndarray[Any, np.dtype[np.bool_]]) -> float | None:
    return round(float(flags.mean()), SHARE_DIGITS) if flags.size else None


def measure_quality(columns: GazeColumns, duration_s: float) -> DataQuality:
    """The data quality of samples at ``columns.t_s`` over a recording of ``duration_s``."""
    times = columns.t_s
    edges = np.concatenate(
        ([0.0], times, [max(duration_s, float(times[-1]) if times.size else 0.0)])
    )
    intervals = np.diff(edges)
    gap_indices = np.flatnonzero(intervals > GAP_S)
    listed = np.sort(gap_indices[np.argsort(-intervals[gap_indices], kind="stable")][:MAX_GAPS])
    between = np.diff(times)
    positive = between[between > 0]
    rate = round(1.0 / float(np.median(positive)), TIME_DIGITS) if positive.size else None
    return DataQuality(
        samples=columns.size,
        expected_frames=None if rate is None else round(rate * duration_s),
        frame_rate_hz=rate,
        gaps=tuple(
            Gap(
                round(float(edges[index]), TIME_DIGITS), round(float(edges[index + 1]), TIME_DIGITS)
            )
            for index in listed
        ),
        gap_count=int(gap_indices.size),
        gap_total_s=round(float(intervals[gap_indices].sum()), TIME_DIGITS),
        face_found_share=_share(columns.face_found),
        gaze_share=_share(columns.has_gaze_angles),
        screen_gaze_share=_share(columns.has_screen_gaze),
    )


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """A calibration or validation result kept with the recording: ``message`` as sent at
    ``sent_unix_ns`` (``t_s`` since the start, ``None`` before it)."""

    type: ReportKind
    sent_unix_ns: int
    t_s: float | None
    message: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "sent_unix_ns": self.sent_unix_ns,
            "t_s": self.t_s,
            "message": dict(self.message),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ReportEntry:
        return cls(
            ReportKind(raw["type"]), int(raw["sent_unix_ns"]), raw["t_s"], dict(raw["message"])
        )

    @classmethod
    def of(cls, report: CalibrationReport, info: RecordingInfo) -> ReportEntry:
        return cls(
            report.kind,
            report.sent_unix_ns,
            relative_s(report.sent_unix_ns, info),
            report.message,
        )


@dataclass(frozen=True, slots=True)
class SummaryEvent:
    """An event of the recording: ``t_s`` since the start (``None``: the client dated it
    before the start), ``source`` as stored (client or arrival time)."""

    t_s: float | None
    name: str
    source: str
    timestamp_unix_ns: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_s": self.t_s,
            "name": self.name,
            "source": self.source,
            "timestamp_unix_ns": self.timestamp_unix_ns,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SummaryEvent:
        return cls(raw["t_s"], str(raw["name"]), str(raw["source"]), int(raw["timestamp_unix_ns"]))

    @classmethod
    def of(cls, event: StoredEvent, info: RecordingInfo) -> SummaryEvent:
        return cls(
            relative_s(event.timestamp_unix_ns, info),
            event.name,
            event.source.value,
            event.timestamp_unix_ns,
        )


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    """The schema's ``recording_summary``. ``events`` holds at most :data:`MAX_EVENTS` (the
    first); ``recording.event_count`` counts them all."""

    recording: RecordingInfo
    duration_s: float
    data_quality: DataQuality
    calibrations: tuple[ReportEntry, ...]
    events: tuple[SummaryEvent, ...]
    screen: ScreenSize | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "recording": self.recording.to_dict(),
            "duration_s": self.duration_s,
            "data_quality": self.data_quality.to_dict(),
            "calibrations": [entry.to_dict() for entry in self.calibrations],
            "events": [event.to_dict() for event in self.events],
            "screen": None if self.screen is None else self.screen.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RecordingSummary:
        screen = raw["screen"]
        return cls(
            recording=RecordingInfo.from_dict(raw["recording"]),
            duration_s=float(raw["duration_s"]),
            data_quality=DataQuality.from_dict(raw["data_quality"]),
            calibrations=tuple(ReportEntry.from_dict(entry) for entry in raw["calibrations"]),
            events=tuple(SummaryEvent.from_dict(event) for event in raw["events"]),
            screen=None if screen is None else ScreenSize.from_dict(screen),
        )


def build_summary(
    connection: Connection,
    info: RecordingInfo,
    columns: GazeColumns | None = None,
    *,
    max_events: int | None = MAX_EVENTS,
) -> RecordingSummary:
    """The summary of a stored recording (blocks on the disk: call it off the event loop).
    ``columns``: its samples when already loaded; ``max_events``: ``None`` lists them all
    (the report, a file, does; the schema's answer holds at most :data:`MAX_EVENTS`)."""
    if columns is None:
        columns = load_gaze_columns(connection, info)
    reports = calibration_reports(connection, info)[-MAX_CALIBRATIONS:]
    duration_s = recording_duration_s(info, columns)
    events = event_rows(connection, info)[:max_events]
    return RecordingSummary(
        recording=info,
        duration_s=duration_s,
        data_quality=measure_quality(columns, duration_s),
        calibrations=tuple(ReportEntry.of(report, info) for report in reports),
        events=tuple(SummaryEvent.of(event, info) for event in events),
        screen=recording_screen(info, reports),
    )
