"""The records that travel on the wire, shared by the server, the recording store and the client.

Each record owns its codec: ``to_dict()`` gives the JSON-ready dict of its schema definition
(``srv/gazertc/protocol/schema.json``), ``from_dict()`` takes one back. Both are written by hand
(no ``dataclasses.asdict``: it deep-copies and costs a sample about 0.6 ms). ``from_dict``
expects a dict that is valid against the schema (validate first); it raises ``KeyError``,
``TypeError`` or ``ValueError`` otherwise.

Times are ns since the Unix epoch on the server's clock unless a name says otherwise; angles
are degrees with the sign conventions of :mod:`gazertc.vision.types`.

This module imports nothing from :mod:`gazertc.server` or :mod:`gazertc.recording`, so a client
install does not drag in server storage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Final

from gazertc.vision.types import (
    WIRE_DIGITS,
    GazeSample,
    QualityFlag,
    StageTimings,
    TrackingState,
)

__all__ = [
    "SAMPLE_COLUMNS",
    "Column",
    "DetectionMethod",
    "EventSource",
    "FixationEvent",
    "FixationPhase",
    "OculomotorEvent",
    "OculomotorKind",
    "RecordingActor",
    "RecordingInfo",
    "RecordingState",
    "SaccadeEvent",
    "SampleMessage",
    "SampleTiming",
    "ScreenGaze",
    "StatusReport",
    "StoredEvent",
    "VideoState",
    "oculomotor_from_dict",
    "sample_columns",
]

_OCULOMOTOR_DIGITS: Final = 3
"""Fixation and saccade fields are sent to a thousandth of a degree or millisecond: finer than
webcam gaze can resolve."""
_TIMING_DIGITS: Final = 3
"""Processing times to the microsecond."""
_SCREEN_DIGITS: Final = 1
"""Screen points to a tenth of a CSS pixel: far below the calibrated accuracy."""


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# -- events and recordings ------------------------------------------------------------------------


class EventSource(StrEnum):
    """Where an event's timestamp came from."""

    CLIENT = "client"
    """The client gave ``timestamp_unix_ns`` (its clock: see the ping/pong offset)."""
    ARRIVAL = "arrival"
    """The server stamped the event when it arrived."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the server stored it (the schema's ``stored_event``)."""

    name: str
    timestamp_unix_ns: int
    received_unix_ns: int
    source: EventSource
    session_id: str
    recording_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "timestamp_unix_ns": self.timestamp_unix_ns,
            "received_unix_ns": self.received_unix_ns,
            "source": self.source.value,
            "session_id": self.session_id,
            "recording_id": self.recording_id,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> StoredEvent:
        return cls(
            name=str(raw["name"]),
            timestamp_unix_ns=int(raw["timestamp_unix_ns"]),
            received_unix_ns=int(raw["received_unix_ns"]),
            source=EventSource(raw["source"]),
            session_id=str(raw["session_id"]),
            recording_id=None if raw["recording_id"] is None else str(raw["recording_id"]),
        )


class RecordingState(StrEnum):
    RECORDING = "recording"
    SAVED = "saved"
    CANCELLED = "cancelled"
    INCOMPLETE = "incomplete"
    """The server stopped without saving it (killed or crashed); what was committed is kept."""


