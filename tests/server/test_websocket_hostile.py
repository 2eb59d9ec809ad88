"""``GET /ws`` against hostile or broken clients: every bad message gets an error and the
session goes on; the limits and edge checks of ``/offer`` hold for WebSocket sessions too."""

from __future__ import annotations

import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest
import pytest_asyncio

from gazertc.protocol import validate, validate_message
from gazertc.server import websocket
from gazertc.server.app import ServerConfig
from gazertc.server.guards import EdgeConfig
from gazertc.server.session_settings import SessionLimits
from gazertc.server.websocket import MAX_MESSAGE_FACTOR
from tests.server.conftest import E2E_OFFER_RATE
from tests.server.peer import RunningServer, running_server
from tests.server.websocket_client import WsClient, connect, frame_message, jpeg_frames

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

MAX_FRAME_BYTES = 64 * 1024
"""Small, so that the tests' oversized frames stay small: cap12's frames are 10-20 KB."""
MAX_FRAME_PIXELS = 640 * 480
MAX_MESSAGE_BYTES = 4096
ALLOWED_ORIGIN = "https://lab.example.org"
MAX_SESSIONS = 2


@pytest.fixture(scope="module")
def cap12_jpegs(cap12_path: Path) -> list[bytes]:
    return jpeg_frames(cap12_path, 20)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ws_server() -> AsyncIterator[RunningServer]:
    config = ServerConfig(
        static_dir=None,
        worker_count=1,
        max_sessions=MAX_SESSIONS,
        max_frame_bytes=MAX_FRAME_BYTES,
        max_frame_pixels=MAX_FRAME_PIXELS,
        limits=SessionLimits(max_message_bytes=MAX_MESSAGE_BYTES, idle_timeout_s=10.0),
        edge=EdgeConfig(offer_rate=E2E_OFFER_RATE, allowed_origins=(ALLOWED_ORIGIN,)),
    )
    async with running_server(config) as running:
        yield running


async def _still_serves(client: WsClient, jpegs: list[bytes]) -> None:
    """The session answers a ping and turns a good frame into a sample."""
    await client.send({"v": 1, "type": "ping", "id": 99, "sent_unix_ns": time.time_ns()})
    await client.wait_for(lambda: any(p["id"] == 99 for p in client.of_type("pong")), what="pong")
    samples = len(client.of_type("sample"))
    await client.stream(jpegs[:3], fps=10)
    await client.wait_for(lambda: len(client.of_type("sample")) > samples, what="a sample")


async def _error_after(client: WsClient, data: bytes | str) -> dict[str, object]:
    errors = len(client.of_type("error"))
    if isinstance(data, bytes):
        await client.ws.send_bytes(data)
    else:
        await client.ws.send_str(data)
    await client.wait_for(lambda: len(client.of_type("error")) > errors, what="an error")
    error = client.of_type("error")[-1]
    validate_message(error)
    assert error["fatal"] is False
    return error


def _png(width: int, height: int) -> bytes:
    ok, encoded = cv2.imencode(".png", np.zeros((height, width, 3), np.uint8))
    assert ok
    return bytes(encoded.tobytes())


def _huge_image_jpeg(jpeg: bytes) -> bytes:
    """A real JPEG whose frame header claims 4000x4000 pixels."""
    data = bytearray(jpeg)
    header = bytes(data).index(b"\xff\xc0")
    data[header + 5 : header + 9] = struct.pack(">HH", 4000, 4000)
    return bytes(data)


