"""The HTTP edge against the real server: host names, origins and CORS, the offer rate, offers
whose peer never connects, the security headers, the connection log and the serve flags."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import av
import pytest
import pytest_asyncio
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack
from multidict import CIMultiDictProxy

from gazertc.protocol import validate_message
from gazertc.server.app import ServerConfig
from gazertc.server.guards import (
    CONTENT_SECURITY_POLICY,
    EdgeConfig,
)
from gazertc.server.session_settings import CONNECT_TIMEOUT_S, SessionLimits
from tests.server.peer import GazeClient, RunningServer, running_server

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

LAB_ORIGIN = "https://lab.example.org"
PROXY_NAME = "gaze.example.org"
OFFER_RATE = 10
"""Per 10 s: a token comes back every second, so that recovery is quick to see."""
CONNECT_TIMEOUT_FOR_TESTS_S = 1.0
MAX_SESSIONS = 2


class _SilentTrack(MediaStreamTrack):
    """A camera that never delivers a frame."""

    kind = "video"

    async def recv(self) -> av.VideoFrame:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    """One server for the module. It trusts 127.0.0.1 as a proxy, so that each test offers from
    addresses of its own (``X-Forwarded-For``) and has buckets of its own."""
    static_dir = tmp_path_factory.mktemp("app")
    (static_dir / "index.html").write_text("<!doctype html><title>gazertc</title>")
    config = ServerConfig(
        static_dir=static_dir,
        worker_count=1,
        max_sessions=MAX_SESSIONS,
        limits=SessionLimits(connect_timeout_s=CONNECT_TIMEOUT_FOR_TESTS_S),
        edge=EdgeConfig(
            allowed_origins=(LAB_ORIGIN,),
            allowed_hosts=(PROXY_NAME,),
            offer_rate=OFFER_RATE,
            trusted_proxies=("127.0.0.1",),
        ),
    )
    async with running_server(config) as running:
        yield running


async def _request(
    server: RunningServer,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{server.base_url}{path}", headers=headers, data=body) as response,
    ):
        text = await response.text()
        parsed = json.loads(text) if response.content_type == "application/json" else text
        return response.status, parsed, response.headers


def _assert_error(body: Any, code: str) -> None:
    validate_message(body)
    assert body["code"] == code


def _port(server: RunningServer) -> str:
    return server.base_url.rsplit(":", 1)[1]


# -- host names --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/offer", "/api/ice-servers", "/"])
async def test_a_host_name_the_server_does_not_serve_gets_421(
    server: RunningServer, path: str
) -> None:
    method = "POST" if path == "/offer" else "GET"
    host = f"attacker.example:{_port(server)}"
    status, body, headers = await _request(server, method, path, {"Host": host}, "{}")
    assert status == 421
    _assert_error(body, "misdirected_request")
    assert "'attacker.example'" in body["message"] and "--allowed-host" in body["message"]
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert server.session_count == 0


@pytest.mark.parametrize(
    "host",
    [
        "localhost:{port}",
        "127.0.0.1:{port}",
        "[::1]:{port}",
        "LOCALHOST.",
        "app.localhost:5173",
        PROXY_NAME,
        "10.1.2.3:{port}",
    ],
)
async def test_the_servers_own_names_are_served(server: RunningServer, host: str) -> None:
    status, _, _ = await _request(server, "GET", "/health", {"Host": host.format(port=8)})
    assert status == 200


# -- origins and CORS --------------------------------------------------------------------------


async def test_a_cross_origin_text_plain_offer_is_refused_before_the_route(
    server: RunningServer,
) -> None:
    # A plain-text POST is a "simple" request: the browser sends it without asking first.
    offer = json.dumps({"sdp": "v=0\r\n", "type": "offer"})
    headers = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    status, body, response_headers = await _request(server, "POST", "/offer", headers, offer)
    assert status == 403
    _assert_error(body, "forbidden")
    assert "https://evil.example" in body["message"] and "--allow-origin" in body["message"]
    assert "Access-Control-Allow-Origin" not in response_headers
    for path in ("/api/recordings", "/api/monitor/sessions", "/health"):
        status, body, _ = await _request(server, "GET", path, {"Origin": "https://evil.example"})
        assert status == 403, path
    for action in ("drain", "undrain"):  # refused as foreign, before the token is even looked at
        path = f"/api/monitor/nodes/any-node/{action}"
        status, body, _ = await _request(server, "POST", path, headers, "")
        assert status == 403, path
        _assert_error(body, "forbidden")
    for origin in ("null", "http://[::1", "http://127.0.0.1:1:2", "\u00e9"):
        status, body, _ = await _request(server, "POST", "/offer", {"Origin": origin}, offer)
        assert status == 403, origin
        _assert_error(body, "forbidden")


async def test_the_servers_own_page_and_programs_reach_the_routes(server: RunningServer) -> None:
    own = {"Origin": server.base_url, "X-Forwarded-For": "198.51.100.1"}
    status, body, headers = await _request(server, "POST", "/offer", own, "{}")
    assert status == 400  # the route ran: the body is not an offer
    _assert_error(body, "invalid_request")
    assert "Access-Control-Allow-Origin" not in headers  # same origin: no CORS needed
    # Behind a proxy the page's origin is the proxy's name (and https), as is Host.
    proxied = {"Origin": f"https://{PROXY_NAME}", "Host": PROXY_NAME}
    status, _, _ = await _request(server, "GET", "/api/ice-servers", proxied)
    assert status == 200
    status, _, _ = await _request(server, "GET", "/api/ice-servers")  # no Origin: a program
    assert status == 200


async def test_an_allowed_origin_gets_cors_headers_and_its_preflight_passes(
    server: RunningServer,
) -> None:
    preflight = {
        "Origin": LAB_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    status, _, headers = await _request(server, "OPTIONS", "/offer", preflight)
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == LAB_ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert {"authorization", "content-type"} <= {
        name.strip().lower() for name in headers["Access-Control-Allow-Headers"].split(",")
    }
    assert "Origin" in headers.getall("Vary")
    status, body, headers = await _request(
        server, "GET", "/api/ice-servers", {"Origin": LAB_ORIGIN}
    )
    assert (status, body) == (200, {"ice_servers": []})
    assert headers["Access-Control-Allow-Origin"] == LAB_ORIGIN
    assert "Retry-After" in headers["Access-Control-Expose-Headers"]
    preflight["Origin"] = "https://evil.example"
    status, body, headers = await _request(server, "OPTIONS", "/offer", preflight)
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers


# -- the offer rate ----------------------------------------------------------------------------


async def test_the_offer_rate_is_limited_per_address_then_recovers(
    server: RunningServer,
) -> None:
    client = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(OFFER_RATE):
        status, _, _ = await _request(server, "POST", "/offer", client, "{}")
        assert status == 400  # past the limiter, refused by the route
    status, body, headers = await _request(server, "POST", "/offer", client, "{}")
    assert status == 429
    _assert_error(body, "rate_limited")
    retry_after_s = int(headers["Retry-After"])
    assert 1 <= retry_after_s <= 10 / OFFER_RATE + 1
    assert "try again in" in body["message"]
    other = {"X-Forwarded-For": "203.0.113.8"}  # another address has its own bucket
    assert (await _request(server, "POST", "/offer", other, "{}"))[0] == 400
    await asyncio.sleep(retry_after_s)
    assert (await _request(server, "POST", "/offer", client, "{}"))[0] == 400


# -- offers whose peer never connects ----------------------------------------------------------


async def _offer_and_vanish(server: RunningServer, address: str) -> RTCPeerConnection:
    """Offer like a real client, then never apply the answer."""
    pc = RTCPeerConnection()
    pc.addTransceiver(_SilentTrack(), direction="sendrecv")
    pc.createDataChannel("gaze")
    await pc.setLocalDescription(await pc.createOffer())
    body = json.dumps({"sdp": pc.localDescription.sdp, "type": "offer"})
    status, answer, _ = await _request(server, "POST", "/offer", {"X-Forwarded-For": address}, body)
    assert status == 200, answer
    return pc


async def test_offers_whose_peer_never_connects_release_their_slots(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert CONNECT_TIMEOUT_S <= 5.0
    caplog.set_level(logging.INFO, logger="gazertc.connections")
    peers = [await _offer_and_vanish(server, f"198.51.100.{20 + i}") for i in range(MAX_SESSIONS)]
    started_s = time.monotonic()
    status, body, _ = await _request(
        server, "POST", "/offer", {"X-Forwarded-For": "198.51.100.30"}, "{}"
    )
    assert status == 503
    _assert_error(body, "too_many_sessions")
    await server.wait_for_sessions(0, timeout_s=CONNECT_TIMEOUT_FOR_TESTS_S + 2.0)
    assert time.monotonic() - started_s < CONNECT_TIMEOUT_FOR_TESTS_S + 1.0
    for pc in peers:
        await pc.close()
    ends = [r.getMessage() for r in caplog.records if " end " in r.getMessage()]
    assert len(ends) == MAX_SESSIONS
    assert all('reason="the peer did not connect within 1 s"' in line for line in ends)


async def test_a_connected_peer_outlives_the_connect_timeout(server: RunningServer) -> None:
    client = GazeClient(server.base_url, _SilentTrack())
    await client.connect()
    await asyncio.sleep(CONNECT_TIMEOUT_FOR_TESTS_S + 0.5)
    assert server.session_count == 1
    await client.close()
    await server.wait_for_sessions(0)


# -- security headers and the connection log ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/index.html", 200),
        ("GET", "/health", 200),
        ("GET", "/api/ice-servers", 200),
        ("GET", "/api/recordings", 401),
        ("GET", "/nope", 404),
        ("PUT", "/offer", 405),
        ("POST", "/offer", 400),
    ],
)
async def test_every_answer_carries_the_security_headers(
    server: RunningServer, method: str, path: str, status: int
) -> None:
    headers = {"X-Forwarded-For": "192.0.2.99"}
    got_status, _, response_headers = await _request(server, method, path, headers, "{}")
    assert got_status == status
    assert response_headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response_headers["X-Content-Type-Options"] == "nosniff"
    assert response_headers["Referrer-Policy"] == "no-referrer"


async def test_the_connection_log_names_sessions_without_their_ids(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = GazeClient(server.base_url, _SilentTrack())
    await client.connect()
    await client.close()
    await server.wait_for_sessions(0)
    await _request(server, "POST", "/offer", {"X-Forwarded-For": "192.0.2.55"}, "{}")
    lines = [r.getMessage() for r in caplog.records if r.name == "gazertc.connections"]
    accepted = [line for line in lines if "accepted" in line]
    assert len(accepted) == 1
    match = re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z offer client=127\.0\.0\.1 "
        r"session=([0-9a-f]{8}) status=200 accepted",
        accepted[0],
    )
    assert match is not None, accepted[0]
    tag = match.group(1)
    assert any(f"end client=127.0.0.1 session={tag} after=" in line for line in lines)
    assert any("client=192.0.2.55 status=400 refused: invalid_request" in line for line in lines)
    assert client.session_id is not None and client.session_secret is not None
    everything = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert client.session_id not in everything
    assert client.session_secret not in everything
