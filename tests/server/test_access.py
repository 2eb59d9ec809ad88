"""The access model on a real server with real peers: every HTTP route of the application's router
is in a table of who may use it, and each is tried with each credential (none, a wrong one,
another session's secret, the session's own secret, the host token). Refused requests change
nothing, and for everyone but the host an unknown session id answers exactly as a live one.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import numpy as np
import pytest
import pytest_asyncio
from aiohttp import web

from gazertc.protocol import validate
from gazertc.server.access import AccessControl, check_token, new_token
from gazertc.server.app import SESSIONS_KEY, ServerConfig
from gazertc.server.guards import EdgeConfig
from gazertc.server.monitor import MONITOR_KEY
from gazertc.server.node import NODE_KEY
from gazertc.server.registry import SessionRegistry
from gazertc.server.session import Session
from gazertc.server.session_settings import SessionLimits
from tests.server.peer import GazeClient, PacedTrack, RunningServer, running_server

pytestmark = pytest.mark.timeout(120)

HOST_TOKEN = "access-test-host-token-0123456789"
WRONG_TOKEN = new_token()
FRAME_WIDTH_PX, FRAME_HEIGHT_PX = 160, 120
FPS = 10
"""Grey frames (no face) at a low rate: the sessions only need to stay alive."""
OFFER_RATE = 1000
"""Offers per 10 s from one address: far above what these tests make."""
UNKNOWN_SESSION_ID = "0" * 32
UNKNOWN_RECORDING_ID = "f" * 32
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")

PUBLIC_ROUTES = {
    ("POST", "/offer"): "how a participant gets its session and its secret",
    ("GET", "/ws"): "the same as /offer over a WebSocket: its first message has the secret",
    ("GET", "/health"): "load figures only, no session ids",
    ("GET", "/api/ice-servers"): "STUN/TURN servers a participant needs before its offer",
    ("GET", "/"): "the web app, or a note that it is not built",
}
HOST_ROUTES = {
    ("GET", "/api/recordings"),
    ("GET", "/api/recordings/{recording_id}"),
    ("GET", "/api/recordings/{recording_id}/export"),
    ("GET", "/api/recordings/{recording_id}/summary"),
    ("GET", "/api/recordings/{recording_id}/replay"),
    ("GET", "/api/recordings/{recording_id}/video"),
    ("GET", "/api/monitor/sessions"),
    ("POST", "/api/monitor/sessions/{anon_id}/recording"),
    ("POST", "/api/monitor/sessions/{anon_id}/events"),
    ("POST", "/api/monitor/sessions/{anon_id}/label"),
    ("POST", "/api/monitor/sessions/{anon_id}/end"),
    ("GET", "/api/monitor/sessions/{anon_id}/thumbnail"),
    ("POST", "/api/monitor/nodes/{node}/drain"),
    ("POST", "/api/monitor/nodes/{node}/undrain"),
}
SESSION_ROUTES = {
    ("POST", "/api/sessions/{session_id}/events"),
    ("POST", "/api/sessions/{session_id}/recording"),
}
HOST_STATUS = {
    "/api/recordings": 200,
    "/api/recordings/{recording_id}": 200,
    "/api/recordings/{recording_id}/export": 200,
    "/api/recordings/{recording_id}/summary": 200,
    "/api/recordings/{recording_id}/replay": 200,
    "/api/recordings/{recording_id}/video": 404,  # recorded without video
    "/api/monitor/sessions": 200,
    "/api/monitor/sessions/{anon_id}/recording": 409,  # reached the session: nothing to stop
    "/api/monitor/sessions/{anon_id}/events": 200,
    "/api/monitor/sessions/{anon_id}/label": 200,
    "/api/monitor/sessions/{anon_id}/end": 200,  # a spare session (see the host test)
    "/api/monitor/sessions/{anon_id}/thumbnail": 404,  # the participant shares none
    # This server itself; sorted, drain runs before undrain: the shared server ends undrained.
    "/api/monitor/nodes/{node}/drain": 200,
    "/api/monitor/nodes/{node}/undrain": 200,
    "/api/sessions/{session_id}/events": 200,
    "/api/sessions/{session_id}/recording": 409,
}
"""What the host token gets on each route (asking to stop where no recording runs)."""

CREDENTIALS = ("none", "basic_scheme", "wrong", "not_a_token", "other_secret", "own_secret", "host")


@dataclass
class Site:
    server: RunningServer
    own: GazeClient
    other: GazeClient
    own_secret: str
    other_secret: str
    recording_id: str

    def session(self, client: GazeClient) -> Session:
        assert client.session_id is not None
        session = self.server.app[SESSIONS_KEY].get(client.session_id)
        assert session is not None
        return session

    def headers(self, credential: str) -> dict[str, str]:
        token = {
            "none": None,
            "wrong": WRONG_TOKEN,
            "not_a_token": "not a token, with spaces and ü",
            "other_secret": self.other_secret,
            "own_secret": self.own_secret,
            "host": HOST_TOKEN,
        }.get(credential)
        if credential == "basic_scheme":
            return {"Authorization": f"Basic {HOST_TOKEN}"}
        return {} if token is None else {"Authorization": f"Bearer {token}"}

    def path(self, template: str, *, session_id: str | None = None) -> str:
        assert self.own.session_id is not None
        return template.format(
            session_id=session_id or self.own.session_id,
            recording_id=self.recording_id,
            anon_id=self.server.app[MONITOR_KEY].anon_id(self.own.session_id),
            node=self.server.app[NODE_KEY].name,
        )


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


async def _request(
    server: RunningServer,
    method: str,
    path: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> Answer:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{server.base_url}{path}", headers=headers, json=body) as response,
    ):
        return Answer(response.status, dict(response.headers), await response.read())


def _grey_track() -> PacedTrack:
    grey = np.full((FRAME_HEIGHT_PX * 3 // 2, FRAME_WIDTH_PX), 128, np.uint8)
    return PacedTrack([grey], fps=FPS)


async def _connected(server: RunningServer) -> tuple[GazeClient, str]:
    """A live session and its secret, read from its own offer answer."""
    client = GazeClient(server.base_url, _grey_track(), receive_video=False)
    await client.connect()
    await client.wait_for(lambda: bool(client.of_type("config")), what="the config")
    assert client.session_secret is not None
    return client, client.session_secret


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    config = ServerConfig(
        static_dir=None,
        worker_count=1,
        max_sessions=4,
        limits=SessionLimits(idle_timeout_s=5.0),
        data_dir=tmp_path_factory.mktemp("access-data"),
        host_token=HOST_TOKEN,
        # Every test here offers from one address, several times in a few seconds.
        edge=EdgeConfig(offer_rate=OFFER_RATE),
    )
    async with running_server(config) as server:
        own, own_secret = await _connected(server)
        other, other_secret = await _connected(server)
        try:
            recorded = Site(server, own, other, own_secret, other_secret, "")
            path = recorded.path("/api/sessions/{session_id}/recording")
            headers = recorded.headers("own_secret")
            started = await _request(server, "POST", path, headers, {"action": "start"})
            assert started.status == 200, started.body
            stopped = await _request(server, "POST", path, headers, {"action": "stop"})
            assert stopped.status == 200, stopped.body
            recorded.recording_id = stopped.json()["recording_id"]
            yield recorded
        finally:
            await own.close()
            await other.close()


def _routes(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }


def _body(template: str, *, acting: bool) -> dict[str, Any] | None:
    """The request body: a recording route asks to start when the request should be refused
    (so that a wrongly accepted one would show), and to stop when it should pass."""
    if template.endswith("/events"):
        return {"name": "access_check"}
    if template.endswith("/label"):
        return {"participant_label": "access check"}
    if template.endswith("/recording"):
        return {"action": "stop" if acting else "start"}
    return None


def _assert_refused(answer: Answer, credential: str, headers: dict[str, str]) -> None:
    body = answer.json()
    validate(body, "error")
    offered = headers.get("Authorization", "").partition(" ")[2]
    assert not offered or offered.encode() not in answer.body, "the refusal echoes the credential"
    assert "ref_type" not in body  # a refused credential, not a refused action
    if credential in {"none", "basic_scheme"}:
        assert (answer.status, body["code"]) == (401, "unauthorized"), body
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    else:
        assert (answer.status, body["code"]) == (403, "forbidden"), body


# -- the table covers the router --------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_every_route_of_the_router_has_an_access_rule(site: Site) -> None:
    routes = _routes(site.server.app)
    assert routes == set(PUBLIC_ROUTES) | HOST_ROUTES | SESSION_ROUTES, (
        "a route without an access rule (add it to this module's tables and test it)"
    )
    assert {template for _, template in HOST_ROUTES | SESSION_ROUTES} == set(HOST_STATUS)


# -- each route with each credential ----------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("method", "template"), sorted(HOST_ROUTES))
@pytest.mark.parametrize("credential", CREDENTIALS)
async def test_host_routes_open_to_the_host_token_only(
    site: Site, method: str, template: str, credential: str
) -> None:
    acting = credential == "host"
    path, spare = site.path(template), None
    if acting and template.endswith("/end"):
        # The host ends a session of its own: the shared ones serve every other test (a refused
        # end aimed at the shared one would show below, where it is looked up).
        spare, _ = await _connected(site.server)
        assert spare.session_id is not None
        path = template.format(anon_id=site.server.app[MONITOR_KEY].anon_id(spare.session_id))
    answer = await _request(
        site.server, method, path, site.headers(credential), _body(template, acting=acting)
    )
    if spare is not None:
        await spare.close()
    if acting:
        assert answer.status == HOST_STATUS[template], answer.body
        if answer.status == 200 and answer.headers["Content-Type"].startswith("application/json"):
            assert answer.json()
    else:
        _assert_refused(answer, credential, site.headers(credential))
        assert not site.server.app[NODE_KEY].draining, "a refused request drained the node"
    assert site.session(site.own).recording_id is None, "a refused request started a recording"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("method", "template"), sorted(SESSION_ROUTES))
@pytest.mark.parametrize("credential", CREDENTIALS)
async def test_session_routes_open_to_their_own_secret_and_the_host_token(
    site: Site, method: str, template: str, credential: str
) -> None:
    acting = credential in {"own_secret", "host"}
    answer = await _request(
        site.server,
        method,
        site.path(template),
        site.headers(credential),
        _body(template, acting=acting),
    )
    if acting:
        assert answer.status == HOST_STATUS[template], answer.body
        if template.endswith("/events"):
            stored = answer.json()
            validate(stored, "stored_event")
            assert stored["session_id"] == site.own.session_id
    else:
        _assert_refused(answer, credential, site.headers(credential))
    assert site.session(site.own).recording_id is None, "a refused request started a recording"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("method", "template"), sorted(SESSION_ROUTES))
@pytest.mark.parametrize(
    "credential", ["none", "basic_scheme", "wrong", "not_a_token", "own_secret"]
)
async def test_for_non_hosts_an_unknown_session_answers_like_a_live_one(
    site: Site, method: str, template: str, credential: str
) -> None:
    """Against another live session (``other``) and an unknown id, every credential but the
    host token and ``other``'s secret gets the same answer, byte for byte."""
    assert site.other.session_id is not None
    answers = [
        await _request(
            site.server,
            method,
            site.path(template, session_id=session_id),
            site.headers(credential),
            _body(template, acting=False),
        )
        for session_id in (site.other.session_id, UNKNOWN_SESSION_ID)
    ]
    live, unknown = answers
    _assert_refused(live, credential, site.headers(credential))
    assert (unknown.status, unknown.body) == (live.status, live.body)
    assert site.session(site.other).recording_id is None


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("method", "template"), sorted(SESSION_ROUTES))
async def test_with_the_host_token_an_unknown_session_is_not_found(
    site: Site, method: str, template: str
) -> None:
    answer = await _request(
        site.server,
        method,
        site.path(template, session_id=UNKNOWN_SESSION_ID),
        site.headers("host"),
        _body(template, acting=True),
    )
    assert (answer.status, answer.json()["code"]) == (404, "not_found")


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("credential", ["none", "wrong", "own_secret"])
async def test_for_non_hosts_an_unknown_recording_answers_like_a_stored_one(
    site: Site, credential: str
) -> None:
    for suffix in ("", "/export", "/video", "/summary", "/replay"):
        stored, unknown = [
            await _request(
                site.server,
                "GET",
                f"/api/recordings/{recording_id}{suffix}",
                site.headers(credential),
            )
            for recording_id in (site.recording_id, UNKNOWN_RECORDING_ID)
        ]
        _assert_refused(stored, credential, site.headers(credential))
        assert (unknown.status, unknown.body) == (stored.status, stored.body)


