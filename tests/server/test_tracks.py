"""Frames meet the pipeline: jitter buffer, capture clock, outbound track, latest-frame semantics.

The latest-frame test drives the real pool with the tracker test double (pool mechanics); the
end-to-end tests run the real pipeline.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from collections.abc import AsyncIterator, Callable

import av
import numpy as np
import pytest
import pytest_asyncio
from aiortc import RTCPeerConnection
from aiortc.contrib.media import MediaRelay
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import RtpPacket

from gazertc.server.pool import FrameRejectedError, ProcessedFrame, WorkerCrashedError, WorkerPool
from gazertc.server.tracks import (
    MAX_PIPELINE_RESTARTS,
    AnnotatedVideoTrack,
    CaptureClock,
    MarkerJitterBuffer,
    RelayedTrackFrames,
    VideoPipeline,
    end_remote_track,
    install_marker_jitter_buffer,
)
from tests.server.fake_tracker import FakeTrackerFactory

pytestmark = pytest.mark.timeout(60)


def _packet(sequence_number: int, timestamp: int, data: bytes, *, marker: bool) -> RtpPacket:
    packet = RtpPacket(sequence_number=sequence_number, timestamp=timestamp, marker=int(marker))
    packet._data = data  # type: ignore[attr-defined]
    return packet


def test_marker_completes_a_frame_without_waiting_for_the_next() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    assert buffer.add(_packet(10, 3000, b"a", marker=False)) == (False, None)
    _, frame = buffer.add(_packet(11, 3000, b"b", marker=True))
    assert frame is not None
    assert (frame.data, frame.timestamp) == (b"ab", 3000)
    _, frame = buffer.add(_packet(12, 6000, b"c", marker=True))
    assert frame is not None and (frame.data, frame.timestamp) == (b"c", 6000)


def test_stock_aiortc_buffer_waits_for_the_next_frame() -> None:
    """Why MarkerJitterBuffer exists; if aiortc changes this, the workaround can go."""
    buffer = JitterBuffer(capacity=128, is_video=True)
    buffer.add(_packet(10, 3000, b"a", marker=False))
    assert buffer.add(_packet(11, 3000, b"b", marker=True)) == (False, None)
    _, frame = buffer.add(_packet(12, 6000, b"c", marker=True))
    assert frame is not None and frame.data == b"ab"


def test_lost_marker_falls_back_to_the_timestamp_change() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    buffer.add(_packet(10, 3000, b"a", marker=False))
    buffer.add(_packet(11, 3000, b"b", marker=False))  # the marked packet 12 is lost
    _, frame = buffer.add(_packet(13, 6000, b"c", marker=False))
    assert frame is None  # the gap at 12 blocks: nothing is complete
    _, frame = buffer.add(_packet(12, 3000, b"-", marker=False))
    assert frame is not None and frame.data == b"ab-"


def test_out_of_order_packets_wait_for_the_gap() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    buffer.add(_packet(10, 3000, b"a", marker=False))
    assert buffer.add(_packet(12, 3000, b"c", marker=True)) == (False, None)
    _, frame = buffer.add(_packet(11, 3000, b"b", marker=False))
    assert frame is not None and frame.data == b"abc"


async def test_installs_on_a_real_receiver() -> None:
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("video", direction="recvonly")
    assert install_marker_jitter_buffer(transceiver.receiver)
    assert not install_marker_jitter_buffer(transceiver.receiver)  # only once, only on stock
    await pc.close()


def test_capture_clock_keeps_the_sender_spacing_without_jitter() -> None:
    clock = CaptureClock()
    frame_ns = 33_333_333
    base_ns = 1_000_000_000_000
    delays_ms = [12, 30, 5, 18, 5, 40, 7]
    captures = [
        clock.capture_unix_ns(index * frame_ns, base_ns + index * frame_ns + delay * 1_000_000)
        for index, delay in enumerate(delays_ms)
    ]
    # After the least-delayed frame (5 ms) everything is spaced exactly like the sender.
    assert np.diff(captures[2:]).tolist() == [frame_ns] * 4
    assert captures[2] == base_ns + 2 * frame_ns + 5_000_000


def test_capture_clock_never_runs_backwards() -> None:
    clock = CaptureClock()
    first = clock.capture_unix_ns(0, 100_000_000)
    second = clock.capture_unix_ns(10_000_000, 20_000_000)  # arrived "before" the first
    assert second > first


async def test_annotated_track_sends_only_what_is_pushed() -> None:
    track = AnnotatedVideoTrack()
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.05)
    assert not pending.done()  # json mode: nothing to encode
    first = av.VideoFrame(32, 32, "yuv420p")
    second = av.VideoFrame(32, 32, "yuv420p")
    track.push(first)
    track.push(second)  # replaces the unsent first
    assert await pending is second
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    track.stop()
    with pytest.raises(MediaStreamError):
        await waiting


class _FastCamera(MediaStreamTrack):
    """A camera far faster than the test double's pipeline; ends after ``frame_count`` frames.

    Frames for which ``black(index)`` is true are all black: the test double's worker dies on
    them, as on a native crash.
    """

    kind = "video"

    def __init__(
        self,
        frame_count: int,
        interval_s: float,
        black: Callable[[int], bool] = lambda index: False,
    ) -> None:
        super().__init__()
        self._frame_count = frame_count
        self._interval_s = interval_s
        self._black = black
        self._sent = 0

    async def recv(self) -> av.VideoFrame:
        if self._sent == self._frame_count:
            raise MediaStreamError
        await asyncio.sleep(self._interval_s)
        level = 0 if self._black(self._sent) else 200
        image = np.full((48, 64, 3), level, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = self._sent * 900
        frame.time_base = fractions.Fraction(1, 90_000)
        self._sent += 1
        return frame


@pytest_asyncio.fixture
async def slow_pool() -> AsyncIterator[WorkerPool]:
    pool = WorkerPool(1, factory=FakeTrackerFactory(work_s=0.05))
    await pool.start()
    yield pool
    await pool.close()


async def test_overload_drops_frames_instead_of_queueing(slow_pool: WorkerPool) -> None:
    results: list[tuple[ProcessedFrame, int]] = []
    rejected: list[FrameRejectedError] = []
    camera = _FastCamera(frame_count=100, interval_s=0.01)  # 100 fps into a 20 fps pipeline
    pipeline = VideoPipeline(
        "s",
        RelayedTrackFrames(camera, MediaRelay()),
        slow_pool,
        wants_annotation=lambda: False,
        on_result=lambda processed: results.append((processed, time.time_ns())),
        on_rejected=rejected.append,
        on_restarted=_unexpected_restart,
    )
    await asyncio.wait_for(pipeline.run(), 10.0)  # returns when the camera's track ends

    assert not rejected
    messages = [json.loads(processed.result.message_json) for processed, _ in results]
    frame_ids = [message["frame_id"] for message in messages]
    assert frame_ids == sorted(frame_ids)
    assert 10 <= len(frame_ids) <= 60  # ~20 at 50 ms each; the rest must be dropped
    assert pipeline.frames_received == 100
    assert pipeline.counters.frames_processed == len(frame_ids)
    assert pipeline.frames_dropped == 100 - len(frame_ids)
    # Each processed frame was the newest one: waiting never exceeds one pipeline run.
    waits_ms = [
        (message["processed_unix_ns"] - message["received_unix_ns"]) / 1e6 for message in messages
    ]
    assert max(waits_ms) < 200  # one run of 50 ms, plus scheduling on a busy machine
    assert [message["pts_90khz"] for message in messages] == [900 * i for i in frame_ids]
    with pytest.raises(KeyError):
        slow_pool.worker_index("s")  # the pipeline closed its pool session


def _unexpected_restart(exc: WorkerCrashedError) -> None:
    raise AssertionError(f"no worker should be lost here: {exc}")


async def test_a_lost_worker_restarts_the_pipeline_and_the_session_goes_on(
    slow_pool: WorkerPool,
) -> None:
    results: list[ProcessedFrame] = []
    restarted: list[WorkerCrashedError] = []
    crash_at = 10
    # Slower than the pipeline (50 ms a frame), so that the black frame is not dropped.
    camera = _FastCamera(frame_count=60, interval_s=0.08, black=lambda index: index == crash_at)
    pipeline = VideoPipeline(
        "s",
        RelayedTrackFrames(camera, MediaRelay()),
        slow_pool,
        wants_annotation=lambda: False,
        on_result=results.append,
        on_rejected=lambda exc: None,
        on_restarted=restarted.append,
    )
    await asyncio.wait_for(pipeline.run(), 30.0)

    assert len(restarted) == 1, restarted
    assert pipeline.counters.pipeline_restarts == 1
    frame_ids = [processed.result.message.timing.frame_id for processed in results]
    indices = [processed.result.message.sample.frame_index for processed in results]
    pids = [processed.result.worker_pid for processed in results]
    before = [i for i, frame_id in enumerate(frame_ids) if frame_id < crash_at]
    after = [i for i, frame_id in enumerate(frame_ids) if frame_id > crash_at]
    assert before and after, frame_ids
    # A fresh tracker in a new worker, counting from its first frame again.
    assert indices[after[0]] == 0
    assert pids[after[0]] != pids[before[0]]
    assert frame_ids == sorted(frame_ids)


async def test_a_session_that_keeps_crashing_its_worker_is_given_up(slow_pool: WorkerPool) -> None:
    restarted: list[WorkerCrashedError] = []
    camera = _FastCamera(frame_count=10_000, interval_s=0.01, black=lambda index: True)
    pipeline = VideoPipeline(
        "s",
        RelayedTrackFrames(camera, MediaRelay()),
        slow_pool,
        wants_annotation=lambda: False,
        on_result=lambda processed: None,
        on_rejected=lambda exc: None,
        on_restarted=restarted.append,
    )
    with pytest.raises(WorkerCrashedError):
        await asyncio.wait_for(pipeline.run(), 45.0)
    assert len(restarted) == MAX_PIPELINE_RESTARTS


async def test_a_pipeline_whose_track_never_started_leaves_no_reader_behind(
    slow_pool: WorkerPool,
) -> None:
    """A peer that closes before its media starts: aiortc never ends its received track, so
    the relay's reader would wait on it for ever (a task, the tracks, per such session)."""
    tasks_before = asyncio.all_tasks()
    relay = MediaRelay()
    never_started = RemoteStreamTrack(kind="video")
    pipeline = VideoPipeline(
        "s",
        RelayedTrackFrames(never_started, relay),
        slow_pool,
        wants_annotation=lambda: False,
        on_result=lambda processed: None,
        on_rejected=lambda exc: None,
        on_restarted=_unexpected_restart,
    )
    running = asyncio.ensure_future(pipeline.run())
    await asyncio.sleep(0.1)
    assert len(asyncio.all_tasks() - tasks_before) == 2  # the pipeline and the relay's reader
    running.cancel()  # the session closes
    await asyncio.gather(running, return_exceptions=True)
    await asyncio.sleep(0.05)
    assert asyncio.all_tasks() - tasks_before == set()
    with pytest.raises(MediaStreamError):
        await never_started.recv()


async def test_ending_a_remote_track_that_already_ended_is_harmless() -> None:
    track = RemoteStreamTrack(kind="video")
    end_remote_track(track)
    with pytest.raises(MediaStreamError):
        await track.recv()
    end_remote_track(track)
    end_remote_track(AnnotatedVideoTrack())  # not a received track: left alone
