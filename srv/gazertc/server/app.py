"""The aiohttp application: signalling, health, and the built web app, all on one origin.

Routes::

    POST /offer    {"sdp", "type": "offer", "options"?} -> {"sdp", "type": "answer", "session_id"}
    GET  /health   sessions, workers, event-loop lag (schema: health)
    GET  /         the built web app (app/dist) when present
    POST /api/sessions/{session_id}/events     event_request -> stored_event
    POST /api/sessions/{session_id}/recording  recording_request -> recording_info
    GET  /api/recordings                       recording_list
    GET  /api/recordings/{recording_id}        recording_info
    GET  /api/recordings/{recording_id}/export?format=csv|bids   a zip of the exported files
    GET  /api/monitor/sessions, POST /api/monitor/sessions/{anon_id}/recording|events
                   the monitor (Authorization: Bearer <monitor token>; see monitor.py)
    GET  /monitor  the built web app's monitor page (same index.html as /)

Everything the server holds lives on the application (no module globals): the worker pool, the
session registry, the media relay and the event-loop lag monitor. Errors are JSON ``error``
messages (see the protocol schema) with a fitting HTTP status.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
import os
import tempfile
import time
import uuid
import zipfile
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from aiohttp import web
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay

import gazertc
from gazertc import protocol
from gazertc.protocol import ErrorCode, JsonObject, OutputMode, ProtocolError
from gazertc.recording.export import export_bids, export_csv
from gazertc.recording.store import RecordingError, RecordingStore, connect_read_only
from gazertc.server.discovery import Advertisement
from gazertc.server.lsl import LslPublisher
from gazertc.server.monitor import Monitor
from gazertc.server.monitor import add_routes as add_monitor_routes
from gazertc.server.monitor import new_token as new_monitor_token
from gazertc.server.pool import WorkerPool
from gazertc.server.session import Session, SessionConfig, SessionLimits, SessionRegistry
from gazertc.server.signalling import check_offer

__all__ = [
    "ADVERTISEMENT_KEY",
    "CONFIG_KEY",
    "LAG_MONITOR_KEY",
    "LSL_KEY",
    "POOL_KEY",
    "RECORDINGS_KEY",
    "RELAY_KEY",
    "SESSIONS_KEY",
    "IceServer",
    "LoopLagMonitor",
    "ServerConfig",
    "create_app",
    "default_static_dir",
]

logger = logging.getLogger(__name__)

HTTP_STATUS: Final[dict[ErrorCode, int]] = {
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.INVALID_SDP: 400,
    ErrorCode.VIDEO_UNAVAILABLE: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.TOO_MANY_SESSIONS: 503,
    ErrorCode.RECORDING_UNAVAILABLE: 409,
    ErrorCode.RECORDING_IN_PROGRESS: 409,
    ErrorCode.NOT_RECORDING: 409,
    ErrorCode.UNAUTHORIZED: 401,
}
RETRY_AFTER_S: Final = 10
"""Suggested wait before retrying when the server is full."""

_SET_DESCRIPTION_ERRORS: Final = (
    ValueError,
    AssertionError,
    AttributeError,
    IndexError,
    KeyError,
    TypeError,
)
"""What aiortc raises for offers it cannot apply (check_offer catches the common causes)."""


@dataclass(frozen=True, slots=True)
class IceServer:
    """A STUN or TURN server offered to aiortc's ICE agent."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


def default_static_dir() -> Path | None:
    """``app/dist`` of a source checkout, when it has been built."""
    candidate = Path(__file__).resolve().parents[3] / "app" / "dist"
    return candidate if (candidate / "index.html").is_file() else None


