"""The monitor API: every live session at a glance, for whoever holds the server's monitor token.

Routes (each needs ``Authorization: Bearer <token>``; 401 ``unauthorized`` otherwise)::

    GET  /api/monitor/sessions                          monitor_session_list
    POST /api/monitor/sessions/{anon_id}/recording      recording_request -> monitor_recording_info
    POST /api/monitor/sessions/{anon_id}/events         event_request -> monitor_event

Sessions appear under an anonymised id: a keyed hash (HMAC-SHA256 with a key made when the
server starts) of the session id, stable for the session's life and useless for guessing the
session id. The session id is a capability (``/api/sessions/{session_id}/...`` needs nothing
else), so no monitor response contains it. The token is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Final

from aiohttp import web

from gazertc.protocol import ErrorCode, JsonObject, ProtocolError
from gazertc.records import RecordingInfo, StoredEvent
from gazertc.server.http_bodies import read_json_body
from gazertc.server.registry import SessionRegistry
from gazertc.server.session import Session, SessionState
from gazertc.server.trace import TRACE_MAX_POINTS, TracePoint

__all__ = [
    "ANON_ID_HEX_DIGITS",
    "MIN_TOKEN_LENGTH",
    "MONITOR_KEY",
    "Monitor",
    "add_routes",
    "check_token",
    "new_token",
]

ANON_ID_HEX_DIGITS: Final = 16
"""64 bits of the keyed hash: no collisions among a server's sessions in practice."""
MIN_TOKEN_LENGTH: Final = 16
"""A chosen ``--monitor-token`` shorter than this is refused: it could be guessed."""
TOKEN_BYTES: Final = 32
"""Generated tokens carry 256 random bits (43 URL-safe characters)."""
_TOKEN_ALPHABET: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
)
"""Characters that need no escaping in a URL fragment or an HTTP header."""
_AUTH_SCHEME: Final = "bearer"
ROUND_DEG: Final = 2
ROUND_PX: Final = 1


def new_token() -> str:
    """A fresh random monitor token (URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def check_token(token: str) -> str:
    """``token`` when it is acceptable as a monitor token.

    Raises:
        ValueError: shorter than :data:`MIN_TOKEN_LENGTH`, or a character outside
            ``A-Z a-z 0-9 - _ . ~``.
    """
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"the monitor token must have at least {MIN_TOKEN_LENGTH} characters, got {len(token)}"
        )
    bad = sorted(set(token) - _TOKEN_ALPHABET)
    if bad:
        raise ValueError(
            f"the monitor token may use only A-Z a-z 0-9 - _ . ~; it has {''.join(bad)!r}"
        )
    return token


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != _AUTH_SCHEME:
        return None
    return credentials.strip() or None


def _trace_point(point: TracePoint) -> JsonObject:
    body: JsonObject = {
        "timestamp_unix_ns": point.timestamp_unix_ns,
        "yaw_deg": round(point.yaw_deg, ROUND_DEG),
        "pitch_deg": round(point.pitch_deg, ROUND_DEG),
    }
    if point.screen_x_px is not None and point.screen_y_px is not None:
        body["screen_x_px"] = round(point.screen_x_px, ROUND_PX)
        body["screen_y_px"] = round(point.screen_y_px, ROUND_PX)
    return body


class Monitor:
    """The token check, the anonymised ids and the session views of one server.

    Args:
        token: the monitor token (see :func:`check_token`).
        sessions: the server's live sessions.
        key: the anonymisation key; random when omitted.

    Raises:
        ValueError: an unacceptable token.
    """

    def __init__(self, token: str, sessions: SessionRegistry, *, key: bytes | None = None) -> None:
        self._token = check_token(token).encode("ascii")
        self._sessions = sessions
        self._key = key if key is not None else secrets.token_bytes(32)

    def authorize(self, authorization: str | None) -> None:
        """Check an ``Authorization`` header.

        Raises:
            ProtocolError: ``unauthorized``: no bearer token, or the wrong one.
        """
        offered = _bearer_token(authorization)
        if offered is None:
            raise ProtocolError(
                ErrorCode.UNAUTHORIZED,
                "the monitor needs the header 'Authorization: Bearer <token>' with the token "
                "gazertc serve printed at start",
            )
        if not hmac.compare_digest(offered.encode("utf-8"), self._token):
            raise ProtocolError(
                ErrorCode.UNAUTHORIZED,
                "wrong monitor token: use the one gazertc serve printed at its latest start",
            )

    def anon_id(self, session_id: str) -> str:
        """The anonymised id of a session (16 hex digits, stable while the server runs)."""
        digest = hmac.new(self._key, session_id.encode("ascii"), hashlib.sha256).hexdigest()
        return digest[:ANON_ID_HEX_DIGITS]

    def _visible(self) -> list[Session]:
        return [
            session
            for session in self._sessions
            if session.state in {SessionState.CONNECTING, SessionState.LIVE}
        ]

    def find(self, anon_id: str) -> Session:
        """The live session with this anonymised id.

        Raises:
            ProtocolError: ``not_found``.
        """
        for session in self._visible():
            if hmac.compare_digest(self.anon_id(session.session_id), anon_id):
                return session
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no live session {anon_id!r}")

    def session_view(self, session: Session, now_s: float) -> JsonObject:
        """One ``monitor_session``."""
        trace = session.trace
        screen = session.config.screen
        if session.recordings_available:
            recording = "idle" if session.recording_id is None else "recording"
        else:
            recording = "unavailable"
        return {
            "anon_id": self.anon_id(session.session_id),
            "state": session.state.value,
            "started_unix_ns": session.started_unix_ns,
            "processed_fps": round(trace.processed_fps(now_s), 1),
            "face_found": trace.face_found,
            "calibrated": trace.calibrated,
            "screen": None
            if screen is None
            else {"width_px": screen.width_css_px, "height_px": screen.height_css_px},
            "recording": recording,
            "recording_id": session.recording_id,
            "trace": [_trace_point(point) for point in trace.points()],
        }

    def session_list(self) -> JsonObject:
        """The ``monitor_session_list``: live sessions, oldest first."""
        now_s = time.monotonic()
        sessions = sorted(self._visible(), key=lambda session: session.started_unix_ns)
        return {
            "server_time_unix_ns": time.time_ns(),
            "trace_max_points": TRACE_MAX_POINTS,
            "sessions": [self.session_view(session, now_s) for session in sessions],
        }

    def recording_info(self, session: Session, info: RecordingInfo) -> JsonObject:
        """A ``monitor_recording_info``: the recording's summary without the session id."""
        return {
            "anon_id": self.anon_id(session.session_id),
            "recording_id": info.recording_id,
            "name": info.name,
            "state": info.state.value,
            "started_unix_ns": info.started_unix_ns,
            "stopped_unix_ns": info.stopped_unix_ns,
            "sample_count": info.sample_count,
            "event_count": info.event_count,
        }

    def event(self, session: Session, event: StoredEvent) -> JsonObject:
        """A ``monitor_event``: the stored event without the session id."""
        return {
            "anon_id": self.anon_id(session.session_id),
            "name": event.name,
            "timestamp_unix_ns": event.timestamp_unix_ns,
            "received_unix_ns": event.received_unix_ns,
            "source": event.source.value,
            "recording_id": event.recording_id,
        }


