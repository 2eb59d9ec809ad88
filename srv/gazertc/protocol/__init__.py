"""The gazertc wire protocol: ``schema.json`` is the one source of truth; this module validates
messages against it and builds the messages the server sends.

Data-channel messages are JSON objects with ``"v": 1`` and a ``"type"``. The HTTP signalling
bodies (``offer_request``, ``offer_answer``, ``health``) live in the same schema under ``$defs``.
``docs/protocol.md`` walks through the flow with examples.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

import jsonschema
import referencing

from gazertc.protocol.errors import ErrorCode, ProtocolError
from gazertc.protocol.json_text import MAX_JSON_DEPTH, parse_json

if TYPE_CHECKING:
    from gazertc.records import (
        GazeTrackingFields,
        OculomotorEvent,
        RecordingInfo,
        ScreenGaze,
        StatusReport,
        StoredEvent,
    )

PROTOCOL_VERSION: Final = 1

SCHEMA_ID: Final = "urn:gazertc:protocol:v1"

JsonObject = dict[str, Any]


class OutputMode(StrEnum):
    """What the server sends back to a client."""

    JSON = "json"
    """Samples on the data channel only; no video is encoded."""
    VIDEO = "video"
    """Annotated frames on the video track only."""
    BOTH = "both"

    @property
    def sends_samples(self) -> bool:
        return self is not OutputMode.VIDEO

    @property
    def sends_video(self) -> bool:
        return self is not OutputMode.JSON


CALIBRATION_CLIENT_MESSAGE_TYPES: Final = frozenset(
    {
        "calibration_start",
        "validation_start",
        "target_shown",
        "target_done",
        "calibration_end",
        "calibration_load",
        "calibration_accept",
        "dwell_confirmed",
        "drift_reset",
    }
)
"""Client messages that drive calibration, validation and drift correction."""

CLIENT_MESSAGE_TYPES: Final = (
    frozenset({"hello", "config", "ping", "pong", "event", "recording"})
    | CALIBRATION_CLIENT_MESSAGE_TYPES
)
"""Types a client may send."""

SERVER_MESSAGE_TYPES: Final = frozenset(
    {
        "session",
        "config",
        "sample",
        "status",
        "error",
        "ping",
        "pong",
        "event_ack",
        "recording_status",
        "fixation",
        "saccade",
        "calibration_result",
        "validation_result",
        "drift_status",
    }
)
"""Types a server sends."""

MESSAGE_TYPES: Final = CLIENT_MESSAGE_TYPES | SERVER_MESSAGE_TYPES

QUALITY_ADVICE: Final[Mapping[str, str]] = {
    "too_dark": "Your face is too dark: add light in front of you.",
    "too_bright": "Your face is over-exposed: reduce light on your face or a bright window behind"
    " the camera.",
    "low_contrast": "Low contrast on your face: use more even, frontal light.",
    "too_far": "Move closer to the camera.",
    "too_close": "Move back from the camera.",
    "face_at_edge": "Centre your face in the camera view.",
}
"""Human-readable advice for each quality flag (keys are the schema's ``quality_flag`` values)."""


@functools.cache
def load_schema() -> JsonObject:
    """The protocol's JSON Schema (draft 2020-12) as a dict, read once from the package."""
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    schema: JsonObject = json.loads(text)
    return schema


def definition_names() -> tuple[str, ...]:
    """Names of every definition in the schema's ``$defs``."""
    return tuple(load_schema()["$defs"])


@functools.cache
def _validator(definition: str) -> jsonschema.protocols.Validator:
    schema = load_schema()
    if definition not in schema["$defs"]:
        raise KeyError(f"the protocol schema has no definition {definition!r}")
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(
        SCHEMA_ID, referencing.Resource.from_contents(schema)
    )
    return jsonschema.Draft202012Validator(
        {"$ref": f"{SCHEMA_ID}#/$defs/{definition}"}, registry=registry
    )


_MAX_DETAIL_CHARS: Final = 200
"""Error details quote the offending value; long arrays would drown the point."""


def _describe(error: jsonschema.ValidationError) -> str:
    location = "/".join(str(part) for part in error.absolute_path)
    detail = error.message
    if len(detail) > _MAX_DETAIL_CHARS:
        detail = detail[: _MAX_DETAIL_CHARS // 2] + " ... " + detail[-_MAX_DETAIL_CHARS // 2 :]
    return f"{location or '(message)'}: {detail}"


def validate(instance: Any, definition: str) -> None:
    """Check ``instance`` against the schema definition named ``definition`` (e.g. ``"sample"``).

    Raises:
        ProtocolError: with code ``invalid_message``, naming the first offending field.
        KeyError: ``definition`` is not in the schema.
    """
    error = jsonschema.exceptions.best_match(_validator(definition).iter_errors(instance))
    if error is not None:
        ref_type = instance.get("type") if isinstance(instance, dict) else None
        raise ProtocolError(
            ErrorCode.INVALID_MESSAGE,
            f"invalid {definition}: {_describe(error)}",
            ref_type=ref_type if isinstance(ref_type, str) else None,
        )


def validate_message(message: object) -> None:
    """Check one data-channel message of any type, in either direction.

    Raises:
        ProtocolError: ``unsupported_version``, ``unknown_type`` or ``invalid_message``.
    """
    _check_envelope(message, MESSAGE_TYPES)
    assert isinstance(message, dict)
    validate(message, message["type"])


def _check_envelope(message: object, allowed_types: frozenset[str]) -> None:
    if not isinstance(message, dict):
        raise ProtocolError(
            ErrorCode.INVALID_MESSAGE,
            f"a message must be a JSON object, got {type(message).__name__}",
        )
    message_type = message.get("type")
    if not isinstance(message_type, str):
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "a message needs a string 'type'")
    version = message.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"protocol version {version!r} is not supported; this server speaks "
            f'"v": {PROTOCOL_VERSION}',
            ref_type=message_type,
        )
    if message_type not in MESSAGE_TYPES:
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE,
            f"unknown message type {message_type!r}; expected one of "
            f"{', '.join(sorted(allowed_types))}",
            ref_type=message_type,
        )
    if message_type not in allowed_types:
        raise ProtocolError(
            ErrorCode.UNEXPECTED_TYPE,
            f"{message_type!r} messages are not accepted in this direction; expected one of "
            f"{', '.join(sorted(allowed_types))}",
            ref_type=message_type,
        )


