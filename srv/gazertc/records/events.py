"""Events and recordings as the server stores and reports them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


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
    video: bool = False
    """The participant's camera video is stored with it (it was started with video, and the
    video was not lost to an encoder failure or a cancel)."""

    @property
    def participant_label(self) -> str | None:
        """The session's participant label when the recording started (kept in its metadata
        by the session), ``None`` when it had none."""
        label = self.metadata.get("participant_label")
        return label if isinstance(label, str) else None

    def to_dict(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "recording_id": self.recording_id,
            "session_id": self.session_id,
            "name": self.name,
            "participant_label": self.participant_label,
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
            "video": self.video,
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
            video=bool(raw.get("video", False)),
        )