class RecordingActor(StrEnum):
    """Who started or ended a recording (the schema's ``recording_started_by`` and
    ``recording_stopped_by``)."""

    PARTICIPANT = "participant"
    """The session's own connection: its data channel, or its session secret over HTTP."""
    HOST = "host"
    """The holder of the host token: the monitor, or the host token over HTTP."""
    SERVER = "server"
    """Ends only: the session ended, the server shut down, or a server that died left it."""


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """A recording's summary (the schema's ``recording_info``).

    ``started_by`` is never :attr:`RecordingActor.SERVER`; ``stopped_by`` is ``None`` while the
    recording runs, and for one ended by a gazertc that did not keep who ended it.
    """

    recording_id: str
    session_id: str
    name: str | None
    state: RecordingState
    started_unix_ns: int
    stopped_unix_ns: int | None
    frame_width_px: int | None
    frame_height_px: int | None
    sample_count: int
    event_count: int
    blink_count: int
    fixation_count: int
    saccade_count: int
    metadata: Mapping[str, Any]
    started_by: RecordingActor
    stopped_by: RecordingActor | None
    write_errors: int = 0
    """Rows that could not be stored (each also reported to the session's client); the
    message carries it only once it is above 0."""

    def to_dict(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "recording_id": self.recording_id,
            "session_id": self.session_id,
            "name": self.name,
            "state": self.state.value,
            "started_unix_ns": self.started_unix_ns,
            "stopped_unix_ns": self.stopped_unix_ns,
            "frame_width_px": self.frame_width_px,
            "frame_height_px": self.frame_height_px,
            "sample_count": self.sample_count,
            "event_count": self.event_count,
            "blink_count": self.blink_count,
            "fixation_count": self.fixation_count,
            "saccade_count": self.saccade_count,
            "metadata": dict(self.metadata),
            "started_by": self.started_by.value,
            "stopped_by": None if self.stopped_by is None else self.stopped_by.value,
        }
        if self.write_errors:
            fields["write_errors"] = self.write_errors
        return fields

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RecordingInfo:
        return cls(
            recording_id=str(raw["recording_id"]),
            session_id=str(raw["session_id"]),
            name=raw["name"],
            state=RecordingState(raw["state"]),
            started_unix_ns=int(raw["started_unix_ns"]),
            stopped_unix_ns=raw["stopped_unix_ns"],
            frame_width_px=raw["frame_width_px"],
            frame_height_px=raw["frame_height_px"],
            sample_count=int(raw["sample_count"]),
            event_count=int(raw["event_count"]),
            blink_count=int(raw["blink_count"]),
            fixation_count=int(raw["fixation_count"]),
            saccade_count=int(raw["saccade_count"]),
            metadata=dict(raw["metadata"]),
            started_by=RecordingActor(raw["started_by"]),
            stopped_by=None if raw["stopped_by"] is None else RecordingActor(raw["stopped_by"]),
            write_errors=int(raw.get("write_errors", 0)),
        )


# -- fixations and saccades -----------------------------------------------------------------------


class DetectionMethod(StrEnum):
    VELOCITY = "velocity"
    DISPERSION = "dispersion"


class FixationPhase(StrEnum):
    START = "start"
    END = "end"


class OculomotorKind(StrEnum):
    """The kinds of stored oculomotor events (and the ``type`` of their messages)."""

    FIXATION = "fixation"
    SACCADE = "saccade"