def parse_client_message(data: str | bytes, *, max_bytes: int) -> JsonObject:
    """Decode and validate one message a client sent on the data channel.

    Args:
        data: the data-channel payload; only text is accepted.
        max_bytes: the largest accepted payload, in UTF-8 bytes.

    Returns:
        The message as a dict, valid against its schema definition.

    Raises:
        ProtocolError: ``binary_not_supported``, ``message_too_large``, ``invalid_json``,
            ``unsupported_version``, ``unknown_type``, ``unexpected_type`` or
            ``invalid_message``.
    """
    if isinstance(data, bytes):
        raise ProtocolError(
            ErrorCode.BINARY_NOT_SUPPORTED, "binary messages are not supported; send JSON text"
        )
    try:
        message = parse_json(data, max_bytes=max_bytes)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, f"message: {exc.message}") from exc
    _check_envelope(message, CLIENT_MESSAGE_TYPES)
    validate(message, message["type"])
    parsed: JsonObject = message
    return parsed


def make_error(
    code: ErrorCode, message: str, *, fatal: bool = False, ref_type: str | None = None
) -> JsonObject:
    """An ``error`` message (also the body of HTTP error responses)."""
    error: JsonObject = {
        "v": PROTOCOL_VERSION,
        "type": "error",
        "code": code.value,
        "message": message,
        "fatal": fatal,
    }
    if ref_type is not None:
        error["ref_type"] = ref_type[:64]
    return error


def error_from(exc: ProtocolError, *, fatal: bool = False) -> JsonObject:
    """The ``error`` message that reports ``exc``."""
    return make_error(exc.code, exc.message, fatal=fatal, ref_type=exc.ref_type)


def make_ping(ping_id: int, sent_unix_ns: int) -> JsonObject:
    return {"v": PROTOCOL_VERSION, "type": "ping", "id": ping_id, "sent_unix_ns": sent_unix_ns}


def make_pong(ping: Mapping[str, Any], received_unix_ns: int, sent_unix_ns: int) -> JsonObject:
    """The answer to a validated ``ping`` message."""
    return {
        "v": PROTOCOL_VERSION,
        "type": "pong",
        "id": ping["id"],
        "ping_sent_unix_ns": ping["sent_unix_ns"],
        "received_unix_ns": received_unix_ns,
        "sent_unix_ns": sent_unix_ns,
    }


def encode(message: JsonObject) -> str:
    """A message as compact JSON text, the form it takes on the data channel."""
    return json.dumps(message, separators=(",", ":"))


def sample_text(
    message_json: str, *, calibrated: bool, screen_point: ScreenGaze | None = None
) -> str:
    """The text of a ``sample`` message: ``message_json`` is the message as the worker encoded
    it (``SampleMessage.to_dict()`` without ``screen_point``); once the session is
    ``calibrated`` the field ``screen_point`` is added (``null`` when the frame gives no point).

    Appending to the worker's text instead of encoding the whole message again saves the event
    loop about 0.2 ms per sample; ``tests/protocol`` checks that the result equals the encoding
    of the complete :class:`~gazertc.records.SampleMessage`.
    """
    if not calibrated:
        return message_json
    if not message_json.endswith("}"):
        raise ValueError("message_json is not an encoded JSON object")
    point = "null" if screen_point is None else encode(screen_point.to_dict())
    return f'{message_json[:-1]},"screen_point":{point}}}'


