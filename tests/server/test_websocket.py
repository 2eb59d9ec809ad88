"""``GET /ws`` end to end: a real server and pipeline, a WebSocket client streaming JPEG frames
of a real webcam clip, the same session code and routes as WebRTC sessions."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from gazertc.protocol import validate, validate_message
from gazertc.recording.store import connect_read_only, list_recording_infos
from gazertc.records import RecordingActor, RecordingState
from gazertc.server.app import CONFIG_KEY, ServerConfig
from gazertc.server.guards import EdgeConfig
from gazertc.server.session import CLOSE_STEP_TIMEOUT_S
from gazertc.server.session_settings import SessionLimits
from gazertc.server.websocket import WebSocketMessages
from tests.server.conftest import E2E_IDLE_TIMEOUT_S, E2E_OFFER_RATE
from tests.server.peer import GazeClient, RunningServer, running_server, video_track
from tests.server.websocket_client import WsClient, connect, jpeg_frames

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

FPS = 25
"""The browser library's default frame rate over the WebSocket."""
MIN_FACE_SHARE = 0.8
"""cap12 shows the face in every frame (tests/vision/test_tracker.py); allow some misses."""
FRAME_INTERVAL_NS = 1_000_000_000 // FPS
CAPTURE_SPACING_TOLERANCE_NS = 8_000_000
"""Capture times come from the client's clock and keep its spacing, not the network's or the
decoder's (the server's clock offset only moves when a frame arrives faster than any before)."""


@pytest.fixture(scope="module")
def cap12_jpegs(cap12_path: Path) -> list[bytes]:
    return jpeg_frames(cap12_path, 100)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ws_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    """The real server and pipeline (one worker), keeping recordings."""
    config = ServerConfig(
        static_dir=None,
        worker_count=1,
        max_sessions=3,
        data_dir=tmp_path_factory.mktemp("ws_data"),
        limits=SessionLimits(max_message_bytes=4096, idle_timeout_s=E2E_IDLE_TIMEOUT_S),
        edge=EdgeConfig(offer_rate=E2E_OFFER_RATE),
    )
    async with running_server(config) as running:
        yield running


def _host_headers(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.app[CONFIG_KEY].host_token}"}


async def test_jpeg_frames_give_samples_with_face_and_gaze(
    ws_server: RunningServer, cap12_jpegs: list[bytes]
) -> None:
    client = await connect(ws_server.base_url)
    session, config = client.messages[:2]
    assert session["type"] == "session" and session["transport"] == "websocket"
    assert config["type"] == "config" and config["session_id"] == session["session_id"]
    assert config["video_available"] is False and "gaze_tracking" not in config
    await client.send({"v": 1, "type": "hello", "client": {"name": "test"}})
    await client.stream(cap12_jpegs[:60], FPS)
    await client.wait_for(lambda: len(client.of_type("sample")) >= 40, what="40 samples")
    await client.close()
    await ws_server.wait_for_sessions(0)

    for message in client.messages:
        validate_message(message)
    samples = client.of_type("sample")
    assert sum(sample["face_found"] for sample in samples) / len(samples) >= MIN_FACE_SHARE
    assert sum(sample["gaze"] is not None for sample in samples) / len(samples) >= MIN_FACE_SHARE
    assert all(sample["frame_width_px"] == 400 for sample in samples)
    assert all("gaze_tracking" not in sample for sample in samples)  # not asked for
    frame_ids = [sample["frame_id"] for sample in samples]
    assert frame_ids == sorted(set(frame_ids))
    # Consecutive frames keep the client's capture spacing on the server's clock.
    consecutive = [
        later["timestamp_unix_ns"] - earlier["timestamp_unix_ns"]
        for earlier, later in itertools.pairwise(samples)
        if later["frame_id"] == earlier["frame_id"] + 1
    ]
    assert consecutive
    for spacing_ns in consecutive:
        assert abs(spacing_ns - FRAME_INTERVAL_NS) < CAPTURE_SPACING_TOLERANCE_NS, consecutive
    for sample in samples:
        assert sample["timestamp_unix_ns"] <= sample["received_unix_ns"]
        assert sample["received_unix_ns"] <= sample["processed_unix_ns"]
        assert sample["pts_90khz"] >= 0


