"""Consent the participant can see, on a real server with real peers: every change to a
session's recording reaches the participant's data channel with who made it; the participant
may stop (save) or cancel (discard) a recording the host started; ``--no-host-recording``
refuses the host's starts; no recording starts before the participant's page can be told.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
import pytest_asyncio

from gazertc.protocol import validate
from gazertc.server.app import SESSIONS_KEY, ServerConfig
from gazertc.server.guards import EdgeConfig
from gazertc.server.monitor import MONITOR_KEY
from gazertc.server.session_settings import SessionLimits
from tests.server.peer import GazeClient, PacedTrack, RunningServer, running_server

pytestmark = pytest.mark.timeout(120)

HOST_TOKEN = "consent-test-host-token-0123456789"
FRAME_WIDTH_PX, FRAME_HEIGHT_PX = 160, 120
FPS = 10
OFFER_RATE = 1000
"""Offers per 10 s from one address: far above what these tests make."""
RECORD_S = 0.5
"""Long enough for a few samples (grey frames: no face, but samples all the same)."""


def _config(data_dir: Path, *, host_recording: bool = True) -> ServerConfig:
    return ServerConfig(
        static_dir=None,
        worker_count=1,
        max_sessions=4,
        limits=SessionLimits(idle_timeout_s=5.0),
        data_dir=data_dir,
        host_token=HOST_TOKEN,
        # Every test here offers from one address, several times in a few seconds.
        edge=EdgeConfig(offer_rate=OFFER_RATE),
        host_recording=host_recording,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    async with running_server(_config(tmp_path_factory.mktemp("consent-data"))) as running:
        yield running


def _grey_track() -> PacedTrack:
    grey = np.full((FRAME_HEIGHT_PX * 3 // 2, FRAME_WIDTH_PX), 128, np.uint8)
    return PacedTrack([grey], fps=FPS)


async def _participant(server: RunningServer) -> GazeClient:
    client = GazeClient(server.base_url, _grey_track(), receive_video=False)
    await client.connect()
    await client.wait_for(lambda: bool(client.of_type("config")), what="the config")
    return client


async def _request(
    server: RunningServer,
    method: str,
    path: str,
    token: str | None,
    body: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{server.base_url}{path}", headers=headers, json=body) as response,
    ):
        answer: dict[str, Any] = await response.json()
        return response.status, answer


def _monitor_path(server: RunningServer, client: GazeClient) -> str:
    assert client.session_id is not None
    return f"/api/monitor/sessions/{server.app[MONITOR_KEY].anon_id(client.session_id)}/recording"


def _session_path(client: GazeClient) -> str:
    return f"/api/sessions/{client.session_id}/recording"


async def _told(
    client: GazeClient, predicate: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """The first ``recording_status`` the participant heard that matches ``predicate``."""

    def matching() -> list[dict[str, Any]]:
        return [
            message["recording"]
            for message in client.of_type("recording_status")
            if predicate(message["recording"])
        ]

    await client.wait_for(lambda: bool(matching()), what=what)
    for message in client.of_type("recording_status"):
        validate(message, "recording_status")
    return matching()[0]


async def _stored(server: RunningServer, recording_id: str) -> dict[str, Any]:
    status, info = await _request(server, "GET", f"/api/recordings/{recording_id}", HOST_TOKEN)
    assert status == 200, info
    validate(info, "recording_info")
    return info


@pytest.mark.asyncio(loop_scope="module")
async def test_the_participant_is_told_of_a_host_recording_and_may_stop_and_keep_it(
    server: RunningServer,
) -> None:
    client = await _participant(server)
    try:
        status, started = await _request(
            server, "POST", _monitor_path(server, client), HOST_TOKEN, {"action": "start"}
        )
        assert status == 200, started
        told = await _told(
            client, lambda info: info["state"] == "recording", "the host's recording announced"
        )
        assert (told["recording_id"], told["started_by"], told["stopped_by"]) == (
            started["recording_id"],
            "host",
            None,
        )
        await asyncio.sleep(RECORD_S)
        client.send({"v": 1, "type": "recording", "action": "stop"})
        stopped = await _told(client, lambda info: info["state"] == "saved", "the stop")
        assert (stopped["started_by"], stopped["stopped_by"]) == ("host", "participant")
        stored = await _stored(server, started["recording_id"])
        assert (stored["state"], stored["started_by"], stored["stopped_by"]) == (
            "saved",
            "host",
            "participant",
        )
        assert stored["sample_count"] > 0
    finally:
        await client.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_the_participant_may_cancel_a_host_recording_and_its_data_is_gone(
    server: RunningServer,
) -> None:
    client = await _participant(server)
    try:
        status, started = await _request(
            server, "POST", _monitor_path(server, client), HOST_TOKEN, {"action": "start"}
        )
        assert status == 200, started
        await _told(client, lambda info: info["state"] == "recording", "the recording")
        await asyncio.sleep(RECORD_S)
        client.send({"v": 1, "type": "recording", "action": "cancel"})
        cancelled = await _told(client, lambda info: info["state"] == "cancelled", "the cancel")
        assert (cancelled["started_by"], cancelled["stopped_by"]) == ("host", "participant")
        stored = await _stored(server, started["recording_id"])
        assert (stored["state"], stored["stopped_by"]) == ("cancelled", "participant")
        assert (stored["sample_count"], stored["event_count"]) == (0, 0)
        # A new start by the host is a new recording, announced like the first.
        status, again = await _request(
            server, "POST", _monitor_path(server, client), HOST_TOKEN, {"action": "start"}
        )
        assert status == 200, again
        await _told(
            client,
            lambda info: info["recording_id"] == again["recording_id"],
            "the second recording announced",
        )
    finally:
        await client.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_changes_over_http_reach_the_data_channel_with_who_made_them(
    server: RunningServer,
) -> None:
    client = await _participant(server)
    try:
        assert client.session_secret is not None
        status, started = await _request(
            server, "POST", _session_path(client), client.session_secret, {"action": "start"}
        )
        assert status == 200, started
        assert (started["started_by"], started["stopped_by"]) == ("participant", None)
        told = await _told(client, lambda info: info["state"] == "recording", "the start")
        assert told["started_by"] == "participant"
        await asyncio.sleep(RECORD_S)
        status, stopped = await _request(
            server, "POST", _session_path(client), HOST_TOKEN, {"action": "stop"}
        )
        assert status == 200, stopped
        assert (stopped["started_by"], stopped["stopped_by"]) == ("participant", "host")
        told = await _told(client, lambda info: info["state"] == "saved", "the host's stop")
        assert told["stopped_by"] == "host"
    finally:
        await client.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_recording_running_when_the_session_ends_is_saved_by_the_server(
    server: RunningServer,
) -> None:
    client = await _participant(server)
    before = server.session_count
    client.send({"v": 1, "type": "recording", "action": "start"})
    started = await _told(client, lambda info: info["state"] == "recording", "the start")
    assert started["started_by"] == "participant"
    await asyncio.sleep(RECORD_S)
    await client.close()
    await server.wait_for_sessions(before - 1)
    stored = await _stored(server, started["recording_id"])
    assert (stored["state"], stored["started_by"], stored["stopped_by"]) == (
        "saved",
        "participant",
        "server",
    )


@pytest.mark.asyncio(loop_scope="module")
async def test_no_recording_starts_before_the_participant_can_be_told(
    server: RunningServer,
) -> None:
    """An accepted offer whose data channel never opens: its secret and the host token are
    refused a start, since the participant's page could not show it."""
    client = GazeClient(server.base_url, _grey_track(), receive_video=False)
    try:
        await client.pc.setLocalDescription(await client.pc.createOffer())
        status, answer = await client.post_offer(
            {"sdp": client.pc.localDescription.sdp, "type": "offer"}
        )
        assert status == 200, answer
        validate(answer, "offer_answer")
        path = f"/api/sessions/{answer['session_id']}/recording"
        session = server.app[SESSIONS_KEY].get(answer["session_id"])
        assert session is not None
        for token in (answer["session_secret"], HOST_TOKEN):
            status, refused = await _request(server, "POST", path, token, {"action": "start"})
            assert (status, refused["code"]) == (409, "recording_unavailable"), refused
            assert "not connected" in refused["message"]
        assert session.recording_id is None
    finally:
        await client.close()