def sample_text_with_gaze_tracking(message_json: str, fields: GazeTrackingFields) -> str:
    """The text of a ``sample`` message (as :func:`sample_text` gives it) with its
    ``gaze_tracking`` object added: the encoding of the complete
    :class:`~gazertc.records.SampleMessage` that carries ``fields``."""
    if not message_json.endswith("}"):
        raise ValueError("message_json is not an encoded JSON object")
    return f'{message_json[:-1]},"gaze_tracking":{encode(fields.to_dict())}}}'


def make_session(*, session_id: str, session_secret: str, transport: str) -> JsonObject:
    """The ``session`` message: the first message on a WebSocket, what the ``/offer`` answer
    tells a WebRTC client."""
    return {
        "v": PROTOCOL_VERSION,
        "type": "session",
        "session_id": session_id,
        "session_secret": session_secret,
        "transport": transport,
    }


def make_config(
    *,
    session_id: str,
    output: OutputMode,
    status_interval_ms: int,
    video_available: bool,
    screen: Mapping[str, Any] | None,
    gaze_tracking: bool = False,
    participant_label: str | None = None,
    share_thumbnail: bool = False,
    landmarks: bool = True,
) -> JsonObject:
    """The ``config`` message: a session's complete effective settings (``gaze_tracking``,
    ``participant_label``, ``share_thumbnail`` and ``landmarks: false`` appear only when set,
    so that clients that never ask for them see no new field)."""
    message: JsonObject = {
        "v": PROTOCOL_VERSION,
        "type": "config",
        "session_id": session_id,
        "output": output.value,
        "status_interval_ms": status_interval_ms,
        "video_available": video_available,
    }
    if screen is not None:
        message["screen"] = dict(screen)
    if gaze_tracking:
        message["gaze_tracking"] = True
    if participant_label is not None:
        message["participant_label"] = participant_label
    if share_thumbnail:
        message["share_thumbnail"] = True
    if not landmarks:
        message["landmarks"] = False
    return message


def make_status(report: StatusReport) -> JsonObject:
    """The ``status`` message for a report."""
    return {"v": PROTOCOL_VERSION, "type": "status", **report.to_dict()}


def make_health(
    *,
    version: str,
    sessions: int,
    max_sessions: int,
    workers: int,
    loop_lag_ms: Mapping[str, Any],
    node: str,
    draining: bool,
    pipeline_work: Mapping[str, int],
) -> JsonObject:
    """The body of ``GET /health`` (the schema's ``health``); ``pipeline_work`` is the schema's
    ``pipeline_work`` (``gazertc.server.pipeline_work.PipelineWork.to_dict``)."""
    return {
        "status": "ok",
        "version": version,
        "protocol_version": PROTOCOL_VERSION,
        "sessions": sessions,
        "max_sessions": max_sessions,
        "workers": workers,
        "loop_lag_ms": dict(loop_lag_ms),
        "node": node,
        "draining": draining,
        "pipeline_work": dict(pipeline_work),
    }


def make_event_ack(event: StoredEvent) -> JsonObject:
    """An ``event_ack`` message for a stored event."""
    return {"v": PROTOCOL_VERSION, "type": "event_ack", "event": event.to_dict()}


def make_recording_status(info: RecordingInfo) -> JsonObject:
    """A ``recording_status`` message for a recording's summary."""
    return {"v": PROTOCOL_VERSION, "type": "recording_status", "recording": info.to_dict()}


def make_oculomotor(event: OculomotorEvent) -> JsonObject:
    """A ``fixation`` or ``saccade`` message for a detector event."""
    return {"v": PROTOCOL_VERSION, "type": event.kind.value, **event.to_dict()}


def advice_for(quality_flags: Iterable[str]) -> list[str]:
    """Human-readable advice for quality flags, in the order given; unknown flags are skipped."""
    return [QUALITY_ADVICE[flag] for flag in quality_flags if flag in QUALITY_ADVICE]


__all__ = [
    "CALIBRATION_CLIENT_MESSAGE_TYPES",
    "CLIENT_MESSAGE_TYPES",
    "MAX_JSON_DEPTH",
    "MESSAGE_TYPES",
    "PROTOCOL_VERSION",
    "QUALITY_ADVICE",
    "SCHEMA_ID",
    "SERVER_MESSAGE_TYPES",
    "ErrorCode",
    "JsonObject",
    "OutputMode",
    "ProtocolError",
    "advice_for",
    "definition_names",
    "encode",
    "error_from",
    "load_schema",
    "make_config",
    "make_error",
    "make_event_ack",
    "make_health",
    "make_oculomotor",
    "make_ping",
    "make_pong",
    "make_recording_status",
    "make_session",
    "make_status",
    "parse_client_message",
    "parse_json",
    "sample_text",
    "sample_text_with_gaze_tracking",
    "validate",
    "validate_message",
]
