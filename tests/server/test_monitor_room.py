"""Running a room from the monitor: participant labels (given by the participant or the host),
the calibration quality in use, ending a session, and the camera thumbnail a participant may
share (off by default, withdrawn at once). Which credential opens which route: test_access.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import av
import cv2
import numpy as np
import pytest
import pytest_asyncio

from gazertc.errors import InputError
from gazertc.protocol import ProtocolError, validate, validate_message
from gazertc.server.app import SESSIONS_KEY, ServerConfig
from gazertc.server.calibration_flow import CalibrationFlow
from gazertc.server.guards import EdgeConfig
from gazertc.server.monitor import MONITOR_KEY
from gazertc.server.session_settings import SessionConfig, SessionLimits, clean_participant_label
from gazertc.server.thumbnails import THUMBNAIL_MAX_SIDE_PX, CameraThumbnail, encode_thumbnail
from tests.server.peer import GazeClient, PacedTrack, RunningServer, running_server
from tests.server.test_calibration_flow_quality import _calibrate, _send
from tests.vision.calibration_scenarios import clean_calibration, staring_calibration

pytestmark = pytest.mark.timeout(120)

TOKEN = "monitor-room-test-token-0123456789"
FRAME_WIDTH_PX, FRAME_HEIGHT_PX = 320, 240
FPS = 10


def _camera_image_bgr() -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A left-to-right ramp: a thumbnail of it keeps dark on the left, light on the right."""
    ramp = np.linspace(0, 255, FRAME_WIDTH_PX, dtype=np.uint8)
    return np.repeat(np.repeat(ramp[None, :, None], FRAME_HEIGHT_PX, axis=0), 3, axis=2)


def _frame() -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(_camera_image_bgr(), format="bgr24").reformat(
        format="yuv420p"
    )


def _decoded(jpeg: bytes) -> np.ndarray[Any, np.dtype[np.uint8]]:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return np.asarray(image, dtype=np.uint8)


# -- labels ------------------------------------------------------------------------------------


def test_a_label_is_trimmed_and_bounded() -> None:
    assert clean_participant_label("  P07 Ana \t") == "P07 Ana"
    assert clean_participant_label("x" * 60) == "x" * 60
    assert clean_participant_label(None) is None
    for bad in ("", "   ", "x" * 61, "Ana\x07", "A\nB", "ta\u0085b"):
        with pytest.raises(InputError):
            clean_participant_label(bad)


def test_the_schema_refuses_what_the_server_would() -> None:
    ok = {"v": 1, "type": "config", "participant_label": "Ana", "share_thumbnail": True}
    validate_message(ok)
    validate_message({"v": 1, "type": "config", "participant_label": None})
    for label in ("", "x" * 61, "Ana\x1b[31m", "A\u009fB"):
        with pytest.raises(ProtocolError):
            validate_message({**ok, "participant_label": label})
    with pytest.raises(ProtocolError):
        validate({"participant_label": "Ana", "extra": 1}, "monitor_label_request")


def test_config_takes_the_label_and_the_thumbnail_choice() -> None:
    config = SessionConfig()
    assert (config.participant_label, config.share_thumbnail) == (None, False)
    config = config.updated({"participant_label": " Ana ", "share_thumbnail": True})
    assert (config.participant_label, config.share_thumbnail) == ("Ana", True)
    assert config.updated({"output": "json"}).participant_label == "Ana"  # omitted: kept
    assert config.updated({"participant_label": None}).participant_label is None
    with pytest.raises(InputError):
        config.updated({"participant_label": "  "})


# -- calibration quality in use ----------------------------------------------------------------


def _in_use(flow: CalibrationFlow) -> tuple[str | None, bool]:
    return (None if flow.quality is None else flow.quality.value), flow.calibrated


