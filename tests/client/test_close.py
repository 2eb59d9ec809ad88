"""close() wakes everything waiting on the client: receive_* returns None, calls waiting for an
answer raise ClientError("the client is closed"); in the async client and the blocking one."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from aiortc import RTCDataChannel

from gazertc.client import Client as AsyncClient
from gazertc.client import ClientError
from gazertc.client.simple import Client
from gazertc.records import StatusReport
from tests.client.offline import FakeChannel, fixture, offline_client, text

pytestmark = pytest.mark.timeout(60)

PROMPT_S = 1.0
"""How soon after close() a waiter must be back."""
LONG_WAIT_S = 30.0


async def test_close_wakes_async_receivers_and_fails_waiting_requests() -> None:
    client, _ = offline_client()
    receivers = [
        asyncio.ensure_future(receive(timeout_seconds=LONG_WAIT_S))
        for receive in (
            client.receive_gaze_sample,
            client.receive_sample_message,
            client.receive_status,
            client.receive_fixation_or_saccade,
            client.receive_recording_status,
        )
    ]
    requests = [
        asyncio.ensure_future(client.send_event("onset", timeout_seconds=LONG_WAIT_S)),
        asyncio.ensure_future(client.recording_start(timeout_seconds=LONG_WAIT_S)),
        asyncio.ensure_future(client.recording_cancel(timeout_seconds=LONG_WAIT_S)),
        asyncio.ensure_future(client.estimate_time_offset(3, timeout_seconds=LONG_WAIT_S)),
    ]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in [*receivers, *requests])
    started = time.monotonic()
    await client.close()
    _, pending = await asyncio.wait([*receivers, *requests], timeout=PROMPT_S)
    assert not pending
    assert time.monotonic() - started < PROMPT_S
    assert [task.result() for task in receivers] == [None] * len(receivers)
    for task in requests:
        error = task.exception()
        assert isinstance(error, ClientError)
        assert str(error) == "the client is closed"


async def test_close_fails_the_wait_for_the_config() -> None:
    """connect() waits on this future once the server has answered the offer."""
    client, _ = offline_client()
    loop = asyncio.get_running_loop()
    client._config_received = loop.create_future()
    waiting = asyncio.ensure_future(asyncio.wait_for(client._config_received, LONG_WAIT_S))
    await asyncio.sleep(0)
    await client.close()
    with pytest.raises(ClientError, match="the client is closed"):
        await asyncio.wait_for(waiting, PROMPT_S)


@pytest.fixture
def blocking_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """A blocking client whose connect only installs a fake data channel (no server)."""

    async def connect(self: AsyncClient, timeout_seconds: float = 10.0) -> None:
        self._channel = cast(RTCDataChannel, FakeChannel())
        self.session_id = "offline"

    monkeypatch.setattr(AsyncClient, "connect", connect)
    client = Client("http://127.0.0.1:9", video="unused.mp4")
    yield client
    client.close()


def _feed(client: Client, message: Any) -> None:
    loop = client._loop
    loop.call_soon_threadsafe(client._client._on_channel_message, text(message))


def test_the_blocking_client_returns_typed_records(blocking_client: Client) -> None:
    _feed(blocking_client, fixture("status.live"))
    _feed(blocking_client, fixture("fixation.start"))
    _feed(blocking_client, fixture("sample.calibrated"))
    status = blocking_client.receive_status(timeout_seconds=5.0)
    assert isinstance(status, StatusReport)
    assert status.face_found
    fixation = blocking_client.receive_fixation_or_saccade(timeout_seconds=5.0)
    assert fixation is not None
    assert fixation.kind.value == "fixation"
    message = blocking_client.receive_sample_message(timeout_seconds=5.0)
    assert message is not None
    assert message.screen_point is not None
    sample = blocking_client.receive_gaze_sample(timeout_seconds=5.0)
    assert sample == message.sample
    assert blocking_client.receive_gaze_sample(timeout_seconds=0.05) is None
    _feed(blocking_client, fixture("recording_status.host_started"))
    recording = blocking_client.receive_recording_status(timeout_seconds=5.0)
    assert recording is not None
    assert (recording.state.value, recording.started_by.value) == ("recording", "host")


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except Exception as exc:
            outcome["error"] = exc
        outcome["returned_at"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_close_from_another_thread_wakes_blocked_threads(blocking_client: Client) -> None:
    client = blocking_client
    waits = [
        _in_thread(lambda: client.receive_gaze_sample(timeout_seconds=LONG_WAIT_S)),
        _in_thread(lambda: client.receive_status(timeout_seconds=LONG_WAIT_S)),
        _in_thread(lambda: client.receive_fixation_or_saccade(timeout_seconds=LONG_WAIT_S)),
    ]
    requests = [
        _in_thread(lambda: client.send_event("onset", timeout_seconds=LONG_WAIT_S)),
        _in_thread(lambda: client.recording_start(timeout_seconds=LONG_WAIT_S)),
    ]
    time.sleep(0.2)
    assert all(thread.is_alive() for thread, _ in [*waits, *requests])
    closed_at = time.monotonic()
    client.close()
    for thread, _ in [*waits, *requests]:
        thread.join(PROMPT_S)
        assert not thread.is_alive()
    for _, outcome in waits:
        assert outcome == {"result": None, "returned_at": outcome["returned_at"]}
        assert outcome["returned_at"] - closed_at < PROMPT_S
    for _, outcome in requests:
        assert isinstance(outcome["error"], ClientError)
        assert str(outcome["error"]) == "the client is closed"
        assert outcome["returned_at"] - closed_at < PROMPT_S
    with pytest.raises(ClientError, match="the client is closed"):
        client.send_event("late")
    assert client.receive_gaze_sample(timeout_seconds=LONG_WAIT_S) is None
