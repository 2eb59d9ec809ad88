"""A node's name and drain on one in-process server: what /offer, /ws and /health answer, and
the ``--node-name`` flag. (The drain routes' credentials: tests/server/test_access.py.)"""

from __future__ import annotations

import argparse

import aiohttp
import pytest

from gazertc.errors import InputError
from gazertc.protocol import validate
from gazertc.server import cli
from gazertc.server.app import ServerConfig
from gazertc.server.node import (
    MAX_NODE_NAME_LENGTH,
    NodeState,
    check_node_name,
    default_node_name,
)
from tests.server.peer import running_server
from tests.server.sdp_offers import chromium_offer

pytestmark = pytest.mark.timeout(60)

HOST_TOKEN = "node-test-host-token-0123456789"
DRAIN_PATH = "/api/monitor/nodes/gaze-7/drain"
UNDRAIN_PATH = "/api/monitor/nodes/gaze-7/undrain"


def _config() -> ServerConfig:
    return ServerConfig(static_dir=None, worker_count=1, host_token=HOST_TOKEN, node_name="gaze-7")


def _host() -> dict[str, str]:
    return {"Authorization": f"Bearer {HOST_TOKEN}"}


async def test_offer_answer_and_health_name_the_node() -> None:
    async with running_server(_config()) as server, aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/health") as response:
            health = await response.json()
        assert (response.status, health["node"], health["draining"]) == (200, "gaze-7", False)
        validate(health, "health")
        offer = {"sdp": chromium_offer(), "type": "offer"}
        async with http.post(f"{server.base_url}/offer", json=offer) as response:
            answer = await response.json()
        assert response.status == 200, answer
        validate(answer, "offer_answer")
        assert answer["node"] == "gaze-7"


async def test_a_draining_node_refuses_new_sessions_until_undrained() -> None:
    async with running_server(_config()) as server, aiohttp.ClientSession() as http:
        url = server.base_url
        async with http.post(f"{url}{DRAIN_PATH}", headers=_host()) as response:
            status = await response.json()
        assert response.status == 200
        validate(status, "monitor_node_drain")
        assert status == {"node": "gaze-7", "draining": True, "applied": True}

        async with http.get(f"{url}/health") as response:
            health = await response.json()
        assert (response.status, health["draining"]) == (503, True)
        validate(health, "health")
        offer = {"sdp": chromium_offer(), "type": "offer"}
        async with http.post(f"{url}/offer", json=offer) as response:
            refused = await response.json()
            retry_after = response.headers.get("Retry-After")
        assert (response.status, refused["code"]) == (503, "node_draining")
        assert retry_after is not None
        validate(refused, "error")
        async with http.get(f"{url}/ws", headers={"Upgrade": "websocket"}) as response:
            assert response.status == 503
            assert (await response.json())["code"] == "node_draining"
        assert server.session_count == 0

        async with http.post(f"{url}{UNDRAIN_PATH}", headers=_host()) as response:
            assert (await response.json())["draining"] is False
        async with http.get(f"{url}/health") as response:
            assert response.status == 200
        async with http.post(f"{url}/offer", json=offer) as response:
            assert response.status == 200


def test_drain_listeners_hear_each_change_once() -> None:
    node = NodeState("n1")
    heard: list[bool] = []
    node.drain_changed.append(lambda state: heard.append(state.draining))
    node.start_drain()
    node.start_drain()
    node.cancel_drain()
    assert heard == [True, False]


@pytest.mark.parametrize("name", ["", "a b", "x" * (MAX_NODE_NAME_LENGTH + 1), "nöde", "a/b"])
def test_unusable_node_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="node name"):
        check_node_name(name)


def test_the_default_node_name_is_usable_and_ends_with_the_port() -> None:
    name = default_node_name(3001)
    assert check_node_name(name) == name
    assert name.endswith(":3001")


def test_serve_refuses_an_unusable_node_name() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    with pytest.raises(InputError, match="--node-name"):
        cli.run(parser.parse_args(["--node-name", "no spaces"]))
