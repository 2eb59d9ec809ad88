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
    POST /api/monitor/nodes/{node}/drain|undrain        (no body) -> monitor_node_drain

Sessions appear under an anonymised id: a keyed hash (HMAC-SHA256 with a key made when the
server starts) of the session id, stable for the session's life and useless for guessing the
session id. The session id grants nothing, but no monitor response contains it all the same:
a screen shared or seen over a shoulder shows no more than it must.

In a cluster (``--database postgresql://...``, see :mod:`gazertc.cluster.registry`) the list
holds the sessions of every live node, each naming its ``node``, and ``nodes`` lists the nodes.
An action on a session of another node is forwarded over HTTP to the node that holds it, with
the cluster's one host token, and that node's answer is passed back; a node that does not answer
within :data:`FORWARD_TIMEOUT_S` gives 502 ``internal_error`` naming it. A drain of another node
is written to the database, and that node drains itself within ~0.1 s (measured in
``bench/cluster_registry.py``); without the database only this node is known.

Ending a session tells the participant's page why (a fatal ``error`` with code
``session_ended_by_host``, which the app takes as "do not reconnect") before the connection
closes; a running recording is saved, as whenever a session ends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Final

import aiohttp
from aiohttp import web

from gazertc import protocol
from gazertc.cluster.registry import (
    ClusterRegistry,
    LocalSnapshot,
    RegistrySettings,
    RegistryUnavailableError,
)
from gazertc.cluster.registry_store import NodeReport, NodeStatus
from gazertc.errors import InputError
from gazertc.protocol import ErrorCode, JsonObject, ProtocolError
from gazertc.records import RecordingActor, RecordingInfo, StoredEvent
from gazertc.server.access import AccessControl
from gazertc.server.http_bodies import read_json_body
from gazertc.server.node import NodeState, check_node_name
from gazertc.server.registry import SessionRegistry
from gazertc.server.session import Session
from gazertc.server.session_settings import SessionState, clean_participant_label
from gazertc.server.trace import TRACE_MAX_POINTS, TracePoint

__all__ = [
    "ANON_ID_HEX_DIGITS",
    "FORWARDED_BY_HEADER",
    "FORWARD_TIMEOUT_S",
    "MONITOR_KEY",
    "Monitor",
    "add_routes",
]

logger = logging.getLogger(__name__)

ANON_ID_HEX_DIGITS: Final = 16
"""64 bits of the keyed hash: no collisions among a server's sessions in practice."""
ROUND_DEG: Final = 2
ROUND_PX: Final = 1
ENDED_BY_HOST_MESSAGE: Final = "The host ended this session."
FORWARD_TIMEOUT_S: Final = 5.0
"""An action forwarded to another node: ending a session takes up to ~2.5 s there (its
recording saved, its channel drained); a node slower than this is taken as unreachable."""
MAX_FORWARDED_ANSWER_BYTES: Final = 1024 * 1024
"""The largest answer passed back from another node (a thumbnail has a few KB)."""
FORWARDED_BY_HEADER: Final = "X-Gazertc-Forwarded-By"
"""Marks a forwarded request: the node that gets it answers itself and never forwards again."""
STANDALONE_NODE_NAME: Final = "local"


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _token_refused(status: int, payload: bytes) -> bool:
    """Whether an answer refuses the credential (401, or 403 without a ``ref_type``, which marks
    a refused action instead; see the schema's ``error_code``)."""
    if status == 401:
        return True
    if status != 403:
        return False
    try:
        body = json.loads(payload)
    except ValueError:
        return True
    return not isinstance(body, dict) or "ref_type" not in body