async def test_no_host_recording_refuses_the_hosts_starts_only(tmp_path: Path) -> None:
    async with running_server(_config(tmp_path / "data", host_recording=False)) as server:
        client = await _participant(server)
        try:
            status, listing = await _request(server, "GET", "/api/monitor/sessions", HOST_TOKEN)
            assert status == 200
            validate(listing, "monitor_session_list")
            assert listing["host_recording_allowed"] is False
            for path in (_monitor_path(server, client), _session_path(client)):
                status, refused = await _request(
                    server, "POST", path, HOST_TOKEN, {"action": "start"}
                )
                assert (status, refused["code"]) == (403, "forbidden"), refused
                assert "only when the participant starts it" in refused["message"]
                assert refused["ref_type"] == "recording"  # the action, not the credential
            assert not client.of_type("recording_status")

            client.send({"v": 1, "type": "recording", "action": "start"})
            started = await _told(client, lambda info: info["state"] == "recording", "the start")
            assert started["started_by"] == "participant"
            # The host may still stop it: stopping never records anyone.
            status, stopped = await _request(
                server, "POST", _monitor_path(server, client), HOST_TOKEN, {"action": "stop"}
            )
            assert status == 200, stopped
            assert (stopped["state"], stopped["stopped_by"]) == ("saved", "host")
            await _told(client, lambda info: info["state"] == "saved", "the host's stop")
        finally:
            await client.close()
