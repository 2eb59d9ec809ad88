"""The aiohttp application: signalling, health, and the built web app, all on one origin.

Routes::

    POST /offer    {"sdp", "type": "offer", "options"?}
                   -> {"sdp", "type": "answer", "session_id", "session_secret", "node"}
    GET  /ws       a session over a WebSocket instead of WebRTC (see websocket.py)
    GET  /health   node, sessions, workers, event-loop lag, pipeline work done (schema: health;
                   503 while draining)
    GET  /api/ice-servers  STUN/TURN servers for the client's peer connection (see ice.py)
    GET  /         the built web app (app/dist) when present
    POST /api/sessions/{session_id}/events|recording, GET /api/recordings/...
                   events, recording control and stored recordings (see recordings_api.py)
    GET  /api/monitor/sessions, POST /api/monitor/sessions/{anon_id}/recording|events|label|end,
    GET  /api/monitor/sessions/{anon_id}/thumbnail, POST /api/monitor/nodes/{node}/drain|undrain
                   the monitor (see monitor.py)
    GET  /monitor  the built web app's monitor page (same index.html as /)

Every /api/ route but /api/ice-servers needs a credential (``Authorization: Bearer``): the
host token, or on a session's own routes that session's secret (see access.py).

Everything the server holds lives on the application (no module globals): the worker pool, the
session registry, the media relay and the event-loop lag monitor. Errors are JSON ``error``
messages (see the protocol schema) with a fitting HTTP status.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import os
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

import gazertc
from gazertc import protocol
from gazertc.cluster.registry import ClusterRegistry, RegistrySettings
from gazertc.installation import app_dir
from gazertc.protocol import ErrorCode, JsonObject, OutputMode, ProtocolError
from gazertc.recording.backend import open_database
from gazertc.recording.store import RecordingError, RecordingStore
from gazertc.server import guards
from gazertc.server.access import ACCESS_KEY, AccessControl, new_token
from gazertc.server.discovery import Advertisement
from gazertc.server.guards import CONNECTION_LOG_KEY, EdgeConfig
from gazertc.server.http_bodies import read_json_body
from gazertc.server.ice import IceServer, rtc_ice_servers
from gazertc.server.ice import add_routes as add_ice_routes
from gazertc.server.lsl import LslPublisher
from gazertc.server.memory import MemoryTrimmer
from gazertc.server.monitor import Monitor
from gazertc.server.monitor import add_routes as add_monitor_routes
from gazertc.server.node import NODE_KEY, NodeState, default_node_name
from gazertc.server.pool import WorkerPool
from gazertc.server.recordings_api import add_routes as add_recordings_routes
from gazertc.server.registry import SessionRegistry
from gazertc.server.session import Session
from gazertc.server.session_settings import SessionConfig, SessionLimits
from gazertc.server.signalling import check_offer
from gazertc.server.transport import Transport
from gazertc.server.webrtc_transport import WebRtcTransport
from gazertc.server.websocket import add_route as add_websocket_route

__all__ = [
    "ADVERTISEMENT_KEY",
    "CLUSTER_KEY",
    "CONFIG_KEY",
    "LAG_MONITOR_KEY",
    "LSL_KEY",
    "POOL_KEY",
    "RECORDINGS_KEY",
    "RELAY_KEY",
    "SESSIONS_KEY",
    "TRIMMER_KEY",
    "IceServer",
    "LoopLagMonitor",
    "ServerConfig",
    "create_app",
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
    ErrorCode.NODE_DRAINING: 503,
    ErrorCode.RECORDING_UNAVAILABLE: 409,
    ErrorCode.RECORDING_IN_PROGRESS: 409,
    ErrorCode.NOT_RECORDING: 409,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
}
RETRY_AFTER_S: Final = 10
"""Suggested wait before retrying when the server is full."""
SESSIONS_CLOSE_TIMEOUT_S: Final = 2.0
"""Shutdown's wait for every session to close (each saves its recording, drains its channel for
at most 0.5 s and closes its peer: ~0.1 s measured). With HTTP_SHUTDOWN_TIMEOUT_S, the workers'
stop (1 s, then killed) and the store's close (1 s), a shutdown ends within the 5 s promised."""
HTTP_SHUTDOWN_TIMEOUT_S: Final = 0.5
"""Shutdown's wait for HTTP requests in progress (aiohttp's default is 60 s); ``gazertc serve``
passes it to ``web.run_app``."""

