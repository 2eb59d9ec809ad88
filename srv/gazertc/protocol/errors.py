"""The protocol's errors: the ``code`` of an ``error`` message, and the exception that carries
one from where a message or body breaks the protocol to where the answer is sent."""

from __future__ import annotations

from enum import StrEnum

from gazertc.errors import GazertcError

__all__ = ["ErrorCode", "ProtocolError"]


class ErrorCode(StrEnum):
    """The ``code`` of an ``error`` message (the schema's ``error_code``)."""

    INVALID_JSON = "invalid_json"
    INVALID_MESSAGE = "invalid_message"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_TYPE = "unknown_type"
    UNEXPECTED_TYPE = "unexpected_type"
    MESSAGE_TOO_LARGE = "message_too_large"
    BINARY_NOT_SUPPORTED = "binary_not_supported"
    VIDEO_UNAVAILABLE = "video_unavailable"
    FRAME_TOO_LARGE = "frame_too_large"
    PIPELINE_FAILED = "pipeline_failed"
    IDLE_TIMEOUT = "idle_timeout"
    INVALID_REQUEST = "invalid_request"
    INVALID_SDP = "invalid_sdp"
    BODY_TOO_LARGE = "body_too_large"
    TOO_MANY_SESSIONS = "too_many_sessions"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL_ERROR = "internal_error"
    RECORDING_UNAVAILABLE = "recording_unavailable"
    RECORDING_IN_PROGRESS = "recording_in_progress"
    NOT_RECORDING = "not_recording"
    CALIBRATION_FAILED = "calibration_failed"
    CALIBRATION_OUT_OF_ORDER = "calibration_out_of_order"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    MISDIRECTED_REQUEST = "misdirected_request"
    RATE_LIMITED = "rate_limited"
    RECORDING_WRITE_FAILED = "recording_write_failed"
    INVALID_FRAME = "invalid_frame"
    SESSION_ENDED_BY_HOST = "session_ended_by_host"
    NODE_DRAINING = "node_draining"


class ProtocolError(GazertcError):
    """A message or request body that breaks the protocol.

    ``code`` is the :class:`ErrorCode` to send back; the message names the offending field.
    """

    def __init__(self, code: ErrorCode, message: str, *, ref_type: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref_type = ref_type