# -- the credentials themselves ---------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (f"Bearer {HOST_TOKEN}", 200),
        (f"bearer {HOST_TOKEN}", 200),  # the scheme is case-insensitive (RFC 9110)
        (f"  Bearer   {HOST_TOKEN} ", 200),
        ("Bearer", 401),
        ("Bearer    ", 401),
        (HOST_TOKEN, 401),  # no scheme: not a bearer credential
        (f"Token {HOST_TOKEN}", 401),
        (f"Bearer {HOST_TOKEN}x", 403),
        (f"Bearer {HOST_TOKEN[:-1]}", 403),
        (f"Bearer {HOST_TOKEN} {HOST_TOKEN}", 403),
    ],
)
async def test_the_authorization_header_is_read_strictly(
    site: Site, authorization: str, status: int
) -> None:
    answer = await _request(
        site.server, "GET", "/api/monitor/sessions", {"Authorization": authorization}
    )
    assert answer.status == status, answer.body


@pytest.mark.asyncio(loop_scope="module")
async def test_each_session_gets_its_own_secret_and_only_in_its_offer_answer(site: Site) -> None:
    secrets_given = {site.own_secret, site.other_secret}
    assert len(secrets_given) == 2
    for secret in secrets_given:
        assert SECRET_PATTERN.fullmatch(secret)
        assert site.own.session_id is not None and site.other.session_id is not None
        assert secret not in (site.own.session_id, site.other.session_id)
    # Nothing a participant (or anyone without the host token) can read elsewhere carries a
    # secret or another session's id: the data channel, the health figures.
    for client, others_secret in ((site.own, site.other_secret), (site.other, site.own_secret)):
        heard = json.dumps([received.message for received in client.messages])
        assert site.own_secret not in heard and site.other_secret not in heard
        peer = site.other if client is site.own else site.own
        assert peer.session_id is not None
        assert peer.session_id not in heard
        assert others_secret not in heard
    health = await _request(site.server, "GET", "/health", {})
    assert health.status == 200
    for value in (site.own_secret, site.other_secret, site.own.session_id, site.other.session_id):
        assert value is not None
        assert value.encode() not in health.body


@pytest.mark.asyncio(loop_scope="module")
async def test_the_offer_answer_is_not_cached(site: Site) -> None:
    client = GazeClient(site.server.base_url, _grey_track(), receive_video=False)
    try:
        await client.pc.setLocalDescription(await client.pc.createOffer())
        offer = {"sdp": client.pc.localDescription.sdp, "type": "offer"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{site.server.base_url}/offer", json=offer) as response,
        ):
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-store"
    finally:
        await client.close()


def test_host_tokens_must_be_long_and_url_safe() -> None:
    assert check_token(HOST_TOKEN) == HOST_TOKEN
    with pytest.raises(ValueError, match="at least 16 characters"):
        check_token("short")
    with pytest.raises(ValueError, match="only A-Z"):
        check_token("a token with spaces and #")
    with pytest.raises(ValueError, match="at least 16"):
        AccessControl("short", SessionRegistry(1))


def test_new_tokens_are_random_256_bit_and_url_safe() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(SECRET_PATTERN.fullmatch(token) for token in tokens)
    assert not hmac.compare_digest(new_token(), new_token())
