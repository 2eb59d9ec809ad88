"""The config option ``landmarks`` end to end: a real server and pipeline on a real webcam clip,
over the WebSocket and over WebRTC. Samples carry the landmarks by default, ``landmarks_px``
null once the client turns them off, and the recording keeps them either way."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from gazertc.protocol import validate_message
from gazertc.recording.store import connect_read_only
from gazertc.server.app import CONFIG_KEY, ServerConfig
from gazertc.server.guards import EdgeConfig
from gazertc.server.session_settings import SessionLimits
from tests.server.conftest import E2E_IDLE_TIMEOUT_S, E2E_OFFER_RATE
from tests.server.peer import GazeClient, RunningServer, running_server, video_track
from tests.server.websocket_client import connect, jpeg_frames

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

FPS = 25
MIN_FACE_SHARE = 0.8
"""cap12 shows the face in every frame (tests/vision/test_tracker.py); allow some misses."""


@pytest.fixture(scope="module")
def cap12_jpegs(cap12_path: Path) -> list[bytes]:
    return jpeg_frames(cap12_path, 60)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    """The real server and pipeline (one worker), keeping recordings."""
    config = ServerConfig(
        static_dir=None,
        worker_count=1,
        max_sessions=3,
        data_dir=tmp_path_factory.mktemp("landmarks_data"),
        limits=SessionLimits(max_message_bytes=4096, idle_timeout_s=E2E_IDLE_TIMEOUT_S),
        edge=EdgeConfig(offer_rate=E2E_OFFER_RATE),
    )
    async with running_server(config) as running:
        yield running


def _with_face(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [sample for sample in samples if sample["face_found"]]
    assert len(found) / len(samples) >= MIN_FACE_SHARE
    return found


def _recorded_samples(server: RunningServer, recording_id: str) -> list[dict[str, Any]]:
    data_dir = server.app[CONFIG_KEY].data_dir
    assert data_dir is not None
    connection = connect_read_only(data_dir)
    try:
        rows = connection.execute(
            "SELECT sample_json FROM samples WHERE recording_id = ? ORDER BY sample_id",
            (recording_id,),
        ).fetchall()
    finally:
        connection.close()
    return [json.loads(text) for (text,) in rows]


async def test_websocket_samples_follow_the_option_and_the_recording_keeps_landmarks(
    server: RunningServer, cap12_jpegs: list[bytes]
) -> None:
    client = await connect(server.base_url)
    await client.send({"v": 1, "type": "hello", "config": {"landmarks": False}})
    await client.wait_for(lambda: len(client.of_type("config")) >= 2, what="config")
    assert client.of_type("config")[1]["landmarks"] is False  # the settings are told back
    await client.send({"v": 1, "type": "recording", "action": "start", "name": "no landmarks"})
    await client.wait_for(lambda: bool(client.of_type("recording_status")), what="recording")
    recording_id = client.of_type("recording_status")[0]["recording"]["recording_id"]
    await client.stream(cap12_jpegs[:30], FPS)
    await client.wait_for(lambda: len(client.of_type("sample")) >= 20, what="samples")
    before_switch = len(client.of_type("sample"))
    await client.send({"v": 1, "type": "config", "landmarks": True})
    await client.wait_for(lambda: len(client.of_type("config")) >= 3, what="config on")
    assert "landmarks" not in client.of_type("config")[2]
    await client.stream(cap12_jpegs[30:60], FPS)
    await client.wait_for(
        lambda: len(client.of_type("sample")) >= before_switch + 20, what="samples with landmarks"
    )
    await client.send({"v": 1, "type": "recording", "action": "stop"})
    await client.wait_for(lambda: len(client.of_type("recording_status")) >= 2, what="saved")
    await client.close()
    await server.wait_for_sessions(0)

    configs_seen = 0
    without: list[dict[str, Any]] = []
    with_landmarks: list[dict[str, Any]] = []
    for message in client.messages:
        validate_message(message)
        if message["type"] == "config":
            configs_seen += 1
        elif message["type"] == "sample":
            (with_landmarks if configs_seen >= 3 else without).append(message)
    assert len(without) >= 20 and len(with_landmarks) >= 20
    assert all(sample["landmarks_px"] is None for sample in without)
    # Everything else still comes: the face, its box and the eyes.
    for sample in _with_face(without):
        assert sample["face_box"] is not None and sample["gaze"] is not None
    assert all(len(sample["landmarks_px"]) == 68 for sample in _with_face(with_landmarks))

    recorded = _recorded_samples(server, recording_id)
    sent_ids = {sample["frame_id"] for sample in without}
    recorded_while_off = [sample for sample in recorded if sample["frame_id"] in sent_ids]
    assert len(recorded_while_off) >= 15
    assert all(len(sample["landmarks_px"]) == 68 for sample in _with_face(recorded_while_off))


@pytest.mark.parametrize("options", [{}, {"landmarks": True}, {"landmarks": False}])
async def test_webrtc_samples_follow_the_offer(
    server: RunningServer, cap12_path: Path, options: dict[str, Any]
) -> None:
    client = GazeClient(server.base_url, video_track(cap12_path), options=options)
    await client.connect()
    await client.wait_for(lambda: len(client.of_type("sample")) >= 15, what="samples")
    await client.close()
    await server.wait_for_sessions(0)
    samples = client.of_type("sample")
    for sample in samples:
        validate_message(sample)
    if options.get("landmarks", True):
        assert all(len(sample["landmarks_px"]) == 68 for sample in _with_face(samples))
    else:
        assert all(sample["landmarks_px"] is None for sample in samples)
        assert all(sample["right_eye"] is not None for sample in _with_face(samples))


async def test_a_hostile_option_is_answered_with_an_error_and_the_session_goes_on(
    server: RunningServer, cap12_jpegs: list[bytes]
) -> None:
    client = await connect(server.base_url)
    for value in ("false", None, 0, [False], {"landmarks": False}):
        await client.send({"v": 1, "type": "config", "landmarks": value})
    await client.wait_for(lambda: len(client.of_type("error")) >= 5, what="five errors")
    await client.stream(cap12_jpegs[:20], FPS)
    await client.wait_for(lambda: len(client.of_type("sample")) >= 10, what="samples")
    await client.close()
    await server.wait_for_sessions(0)
    errors = client.of_type("error")
    assert {error["code"] for error in errors} == {"invalid_message"}
    assert not any(error["fatal"] for error in errors)
    assert all("Traceback" not in error["message"] for error in errors)
    # The bad values changed nothing: landmarks still come.
    assert all(len(sample["landmarks_px"]) == 68 for sample in _with_face(client.of_type("sample")))
