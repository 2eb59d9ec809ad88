"""What comes in from the server: each data-channel payload decoded, checked against the
protocol and turned into its typed record, never raising (a bad message is logged and dropped).

A full schema check of a 2.4 KB sample costs about 5 ms, so samples are checked fully until
each of their shapes (with or without ``stage_ms``; ``screen_point`` absent, null or set) has
passed once, and after that by building the typed record; every other message is always
checked fully.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from gazertc import protocol
from gazertc.protocol import ErrorCode, JsonObject, ProtocolError
from gazertc.records import (
    FixationEvent,
    RecordingActor,
    RecordingInfo,
    RecordingState,
    SaccadeEvent,
    SampleMessage,
    StatusReport,
    StoredEvent,
    oculomotor_from_dict,
)

__all__ = ["Answer", "ServerMessageReader", "ServerRecord", "made_by_participant"]

logger = logging.getLogger(__name__)

ServerRecord = SampleMessage | StatusReport | FixationEvent | SaccadeEvent | RecordingInfo
"""The streamed records a server sends: samples, status reports, fixations and saccades, and
every change to the session's recording (whoever made it)."""

Answer = StoredEvent | RecordingInfo
"""The records that answer a request: an event's acknowledgement, a recording's status."""
SampleShape = tuple[bool, str]
"""Whether a sample has ``stage_ms``, and whether its ``screen_point`` is absent, null or set."""


def made_by_participant(info: RecordingInfo) -> bool:
    """Whether a recording status reports a change the participant asked for (so that it may
    answer this client's request), rather than one the host or the server made."""
    if info.state is RecordingState.RECORDING:
        return info.started_by is RecordingActor.PARTICIPANT
    return info.stopped_by is RecordingActor.PARTICIPANT


def _sample_shape(message: JsonObject) -> SampleShape:
    point = message.get("screen_point", ...)
    return ("stage_ms" in message, "absent" if point is ... else "null" if point is None else "set")


class ServerMessageReader:
    """Decodes and checks one server's messages, remembering which sample shapes passed."""

    def __init__(self) -> None:
        self._checked_sample_shapes: set[SampleShape] = set()

    def read(self, data: str | bytes) -> tuple[JsonObject, ServerRecord | Answer | None] | None:
        """One data-channel payload, decoded, checked and typed; ``None`` (logged) when it is
        not valid. Never raises."""
        if not isinstance(data, str):
            logger.warning("dropped a binary message of %d bytes from the server", len(data))
            return None
        try:
            message = json.loads(data)
        except ValueError as exc:
            logger.warning("dropped a message from the server that is not JSON: %s", exc)
            return None
        try:
            record = self._checked_record(message)
        except ProtocolError as exc:
            logger.warning("dropped a message from the server that breaks the protocol: %s", exc)
            return None
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning(
                "dropped a message from the server that breaks the protocol: %s: %s",
                type(exc).__name__,
                exc,
            )
            return None
        return message, record

    def _checked_record(self, message: Any) -> ServerRecord | Answer | None:
        """The typed record of a valid server message (``None`` for types without one).

        Raises:
            ProtocolError: the message fails the schema or is not one a server sends.
            KeyError, TypeError, ValueError: a sample of an already checked shape is not valid.
        """
        message_type = message.get("type") if isinstance(message, dict) else None
        if message_type == "sample" and message.get("v") == protocol.PROTOCOL_VERSION:
            shape = _sample_shape(message)
            if shape in self._checked_sample_shapes:
                return SampleMessage.from_dict(message)
            protocol.validate_message(message)
            sample = SampleMessage.from_dict(message)
            self._checked_sample_shapes.add(shape)
            return sample
        protocol.validate_message(message)
        if message_type not in protocol.SERVER_MESSAGE_TYPES:
            raise ProtocolError(
                ErrorCode.UNEXPECTED_TYPE, f"a server does not send {message_type!r} messages"
            )
        if message_type == "status":
            return StatusReport.from_dict(message)
        if message_type in {"fixation", "saccade"}:
            return oculomotor_from_dict(message)
        if message_type == "event_ack":
            return StoredEvent.from_dict(message["event"])
        if message_type == "recording_status":
            return RecordingInfo.from_dict(message["recording"])
        return None
