"""mDNS discovery: a server started with ``advertise`` is found by the client's discovery, and
the URL found serves the API.

mDNS needs multicast. Where this machine drops it (some containers and CI runners), the test
is skipped, after a probe shows that a multicast datagram does not come back to its sender.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
import urllib.request
import uuid

import pytest
from aiohttp import web

from gazertc.client import ClientError, discover_one_server, discover_one_server_async
from gazertc.server.app import ADVERTISEMENT_KEY, ServerConfig, create_app
from gazertc.server.discovery import SERVICE_TYPE, advertised_addresses

pytestmark = pytest.mark.timeout(60)

MDNS_GROUP = "224.0.0.251"
PROBE_TIMEOUT_S = 1.0
DISCOVERY_TIMEOUT_S = 10.0


def _multicast_comes_back() -> str | None:
    """``None`` when a datagram sent to the mDNS group (on a private port) is received by its
    sender, else why not."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as receiver:
            receiver.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            receiver.bind(("", 0))
            port = receiver.getsockname()[1]
            membership = struct.pack("4s4s", socket.inet_aton(MDNS_GROUP), bytes(4))
            receiver.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            receiver.settimeout(PROBE_TIMEOUT_S)
            token = uuid.uuid4().bytes
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sender:
                sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
                sender.sendto(token, (MDNS_GROUP, port))
            deadline_s = time.monotonic() + PROBE_TIMEOUT_S
            while time.monotonic() < deadline_s:
                if receiver.recv(64) == token:
                    return None
    except OSError as exc:
        return f"multicast to {MDNS_GROUP} is unavailable on this machine: {exc}"
    return f"a datagram sent to {MDNS_GROUP} did not come back within {PROBE_TIMEOUT_S} s"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _health(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/health", timeout=5.0) as response:
        body: dict[str, object] = json.loads(response.read())
    return body


async def test_advertised_server_is_discovered() -> None:
    reason = await asyncio.to_thread(_multicast_comes_back)
    if reason is not None:
        pytest.skip(reason)
    port = _free_port()
    config = ServerConfig(static_dir=None, worker_count=1, port=port, advertise=True)
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.host, port).start()
        advertisement = app[ADVERTISEMENT_KEY]
        await asyncio.wait_for(advertisement.registered.wait(), DISCOVERY_TIMEOUT_S)
        assert advertisement.instance_name.endswith(SERVICE_TYPE)
        url = await discover_one_server_async(timeout_seconds=DISCOVERY_TIMEOUT_S)
        assert url == f"http://127.0.0.1:{port}"
        # The blocking form, from a thread without an event loop.
        assert await asyncio.to_thread(discover_one_server, DISCOVERY_TIMEOUT_S) == url
        health = await asyncio.to_thread(_health, url)
        assert health["status"] == "ok"
    finally:
        await runner.cleanup()
    assert not advertisement.registered.is_set()


async def test_blocking_discovery_refuses_to_block_an_event_loop() -> None:
    with pytest.raises(ClientError, match="discover_one_server_async"):
        discover_one_server(0.1)


def test_addresses_of_an_unspecified_host_include_loopback() -> None:
    assert advertised_addresses("127.0.0.1") == ["127.0.0.1"]
    assert "127.0.0.1" in advertised_addresses("0.0.0.0")