async def test_the_quality_shown_is_that_of_the_calibration_in_use() -> None:
    flow = CalibrationFlow()
    assert _in_use(flow) == (None, False)
    await _calibrate(flow, staring_calibration(11))
    assert _in_use(flow) == ("poor", False)  # waiting for an accept
    await _send(flow, {"v": 1, "type": "calibration_accept"}, 0)
    assert _in_use(flow) == ("poor", True)
    await _calibrate(flow, clean_calibration(12))
    assert _in_use(flow) == ("good", True)
    await _calibrate(flow, staring_calibration(13))  # a poor fit does not replace it
    assert _in_use(flow) == ("good", True)
    flow.close()
    assert _in_use(flow) == (None, False)


# -- the thumbnail itself -----------------------------------------------------------------------


def test_a_thumbnail_is_a_small_jpeg_of_the_frame() -> None:
    image = _decoded(encode_thumbnail(_frame()))
    assert image.shape[:2] == (120, THUMBNAIL_MAX_SIDE_PX)
    assert image[:, :20].mean() < 60 and image[:, -20:].mean() > 190  # the ramp survived
    portrait = av.VideoFrame.from_ndarray(np.zeros((640, 480, 3), np.uint8), format="bgr24")
    assert _decoded(encode_thumbnail(portrait)).shape[:2] == (THUMBNAIL_MAX_SIDE_PX, 120)
    tiny = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
    assert _decoded(encode_thumbnail(tiny)).shape[:2] == (48, 64)  # never enlarged


async def test_a_thumbnail_needs_consent_is_refreshed_once_per_second_and_withdrawn_at_once() -> (
    None
):
    now_s = [100.0]
    thumbnail = CameraThumbnail(clock=lambda: now_s[0])
    thumbnail.offer(_frame())
    assert await thumbnail.jpeg() is None  # not shared: the frame was not even kept
    thumbnail.share(True)
    assert await thumbnail.jpeg() is None  # no frame since
    thumbnail.offer(_frame())
    first = await thumbnail.jpeg()
    assert first is not None
    black = av.VideoFrame.from_ndarray(
        np.zeros((FRAME_HEIGHT_PX, FRAME_WIDTH_PX, 3), np.uint8), format="bgr24"
    )
    thumbnail.offer(black)
    now_s[0] += 0.5
    assert await thumbnail.jpeg() == first  # less than a second old: the same one
    now_s[0] += 0.6
    newer = await thumbnail.jpeg()
    assert newer is not None and _decoded(newer).mean() < 10  # the newest frame
    thumbnail.share(False)
    assert await thumbnail.jpeg() is None
    thumbnail.share(True)
    assert await thumbnail.jpeg() is None  # the old frame was forgotten


async def test_a_thumbnail_made_while_withdrawn_is_thrown_away() -> None:
    thumbnail = CameraThumbnail()
    thumbnail.share(True)
    thumbnail.offer(_frame())
    making = asyncio.ensure_future(thumbnail.jpeg())
    await asyncio.sleep(0)  # the encode started on its thread
    thumbnail.share(False)
    thumbnail.share(True)
    assert await making is None


# -- on a real server ---------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def room(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    config = ServerConfig(
        static_dir=None,
        worker_count=1,
        max_sessions=3,
        limits=SessionLimits(idle_timeout_s=10.0),
        data_dir=tmp_path_factory.mktemp("room-data"),
        host_token=TOKEN,
        edge=EdgeConfig(offer_rate=100),  # these tests offer from one address, in quick succession
    )
    async with running_server(config) as running:
        yield running


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _request(
    server: RunningServer,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{server.base_url}{path}", headers=headers, json=body) as response,
    ):
        return response.status, await response.read(), dict(response.headers)


