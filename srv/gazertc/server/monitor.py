"""The monitor API: every live session at a glance, for whoever holds the server's host token.

Routes (each needs ``Authorization: Bearer <host token>``; 401 ``unauthorized`` without a
credential, 403 ``forbidden`` with any other, see :mod:`gazertc.server.access`)::

    GET  /api/monitor/sessions                          monitor_session_list
    POST /api/monitor/sessions/{anon_id}/recording      recording_request -> monitor_recording_info
    POST /api/monitor/sessions/{anon_id}/events         event_request -> monitor_event
    POST /api/monitor/sessions/{anon_id}/label          monitor_label_request -> monitor_session
    POST /api/monitor/sessions/{anon_id}/end            (no body) -> monitor_session_ended
    GET  /api/monitor/sessions/{anon_id}/thumbnail      image/jpeg, only while the participant
                                                        shares it (config share_thumbnail)

Sessions appear under an anonymised id: a keyed hash (HMAC-SHA256 with a key made when the
server starts) of the session id, stable for the session's life and useless for guessing the
session id. The session id grants nothing, but no monitor response contains it all the same:
a screen shared or seen over a shoulder shows no more than it must.

Ending a session tells the participant's page why (a fatal ``error`` with code
``session_ended_by_host``, which the app takes as "do not reconnect") before the connection
closes; a running recording is saved, as whenever a session ends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Final

from aiohttp import web

from gazertc.errors import InputError
from gazertc.protocol import ErrorCode, JsonObject, ProtocolError
from gazertc.records import RecordingActor, RecordingInfo, StoredEvent
from gazertc.server.access import AccessControl
from gazertc.server.http_bodies import read_json_body
from gazertc.server.registry import SessionRegistry
from gazertc.server.session import Session
from gazertc.server.session_settings import SessionState, clean_participant_label
from gazertc.server.trace import TRACE_MAX_POINTS, TracePoint

__all__ = [
    "ANON_ID_HEX_DIGITS",
    "MONITOR_KEY",
    "Monitor",
    "add_routes",
]

ANON_ID_HEX_DIGITS: Final = 16
"""64 bits of the keyed hash: no collisions among a server's sessions in practice."""
ROUND_DEG: Final = 2
ROUND_PX: Final = 1
ENDED_BY_HOST_MESSAGE: Final = "The host ended this session."


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


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
    """The anonymised ids and the session views of one server.

    Args:
        sessions: the server's live sessions.
        host_recording_allowed: whether the host may start recordings (shown to the monitor,
            which then offers no start button).
        key: the anonymisation key; random when omitted.
    """

    def __init__(
        self,
        sessions: SessionRegistry,
        *,
        host_recording_allowed: bool = True,
        key: bytes | None = None,
    ) -> None:
        self._sessions = sessions
        self.host_recording_allowed = host_recording_allowed
        self._key = key if key is not None else secrets.token_bytes(32)

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
            # Bytes: compare_digest refuses non-ASCII text, which a hostile path can carry.
            if hmac.compare_digest(
                self.anon_id(session.session_id).encode(), anon_id.encode("utf-8", "replace")
            ):
                return session
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no live session {anon_id!r}")

    def session_view(self, session: Session, now_s: float) -> JsonObject:
        """One ``monitor_session``."""
        trace = session.trace
        screen = session.config.screen
        quality = session.calibration.quality
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
            "participant_label": session.config.participant_label,
            "calibration_quality": None if quality is None else quality.value,
            "calibration_applied": session.calibration.calibrated,
            "thumbnail_shared": session.thumbnail.shared,
        }

    def session_list(self) -> JsonObject:
        """The ``monitor_session_list``: live sessions, oldest first."""
        now_s = time.monotonic()
        sessions = sorted(self._visible(), key=lambda session: session.started_unix_ns)
        return {
            "server_time_unix_ns": time.time_ns(),
            "trace_max_points": TRACE_MAX_POINTS,
            "host_recording_allowed": self.host_recording_allowed,
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
            "started_by": info.started_by.value,
            "stopped_by": None if info.stopped_by is None else info.stopped_by.value,
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


def add_routes(app: web.Application, monitor: Monitor, access: AccessControl) -> None:
    """Hold ``monitor`` on ``app`` (under :data:`MONITOR_KEY`) and register the monitor routes,
    open to the host token of ``access``."""
    app[MONITOR_KEY] = monitor

    async def list_sessions(request: web.Request) -> web.Response:
        access.require_host(request)
        response = web.json_response(monitor.session_list(), headers=_NO_STORE, dumps=_compact)
        # gzip when the client takes it (a browser does): ~7 KB of trace per session becomes
        # ~1.2 KB; aiohttp compresses bodies of more than 4 KB in a thread, off the loop.
        response.enable_compression()
        return response

    async def post_recording(request: web.Request) -> web.Response:
        access.require_host(request)
        session = monitor.find(request.match_info["anon_id"])
        body = await read_json_body(request, "recording_request")
        # The participant's app hears of it (recording_status), with who started it.
        info = await session.recording_command(
            body["action"], body.get("name"), by=RecordingActor.HOST, video=body.get("video", False)
        )
        return web.json_response(monitor.recording_info(session, info), headers=_NO_STORE)

    async def post_event(request: web.Request) -> web.Response:
        received_unix_ns = time.time_ns()
        access.require_host(request)
        session = monitor.find(request.match_info["anon_id"])
        body = await read_json_body(request, "event_request")
        event = session.record_event(body["name"], body.get("timestamp_unix_ns"), received_unix_ns)
        return web.json_response(monitor.event(session, event), headers=_NO_STORE)

    async def post_label(request: web.Request) -> web.Response:
        access.require_host(request)
        session = monitor.find(request.match_info["anon_id"])
        body = await read_json_body(request, "monitor_label_request")
        try:
            label = clean_participant_label(body["participant_label"])
        except InputError as exc:
            raise ProtocolError(ErrorCode.INVALID_REQUEST, str(exc)) from exc
        session.label_by_host(label)
        view = monitor.session_view(session, time.monotonic())
        return web.json_response(view, headers=_NO_STORE, dumps=_compact)

    async def post_end(request: web.Request) -> web.Response:
        access.require_host(request)
        session = monitor.find(request.match_info["anon_id"])
        anon_id = monitor.anon_id(session.session_id)
        await session.close(
            "ended by the host",
            error=ErrorCode.SESSION_ENDED_BY_HOST,
            detail=ENDED_BY_HOST_MESSAGE,
        )
        return web.json_response({"anon_id": anon_id, "state": "closed"}, headers=_NO_STORE)

    async def get_thumbnail(request: web.Request) -> web.Response:
        access.require_host(request)
        session = monitor.find(request.match_info["anon_id"])
        if not session.thumbnail.shared:
            raise ProtocolError(
                ErrorCode.NOT_FOUND, "this participant does not share a camera thumbnail"
            )
        try:
            jpeg = await session.thumbnail.jpeg()
        except ValueError as exc:
            raise ProtocolError(ErrorCode.INTERNAL_ERROR, f"no thumbnail: {exc}") from exc
        if jpeg is None:
            raise ProtocolError(
                ErrorCode.NOT_FOUND,
                "no thumbnail: no camera frame arrived yet, or the participant stopped sharing",
            )
        return web.Response(body=jpeg, content_type="image/jpeg", headers=_NO_STORE)

    app.router.add_get("/api/monitor/sessions", list_sessions)
    app.router.add_post("/api/monitor/sessions/{anon_id}/recording", post_recording)
    app.router.add_post("/api/monitor/sessions/{anon_id}/events", post_event)
    app.router.add_post("/api/monitor/sessions/{anon_id}/label", post_label)
    app.router.add_post("/api/monitor/sessions/{anon_id}/end", post_end)
    app.router.add_get("/api/monitor/sessions/{anon_id}/thumbnail", get_thumbnail)
