"""ICE servers: TURN REST credentials a TURN server can verify and that expire, and
``GET /api/ice-servers`` from the real server, valid against the schema."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import aiohttp
import pytest

from gazertc.protocol import validate
from gazertc.server.app import ServerConfig
from gazertc.server.ice import (
    TURN_CREDENTIAL_TTL_S,
    TURN_USER,
    IceServer,
    ice_servers_body,
    rtc_ice_servers,
    turn_rest_credentials,
)
from tests.server.peer import running_server

pytestmark = pytest.mark.timeout(120)

SECRET = "correct-horse-battery-staple"
TURN = IceServer(
    ("turn:turn.example.org:3478", "turns:turn.example.org:5349"), shared_secret=SECRET
)
STUN = IceServer(("stun:stun.example.org:3478",))
FIXED = IceServer(("turn:fixed.example.org",), "alice", "wonderland")


def _turn_server_accepts(username: str, credential: str, now_unix_s: float) -> bool:
    """What coturn checks under ``use-auth-secret``: the credential is the HMAC of the
    username with the shared secret, and the username's timestamp has not passed."""
    expected = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    expiry_unix_s = int(username.split(":", 1)[0])
    return (
        hmac.compare_digest(base64.b64decode(credential), expected) and now_unix_s < expiry_unix_s
    )


def test_turn_rest_credentials_verify_and_expire() -> None:
    now_unix_s = 1_767_225_600.0
    username, credential = turn_rest_credentials(SECRET, now_unix_s)
    assert username == f"{int(now_unix_s) + TURN_CREDENTIAL_TTL_S}:{TURN_USER}"
    assert _turn_server_accepts(username, credential, now_unix_s)
    assert _turn_server_accepts(username, credential, now_unix_s + TURN_CREDENTIAL_TTL_S - 1)
    assert not _turn_server_accepts(username, credential, now_unix_s + TURN_CREDENTIAL_TTL_S)
    _, forged = turn_rest_credentials("another-secret", now_unix_s)
    assert not _turn_server_accepts(username, forged, now_unix_s)
    later, _ = turn_rest_credentials(SECRET, now_unix_s + 60)
    assert later != username  # made afresh each time


def test_servers_resolve_to_fresh_credentials_and_keep_fixed_ones() -> None:
    now_unix_s = time.time()
    body = ice_servers_body((STUN, TURN, FIXED), now_unix_s)
    validate(body, "ice_servers")
    stun, turn, fixed = body["ice_servers"]
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    assert turn["urls"] == list(TURN.urls)
    assert _turn_server_accepts(turn["username"], turn["credential"], now_unix_s)
    assert fixed == {
        "urls": ["turn:fixed.example.org"],
        "username": "alice",
        "credential": "wonderland",
    }
    assert SECRET not in repr(TURN) and SECRET not in str(body)
    (own,) = rtc_ice_servers((TURN,), now_unix_s)  # the server's own peer connections
    assert own.username is not None and own.credential is not None
    assert _turn_server_accepts(own.username, own.credential, now_unix_s)


async def test_the_server_serves_its_ice_servers() -> None:
    config = ServerConfig(static_dir=None, worker_count=1, ice_servers=(STUN, TURN))
    async with (
        running_server(config) as server,
        aiohttp.ClientSession() as http,
        http.get(f"{server.base_url}/api/ice-servers") as response,
    ):
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        body = await response.json()
    validate(body, "ice_servers")
    turn = body["ice_servers"][1]
    assert _turn_server_accepts(turn["username"], turn["credential"], time.time())
    expiry_unix_s = int(turn["username"].split(":", 1)[0])
    assert abs(expiry_unix_s - (time.time() + TURN_CREDENTIAL_TTL_S)) < 60
