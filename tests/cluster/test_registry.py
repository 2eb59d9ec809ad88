"""Two real nodes (in-process servers on loopback, the test double for the pipeline) sharing one
throwaway PostgreSQL: either node's monitor lists the sessions of both, actions on the other
node's sessions reach it, a lost node's sessions go, a drain asked on one node drains the other,
and every new route keeps to the host token."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import psycopg
import pytest
from aiohttp import web

from gazertc.cluster.registry import RegistrySettings, check_node_url, default_node_url
from gazertc.cluster.registry_store import LOST_AFTER_S, NodeReport, RegistryStore
from gazertc.protocol import validate
from gazertc.server.app import CLUSTER_KEY, POOL_KEY, SESSIONS_KEY, ServerConfig, create_app
from gazertc.server.guards import EdgeConfig
from gazertc.server.node import NODE_KEY
from gazertc.server.pool import WorkerPool
from tests.client.server_process import free_port
from tests.server.fake_tracker import FakeTrackerFactory
from tests.server.websocket_client import WsClient, connect

pytestmark = pytest.mark.timeout(90)

TOKEN = "cluster-registry-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
_T = TypeVar("_T")
SEEN_WITHIN_S = 5.0
"""Far above the ~0.1 s measured (bench/cluster_registry.py): a loaded machine is slow."""


@dataclass
class Node:
    name: str
    app: web.Application
    base_url: str

    def session_count(self) -> int:
        return len(self.app[SESSIONS_KEY])


@contextlib.asynccontextmanager
async def _node(name: str, dsn: str, token: str = TOKEN) -> AsyncIterator[Node]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    config = ServerConfig(
        port=port,
        static_dir=None,
        worker_count=1,
        max_sessions=4,
        host_token=token,
        node_name=name,
        edge=EdgeConfig(offer_rate=1000),
        cluster=RegistrySettings(dsn=dsn, node_url=base_url),
    )
    app = create_app(config)
    app[POOL_KEY] = WorkerPool(1, factory=FakeTrackerFactory())  # no models: sessions only
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Node(name, app, base_url)
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def _two_nodes(dsn: str) -> AsyncIterator[tuple[Node, Node]]:
    async with _node("node-a", dsn) as node_a, _node("node-b", dsn) as node_b:
        yield node_a, node_b


async def _get(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with http.get(url, headers=AUTH if headers is None else headers) as response:
        return response.status, await response.json()


async def _post(
    http: aiohttp.ClientSession,
    url: str,
    body: object | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with http.post(url, json=body, headers=AUTH if headers is None else headers) as response:
        return response.status, await response.json()


async def _eventually(
    probe: Callable[[], Awaitable[_T]],
    ok: Callable[[_T], bool],
    what: str,
    within_s: float = SEEN_WITHIN_S,
) -> _T:
    deadline = time.monotonic() + within_s
    while True:
        value = await probe()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within_s} s: {what}; last: {value!r}")
        await asyncio.sleep(0.05)


async def _listing(http: aiohttp.ClientSession, node: Node) -> dict[str, Any]:
    status, body = await _get(http, f"{node.base_url}/api/monitor/sessions")
    assert status == 200, body
    validate(body, "monitor_session_list")
    listing: dict[str, Any] = body
    return listing


async def _draining(node: Node) -> bool:
    return node.app[NODE_KEY].draining


def _sessions_by_node(listing: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for session in listing["sessions"]:
        counts[session["node"]] = counts.get(session["node"], 0) + 1
    return counts


def _anon_id_on(listing: dict[str, Any], node: str) -> str:
    anon_id: str = next(s["anon_id"] for s in listing["sessions"] if s["node"] == node)
    return anon_id


def test_a_node_url_is_an_http_origin() -> None:
    assert check_node_url("http://10.0.0.2:3000/") == "http://10.0.0.2:3000"
    assert check_node_url("https://gaze-b.lab.example") == "https://gaze-b.lab.example"
    for bad in (
        "ftp://10.0.0.2",
        "http://",
        "http://user:pw@10.0.0.2",
        "http://10.0.0.2/monitor",
        "http://10.0.0.2?x=1",
        "10.0.0.2:3000",
        "http://" + "a" * 300,
    ):
        with pytest.raises(ValueError, match="http"):
            check_node_url(bad)
    assert default_node_url("127.0.0.1", 3000, tls=False) == "http://127.0.0.1:3000"
    assert default_node_url("::1", 3001, tls=True) == "https://[::1]:3001"
    assert default_node_url("0.0.0.0", 3000, tls=False) == f"http://{socket.gethostname()}:3000"


async def test_either_node_lists_the_sessions_of_both(postgres_database_dsn: str) -> None:
    async with (
        _two_nodes(postgres_database_dsn) as (node_a, node_b),
        aiohttp.ClientSession() as http,
    ):
        clients: list[WsClient] = [
            await connect(node_a.base_url),
            await connect(node_b.base_url),
            await connect(node_b.base_url),
        ]
        try:
            for node in (node_a, node_b):
                listing = await _eventually(
                    functools.partial(_listing, http, node),
                    lambda listing: _sessions_by_node(listing) == {"node-a": 1, "node-b": 2},
                    f"both nodes' sessions on {node.name}'s monitor",
                )
                assert listing["node"] == node.name
                states = {entry["name"]: entry["state"] for entry in listing["nodes"]}
                assert states == {"node-a": "up", "node-b": "up"}
                counts = {entry["name"]: entry["sessions"] for entry in listing["nodes"]}
                assert counts == {"node-a": 1, "node-b": 2}
            # A session that ends leaves the other node's monitor too.
            await clients.pop().close()
            await _eventually(
                lambda: _listing(http, node_a),
                lambda listing: _sessions_by_node(listing) == {"node-a": 1, "node-b": 1},
                "the ended session gone from the other node's monitor",
            )
        finally:
            for client in clients:
                await client.close()


async def test_label_and_end_are_forwarded_to_the_node_holding_the_session(
    postgres_database_dsn: str,
) -> None:
    async with (
        _two_nodes(postgres_database_dsn) as (node_a, node_b),
        aiohttp.ClientSession() as http,
    ):
        client = await connect(node_b.base_url)
        try:
            listing = await _eventually(
                lambda: _listing(http, node_a),
                lambda listing: _sessions_by_node(listing) == {"node-b": 1},
                "node-b's session on node-a's monitor",
            )
            anon_id = _anon_id_on(listing, "node-b")
            base = f"{node_a.base_url}/api/monitor/sessions/{anon_id}"
            status, view = await _post(http, f"{base}/label", {"participant_label": "P07"})
            assert status == 200, view
            validate(view, "monitor_session")
            assert (view["node"], view["participant_label"]) == ("node-b", "P07")
            (session,) = node_b.app[SESSIONS_KEY]
            assert session.config.participant_label == "P07"
            await client.wait_for(
                lambda: any(m.get("participant_label") == "P07" for m in client.of_type("config")),
                what="the label in a config message on the participant's connection",
            )
            status, body = await _post(http, f"{base}/events", {"name": "trial_start"})
            assert status == 200, body
            assert body["anon_id"] == anon_id and body["name"] == "trial_start"
            status, body = await _post(http, f"{base}/end")
            assert (status, body) == (200, {"anon_id": anon_id, "state": "closed"})
            await client.closed()
            assert any(m.get("code") == "session_ended_by_host" for m in client.of_type("error"))
            assert node_b.session_count() == 0
            # Gone: the same action now finds nothing, on either node.
            status, body = await _post(http, f"{base}/end")
            assert (status, body["code"]) == (404, "not_found")
        finally:
            await client.close()


async def test_a_node_that_does_not_answer_gives_a_json_error_then_is_lost(
    postgres_database_dsn: str,
) -> None:
    """A third node writes once, with a URL where nothing listens, and then never again."""
    async with _node("node-a", postgres_database_dsn) as node_a, aiohttp.ClientSession() as http:
        ghost = RegistryStore(postgres_database_dsn)
        anon_id = "0123456789abcdef"
        view = {
            "anon_id": anon_id,
            "node": "node-c",
            "state": "live",
            "started_unix_ns": time.time_ns(),
            "processed_fps": 0.0,
            "face_found": False,
            "calibrated": False,
            "screen": None,
            "recording": "unavailable",
            "recording_id": None,
            "trace": [],
            "participant_label": None,
            "calibration_quality": None,
            "calibration_applied": False,
            "thumbnail_shared": False,
        }
        report = NodeReport(
            name="node-c",
            url=f"http://127.0.0.1:{free_port()}",
            started_unix_ns=time.time_ns(),
            draining=False,
            session_count=1,
            max_sessions=4,
            processed_fps=0.0,
            cpu_percent=None,
        )
        try:
            await asyncio.to_thread(ghost.publish, report, [(anon_id, view)], notify=True)
            await _eventually(
                lambda: _listing(http, node_a),
                lambda listing: _sessions_by_node(listing) == {"node-c": 1},
                "node-c's session on node-a's monitor",
            )
            status, body = await _post(
                http,
                f"{node_a.base_url}/api/monitor/sessions/{anon_id}/label",
                {"participant_label": "P01"},
            )
            assert status == 502
            validate(body, "error")
            assert body["code"] == "internal_error" and "node-c" in body["message"]
            listing = await _eventually(
                lambda: _listing(http, node_a),
                lambda listing: not listing["sessions"],
                "node-c's session gone once node-c is lost",
                within_s=LOST_AFTER_S + SEEN_WITHIN_S,
            )
            states = {entry["name"]: entry["state"] for entry in listing["nodes"]}
            assert states == {"node-a": "up", "node-c": "lost"}
            status, body = await _post(
                http,
                f"{node_a.base_url}/api/monitor/sessions/{anon_id}/label",
                {"participant_label": None},
            )
            assert (status, body["code"]) == (404, "not_found")
        finally:
            ghost.close()


async def test_a_drain_asked_on_one_node_drains_the_other(postgres_database_dsn: str) -> None:
    async with (
        _two_nodes(postgres_database_dsn) as (node_a, node_b),
        aiohttp.ClientSession() as http,
    ):
        await _eventually(
            lambda: _listing(http, node_a),
            lambda listing: len(listing["nodes"]) == 2,
            "node-b known to node-a",
        )
        status, body = await _post(http, f"{node_a.base_url}/api/monitor/nodes/node-b/drain")
        assert (status, body) == (200, {"node": "node-b", "draining": True, "applied": False})
        validate(body, "monitor_node_drain")
        await _eventually(lambda: _draining(node_b), bool, "node-b draining")
        async with http.post(f"{node_b.base_url}/offer", json={}) as refused:
            assert refused.status == 503
            assert (await refused.json())["code"] == "node_draining"
        listing = await _eventually(
            lambda: _listing(http, node_a),
            lambda listing: any(n["state"] == "draining" for n in listing["nodes"]),
            "node-b shown as draining on node-a's monitor",
        )
        assert {n["name"]: n["state"] for n in listing["nodes"]} == {
            "node-a": "up",
            "node-b": "draining",
        }
        status, body = await _post(http, f"{node_a.base_url}/api/monitor/nodes/node-b/undrain")
        assert status == 200 and not body["draining"]
        await _eventually(
            lambda: _draining(node_b), lambda draining: not draining, "node-b undrained"
        )
        # This node itself: applied at once.
        status, body = await _post(http, f"{node_a.base_url}/api/monitor/nodes/node-a/drain")
        assert (status, body["applied"], node_a.app[NODE_KEY].draining) == (200, True, True)
        status, body = await _post(http, f"{node_a.base_url}/api/monitor/nodes/nobody/drain")
        assert (status, body["code"]) == (404, "not_found")
        status, body = await _post(http, f"{node_a.base_url}/api/monitor/nodes/a%20b/drain")
        assert (status, body["code"]) == (404, "not_found")


async def test_the_new_routes_keep_to_the_host_token(postgres_database_dsn: str) -> None:
    async with (
        _two_nodes(postgres_database_dsn) as (node_a, node_b),
        aiohttp.ClientSession() as http,
    ):
        client = await connect(node_b.base_url)
        try:
            listing = await _eventually(
                lambda: _listing(http, node_a),
                lambda listing: _sessions_by_node(listing) == {"node-b": 1},
                "node-b's session on node-a's monitor",
            )
            remote = f"{node_a.base_url}/api/monitor/sessions/{_anon_id_on(listing, 'node-b')}"
            secret = client.session["session_secret"]
            routes = [
                ("GET", f"{node_a.base_url}/api/monitor/sessions"),
                ("POST", f"{node_a.base_url}/api/monitor/nodes/node-b/drain"),
                ("POST", f"{node_a.base_url}/api/monitor/nodes/node-a/undrain"),
                ("POST", f"{remote}/label"),
                ("POST", f"{remote}/end"),
                ("GET", f"{remote}/thumbnail"),
            ]
            for method, url in routes:
                for headers, expected in (
                    ({}, 401),
                    ({"Authorization": "Bearer wrong-token-0123456789abcdef"}, 403),
                    ({"Authorization": f"Bearer {secret}"}, 403),  # a participant's secret
                ):
                    async with http.request(
                        method, url, json={"participant_label": "X"}, headers=headers
                    ) as response:
                        body = await response.json()
                        assert (response.status, body["code"]) == (
                            expected,
                            "unauthorized" if expected == 401 else "forbidden",
                        ), (method, url)
            # Nothing was done by the refused requests.
            assert not node_b.app[NODE_KEY].draining
            (session,) = node_b.app[SESSIONS_KEY]
            assert session.config.participant_label is None
            assert node_a.app[CLUSTER_KEY].view.nodes
        finally:
            await client.close()


async def test_a_node_with_another_host_token_is_named_not_taken_for_a_wrong_token(
    postgres_database_dsn: str,
) -> None:
    other_token = "another-cluster-token-0123456789"
    async with (
        _node("node-a", postgres_database_dsn) as node_a,
        _node("node-b", postgres_database_dsn, token=other_token) as node_b,
        aiohttp.ClientSession() as http,
    ):
        client = await connect(node_b.base_url)
        try:
            listing = await _eventually(
                lambda: _listing(http, node_a),
                lambda listing: _sessions_by_node(listing) == {"node-b": 1},
                "node-b's session on node-a's monitor",
            )
            anon_id = _anon_id_on(listing, "node-b")
            url = f"{node_a.base_url}/api/monitor/sessions/{anon_id}/label"
            status, body = await _post(http, url, {"participant_label": "P02"})
            assert status == 502, body
            assert "same --host-token" in body["message"]
            (session,) = node_b.app[SESSIONS_KEY]
            assert session.config.participant_label is None
        finally:
            await client.close()


async def test_a_drain_the_cluster_database_cannot_take_is_a_json_error(
    postgres_dsn: str, postgres_database_dsn: str
) -> None:
    async with _node("node-a", postgres_database_dsn) as node_a, aiohttp.ClientSession() as http:
        name = postgres_database_dsn.rpartition("/")[2]
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")  # the database is gone
        status, body = await _post(http, f"{node_a.base_url}/api/monitor/nodes/node-b/drain")
        assert (status, body["code"]) == (500, "internal_error"), body
        validate(body, "error")
        assert "database" in body["message"] and postgres_database_dsn not in body["message"]
        # This node itself needs no database.
        status, body = await _post(http, f"{node_a.base_url}/api/monitor/nodes/node-a/drain")
        assert (status, body["applied"], node_a.app[NODE_KEY].draining) == (200, True, True)
