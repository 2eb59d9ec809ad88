"""The settings of a session: the server's limits, the client's choices, and its lifecycle
states (kept apart from :mod:`gazertc.server.session` so that configuration code and tests need
no peer machinery)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from gazertc import protocol
from gazertc.errors import InputError
from gazertc.protocol import JsonObject, OutputMode
from gazertc.records.samples import sample_text_without_landmarks
from gazertc.vision.screen import ScreenGeometry

__all__ = [
    "CONNECT_TIMEOUT_S",
    "PARTICIPANT_LABEL_MAX_CHARS",
    "SessionConfig",
    "SessionLimits",
    "SessionState",
    "clean_participant_label",
]

CONNECT_TIMEOUT_S: Final = 5.0
"""A session whose peer has not connected (ICE and DTLS) this long after its answer was ready is
closed: on a LAN or through TURN a browser connects within a second or two, and an offer whose
peer never comes must not hold one of the server's few session slots for the idle timeout."""
PARTICIPANT_LABEL_MAX_CHARS: Final = 60
"""A name or a participant code fits; a session card stays one line wide (the schema's bound)."""


def clean_participant_label(raw: str | None) -> str | None:
    """A participant label trimmed of surrounding white space (``None`` clears it).

    Raises:
        InputError: blank once trimmed, longer than :data:`PARTICIPANT_LABEL_MAX_CHARS`, or
            holding a control character (the schema refuses those too; this is the rule for
            callers that did not validate).
    """
    if raw is None:
        return None
    label = raw.strip()
    if not label:
        raise InputError("participant_label: blank once trimmed (send null to clear it)")
    if len(label) > PARTICIPANT_LABEL_MAX_CHARS:
        raise InputError(f"participant_label: longer than {PARTICIPANT_LABEL_MAX_CHARS} characters")
    if any(unicodedata.category(char) == "Cc" for char in label):
        raise InputError("participant_label: holds a control character")
    return label


class SessionState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Server-side limits, the same for every session.

    Attributes:
        max_message_bytes: largest data-channel message accepted from the client.
        max_buffered_bytes: samples are dropped (not queued) while more than this is waiting
            in the data channel's send buffer: a slow client gets fresh samples, not old ones.
        idle_timeout_s: a session with no video frame and no message for this long is closed
            (a client that vanished without closing its connection).
        connect_timeout_s: a session whose peer has not connected this long after the answer
            was ready is closed (see :data:`CONNECT_TIMEOUT_S`).
    """

    max_message_bytes: int = 16 * 1024
    max_buffered_bytes: int = 256 * 1024
    idle_timeout_s: float = 20.0
    connect_timeout_s: float = CONNECT_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The settings a client chooses (the schema's ``config_options``); ``screen`` is parsed
    once, when it arrives."""

    output: OutputMode = OutputMode.JSON
    screen: ScreenGeometry | None = None
    status_interval_ms: int = 1000
    gaze_tracking: bool = False
    """Samples carry GazeTracking-compatible fields (:mod:`gazertc.vision.gaze_tracking`)."""
    participant_label: str | None = None
    """The name or code the host sees instead of the anonymous id (trimmed)."""
    share_thumbnail: bool = False
    """The participant lets the host see a small camera thumbnail (off unless asked)."""
    landmarks: bool = True
    """Samples sent to the client carry the 68 landmarks (1.3 KB of a 2.8 KB sample); the
    recording and the session's other consumers get them either way."""

    def updated(self, options: Mapping[str, Any]) -> SessionConfig:
        """A copy with the fields present in validated ``options`` replaced.

        Raises:
            InputError: the screen is described inconsistently (one physical side only), or
                the participant label is blank once trimmed.
        """
        changes: dict[str, Any] = {}
        if "output" in options:
            changes["output"] = OutputMode(options["output"])
        if "screen" in options:
            changes["screen"] = ScreenGeometry.from_dict(options["screen"])
        if "status_interval_ms" in options:
            changes["status_interval_ms"] = int(options["status_interval_ms"])
        if "gaze_tracking" in options:
            changes["gaze_tracking"] = bool(options["gaze_tracking"])
        if "participant_label" in options:
            changes["participant_label"] = clean_participant_label(options["participant_label"])
        if "share_thumbnail" in options:
            changes["share_thumbnail"] = bool(options["share_thumbnail"])
        if "landmarks" in options:
            changes["landmarks"] = bool(options["landmarks"])
        return replace(self, **changes)

    def client_sample_text(self, message_json: str) -> str:
        """What the client gets of a ``sample`` message encoded in full (``message_json``, the
        text the recording keeps): without landmarks when it asked for none."""
        return message_json if self.landmarks else sample_text_without_landmarks(message_json)

    def config_message(self, session_id: str, video_available: bool) -> JsonObject:
        """The ``config`` message telling the client these settings."""
        return protocol.make_config(
            session_id=session_id,
            output=self.output,
            status_interval_ms=self.status_interval_ms,
            video_available=video_available,
            screen=None if self.screen is None else self.screen.to_dict(),
            gaze_tracking=self.gaze_tracking,
            participant_label=self.participant_label,
            share_thumbnail=self.share_thumbnail,
            landmarks=self.landmarks,
        )

    def recording_metadata(self) -> JsonObject:
        """What a recording started now keeps of these settings (screen, participant label)."""
        metadata: JsonObject = {}
        if self.screen is not None:
            metadata["screen"] = self.screen.to_dict()
        if self.participant_label is not None:
            metadata["participant_label"] = self.participant_label
        return metadata
