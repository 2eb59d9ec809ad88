"""A stored recording as columns to play back: the schema's ``recording_replay`` (the answer to
``GET /api/recordings/{id}/replay``; the report's plots are drawn from the same record).

Sample columns all have one value per sample, at most :data:`MAX_REPLAY_SAMPLES`: a longer
recording is thinned to every ``sample_step``-th sample (``samples_total`` says how many it
holds). Times are seconds since the recording's start, to the millisecond; ``None`` is a value
the sample lacks. ``x_px``/``y_px`` (screen gaze, CSS px of ``screen``) are ``None`` as a whole
when no sample has a screen point (an uncalibrated recording: use the gaze angles).

Fixations carry the mean gaze angles the detector stored and, when the recording has screen
points, the mean screen point of the samples within them (``None`` when none had one).
Fixations, saccades and blinks that began before the start begin at 0; events dated before the
start are left out here (the summary lists them). Each list is bounded (:data:`MAX_INTERVALS`,
:data:`MAX_REPLAY_EVENTS`; the first ones kept).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from gazertc.recording.backend import Connection
from gazertc.recording.gaze_columns import FloatColumn, GazeColumns, load_gaze_columns
from gazertc.recording.summary import (
    TIME_DIGITS,
    ScreenSize,
    recording_duration_s,
    recording_screen,
    relative_s,
)
from gazertc.recording.tables import (
    BlinkRow,
    blink_rows,
    calibration_reports,
    event_rows,
    oculomotor_rows,
)
from gazertc.records import OculomotorKind, RecordingInfo

__all__ = [
    "MAX_INTERVALS",
    "MAX_REPLAY_EVENTS",
    "MAX_REPLAY_SAMPLES",
    "Interval",
    "RecordingReplay",
    "ReplayEvent",
    "ReplayFixation",
    "blink_intervals",
    "build_replay",
    "fixations_with_screen_points",
]

MAX_REPLAY_SAMPLES: Final = 200_000
"""Over 1.8 hours at 30 Hz, about 10 MB of JSON: more than a page can draw smoothly anyway."""
MAX_INTERVALS: Final = 100_000
"""Fixations, saccades or blinks listed: several per second for hours."""
MAX_REPLAY_EVENTS: Final = 10_000
ANGLE_DIGITS: Final = 3
SCREEN_DIGITS: Final = 1
"""Screen points to a tenth of a CSS px, angles to a thousandth of a degree: below the noise."""


def _rounded(values: FloatColumn, digits: int) -> list[float | None]:
    return [None if math.isnan(value) else round(value, digits) for value in values.tolist()]


@dataclass(frozen=True, slots=True)
class Interval:
    """A saccade or blink, seconds since the start."""

    start_s: float
    end_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Interval:
        return cls(float(raw["start_s"]), float(raw["end_s"]))


@dataclass(frozen=True, slots=True)
class ReplayFixation:
    """A fixation: its time, mean gaze angles and (``None`` without) mean screen point."""

    start_s: float
    end_s: float
    x_px: float | None
    y_px: float | None
    yaw_deg: float
    pitch_deg: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "x_px": self.x_px,
            "y_px": self.y_px,
            "yaw_deg": self.yaw_deg,
            "pitch_deg": self.pitch_deg,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ReplayFixation:
        return cls(
            float(raw["start_s"]),
            float(raw["end_s"]),
            raw["x_px"],
            raw["y_px"],
            float(raw["yaw_deg"]),
            float(raw["pitch_deg"]),
        )


@dataclass(frozen=True, slots=True)
class ReplayEvent:
    t_s: float
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": self.t_s, "name": self.name}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ReplayEvent:
        return cls(float(raw["t_s"]), str(raw["name"]))


@dataclass(frozen=True, slots=True)
class RecordingReplay:
    """The schema's ``recording_replay`` (see the module's docstring)."""

    t_s: tuple[float, ...]
    x_px: tuple[float | None, ...] | None
    y_px: tuple[float | None, ...] | None
    yaw_deg: tuple[float | None, ...]
    pitch_deg: tuple[float | None, ...]
    face_found: tuple[bool, ...]
    blinking: tuple[bool, ...]
    samples_total: int
    sample_step: int
    duration_s: float
    events: tuple[ReplayEvent, ...]
    fixations: tuple[ReplayFixation, ...]
    saccades: tuple[Interval, ...]
    blinks: tuple[Interval, ...]
    screen: ScreenSize | None
    video: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_s": list(self.t_s),
            "x_px": None if self.x_px is None else list(self.x_px),
            "y_px": None if self.y_px is None else list(self.y_px),
            "yaw_deg": list(self.yaw_deg),
            "pitch_deg": list(self.pitch_deg),
            "face_found": list(self.face_found),
            "blinking": list(self.blinking),
            "samples_total": self.samples_total,
            "sample_step": self.sample_step,
            "duration_s": self.duration_s,
            "events": [event.to_dict() for event in self.events],
            "fixations": [fixation.to_dict() for fixation in self.fixations],
            "saccades": [saccade.to_dict() for saccade in self.saccades],
            "blinks": [blink.to_dict() for blink in self.blinks],
            "screen": None if self.screen is None else self.screen.to_dict(),
            "video": self.video,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RecordingReplay:
        x_px, y_px, screen = raw["x_px"], raw["y_px"], raw["screen"]
        return cls(
            t_s=tuple(float(value) for value in raw["t_s"]),
            x_px=None if x_px is None else tuple(x_px),
            y_px=None if y_px is None else tuple(y_px),
            yaw_deg=tuple(raw["yaw_deg"]),
            pitch_deg=tuple(raw["pitch_deg"]),
            face_found=tuple(bool(value) for value in raw["face_found"]),
            blinking=tuple(bool(value) for value in raw["blinking"]),
            samples_total=int(raw["samples_total"]),
            sample_step=int(raw["sample_step"]),
            duration_s=float(raw["duration_s"]),
            events=tuple(ReplayEvent.from_dict(event) for event in raw["events"]),
            fixations=tuple(ReplayFixation.from_dict(item) for item in raw["fixations"]),
            saccades=tuple(Interval.from_dict(item) for item in raw["saccades"]),
            blinks=tuple(Interval.from_dict(item) for item in raw["blinks"]),
            screen=None if screen is None else ScreenSize.from_dict(screen),
            video=bool(raw["video"]),
        )


def blink_intervals(
    rows: Sequence[BlinkRow], info: RecordingInfo, duration_s: float
) -> list[Interval]:
    """Blinks from their start and end rows, cut to the recording: an end without a start
    began ``duration_ms`` earlier (or at the start), a start without an end lasts to the end
    of the recording."""
    intervals: list[Interval] = []
    open_start: float | None = None
    for row in rows:
        seconds = (row.timestamp_unix_ns - info.started_unix_ns) / 1e9
        if row.phase == "start":
            open_start = seconds
            continue
        start = open_start
        if start is None:
            start = seconds - (row.duration_ms or 0.0) / 1000.0
        open_start = None
        if seconds >= 0:
            intervals.append(
                Interval(round(max(start, 0.0), TIME_DIGITS), round(seconds, TIME_DIGITS))
            )
    if open_start is not None and open_start <= duration_s:
        intervals.append(Interval(round(max(open_start, 0.0), TIME_DIGITS), duration_s))
    return intervals


def fixations_with_screen_points(
    connection: Connection, info: RecordingInfo, columns: GazeColumns
) -> list[ReplayFixation]:
    """The stored fixations cut to the recording, each with the mean screen point of the
    samples within it (``None`` when none had one)."""
    rows = oculomotor_rows(connection, info, OculomotorKind.FIXATION)[:MAX_INTERVALS]
    on_screen = columns.has_screen_gaze
    fixations = []
    for row in rows:
        if row.yaw_deg is None or row.pitch_deg is None:
            continue  # stored by a detector that always gives angles: never seen
        start_s = (row.start_unix_ns - info.started_unix_ns) / 1e9
        end_s = (row.end_unix_ns - info.started_unix_ns) / 1e9
        first = int(np.searchsorted(columns.t_s, start_s, side="left"))
        last = int(np.searchsorted(columns.t_s, end_s, side="right"))
        within = slice(first, last)
        points = on_screen[within]
        x_px = y_px = None
        if points.any():
            x_px = round(float(columns.x_px[within][points].mean()), SCREEN_DIGITS)
            y_px = round(float(columns.y_px[within][points].mean()), SCREEN_DIGITS)
        fixations.append(
            ReplayFixation(
                round(start_s, TIME_DIGITS),
                round(end_s, TIME_DIGITS),
                x_px,
                y_px,
                round(row.yaw_deg, ANGLE_DIGITS),
                round(row.pitch_deg, ANGLE_DIGITS),
            )
        )
    return fixations


def build_replay(
    connection: Connection,
    info: RecordingInfo,
    *,
    video: bool = False,
    columns: GazeColumns | None = None,
) -> RecordingReplay:
    """The replay of a stored recording (blocks on the disk: call it off the event loop).
    ``video``: whether a video of it is stored; ``columns``: its samples when already loaded."""
    if columns is None:
        columns = load_gaze_columns(connection, info)
    duration_s = recording_duration_s(info, columns)
    step = max(1, math.ceil(columns.size / MAX_REPLAY_SAMPLES))
    shown = columns.taking(np.arange(0, columns.size, step, dtype=np.intp))
    events = [
        ReplayEvent(t_s, event.name)
        for event in event_rows(connection, info)
        if (t_s := relative_s(event.timestamp_unix_ns, info)) is not None
    ][:MAX_REPLAY_EVENTS]
    saccades = [
        Interval(
            round((row.start_unix_ns - info.started_unix_ns) / 1e9, TIME_DIGITS),
            round((row.end_unix_ns - info.started_unix_ns) / 1e9, TIME_DIGITS),
        )
        for row in oculomotor_rows(connection, info, OculomotorKind.SACCADE)[:MAX_INTERVALS]
    ]
    calibrated = columns.calibrated
    return RecordingReplay(
        t_s=tuple(round(value, TIME_DIGITS) for value in shown.t_s.tolist()),
        x_px=tuple(_rounded(shown.x_px, SCREEN_DIGITS)) if calibrated else None,
        y_px=tuple(_rounded(shown.y_px, SCREEN_DIGITS)) if calibrated else None,
        yaw_deg=tuple(_rounded(shown.yaw_deg, ANGLE_DIGITS)),
        pitch_deg=tuple(_rounded(shown.pitch_deg, ANGLE_DIGITS)),
        face_found=tuple(shown.face_found.tolist()),
        blinking=tuple(shown.blinking.tolist()),
        samples_total=columns.size,
        sample_step=step,
        duration_s=duration_s,
        events=tuple(events),
        fixations=tuple(fixations_with_screen_points(connection, info, columns)),
        saccades=tuple(saccades),
        blinks=tuple(
            blink_intervals(blink_rows(connection, info), info, duration_s)[:MAX_INTERVALS]
        ),
        screen=recording_screen(info, calibration_reports(connection, info)),
        video=video,
    )