async def test_gaze_tracking_fields_come_once_asked_for(
    ws_server: RunningServer, cap12_jpegs: list[bytes]
) -> None:
    client = await connect(ws_server.base_url)
    await client.send({"v": 1, "type": "hello", "config": {"gaze_tracking": True}})
    await client.wait_for(
        lambda: any(c.get("gaze_tracking") for c in client.of_type("config")), what="config"
    )
    await client.stream(cap12_jpegs[:40], FPS)
    await client.wait_for(lambda: len(client.of_type("sample")) >= 20, what="samples")
    await client.send({"v": 1, "type": "config", "gaze_tracking": False})
    await client.wait_for(lambda: len(client.of_type("config")) >= 3, what="config off")
    await client.stream(cap12_jpegs[40:50], FPS)
    await asyncio.sleep(0.5)
    await client.close()
    await ws_server.wait_for_sessions(0)

    for message in client.messages:
        validate_message(message)
    assert "gaze_tracking" not in client.of_type("config")[-1]
    configs_seen = 0
    with_fields: list[dict[str, object]] = []
    for message in client.messages:
        if message["type"] == "config":
            configs_seen += 1
        elif message["type"] == "sample":
            assert ("gaze_tracking" in message) == (configs_seen == 2), message["frame_id"]
            if "gaze_tracking" in message:
                with_fields.append(message)
    assert len(with_fields) >= 20
    located = [m for m in with_fields if m["gaze_tracking"]["frame_processed"]]  # type: ignore[index]
    assert len(located) / len(with_fields) >= MIN_FACE_SHARE
    for message in located:
        fields = message["gaze_tracking"]
        assert isinstance(fields, dict)
        assert fields["pupil_left"] is not None or fields["pupil_right"] is not None
        # A person looking at the camera and screen: near the middle, not at a corner.
        assert 0.2 < fields["horizontal_ratio"] < 0.8
        assert 0.0 <= fields["attention_score"] <= 1.0
        left, right = fields["pupil_left"], fields["pupil_right"]
        if left is not None and right is not None:
            assert left[0] < right[0]  # GazeTracking's "left" is the eye on the image's left


async def test_closing_the_socket_closes_the_session_and_saves_its_recording(
    ws_server: RunningServer, cap12_jpegs: list[bytes]
) -> None:
    client = await connect(ws_server.base_url)
    await client.send({"v": 1, "type": "recording", "action": "start", "name": "over ws"})
    await client.wait_for(lambda: bool(client.of_type("recording_status")), what="recording")
    recording_id = client.of_type("recording_status")[0]["recording"]["recording_id"]
    await client.stream(cap12_jpegs[:30], FPS)
    await client.wait_for(lambda: len(client.of_type("sample")) >= 15, what="samples")
    assert ws_server.session_count == 1
    await client.ws.close()  # the client goes; the server saves
    await ws_server.wait_for_sessions(0)
    await client.close()

    data_dir = ws_server.app[CONFIG_KEY].data_dir
    assert data_dir is not None
    connection = connect_read_only(data_dir)
    try:
        infos = {info.recording_id: info for info in list_recording_infos(connection)}
    finally:
        connection.close()
    info = infos[recording_id]
    assert info.state is RecordingState.SAVED
    assert info.stopped_by is RecordingActor.SERVER
    assert info.name == "over ws"
    assert info.sample_count >= 10
    assert (info.frame_width_px, info.frame_height_px) == (400, 300)