def _default_worker_count() -> int:
    return len(os.sched_getaffinity(0)) or 1


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything that configures a server (the ``serve`` command builds one from its flags).

    Attributes:
        host, port: where to listen.
        cert_path, key_path: TLS certificate and key (PEM); both or neither. Browsers allow
            camera access only on https or localhost.
        static_dir: the built web app served at ``/``; ``None`` serves none.
        worker_count: pipeline processes; defaults to the usable cores.
        max_sessions: more concurrent sessions get HTTP 503.
        ice_servers: STUN/TURN servers; none by default (host candidates only: LAN and
            localhost work, and nothing waits on an unreachable STUN server).
        max_body_bytes: largest accepted POST body (an SDP offer is 2-10 KB).
        limits: per-session limits (data-channel message size, send buffer, idle timeout).
        max_frame_pixels: larger video frames are refused with an error message.
        default_output: output mode when the client's options do not choose one.
        status_interval_ms: default period of status messages.
        data_dir: where recordings are kept (SQLite); ``None`` keeps none.
        lsl: publish every session on Lab Streaming Layer outlets (needs pylsl; see
            :mod:`gazertc.server.lsl`).
        advertise: announce the server over mDNS (``_gazertc._tcp.local.``; needs zeroconf).
        monitor_token: the bearer token of the monitor API (``/api/monitor/``); random by
            default (see :func:`gazertc.server.monitor.check_token` for a chosen one).
    """

    host: str = "127.0.0.1"
    port: int = 3000
    cert_path: Path | None = None
    key_path: Path | None = None
    static_dir: Path | None = field(default_factory=default_static_dir)
    worker_count: int = field(default_factory=_default_worker_count)
    max_sessions: int = 8
    ice_servers: tuple[IceServer, ...] = ()
    max_body_bytes: int = 64 * 1024
    limits: SessionLimits = field(default_factory=SessionLimits)
    max_frame_pixels: int = 1920 * 1080
    default_output: OutputMode = OutputMode.JSON
    status_interval_ms: int = 1000
    data_dir: Path | None = None
    lsl: bool = False
    advertise: bool = False
    monitor_token: str = field(default_factory=new_monitor_token, repr=False)


class LoopLagMonitor:
    """Measures how late the event loop wakes for a periodic timer (its responsiveness).

    Args:
        interval_s: the timer's period.
        window: how many recent measurements to keep (600 at 0.1 s: one minute).
    """

    def __init__(self, interval_s: float = 0.1, window: int = 600) -> None:
        self.interval_s = interval_s
        self._lags: deque[tuple[float, float]] = deque(maxlen=window)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            woke = time.perf_counter()
            self._lags.append((woke, max(0.0, (woke - started - self.interval_s) * 1000.0)))

    def snapshot(self, window_s: float | None = None) -> dict[str, float | None]:
        """``p50``, ``p95`` and ``max`` lag in ms over the kept measurements, or over the last
        ``window_s`` seconds of them (``None`` before any)."""
        since = -math.inf if window_s is None else time.perf_counter() - window_s
        ordered = sorted(lag_ms for woke, lag_ms in self._lags if woke >= since)
        if not ordered:
            return {"p50": None, "p95": None, "max": None}
        last = len(ordered) - 1
        return {
            "p50": round(ordered[round(0.5 * last)], 3),
            "p95": round(ordered[round(0.95 * last)], 3),
            "max": round(ordered[-1], 3),
        }


CONFIG_KEY: Final = web.AppKey("config", ServerConfig)
POOL_KEY: Final = web.AppKey("pool", WorkerPool)
SESSIONS_KEY: Final = web.AppKey("sessions", SessionRegistry)
LAG_MONITOR_KEY: Final = web.AppKey("lag_monitor", LoopLagMonitor)
RELAY_KEY: Final = web.AppKey("relay", MediaRelay)
RECORDINGS_KEY: Final = web.AppKey("recordings", RecordingStore)
LSL_KEY: Final = web.AppKey("lsl", LslPublisher)
ADVERTISEMENT_KEY: Final = web.AppKey("advertisement", Advertisement)


def _error_response(code: ErrorCode, message: str) -> web.Response:
    headers: dict[str, str] | None = None
    if code is ErrorCode.TOO_MANY_SESSIONS:
        headers = {"Retry-After": str(RETRY_AFTER_S)}
    elif code is ErrorCode.UNAUTHORIZED:
        headers = {"WWW-Authenticate": 'Bearer realm="gazertc monitor"'}
    return web.json_response(
        protocol.make_error(code, message, fatal=True),
        status=HTTP_STATUS.get(code, 500),
        headers=headers,
    )


_HTTP_ERROR_CODES: Final[dict[int, ErrorCode]] = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
}


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProtocolError as exc:
        return _error_response(exc.code, exc.message)
    except web.HTTPException as exc:
        code = _HTTP_ERROR_CODES.get(exc.status)
        if code is None:
            raise
        if code is ErrorCode.BODY_TOO_LARGE:
            limit = request.app[CONFIG_KEY].max_body_bytes
            return _error_response(code, f"request body exceeds the limit of {limit} bytes")
        return _error_response(code, f"{request.method} {request.path}: {exc.reason}")


MAX_LAG_WINDOW_S: Final = 60.0


async def _health(request: web.Request) -> web.Response:
    """Health and load; ``?lag_window_s=10`` limits the loop-lag figures to the last 10 s."""
    app = request.app
    window_s: float | None = None
    if "lag_window_s" in request.query:
        try:
            window_s = float(request.query["lag_window_s"])
        except ValueError:
            window_s = math.nan
        if not 0.0 < window_s <= MAX_LAG_WINDOW_S:
            raise ProtocolError(
                ErrorCode.INVALID_REQUEST,
                f"lag_window_s must be a number of seconds in (0, {MAX_LAG_WINDOW_S:g}]",
            )
    sessions = app[SESSIONS_KEY]
    body: JsonObject = {
        "status": "ok",
        "version": gazertc.__version__,
        "protocol_version": protocol.PROTOCOL_VERSION,
        "sessions": len(sessions),
        "max_sessions": sessions.max_sessions,
        "workers": app[POOL_KEY].worker_count,
        "loop_lag_ms": app[LAG_MONITOR_KEY].snapshot(window_s),
    }
    return web.json_response(body)


def _too_many(sessions: SessionRegistry) -> ProtocolError:
    return ProtocolError(
        ErrorCode.TOO_MANY_SESSIONS,
        f"the server is at its limit of {sessions.max_sessions} sessions; try again later",
    )


async def _read_body(request: web.Request, definition: str) -> JsonObject:
    body = await request.read()
    try:
        parsed_body = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.INVALID_JSON, f"the body is not valid JSON: {exc}") from exc
    try:
        protocol.validate(parsed_body, definition)
    except ProtocolError as exc:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, exc.message) from exc
    parsed: JsonObject = parsed_body
    return parsed


async def _read_offer(request: web.Request) -> JsonObject:
    return await _read_body(request, "offer_request")


def _session_of(request: web.Request) -> Session:
    session_id = request.match_info["session_id"]
    session = request.app[SESSIONS_KEY].get(session_id)
    if session is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no live session {session_id!r}")
    return session


async def _post_event(request: web.Request) -> web.Response:
    received_unix_ns = time.time_ns()
    session = _session_of(request)
    body = await _read_body(request, "event_request")
    event = session.record_event(body["name"], body.get("timestamp_unix_ns"), received_unix_ns)
    return web.json_response(event.to_dict())


async def _post_recording(request: web.Request) -> web.Response:
    session = _session_of(request)
    body = await _read_body(request, "recording_request")
    info = await session.recording_command(body["action"], body.get("name"))
    return web.json_response(info.to_dict())


def _store_of(request: web.Request) -> RecordingStore:
    store = request.app.get(RECORDINGS_KEY)
    if store is None:
        raise ProtocolError(
            ErrorCode.RECORDING_UNAVAILABLE,
            "this server keeps no recordings (start it with --data-dir)",
        )
    return store


async def _list_recordings(request: web.Request) -> web.Response:
    infos = await asyncio.wrap_future(_store_of(request).list())
    return web.json_response({"recordings": [info.to_dict() for info in infos]})


async def _get_recording(request: web.Request) -> web.Response:
    recording_id = request.match_info["recording_id"]
    info = await asyncio.wrap_future(_store_of(request).get(recording_id))
    if info is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no recording {recording_id!r}")
    return web.json_response(info.to_dict())


EXPORT_FORMATS: Final = ("csv", "bids")


def _export_zip(data_dir: Path, recording_id: str, export_format: str) -> bytes:
    """The recording exported as ``export_format`` into a zip, in memory (runs in a thread)."""
    with tempfile.TemporaryDirectory(prefix="gazertc-export-") as scratch:
        out_dir = Path(scratch) / f"{recording_id}-{export_format}"
        connection = connect_read_only(data_dir)
        try:
            if export_format == "csv":
                paths = export_csv(connection, recording_id, out_dir)
            else:
                paths = export_bids(connection, recording_id, out_dir)
        finally:
            connection.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, f"{out_dir.name}/{path.name}")
    return buffer.getvalue()


async def _export_recording(request: web.Request) -> web.Response:
    """A zip of the recording's CSV or BIDS files (``?format=csv``, the default, or ``bids``)."""
    store = _store_of(request)
    recording_id = request.match_info["recording_id"]
    export_format = request.query.get("format", "csv")
    if export_format not in EXPORT_FORMATS:
        raise ProtocolError(
            ErrorCode.INVALID_REQUEST,
            f"format must be one of {', '.join(EXPORT_FORMATS)}, got {export_format!r}",
        )
    info = await asyncio.wrap_future(store.get(recording_id))
    if info is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no recording {recording_id!r}")
    body = await asyncio.to_thread(_export_zip, store.path.parent, recording_id, export_format)
    return web.Response(
        body=body,
        content_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{recording_id}-{export_format}.zip"'
        },
    )