_SET_DESCRIPTION_ERRORS: Final = (
    ValueError,
    AssertionError,
    AttributeError,
    IndexError,
    KeyError,
    TypeError,
)
"""What aiortc raises for offers it cannot apply (check_offer catches the common causes)."""


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
        ice_servers: STUN/TURN servers, for the server's peer connections and the app's
            (``GET /api/ice-servers``); none by default (host candidates only: LAN and
            localhost work, and nothing waits on an unreachable STUN server).
        max_body_bytes: largest accepted POST body (an SDP offer is 2-10 KB).
        limits: per-session limits (data-channel message size, send buffer, idle timeout).
        max_frame_pixels: larger video frames are refused with an error message.
        max_frame_bytes: larger WebSocket frame messages (JPEG) are refused with an error
            message (a 640x480 JPEG at quality 0.8 has 30-60 KB).
        default_output: output mode when the client's options do not choose one.
        status_interval_ms: default period of status messages.
        data_dir: where recordings are kept (SQLite); ``None`` keeps none.
        lsl: publish every session on Lab Streaming Layer outlets (needs pylsl; see
            :mod:`gazertc.server.lsl`).
        advertise: announce the server over mDNS (``_gazertc._tcp.local.``; needs zeroconf).
        host_token: the host's credential for the monitor, the stored recordings and every
            session's routes; random by default (see :func:`gazertc.server.access.check_token`
            for a chosen one).
        host_recording: whether the host may start recordings; ``False``: only the
            participant starts them (``--no-host-recording``).
        edge: the allowed origins and host names, the offer rate, the trusted proxies (see
            :mod:`gazertc.server.guards`).
        node_name: this server's name in a cluster (see :mod:`gazertc.server.node`);
            ``None``: ``<hostname>:<port>``.
        database_url: ``postgresql://...``: recordings in that PostgreSQL database (their
            videos stay in ``data_dir``); ``None``: SQLite in ``data_dir``.
        cluster: the cluster registry's database and this node's URL (``--database
            postgresql://...``, see :mod:`gazertc.cluster.registry`); ``None``: stand-alone.
    """

    host: str = "127.0.0.1"
    port: int = 3000
    cert_path: Path | None = None
    key_path: Path | None = None
    static_dir: Path | None = field(default_factory=app_dir)
    worker_count: int = field(default_factory=_default_worker_count)
    max_sessions: int = 8
    ice_servers: tuple[IceServer, ...] = ()
    max_body_bytes: int = 64 * 1024
    limits: SessionLimits = field(default_factory=SessionLimits)
    max_frame_pixels: int = 1920 * 1080
    max_frame_bytes: int = 2 * 1024 * 1024
    default_output: OutputMode = OutputMode.JSON
    status_interval_ms: int = 1000
    data_dir: Path | None = None
    lsl: bool = False
    advertise: bool = False
    host_token: str = field(default_factory=new_token, repr=False)
    host_recording: bool = True
    edge: EdgeConfig = field(default_factory=EdgeConfig)
    node_name: str | None = None
    cluster: RegistrySettings | None = None
    database_url: str | None = None


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
TRIMMER_KEY: Final = web.AppKey("trimmer", MemoryTrimmer)
CLUSTER_KEY: Final = web.AppKey("cluster", ClusterRegistry)


def _error_response(code: ErrorCode, message: str, *, ref_type: str | None = None) -> web.Response:
    headers: dict[str, str] | None = None
    if code in {ErrorCode.TOO_MANY_SESSIONS, ErrorCode.NODE_DRAINING}:
        headers = {"Retry-After": str(RETRY_AFTER_S)}
    elif code is ErrorCode.UNAUTHORIZED:
        headers = {"WWW-Authenticate": 'Bearer realm="gazertc"'}
    return web.json_response(
        protocol.make_error(code, message, fatal=True, ref_type=ref_type),
        status=HTTP_STATUS.get(code, 500),
        headers=headers,
    )


_HTTP_ERROR_CODES: Final[dict[int, ErrorCode]] = {
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
}


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response: web.StreamResponse | None
    try:
        response = await handler(request)
    except ProtocolError as exc:
        # ref_type tells a refused action (e.g. a recording) from a refused credential.
        return _error_response(exc.code, exc.message, ref_type=exc.ref_type)
    except web.HTTPException as exc:
        code = _HTTP_ERROR_CODES.get(exc.status)
        if code is None:
            raise
        if code is ErrorCode.BODY_TOO_LARGE:
            limit = request.app[CONFIG_KEY].max_body_bytes
            return _error_response(code, f"request body exceeds the limit of {limit} bytes")
        return _error_response(code, f"{request.method} {request.path}: {exc.reason}")
    except OSError:
        # aiohttp's static route lets the file system's refusals through (a name too long).
        if not isinstance(request.match_info.route.resource, web.StaticResource):
            raise
        response = None
    if response is None or (
        isinstance(response, web.FileResponse) and await _missing_static_file(request)
    ):
        return _error_response(ErrorCode.NOT_FOUND, f"{request.method} {request.path}: Not Found")
    return response


def _add_directory_pages(app: web.Application, static_dir: Path) -> None:
    """Serve each built folder's ``index.html`` at its folder URL (``/examples/jspsych/``, and
    ``/examples/jspsych`` redirected there so relative links resolve): the static route serves
    files only. Found once at start-up; added before the static route, which would match first.
    """
    for page in sorted(static_dir.glob("*/**/index.html")):
        url = "/" + page.parent.relative_to(static_dir).as_posix()

        async def _page(_: web.Request, page: Path = page) -> web.FileResponse:
            return web.FileResponse(page)

        async def _to_folder(_: web.Request, url: str = url) -> web.StreamResponse:
            raise web.HTTPPermanentRedirect(f"{url}/")

        app.router.add_get(f"{url}/", _page)
        app.router.add_get(url, _to_folder)


async def _missing_static_file(request: web.Request) -> bool:
    """Whether a static route's file is missing. aiohttp finds out only while it sends the
    response, and then answers an empty 404 that no middleware can turn into JSON: look first.
    """
    resource = request.match_info.route.resource
    if not isinstance(resource, web.StaticResource):
        return False
    path = resource.get_info()["directory"] / request.match_info.get("filename", "")
    try:
        return not await asyncio.to_thread(path.is_file)
    except (OSError, ValueError):  # a name too long, a NUL byte: no such file either
        return True


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
    node = app[NODE_KEY]
    pool = app[POOL_KEY]
    body = protocol.make_health(
        version=gazertc.__version__,
        sessions=len(sessions),
        max_sessions=sessions.max_sessions,
        workers=pool.worker_count,
        loop_lag_ms=app[LAG_MONITOR_KEY].snapshot(window_s),
        node=node.name,
        draining=node.draining,
        pipeline_work=pool.work_done.to_dict(),
    )
    # 503 while draining: the balancer's health check sends no new sessions here.
    return web.json_response(body, status=503 if node.draining else 200)


def _too_many(sessions: SessionRegistry) -> ProtocolError:
    return ProtocolError(
        ErrorCode.TOO_MANY_SESSIONS,
        f"the server is at its limit of {sessions.max_sessions} sessions; try again later",
    )


async def _offer(request: web.Request) -> web.Response:
    app = request.app
    config = app[CONFIG_KEY]
    sessions = app[SESSIONS_KEY]
    app[NODE_KEY].refuse_if_draining()
    if sessions.full:
        raise _too_many(sessions)
    offer = await read_json_body(request, "offer_request")
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
        RTCConfiguration(iceServers=rtc_ice_servers(config.ice_servers, time.time()))
    )
    transport = WebRtcTransport(
        pc,
        app[RELAY_KEY],
        video_available=summary.video_receivable,
        connect_timeout_s=config.limits.connect_timeout_s,
    )
    session = _new_session(app, transport, session_config)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        # Non-trickle: setLocalDescription returns once ICE gathering has completed.
        await pc.setLocalDescription(await pc.createAnswer())
    except _SET_DESCRIPTION_ERRORS as exc:
        await session.close("offer could not be applied")
        raise ProtocolError(
            ErrorCode.INVALID_SDP, f"the offer could not be applied ({type(exc).__name__}: {exc})"
        ) from exc
    answer: JsonObject = {
        "sdp": pc.localDescription.sdp,
        "type": pc.localDescription.type,
        "session_id": session.session_id,
        "session_secret": session.secret,
        "node": app[NODE_KEY].name,
    }
    return web.json_response(answer, headers={"Cache-Control": "no-store"})


def _new_session(app: web.Application, transport: Transport, config: SessionConfig) -> Session:
    """A new session on ``transport``, registered (the caller checked that there is room)."""
    sessions = app[SESSIONS_KEY]
    server_config = app[CONFIG_KEY]

    def closed(session: Session) -> None:
        sessions.remove(session)
        app[CONNECTION_LOG_KEY].session_ended(session)
        app[TRIMMER_KEY].session_closed()

    session = Session(
        uuid.uuid4().hex,
        transport,
        pool=app[POOL_KEY],
        limits=server_config.limits,
        config=config,
        on_closed=closed,
        secret=new_token(),
        host_recording=server_config.host_recording,
        recordings=app.get(RECORDINGS_KEY),
        lsl=app.get(LSL_KEY),
    )
    sessions.add(session)
    return session


def _websocket_session_config(config: ServerConfig) -> SessionConfig:
    """A WebSocket session's initial settings: no video goes back, so a server default that
    sends video gives samples (``json``) instead."""
    output = OutputMode.JSON if config.default_output.sends_video else config.default_output
    return SessionConfig(output=output, status_interval_ms=config.status_interval_ms)


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
        ValueError: ``config.host_token`` is unacceptable (too short, odd characters), or
            ``config.edge`` names an origin or a host name that is not one.
    """
    config = config or ServerConfig()
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[_json_errors])
    app[CONFIG_KEY] = config
    app[POOL_KEY] = WorkerPool(config.worker_count, max_frame_pixels=config.max_frame_pixels)
    app[SESSIONS_KEY] = SessionRegistry(config.max_sessions)
    app[LAG_MONITOR_KEY] = LoopLagMonitor()
    app[TRIMMER_KEY] = MemoryTrimmer()
    app[RELAY_KEY] = MediaRelay()
    guards.install(app, config.edge, listen_host=config.host, tls=config.cert_path is not None)
    app.router.add_get("/health", _health)
    app.router.add_post("/offer", _offer)
    add_websocket_route(
        app,
        app[SESSIONS_KEY],
        lambda transport: _new_session(app, transport, _websocket_session_config(config)),
        limits=config.limits,
        max_frame_bytes=config.max_frame_bytes,
        max_frame_pixels=config.max_frame_pixels,
    )
    add_ice_routes(app, config.ice_servers)
    access = app[ACCESS_KEY] = AccessControl(config.host_token, app[SESSIONS_KEY])
    node = app[NODE_KEY] = NodeState(config.node_name or default_node_name(config.port))
    monitor = Monitor(app[SESSIONS_KEY], node=node, host_recording_allowed=config.host_recording)
    add_monitor_routes(app, monitor, access, config.host_token)
    if config.cluster is not None:
        pool = app[POOL_KEY]
        app[CLUSTER_KEY] = monitor.enable_cluster(
            config.cluster, lambda: [os.getpid(), *pool.worker_pids()]
        )
        app.cleanup_ctx.append(_cluster_registry)
    if config.lsl:
        app[LSL_KEY] = LslPublisher.load()
    if config.advertise:
        scheme = "https" if config.cert_path is not None else "http"
        app[ADVERTISEMENT_KEY] = Advertisement(config.host, config.port, scheme)
        app.cleanup_ctx.append(_advertise)
    store: RecordingStore | None = None
    if config.data_dir is not None:
        store = app[RECORDINGS_KEY] = RecordingStore(
            config.data_dir,
            database=open_database(config.data_dir, config.database_url),
            node_name=node.name,
        )
        app.cleanup_ctx.append(_recording_store)
    add_recordings_routes(app, store, access)
    static_dir = config.static_dir
    if static_dir is not None and (static_dir / "index.html").is_file():
        index = static_dir / "index.html"

        async def _index(_: web.Request) -> web.FileResponse:
            return web.FileResponse(index)

        app.router.add_get("/", _index)
        app.router.add_get("/monitor", _index)
        _add_directory_pages(app, static_dir)
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
    # What is loaded by now (aiortc, numpy, jsonschema ...: ~87,000 objects) lives as long as
    # the server: out of the collector's sight, a full collection with 8 sessions live takes
    # 4.5 ms of the event loop's time instead of 25 ms (measured).
    gc.freeze()
    monitor.start()
    logger.info("%d pipeline worker(s) ready", pool.worker_count)
    yield
    await monitor.stop()
    await app[TRIMMER_KEY].close()
    await pool.close()


async def _recording_store(app: web.Application) -> AsyncIterator[None]:
    store = app[RECORDINGS_KEY]
    try:
        await asyncio.to_thread(store.open)
    except RecordingError:
        logger.exception("recordings are unavailable")
        raise
    logger.info("recordings in %s", store.database.description)
    yield
    await asyncio.to_thread(store.close)  # bounded: CLOSE_TIMEOUT_S


async def _cluster_registry(app: web.Application) -> AsyncIterator[None]:
    registry = app[CLUSTER_KEY]
    await registry.start()
    yield
    await registry.stop()


async def _advertise(app: web.Application) -> AsyncIterator[None]:
    advertisement = app[ADVERTISEMENT_KEY]
    advertisement.start()
    yield
    await advertisement.close()


async def _close_sessions(app: web.Application) -> None:
    late = await app[SESSIONS_KEY].close_all("server shutting down", SESSIONS_CLOSE_TIMEOUT_S)
    if late:
        logger.error(
            "%d session(s) did not close within %.1f s (%s); shutting down regardless",
            len(late),
            SESSIONS_CLOSE_TIMEOUT_S,
            ", ".join(f"{session.session_id[:8]}: {session.close_step}" for session in late),
        )