MONITOR_KEY: Final = web.AppKey("monitor", Monitor)

_NO_STORE: Final = {"Cache-Control": "no-store"}
"""Monitor answers show other people's sessions: no cache keeps them."""


def add_routes(app: web.Application, monitor: Monitor) -> None:
    """Hold ``monitor`` on ``app`` (under :data:`MONITOR_KEY`) and register the monitor routes."""
    app[MONITOR_KEY] = monitor

    async def list_sessions(request: web.Request) -> web.Response:
        monitor.authorize(request.headers.get("Authorization"))
        response = web.json_response(monitor.session_list(), headers=_NO_STORE, dumps=_compact)
        # gzip when the client takes it (a browser does): ~7 KB of trace per session becomes
        # ~1.2 KB; aiohttp compresses bodies of more than 4 KB in a thread, off the loop.
        response.enable_compression()
        return response

    async def post_recording(request: web.Request) -> web.Response:
        monitor.authorize(request.headers.get("Authorization"))
        session = monitor.find(request.match_info["anon_id"])
        body = await read_json_body(request, "recording_request")
        info = await session.recording_command(body["action"], body.get("name"))
        # The participant's app hears of it as if it had asked itself.
        session.announce_recording(info)
        return web.json_response(monitor.recording_info(session, info), headers=_NO_STORE)

    async def post_event(request: web.Request) -> web.Response:
        received_unix_ns = time.time_ns()
        monitor.authorize(request.headers.get("Authorization"))
        session = monitor.find(request.match_info["anon_id"])
        body = await read_json_body(request, "event_request")
        event = session.record_event(body["name"], body.get("timestamp_unix_ns"), received_unix_ns)
        return web.json_response(monitor.event(session, event), headers=_NO_STORE)

    app.router.add_get("/api/monitor/sessions", list_sessions)
    app.router.add_post("/api/monitor/sessions/{anon_id}/recording", post_recording)
    app.router.add_post("/api/monitor/sessions/{anon_id}/events", post_event)