async def _offer(request: web.Request) -> web.Response:
    app = request.app
    config = app[CONFIG_KEY]
    sessions = app[SESSIONS_KEY]
    if sessions.full:
        raise _too_many(sessions)
    offer = await _read_offer(request)
    summary = check_offer(offer["sdp"])
    session_config = SessionConfig(
        output=config.default_output, status_interval_ms=config.status_interval_ms
    ).updated(offer.get("options", {}))
    if session_config.output.sends_video and not summary.video_receivable:
        raise ProtocolError(
            ErrorCode.VIDEO_UNAVAILABLE,
            f"output {session_config.output.value!r} sends annotated video back, but the "
            "offer's video transceiver does not receive: offer it as sendrecv",
        )
    if sessions.full:  # re-check: other offers may have been accepted while this one was read
        raise _too_many(sessions)
    pc = RTCPeerConnection(
        RTCConfiguration(
            iceServers=[
                RTCIceServer(list(server.urls), server.username, server.credential)
                for server in config.ice_servers
            ]
        )
    )
    session = Session(
        uuid.uuid4().hex,
        pc,
        pool=app[POOL_KEY],
        relay=app[RELAY_KEY],
        limits=config.limits,
        config=session_config,
        video_available=summary.video_receivable,
        on_closed=sessions.remove,
        recordings=app.get(RECORDINGS_KEY),
        lsl=app.get(LSL_KEY),
    )
    sessions.add(session)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        # Non-trickle: setLocalDescription returns once ICE gathering has completed.
        await pc.setLocalDescription(await pc.createAnswer())
    except _SET_DESCRIPTION_ERRORS as exc:
        await session.close("offer could not be applied")
        raise ProtocolError(
            ErrorCode.INVALID_SDP, f"the offer could not be applied ({type(exc).__name__}: {exc})"
        ) from exc
    logger.info("session %s started (%d live)", session.session_id, len(sessions))
    answer: JsonObject = {
        "sdp": pc.localDescription.sdp,
        "type": pc.localDescription.type,
        "session_id": session.session_id,
    }
    return web.json_response(answer)


