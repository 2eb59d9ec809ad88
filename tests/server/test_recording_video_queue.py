"""The video's hand-over from the event loop to its thread: at most 15 frames a second pass,
an encoder that falls behind loses frames instead of queueing them, and offering never waits
for it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import av
import numpy as np
import pytest
import pytest_asyncio

from gazertc.recording.store import RecordingStore
from gazertc.recording.video import VIDEO_FRAME_RATE_HZ, VideoEncoder, video_path
from gazertc.records import RecordingState
from gazertc.server.recording_video import MAX_PENDING_FRAMES, RecordingVideo

pytestmark = pytest.mark.timeout(60)

NS_PER_MS = 1_000_000
CAMERA_INTERVAL_NS = 33_333_333
"""A 30 fps camera."""
OFFER_BUDGET_S = 0.05
"""Offering a hundred frames to a stuck encoder: a lock and an append each, far below this."""


class StuckEncoder(VideoEncoder):
    """Encodes only once released: stands in for an encoder far behind the camera."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.released = threading.Event()

    def add(self, frame: av.VideoFrame, pts_ms: int) -> bool:
        self.released.wait()
        return super().add(frame, pts_ms)


def _frame() -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((240, 320, 3), 90, np.uint8), format="bgr24")


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[RecordingStore]:
    recordings = RecordingStore(tmp_path)
    await asyncio.to_thread(recordings.open)
    yield recordings
    await asyncio.to_thread(recordings.close)


async def _recording(store: RecordingStore) -> tuple[str, int]:
    recording_id, future = store.start("a" * 32, name=None, metadata={}, video=True)
    await asyncio.wrap_future(future)
    started_unix_ns = store.started_unix_ns(recording_id)
    assert started_unix_ns is not None
    return recording_id, started_unix_ns


@pytest.mark.asyncio
async def test_a_30_fps_camera_is_stored_at_15_fps_from_the_start(store: RecordingStore) -> None:
    recording_id, started_unix_ns = await _recording(store)
    failures: list[str] = []
    video = RecordingVideo(store, recording_id, started_unix_ns, failures.append)
    video.offer(_frame(), started_unix_ns - CAMERA_INTERVAL_NS)  # captured before the start
    for index in range(30):
        video.offer(_frame(), started_unix_ns + index * CAMERA_INTERVAL_NS)
        await asyncio.sleep(0.005)  # the encoder keeps up
    assert await video.finish(keep=True)
    with av.open(str(video_path(store.data_dir, recording_id))) as container:
        pts_ms = [frame.pts for frame in container.decode(video=0)]
    assert pts_ms == [index * CAMERA_INTERVAL_NS // NS_PER_MS for index in range(0, 30, 2)]
    assert len(pts_ms) == VIDEO_FRAME_RATE_HZ
    assert failures == []


@pytest.mark.asyncio
async def test_an_encoder_behind_loses_frames_and_never_holds_the_loop_up(
    store: RecordingStore,
) -> None:
    recording_id, started_unix_ns = await _recording(store)
    encoder = StuckEncoder(video_path(store.data_dir, recording_id))
    video = RecordingVideo(store, recording_id, started_unix_ns, lambda _: None, encoder=encoder)
    offered = 100
    began_s = time.perf_counter()
    for index in range(offered):
        video.offer(_frame(), started_unix_ns + index * 2 * CAMERA_INTERVAL_NS)
    assert time.perf_counter() - began_s < OFFER_BUDGET_S
    # One frame is with the stuck encoder, at most MAX_PENDING_FRAMES wait, the rest are lost.
    assert video.frames_dropped >= offered - 1 - MAX_PENDING_FRAMES
    encoder.released.set()
    assert await video.finish(keep=True)
    assert encoder.frames_written == offered - video.frames_dropped
    assert encoder.frames_written <= 1 + MAX_PENDING_FRAMES


@pytest.mark.asyncio
async def test_a_failed_video_is_deleted_reported_and_marked_in_the_store(
    store: RecordingStore,
) -> None:
    recording_id, started_unix_ns = await _recording(store)
    failures: list[str] = []
    video = RecordingVideo(store, recording_id, started_unix_ns, failures.append)
    video.offer(_frame(), started_unix_ns)
    # A frame the encoder cannot take: an empty one (FFmpeg's scaler refuses it).
    video.offer(av.VideoFrame(0, 0, "yuv420p"), started_unix_ns + 2 * CAMERA_INTERVAL_NS)
    assert not await video.finish(keep=True)
    await asyncio.sleep(0.05)  # the failure reaches the loop by call_soon_threadsafe
    assert len(failures) == 1 and "without video" in failures[0]
    assert not video_path(store.data_dir, recording_id).exists()
    info = await asyncio.wrap_future(store.finish(recording_id, RecordingState.SAVED))
    assert info.video is False
