"""The settings of a session: the server's limits, the client's choices, and its lifecycle
states (kept apart from :mod:`gazertc.server.session` so that configuration code and tests need
no peer machinery)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from gazertc.protocol import OutputMode
from gazertc.vision.screen import ScreenGeometry

__all__ = ["CONNECT_TIMEOUT_S", "SessionConfig", "SessionLimits", "SessionState"]

CONNECT_TIMEOUT_S: Final = 5.0
"""A session whose peer has not connected (ICE and DTLS) this long after its answer was ready is
closed: on a LAN or through TURN a browser connects within a second or two, and an offer whose
peer never comes must not hold one of the server's few session slots for the idle timeout."""


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

    def updated(self, options: Mapping[str, Any]) -> SessionConfig:
        """A copy with the fields present in validated ``options`` replaced.

        Raises:
            InputError: the screen is described inconsistently (one physical side only).
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
        return replace(self, **changes)