async def _no_app(_: web.Request) -> web.Response:
    return web.Response(
        text="gazertc server. The web app is not built (app/dist is missing); the API is at "
        "POST /offer and GET /health.\n"
    )


def create_app(config: ServerConfig | None = None) -> web.Application:
    """Build the server application. Workers start with the application and stop with it.

    Args:
        config: server settings; defaults when omitted.

    Raises:
        LslError: ``config.lsl`` is set but pylsl cannot be loaded.
        ValueError: ``config.monitor_token`` is unacceptable (too short, odd characters).
    """
    config = config or ServerConfig()
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[_json_errors])
    app[CONFIG_KEY] = config
    app[POOL_KEY] = WorkerPool(config.worker_count, max_frame_pixels=config.max_frame_pixels)
    app[SESSIONS_KEY] = SessionRegistry(config.max_sessions)
    app[LAG_MONITOR_KEY] = LoopLagMonitor()
    app[RELAY_KEY] = MediaRelay()
    app.router.add_get("/health", _health)
    app.router.add_post("/offer", _offer)
    app.router.add_post("/api/sessions/{session_id}/events", _post_event)
    app.router.add_post("/api/sessions/{session_id}/recording", _post_recording)
    app.router.add_get("/api/recordings", _list_recordings)
    app.router.add_get("/api/recordings/{recording_id}", _get_recording)
    app.router.add_get("/api/recordings/{recording_id}/export", _export_recording)
    add_monitor_routes(app, Monitor(config.monitor_token, app[SESSIONS_KEY]), _read_body)
    if config.lsl:
        app[LSL_KEY] = LslPublisher.load()
    if config.advertise:
        scheme = "https" if config.cert_path is not None else "http"
        app[ADVERTISEMENT_KEY] = Advertisement(config.host, config.port, scheme)
        app.cleanup_ctx.append(_advertise)
    if config.data_dir is not None:
        app[RECORDINGS_KEY] = RecordingStore(config.data_dir)
        app.cleanup_ctx.append(_recording_store)
    static_dir = config.static_dir
    if static_dir is not None and (static_dir / "index.html").is_file():
        index = static_dir / "index.html"

        async def _index(_: web.Request) -> web.FileResponse:
            return web.FileResponse(index)

        app.router.add_get("/", _index)
        app.router.add_get("/monitor", _index)
        app.router.add_static("/", static_dir)
    else:
        app.router.add_get("/", _no_app)
    app.cleanup_ctx.append(_workers_and_monitor)
    app.on_shutdown.append(_close_sessions)
    return app


async def _workers_and_monitor(app: web.Application) -> AsyncIterator[None]:
    monitor = app[LAG_MONITOR_KEY]
    pool = app[POOL_KEY]
    await pool.start()
    monitor.start()
    logger.info("%d pipeline worker(s) ready", pool.worker_count)
    yield
    await monitor.stop()
    await pool.close()


async def _recording_store(app: web.Application) -> AsyncIterator[None]:
    store = app[RECORDINGS_KEY]
    try:
        await asyncio.to_thread(store.open)
    except RecordingError:
        logger.exception("recordings are unavailable")
        raise
    logger.info("recordings in %s", store.path)
    yield
    await asyncio.to_thread(store.close)


async def _advertise(app: web.Application) -> AsyncIterator[None]:
    advertisement = app[ADVERTISEMENT_KEY]
    advertisement.start()
    yield
    await advertisement.close()


async def _close_sessions(app: web.Application) -> None:
    await app[SESSIONS_KEY].close_all("server shutting down")