async def test_bad_messages_and_frames_get_errors_and_the_session_goes_on(
    ws_server: RunningServer, cap12_jpegs: list[bytes]
) -> None:
    client = await connect(ws_server.base_url)
    good = cap12_jpegs[0]
    truncated = good[: good.index(b"\xff\xda") + 20]
    cases: list[tuple[str, bytes | str, str]] = [
        ("text before hello", "not json at all", "invalid_json"),
        ("a message of an unknown type", '{"v": 1, "type": "shout"}', "unknown_type"),
        ("a text message too large", "x" * (MAX_MESSAGE_BYTES + 1), "message_too_large"),
        ("garbage binary", bytes(range(256)) * 4, "invalid_frame"),
        ("a binary shorter than the header", b"\x00\x01\x02", "invalid_frame"),
        ("a header and nothing else", b"\x00" * 8, "invalid_frame"),
        ("a JPEG without the header", good, "invalid_frame"),
        ("too many bytes", frame_message(good + b"\x00" * MAX_FRAME_BYTES), "frame_too_large"),
        ("a PNG after the header", frame_message(_png(64, 48)), "invalid_frame"),
        ("a truncated JPEG", frame_message(truncated), "invalid_frame"),
        ("too many pixels", frame_message(_huge_image_jpeg(good)), "frame_too_large"),
    ]
    # The same error twice in a row is sent once per 5 s (a flood guard): no two neighbours here
    # say the same.
    for what, data, code in cases:
        error = await _error_after(client, data)
        assert error["code"] == code, (what, error)
    await _still_serves(client, cap12_jpegs)
    assert ws_server.session_count == 1
    await client.close()
    await ws_server.wait_for_sessions(0)


async def test_a_message_beyond_the_read_limit_ends_the_connection_and_the_session(
    ws_server: RunningServer,
) -> None:
    client = await connect(ws_server.base_url)
    await client.ws.send_bytes(b"\x00" * (MAX_MESSAGE_FACTOR * MAX_FRAME_BYTES + 1))
    await client.closed()
    assert client.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    await ws_server.wait_for_sessions(0)
    await client.close()


async def test_a_server_at_its_session_limit_refuses_the_upgrade(
    ws_server: RunningServer,
) -> None:
    clients = [await connect(ws_server.base_url) for _ in range(MAX_SESSIONS)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(ws_server.base_url)
    assert refused.value.status == 503
    assert refused.value.headers is not None and "Retry-After" in refused.value.headers
    for client in clients:
        await client.close()
    await ws_server.wait_for_sessions(0)


async def test_origins_are_checked_as_for_offers(ws_server: RunningServer) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(ws_server.base_url, headers={"Origin": "https://attacker.example"})
    assert refused.value.status == 403
    allowed = await connect(ws_server.base_url, headers={"Origin": ALLOWED_ORIGIN})
    assert allowed.session["transport"] == "websocket"
    await allowed.close()
    await ws_server.wait_for_sessions(0)


async def test_a_plain_get_is_answered_with_a_json_error(ws_server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{ws_server.base_url}/ws") as response:
        assert response.status == 400
        body = await response.json()
    validate(body, "error")
    assert body["code"] == "invalid_request"


async def test_websocket_sessions_share_the_offer_rate_limit() -> None:
    config = ServerConfig(static_dir=None, worker_count=1, edge=EdgeConfig(offer_rate=2))
    async with running_server(config) as server:
        first = await connect(server.base_url)
        await first.close()
        async with aiohttp.ClientSession() as http:
            offer = {"sdp": "v=0\r\n", "type": "offer"}
            async with http.post(f"{server.base_url}/offer", json=offer) as response:
                assert response.status == 400  # a bad offer, but it took the second token
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await connect(server.base_url)
        assert refused.value.status == 429
        assert refused.value.headers is not None and "Retry-After" in refused.value.headers


async def test_a_client_that_stops_answering_pings_is_closed_by_the_heartbeat(
    ws_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    heartbeat_s = 0.4
    monkeypatch.setattr(websocket, "HEARTBEAT_S", heartbeat_s)
    started = time.monotonic()
    client = await connect(ws_server.base_url, autoping=False)  # a peer that went silent
    await client.closed(timeout_s=5.0)
    await ws_server.wait_for_sessions(0)
    assert time.monotonic() - started < 5.0  # the heartbeat, long before the idle timeout
    assert "PING" in client.non_json
    await client.close()


async def test_a_server_shutdown_closes_websocket_sessions_promptly() -> None:
    config = ServerConfig(static_dir=None, worker_count=1)
    async with running_server(config) as server:
        client = await connect(server.base_url)
        started = time.monotonic()
    await client.closed(timeout_s=5.0)
    assert time.monotonic() - started < 3.0
    assert server.session_count == 0
    await client.close()