@dataclass(frozen=True, slots=True)
class FixationEvent:
    """A fixation starting (reported once it has lasted the minimum duration, so the report
    comes later than ``start_unix_ns``) or ending (the schema's ``fixation`` message).

    ``yaw_deg``/``pitch_deg`` are the mean gaze angles of the fixation so far;
    ``dispersion_deg`` the yaw range plus pitch range. ``end_unix_ns`` and ``duration_ms`` are
    set on ``end`` (time of its last sample) and ``None`` on ``start``.
    """

    phase: FixationPhase
    start_unix_ns: int
    end_unix_ns: int | None
    duration_ms: float | None
    yaw_deg: float
    pitch_deg: float
    dispersion_deg: float
    method: DetectionMethod

    kind: ClassVar[OculomotorKind] = OculomotorKind.FIXATION

    def to_dict(self) -> dict[str, Any]:
        """The fields of the ``fixation`` message (without ``v`` and ``type``)."""
        return {
            "phase": self.phase.value,
            "start_unix_ns": self.start_unix_ns,
            "end_unix_ns": self.end_unix_ns,
            "duration_ms": _round(self.duration_ms, _OCULOMOTOR_DIGITS),
            "yaw_deg": round(self.yaw_deg, _OCULOMOTOR_DIGITS),
            "pitch_deg": round(self.pitch_deg, _OCULOMOTOR_DIGITS),
            "dispersion_deg": round(self.dispersion_deg, _OCULOMOTOR_DIGITS),
            "method": self.method.value,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FixationEvent:
        return cls(
            phase=FixationPhase(raw["phase"]),
            start_unix_ns=int(raw["start_unix_ns"]),
            end_unix_ns=None if raw["end_unix_ns"] is None else int(raw["end_unix_ns"]),
            duration_ms=None if raw["duration_ms"] is None else float(raw["duration_ms"]),
            yaw_deg=float(raw["yaw_deg"]),
            pitch_deg=float(raw["pitch_deg"]),
            dispersion_deg=float(raw["dispersion_deg"]),
            method=DetectionMethod(raw["method"]),
        )


@dataclass(frozen=True, slots=True)
class SaccadeEvent:
    """A saccade between two fixations, reported when the eye has settled (the schema's
    ``saccade`` message).

    ``start_unix_ns`` is the last fixation sample before it, ``end_unix_ns`` the first settled
    sample after it. ``amplitude_deg`` is the angle between those two gaze directions;
    ``peak_velocity_deg_s`` the largest sample-to-sample velocity (``None`` with the
    dispersion method, where samples are too far apart to measure it).
    """

    start_unix_ns: int
    end_unix_ns: int
    duration_ms: float
    amplitude_deg: float
    peak_velocity_deg_s: float | None
    start_yaw_deg: float
    start_pitch_deg: float
    end_yaw_deg: float
    end_pitch_deg: float
    method: DetectionMethod

    kind: ClassVar[OculomotorKind] = OculomotorKind.SACCADE

    def to_dict(self) -> dict[str, Any]:
        """The fields of the ``saccade`` message (without ``v`` and ``type``)."""
        digits = _OCULOMOTOR_DIGITS
        return {
            "start_unix_ns": self.start_unix_ns,
            "end_unix_ns": self.end_unix_ns,
            "duration_ms": round(self.duration_ms, digits),
            "amplitude_deg": round(self.amplitude_deg, digits),
            "peak_velocity_deg_s": _round(self.peak_velocity_deg_s, digits),
            "start_yaw_deg": round(self.start_yaw_deg, digits),
            "start_pitch_deg": round(self.start_pitch_deg, digits),
            "end_yaw_deg": round(self.end_yaw_deg, digits),
            "end_pitch_deg": round(self.end_pitch_deg, digits),
            "method": self.method.value,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SaccadeEvent:
        peak = raw["peak_velocity_deg_s"]
        return cls(
            start_unix_ns=int(raw["start_unix_ns"]),
            end_unix_ns=int(raw["end_unix_ns"]),
            duration_ms=float(raw["duration_ms"]),
            amplitude_deg=float(raw["amplitude_deg"]),
            peak_velocity_deg_s=None if peak is None else float(peak),
            start_yaw_deg=float(raw["start_yaw_deg"]),
            start_pitch_deg=float(raw["start_pitch_deg"]),
            end_yaw_deg=float(raw["end_yaw_deg"]),
            end_pitch_deg=float(raw["end_pitch_deg"]),
            method=DetectionMethod(raw["method"]),
        )


OculomotorEvent = FixationEvent | SaccadeEvent


def oculomotor_from_dict(raw: Mapping[str, Any]) -> OculomotorEvent:
    """A fixation or saccade from its message (``type`` says which)."""
    kind = OculomotorKind(raw["type"])
    if kind is OculomotorKind.FIXATION:
        return FixationEvent.from_dict(raw)
    return SaccadeEvent.from_dict(raw)


# -- samples --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScreenGaze:
    """Where on the client's screen the user looks (the schema's ``screen_point``), CSS pixels
    from the top-left of the screen the client described, y down; may lie off the screen.

    ``x_css_px``/``y_css_px``: this frame's calibrated mapping; ``smoothed_*``: the same after
    the One Euro filter, for display.
    """

    x_css_px: float
    y_css_px: float
    smoothed_x_css_px: float
    smoothed_y_css_px: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "x_px": round(self.x_css_px, _SCREEN_DIGITS),
            "y_px": round(self.y_css_px, _SCREEN_DIGITS),
            "smoothed_x_px": round(self.smoothed_x_css_px, _SCREEN_DIGITS),
            "smoothed_y_px": round(self.smoothed_y_css_px, _SCREEN_DIGITS),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ScreenGaze:
        return cls(
            float(raw["x_px"]),
            float(raw["y_px"]),
            float(raw["smoothed_x_px"]),
            float(raw["smoothed_y_px"]),
        )


@dataclass(frozen=True, slots=True)
class SampleTiming:
    """A sample's frame bookkeeping (the ``sample`` message's fields beside the pipeline's).

    ``frame_id`` counts frames received in the session; ``pts_90khz`` is the frame's RTP time
    relative to the first frame; ``received_unix_ns`` when the decoded frame reached the
    session; ``processed_unix_ns`` when the sample was ready; ``processing_ms`` the pipeline's
    time in the worker, ``stages`` its split by stage.
    """

    frame_id: int
    pts_90khz: int
    received_unix_ns: int
    processed_unix_ns: int
    processing_ms: float
    stages: StageTimings | None = None


@dataclass(frozen=True, slots=True)
class SampleMessage:
    """One ``sample`` message: the pipeline's sample, its bookkeeping and, once the session is
    calibrated (``calibrated``), its point on the screen (``None`` when the frame gives none)."""

    sample: GazeSample
    timing: SampleTiming
    calibrated: bool = False
    screen_point: ScreenGaze | None = None

    def to_dict(self) -> dict[str, Any]:
        """The complete message, ``v`` and ``type`` included."""
        timing = self.timing
        message: dict[str, Any] = {
            "v": 1,
            "type": "sample",
            "frame_id": timing.frame_id,
            "pts_90khz": timing.pts_90khz,
            "received_unix_ns": timing.received_unix_ns,
            "processed_unix_ns": timing.processed_unix_ns,
            "processing_ms": round(timing.processing_ms, _TIMING_DIGITS),
        }
        if timing.stages is not None:
            message["stage_ms"] = timing.stages.to_dict()
        message.update(self.sample.to_dict())
        if self.calibrated:
            message["screen_point"] = (
                None if self.screen_point is None else self.screen_point.to_dict()
            )
        return message

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SampleMessage:
        stages = raw.get("stage_ms")
        point = raw.get("screen_point")
        return cls(
            sample=GazeSample.from_dict(raw),
            timing=SampleTiming(
                frame_id=int(raw["frame_id"]),
                pts_90khz=int(raw["pts_90khz"]),
                received_unix_ns=int(raw["received_unix_ns"]),
                processed_unix_ns=int(raw["processed_unix_ns"]),
                processing_ms=float(raw["processing_ms"]),
                stages=None if stages is None else StageTimings.from_dict(stages),
            ),
            calibrated="screen_point" in raw,
            screen_point=None if point is None else ScreenGaze.from_dict(point),
        )


@dataclass(frozen=True, slots=True)
class Column:
    """One column of exported samples (CSV, BIDS) and one channel of the LSL gaze outlet."""

    name: str
    description: str
    units: str | None


SAMPLE_COLUMNS: Final = (
    Column("timestamp_unix_ns", "capture time of the frame, server clock", "ns"),
    Column("frame_id", "frames received in the session, counted from 0", None),
    Column("face_found", "1 when a face was found", None),
    Column("gaze_yaw_deg", "gaze direction yaw, positive towards the image's right", "deg"),
    Column("gaze_pitch_deg", "gaze direction pitch, positive up", "deg"),
    Column("head_yaw_deg", "head yaw, positive towards the image's right", "deg"),
    Column("head_pitch_deg", "head pitch, positive up", "deg"),
    Column("head_roll_deg", "head roll, positive clockwise in the image", "deg"),
    Column("right_iris_x_px", "subject's right iris centre, x in frame pixels", "pixel"),
    Column("right_iris_y_px", "subject's right iris centre, y in frame pixels (down)", "pixel"),
    Column("left_iris_x_px", "subject's left iris centre, x in frame pixels", "pixel"),
    Column("left_iris_y_px", "subject's left iris centre, y in frame pixels (down)", "pixel"),
    Column("right_eye_openness", "right lid gap over eye width (open 0.25-0.4)", None),
    Column("left_eye_openness", "left lid gap over eye width (open 0.25-0.4)", None),
    Column("blinking", "1 during a blink", None),
)
"""The columns :func:`sample_columns` gives, in order. Exports put ``time_s`` (seconds since the
recording started) after the first; the LSL outlet drops the first (its timestamp carries it)."""

ColumnValue = int | float | None


def sample_columns(message: SampleMessage) -> tuple[ColumnValue, ...]:
    """One sample's values in :data:`SAMPLE_COLUMNS` order (``None`` where a value is missing;
    booleans as 0/1; floats at the wire's precision, so a live stream and an export of the
    stored messages give the same numbers)."""
    sample = message.sample
    gaze, head = sample.gaze, sample.head_pose
    eyes: list[float | None] = []
    for eye in (sample.right_eye, sample.left_eye):
        centre = None if eye is None else eye.centre_px
        eyes += (None, None) if centre is None else (centre[0], centre[1])
    right, left = sample.right_eye, sample.left_eye
    angles_and_points = (
        None if gaze is None else gaze.yaw_deg,
        None if gaze is None else gaze.pitch_deg,
        None if head is None else head.yaw_deg,
        None if head is None else head.pitch_deg,
        None if head is None else head.roll_deg,
        *eyes,
        None if right is None else right.openness,
        None if left is None else left.openness,
    )
    return (
        sample.timestamp_unix_ns,
        message.timing.frame_id,
        int(sample.face_found),
        *(None if value is None else round(value, WIRE_DIGITS) for value in angles_and_points),
        int(sample.blinking),
    )


# -- status ---------------------------------------------------------------------------------------


class VideoState(StrEnum):
    """The ``video`` field of status messages."""

    WAITING = "waiting"
    LIVE = "live"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A ``status`` message: the session's state and its rates over the last interval.

    Counters are cumulative for the session; ``input_fps``/``processed_fps`` cover the
    interval; ``processing_ms_p50`` and ``server_latency_ms_p95`` are ``None`` when no frame
    was processed in it. ``pipeline_restarts`` counts the times the session's worker was lost
    and its frames went on to a fresh tracker (the message carries it only once it is above 0).
    """

    video: VideoState
    face_found: bool
    tracking: TrackingState
    quality_flags: tuple[QualityFlag, ...]
    advice: tuple[str, ...]
    input_fps: float
    processed_fps: float
    frames_received: int
    frames_processed: int
    frames_dropped: int
    processing_ms_p50: float | None
    server_latency_ms_p95: float | None
    pipeline_restarts: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The fields of the ``status`` message (without ``v`` and ``type``)."""
        fields: dict[str, Any] = {
            "video": self.video.value,
            "face_found": self.face_found,
            "tracking": self.tracking.value,
            "quality_flags": [flag.value for flag in self.quality_flags],
            "advice": list(self.advice),
            "input_fps": self.input_fps,
            "processed_fps": self.processed_fps,
            "frames_received": self.frames_received,
            "frames_processed": self.frames_processed,
            "frames_dropped": self.frames_dropped,
            "processing_ms_p50": self.processing_ms_p50,
            "server_latency_ms_p95": self.server_latency_ms_p95,
        }
        if self.pipeline_restarts:
            fields["pipeline_restarts"] = self.pipeline_restarts
        return fields

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> StatusReport:
        return cls(
            video=VideoState(raw["video"]),
            face_found=bool(raw["face_found"]),
            tracking=TrackingState(raw["tracking"]),
            quality_flags=tuple(QualityFlag(flag) for flag in raw["quality_flags"]),
            advice=tuple(str(text) for text in raw["advice"]),
            input_fps=float(raw["input_fps"]),
            processed_fps=float(raw["processed_fps"]),
            frames_received=int(raw["frames_received"]),
            frames_processed=int(raw["frames_processed"]),
            frames_dropped=int(raw["frames_dropped"]),
            processing_ms_p50=_optional_float(raw["processing_ms_p50"]),
            server_latency_ms_p95=_optional_float(raw["server_latency_ms_p95"]),
            pipeline_restarts=int(raw.get("pipeline_restarts", 0)),
        )


def _optional_float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