async def _json(
    server: RunningServer, method: str, path: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    status, raw, headers = await _request(server, method, path, headers=_auth(), body=body)
    assert headers["Content-Type"].startswith("application/json"), headers
    return status, json.loads(raw)


async def _participant(server: RunningServer, options: dict[str, Any]) -> tuple[GazeClient, str]:
    bgr = _camera_image_bgr()
    i420 = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)
    client = GazeClient(
        server.base_url, PacedTrack([i420], fps=FPS), options=options, receive_video=False
    )
    await client.connect()
    await client.wait_for(lambda: bool(client.of_type("config")), what="the config")
    assert client.session_id is not None
    return client, server.app[MONITOR_KEY].anon_id(client.session_id)


async def _shown(server: RunningServer, anon_id: str) -> dict[str, Any]:
    status, listing = await _json(server, "GET", "/api/monitor/sessions")
    assert status == 200
    validate(listing, "monitor_session_list")
    (session,) = [entry for entry in listing["sessions"] if entry["anon_id"] == anon_id]
    assert isinstance(session, dict)
    return session


def _last_config(client: GazeClient) -> dict[str, Any]:
    return client.of_type("config")[-1]


@pytest.mark.asyncio(loop_scope="module")
async def test_labels_come_from_the_participant_and_the_host(room: RunningServer) -> None:
    client, anon_id = await _participant(room, {"participant_label": "  P07  "})
    try:
        shown = await _shown(room, anon_id)
        assert shown["participant_label"] == "P07"
        assert (shown["calibration_quality"], shown["calibration_applied"]) == (None, False)
        assert shown["thumbnail_shared"] is False

        configs = len(client.of_type("config"))
        client.send({"v": 1, "type": "config", "participant_label": "Ana\u0007"})
        await client.wait_for(lambda: bool(client.of_type("error")), what="the refusal")
        assert client.of_type("error")[-1]["code"] == "invalid_message"
        assert (await _shown(room, anon_id))["participant_label"] == "P07"
        client.send({"v": 1, "type": "config", "participant_label": " Ana "})
        await client.wait_for(lambda: len(client.of_type("config")) > configs, what="config")
        assert _last_config(client)["participant_label"] == "Ana"
        assert (await _shown(room, anon_id))["participant_label"] == "Ana"

        base = f"/api/monitor/sessions/{anon_id}/label"
        configs = len(client.of_type("config"))
        status, view = await _json(room, "POST", base, {"participant_label": "  Desk 3 "})
        assert status == 200, view
        validate(view, "monitor_session")
        assert (view["anon_id"], view["participant_label"]) == (anon_id, "Desk 3")
        await client.wait_for(lambda: len(client.of_type("config")) > configs, what="config")
        told = _last_config(client)
        validate_message(told)
        assert told["participant_label"] == "Desk 3"  # the participant sees what the host sees

        for bad in ("", "   ", "x" * 61, "Desk\x003", "Desk\u009b3"):
            status, refused = await _json(room, "POST", base, {"participant_label": bad})
            assert (status, refused["code"]) == (400, "invalid_request"), bad
            validate(refused, "error")
        status, refused = await _json(room, "POST", base, {"label": "Desk 4"})
        assert (status, refused["code"]) == (400, "invalid_request")
        assert (await _shown(room, anon_id))["participant_label"] == "Desk 3"

        status, view = await _json(room, "POST", base, {"participant_label": None})
        assert (status, view["participant_label"]) == (200, None)
        status, _, _ = await _request(
            room,
            "POST",
            base,
            headers={"Authorization": f"Bearer {client.session_secret}"},
            body={"participant_label": "mine"},
        )
        assert status == 403
        status, missing = await _json(
            room, "POST", "/api/monitor/sessions/0123456789abcdef/label", {"participant_label": "x"}
        )
        assert (status, missing["code"]) == (404, "not_found")
    finally:
        await client.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_thumbnail_only_with_consent_and_not_after_withdrawal(room: RunningServer) -> None:
    client, anon_id = await _participant(room, {})
    path = f"/api/monitor/sessions/{anon_id}/thumbnail"
    try:
        status, refused = await _json(room, "GET", path)
        assert (status, refused["code"]) == (404, "not_found")
        validate(refused, "error")

        configs = len(client.of_type("config"))
        client.send({"v": 1, "type": "config", "share_thumbnail": True})
        await client.wait_for(lambda: len(client.of_type("config")) > configs, what="config")
        assert _last_config(client)["share_thumbnail"] is True
        assert (await _shown(room, anon_id))["thumbnail_shared"] is True
        jpeg = b""
        for _ in range(50):  # the next frame after the opt-in
            status, jpeg, headers = await _request(room, "GET", path, headers=_auth())
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200, jpeg
        assert headers["Content-Type"] == "image/jpeg"
        assert headers["Cache-Control"] == "no-store"
        image = _decoded(jpeg)
        assert image.shape[1] <= THUMBNAIL_MAX_SIDE_PX
        assert image[:, :10].mean() < image[:, -10:].mean()  # the participant's own frames

        status, _, _ = await _request(
            room, "GET", path, headers={"Authorization": f"Bearer {client.session_secret}"}
        )
        assert status == 403  # the participant's own secret opens no monitor route

        configs = len(client.of_type("config"))
        client.send({"v": 1, "type": "config", "share_thumbnail": False})
        await client.wait_for(lambda: len(client.of_type("config")) > configs, what="config")
        assert "share_thumbnail" not in _last_config(client)
        status, refused = await _json(room, "GET", path)  # at once, not after a refresh
        assert (status, refused["code"]) == (404, "not_found")
        assert (await _shown(room, anon_id))["thumbnail_shared"] is False
    finally:
        await client.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_thumbnail_shared_from_the_offer_on(room: RunningServer) -> None:
    """A page that reconnects with the box ticked opts in with its offer's options."""
    client, anon_id = await _participant(room, {"share_thumbnail": True})
    try:
        assert _last_config(client)["share_thumbnail"] is True
        assert (await _shown(room, anon_id))["thumbnail_shared"] is True
        path = f"/api/monitor/sessions/{anon_id}/thumbnail"
        status = 0
        for _ in range(50):
            status, _, _ = await _request(room, "GET", path, headers=_auth())
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200
    finally:
        await client.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_the_host_ends_a_session_and_its_page_is_told(room: RunningServer) -> None:
    client, anon_id = await _participant(room, {"participant_label": "P12"})
    bystander, bystander_anon_id = await _participant(room, {})
    try:
        base = f"/api/monitor/sessions/{anon_id}"
        status, started = await _json(room, "POST", f"{base}/recording", {"action": "start"})
        assert status == 200, started
        status, _, _ = await _request(
            room,
            "POST",
            f"{base}/end",
            headers={"Authorization": f"Bearer {client.session_secret}"},
        )
        assert status == 403
        assert client.session_id is not None
        assert room.app[SESSIONS_KEY].get(client.session_id) is not None

        status, ended = await _json(room, "POST", f"{base}/end")
        assert status == 200, ended
        validate(ended, "monitor_session_ended")
        assert ended == {"anon_id": anon_id, "state": "closed"}
        await client.wait_for(lambda: bool(client.of_type("error")), what="the reason")
        (told,) = client.of_type("error")
        validate_message(told)
        assert (told["code"], told["fatal"]) == ("session_ended_by_host", True)
        assert room.app[SESSIONS_KEY].get(client.session_id) is None
        status, listing = await _json(room, "GET", "/api/monitor/sessions")
        assert [entry["anon_id"] for entry in listing["sessions"]] == [bystander_anon_id]
        status, again = await _json(room, "POST", f"{base}/end")
        assert (status, again["code"]) == (404, "not_found")
        assert not bystander.of_type("error")  # only that session ended

        status, stored = await _json(room, "GET", f"/api/recordings/{started['recording_id']}")
        assert status == 200
        validate(stored, "recording_info")
        assert (stored["state"], stored["stopped_by"]) == ("saved", "server")
        assert stored["participant_label"] == "P12"
    finally:
        await client.close()
        await bystander.close()