def _started_unix_ns(view: JsonObject) -> int:
    started = view.get("started_unix_ns")
    return started if isinstance(started, int) else 0


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
        node: this server as a node (its name and drain state); one named ``local`` if omitted.
        host_recording_allowed: whether the host may start recordings (shown to the monitor,
            which then offers no start button).
        key: the anonymisation key; random when omitted.
    """

    def __init__(
        self,
        sessions: SessionRegistry,
        *,
        node: NodeState | None = None,
        host_recording_allowed: bool = True,
        key: bytes | None = None,
    ) -> None:
        self._sessions = sessions
        self.node = node if node is not None else NodeState(STANDALONE_NODE_NAME)
        self.host_recording_allowed = host_recording_allowed
        self._key = key if key is not None else secrets.token_bytes(32)
        self.cluster: ClusterRegistry | None = None
        self._started_unix_ns = time.time_ns()

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

    def find_here(self, anon_id: str) -> Session | None:
        """The live session of this node with this anonymised id, or None."""
        for session in self._visible():
            # Bytes: compare_digest refuses non-ASCII text, which a hostile path can carry.
            if hmac.compare_digest(
                self.anon_id(session.session_id).encode(), anon_id.encode("utf-8", "replace")
            ):
                return session
        return None

    def find(self, anon_id: str) -> Session:
        """The live session of this node with this anonymised id.

        Raises:
            ProtocolError: ``not_found``.
        """
        session = self.find_here(anon_id)
        if session is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no live session {anon_id!r}")
        return session

    def enable_cluster(
        self, settings: RegistrySettings, pids: Callable[[], Sequence[int]]
    ) -> ClusterRegistry:
        """Join the cluster registry (started and stopped by the caller); ``pids``: this
        node's processes, for its CPU load."""
        self.cluster = ClusterRegistry(
            settings, self.node, self.local_snapshot, self.local_anon_ids, pids
        )
        return self.cluster

    def local_anon_ids(self) -> frozenset[str]:
        """The anonymised ids of this node's live sessions."""
        return frozenset(self.anon_id(session.session_id) for session in self._visible())

    def local_snapshot(self) -> LocalSnapshot:
        """This node's session views and load, for the cluster registry."""
        now_s = time.monotonic()
        sessions = self._visible()
        views = tuple(
            (self.anon_id(session.session_id), self.session_view(session, now_s))
            for session in sessions
        )
        fps = sum(session.trace.processed_fps(now_s) for session in sessions)
        return LocalSnapshot(views, self._sessions.max_sessions, fps)

    def nodes(self, snapshot: LocalSnapshot) -> list[NodeStatus]:
        """Every node known: this one as it is now, the others as last read from the cluster."""
        if self.cluster is not None:
            return self.cluster.nodes(
                self.cluster.own_report(snapshot, self.cluster.last_cpu_percent)
            )
        own = NodeReport(
            name=self.node.name,
            url="",
            started_unix_ns=self._started_unix_ns,
            draining=self.node.draining,
            session_count=len(snapshot.views),
            max_sessions=snapshot.max_sessions,
            processed_fps=snapshot.processed_fps,
            cpu_percent=None,
        )
        return [NodeStatus(own, 0.0)]

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
            "node": self.node.name,
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
        """The ``monitor_session_list``: the live sessions of every live node, oldest first,
        and the nodes."""
        snapshot = self.local_snapshot()
        views = [view for _, view in snapshot.views]
        if self.cluster is not None:
            views.extend(remote.view for remote in self.cluster.live_sessions())
        views.sort(key=_started_unix_ns)
        return {
            "server_time_unix_ns": time.time_ns(),
            "trace_max_points": TRACE_MAX_POINTS,
            "host_recording_allowed": self.host_recording_allowed,
            "node": self.node.name,
            "nodes": [node.to_dict() for node in self.nodes(snapshot)],
            "sessions": views,
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


class _Forwarder:
    """Passes a monitor action on a session of another node to that node."""

    def __init__(self, monitor: Monitor, host_token: str) -> None:
        self._monitor = monitor
        self._host_token = host_token
        self._http: aiohttp.ClientSession | None = None

    def owner(self, request: web.Request) -> NodeStatus | None:
        """The other node holding the request's session, when this one does not (and the
        request was not forwarded already)."""
        cluster = self._monitor.cluster
        anon_id = request.match_info["anon_id"]
        if (
            cluster is None
            or FORWARDED_BY_HEADER in request.headers
            or self._monitor.find_here(anon_id) is not None
        ):
            return None
        return cluster.owner_of(anon_id)

    async def forward(self, request: web.Request, owner: NodeStatus) -> web.Response:
        """``request`` sent to ``owner``, its answer passed back (502 when it does not answer)."""
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT_S)
            )
        body = await request.read()  # bounded by the application's client_max_size
        headers = {
            "Authorization": f"Bearer {self._host_token}",
            FORWARDED_BY_HEADER: self._monitor.node.name,
        }
        if body:
            headers["Content-Type"] = request.content_type
        url = owner.report.url.rstrip("/") + request.rel_url.path
        try:
            async with self._http.request(
                request.method, url, data=body or None, headers=headers, allow_redirects=False
            ) as answer:
                payload = await answer.content.read(MAX_FORWARDED_ANSWER_BYTES + 1)
                if len(payload) > MAX_FORWARDED_ANSWER_BYTES:
                    raise aiohttp.ClientPayloadError("the answer is too large")
                if _token_refused(answer.status, payload):
                    # Passed on, it would tell the page that its own token is wrong.
                    message = (
                        f"node {owner.report.name} refused this node's host token: give every "
                        "node of the cluster the same --host-token"
                    )
                    error = protocol.make_error(ErrorCode.INTERNAL_ERROR, message, fatal=True)
                    return web.json_response(error, status=502, headers=_NO_STORE)
                return web.Response(
                    status=answer.status,
                    body=payload,
                    content_type=answer.content_type,
                    headers=_NO_STORE,
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("monitor: node %s did not answer %s: %r", owner.report.name, url, exc)
            message = (
                f"node {owner.report.name} holds this session but did not answer within "
                f"{FORWARD_TIMEOUT_S:g} s ({type(exc).__name__}); try again, or wait until "
                "it is shown as lost"
            )
            error = protocol.make_error(ErrorCode.INTERNAL_ERROR, message, fatal=True)
            return web.json_response(error, status=502, headers=_NO_STORE)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None


def add_routes(
    app: web.Application, monitor: Monitor, access: AccessControl, host_token: str
) -> None:
    """Hold ``monitor`` on ``app`` (under :data:`MONITOR_KEY`) and register the monitor routes,
    open to the host token of ``access``; ``host_token`` (the cluster's one) goes with actions
    forwarded to other nodes."""
    app[MONITOR_KEY] = monitor
    forwarder = _Forwarder(monitor, host_token)

    async def close_forwarder(_: web.Application) -> None:
        await forwarder.close()

    app.on_cleanup.append(close_forwarder)

    async def list_sessions(request: web.Request) -> web.Response:
        access.require_host(request)
        response = web.json_response(monitor.session_list(), headers=_NO_STORE, dumps=_compact)
        # gzip when the client takes it (a browser does): ~7 KB of trace per session becomes
        # ~1.2 KB; aiohttp compresses bodies of more than 4 KB in a thread, off the loop.
        response.enable_compression()
        return response

    async def post_recording(request: web.Request) -> web.Response:
        access.require_host(request)
        if (owner := forwarder.owner(request)) is not None:
            return await forwarder.forward(request, owner)
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
        if (owner := forwarder.owner(request)) is not None:
            return await forwarder.forward(request, owner)
        session = monitor.find(request.match_info["anon_id"])
        body = await read_json_body(request, "event_request")
        event = session.record_event(body["name"], body.get("timestamp_unix_ns"), received_unix_ns)
        return web.json_response(monitor.event(session, event), headers=_NO_STORE)

    async def post_label(request: web.Request) -> web.Response:
        access.require_host(request)
        if (owner := forwarder.owner(request)) is not None:
            return await forwarder.forward(request, owner)
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
        if (owner := forwarder.owner(request)) is not None:
            return await forwarder.forward(request, owner)
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
        if (owner := forwarder.owner(request)) is not None:
            return await forwarder.forward(request, owner)
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

    async def drain_node(request: web.Request, draining: bool) -> web.Response:
        access.require_host(request)
        name = request.match_info["node"]
        if name == monitor.node.name:
            if draining:
                monitor.node.start_drain()
            else:
                monitor.node.cancel_drain()
            applied = True
        else:
            try:
                check_node_name(name)
            except ValueError as exc:
                raise ProtocolError(ErrorCode.NOT_FOUND, str(exc)) from exc
            if monitor.cluster is None:
                raise ProtocolError(ErrorCode.NOT_FOUND, f"no node {name!r}: no cluster")
            try:
                known = await monitor.cluster.request_drain(name, draining)
            except RegistryUnavailableError as exc:
                logger.warning("monitor: the drain request for %s failed: %s", name, exc)
                raise ProtocolError(
                    ErrorCode.INTERNAL_ERROR, "the cluster database did not take the request"
                ) from exc
            if not known:
                raise ProtocolError(ErrorCode.NOT_FOUND, f"no node {name!r} in this cluster")
            applied = False
        body = {"node": name, "draining": draining, "applied": applied}
        return web.json_response(body, headers=_NO_STORE)

    async def post_drain(request: web.Request) -> web.Response:
        return await drain_node(request, True)

    async def post_undrain(request: web.Request) -> web.Response:
        return await drain_node(request, False)

    app.router.add_get("/api/monitor/sessions", list_sessions)
    app.router.add_post("/api/monitor/sessions/{anon_id}/recording", post_recording)
    app.router.add_post("/api/monitor/sessions/{anon_id}/events", post_event)
    app.router.add_post("/api/monitor/sessions/{anon_id}/label", post_label)
    app.router.add_post("/api/monitor/sessions/{anon_id}/end", post_end)
    app.router.add_get("/api/monitor/sessions/{anon_id}/thumbnail", get_thumbnail)
    app.router.add_post("/api/monitor/nodes/{node}/drain", post_drain)
    app.router.add_post("/api/monitor/nodes/{node}/undrain", post_undrain)