async def test_the_session_routes_and_the_monitor_see_a_websocket_session(
    ws_server: RunningServer, cap12_jpegs: list[bytes]
) -> None:
    client = await connect(ws_server.base_url)
    session_id, secret = client.session["session_id"], client.session["session_secret"]
    await client.stream(cap12_jpegs[:10], FPS)
    await client.wait_for(lambda: bool(client.of_type("sample")), what="a sample")
    async with aiohttp.ClientSession() as http:
        url = f"{ws_server.base_url}/api/sessions/{session_id}/events"
        async with http.post(url, json={"name": "onset"}) as response:
            assert response.status == 401  # the secret is needed, as for WebRTC sessions
        bearer = {"Authorization": f"Bearer {secret}"}
        async with http.post(url, json={"name": "onset"}, headers=bearer) as response:
            assert response.status == 200
            validate(await response.json(), "stored_event")
        monitor_url = f"{ws_server.base_url}/api/monitor/sessions"
        async with http.get(monitor_url, headers=_host_headers(ws_server)) as response:
            assert response.status == 200
            listing = await response.json()
    validate(listing, "monitor_session_list")
    assert len(listing["sessions"]) == 1
    assert listing["sessions"][0]["state"] == "live"
    await client.close()
    await ws_server.wait_for_sessions(0)


async def test_output_modes_that_need_video_are_refused(ws_server: RunningServer) -> None:
    client = await connect(ws_server.base_url)
    await client.send({"v": 1, "type": "config", "output": "both"})
    await client.wait_for(lambda: bool(client.of_type("error")), what="the error")
    error = client.of_type("error")[0]
    assert (error["code"], error["fatal"]) == ("video_unavailable", False)
    assert "WebSocket" in error["message"]
    await client.wait_for(lambda: len(client.of_type("config")) >= 2, what="config")
    assert client.of_type("config")[-1]["output"] == "json"
    await client.close()
    await ws_server.wait_for_sessions(0)


async def test_frames_sent_faster_than_processed_are_dropped_not_queued(
    ws_server: RunningServer, cap12_jpegs: list[bytes]
) -> None:
    client = await connect(ws_server.base_url)
    await client.stream(cap12_jpegs, fps=1000)  # 100 frames at once
    await client.wait_for(lambda: bool(client.of_type("sample")), what="a sample")
    await client.send({"v": 1, "type": "config", "status_interval_ms": 200})
    await client.wait_for(
        lambda: any(s["frames_received"] == len(cap12_jpegs) for s in client.of_type("status")),
        what="a status counting every frame",
    )
    await asyncio.sleep(0.5)
    await client.close()
    await ws_server.wait_for_sessions(0)

    samples = client.of_type("sample")
    last_status = client.of_type("status")[-1]
    assert len(samples) < len(cap12_jpegs) // 2
    assert last_status["frames_dropped"] >= len(cap12_jpegs) // 2
    assert last_status["frames_processed"] == len(samples)
    assert samples[-1]["frame_id"] == len(cap12_jpegs) - 1  # the newest frame is processed


async def test_a_silent_socket_is_closed_after_the_idle_timeout(ws_server: RunningServer) -> None:
    client: WsClient = await connect(ws_server.base_url)
    await client.closed(timeout_s=E2E_IDLE_TIMEOUT_S + 5.0)
    await ws_server.wait_for_sessions(0)
    error = client.of_type("error")[-1]
    assert (error["code"], error["fatal"]) == ("idle_timeout", True)
    await client.close()


async def test_gaze_tracking_fields_come_over_webrtc_too(
    ws_server: RunningServer, cap12_path: Path
) -> None:
    client = GazeClient(
        ws_server.base_url, video_track(cap12_path), options={"gaze_tracking": True}
    )
    await client.connect()
    await client.wait_for(lambda: len(client.of_type("sample")) >= 10, what="samples")
    await client.close()
    await ws_server.wait_for_sessions(0)
    assert client.of_type("config")[0]["gaze_tracking"] is True
    samples = client.of_type("sample")
    for sample in samples:
        validate_message(sample)
    assert all("gaze_tracking" in sample for sample in samples)
    processed = [sample for sample in samples if sample["gaze_tracking"]["frame_processed"]]
    assert len(processed) / len(samples) >= MIN_FACE_SHARE


async def test_a_session_closes_even_when_its_transport_does_not(
    ws_server: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def never_closes(self: WebSocketMessages) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(WebSocketMessages, "close", never_closes)
    client = await connect(ws_server.base_url)
    assert ws_server.session_count == 1
    await client.close()
    await ws_server.wait_for_sessions(0, timeout_s=CLOSE_STEP_TIMEOUT_S + 5.0)
    assert f"waited {CLOSE_STEP_TIMEOUT_S:g} s for its transport to close" in caplog.text
