"""Worker-pool mechanics: affinity, ordering, parallelism, shared memory, failures.

These use the tracker test double (tests/server/fake_tracker.py): what is under test is the
pool, not the pipeline. The end-to-end tests run the real pipeline.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import av
import numpy as np
import pytest
import pytest_asyncio

from gazertc.protocol import validate_message
from gazertc.server.pipeline_work import PipelineWork
from gazertc.server.pool import (
    FrameMeta,
    FrameRejectedError,
    PoolClosedError,
    WorkerCrashedError,
    WorkerPool,
)
from gazertc.server.worker import attach_slot
from tests.server.fake_tracker import REJECT_WIDTH_PX, FakeTrackerFactory, expected_work

pytestmark = pytest.mark.timeout(60)

WORK_S = 0.12


def _frame(level: int, width: int = 64, height: int = 48) -> av.VideoFrame:
    image = np.full((height, width, 3), level, dtype=np.uint8)
    image[: height // 2, : width // 2] = (level // 2, level, level // 3)
    return av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")


def _meta(frame_id: int) -> FrameMeta:
    now = time.time_ns()
    return FrameMeta(frame_id, frame_id * 3000, now + frame_id, now)


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    pool = WorkerPool(2, factory=FakeTrackerFactory(work_s=WORK_S))
    await pool.start()
    yield pool
    await pool.close()


async def test_results_are_valid_sample_messages_in_order_per_session(pool: WorkerPool) -> None:
    pool.open_session("a")
    for frame_id in range(3):
        processed = await pool.process("a", _frame(200), _meta(frame_id))
        message = json.loads(processed.result.message_json)
        validate_message(message)
        assert processed.result.message.to_dict() == message  # the typed values and the text agree
        assert message["frame_id"] == frame_id
        assert message["frame_index"] == frame_id  # the tracker's state persisted
        assert message["face_found"] is True
        assert processed.annotated is None


async def test_sessions_have_their_own_state_on_separate_workers(pool: WorkerPool) -> None:
    pool.open_session("a")
    pool.open_session("b")
    assert {pool.worker_index("a"), pool.worker_index("b")} == {0, 1}
    first_a = await pool.process("a", _frame(200), _meta(0))
    await pool.process("a", _frame(200), _meta(1))
    first_b = await pool.process("b", _frame(50), _meta(0))
    assert json.loads(first_b.result.message_json)["frame_index"] == 0
    assert first_b.result.message.sample.face_found is False
    assert first_a.result.worker_pid != first_b.result.worker_pid
    again_a = await pool.process("a", _frame(200), _meta(2))
    assert again_a.result.worker_pid == first_a.result.worker_pid


async def test_two_workers_run_in_parallel(pool: WorkerPool) -> None:
    pool.open_session("a")
    pool.open_session("b")
    started = time.perf_counter()
    await asyncio.gather(
        pool.process("a", _frame(200), _meta(0)), pool.process("b", _frame(200), _meta(0))
    )
    elapsed_s = time.perf_counter() - started
    assert elapsed_s < 1.6 * WORK_S


async def test_a_second_frame_in_flight_is_refused(pool: WorkerPool) -> None:
    pool.open_session("a")
    first = asyncio.ensure_future(pool.process("a", _frame(200), _meta(0)))
    await asyncio.sleep(0.01)
    with pytest.raises(RuntimeError, match="already has a frame in flight"):
        await pool.process("a", _frame(200), _meta(1))
    await first


async def test_annotated_frame_comes_back_with_its_timing(pool: WorkerPool) -> None:
    pool.open_session("a")
    frame = _frame(200)
    frame.pts = 12345
    frame.time_base = fractions.Fraction(1, 90000)
    processed = await pool.process("a", frame, _meta(0), annotate=True)
    assert processed.result.annotated
    annotated = processed.annotated
    assert annotated is not None
    assert (annotated.width, annotated.height, annotated.format.name) == (64, 48, "yuv420p")
    assert (annotated.pts, annotated.time_base) == (12345, fractions.Fraction(1, 90000))
    # The test double finds no landmarks to draw: the round trip must preserve the picture.
    difference = np.abs(annotated.to_ndarray().astype(int) - frame.to_ndarray().astype(int))
    assert float(difference.mean()) < 2.0


async def test_odd_sized_frames_travel_as_bgr(pool: WorkerPool) -> None:
    pool.open_session("a")
    image = np.full((47, 63, 3), 220, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(image, format="bgr24")
    processed = await pool.process("a", frame, _meta(0), annotate=True)
    message = json.loads(processed.result.message_json)
    assert (message["frame_width_px"], message["frame_height_px"]) == (63, 47)
    assert processed.annotated is not None
    assert np.array_equal(processed.annotated.to_ndarray(format="bgr24"), image)


async def test_frame_size_change_reallocates_the_slot(pool: WorkerPool) -> None:
    pool.open_session("a")
    await pool.process("a", _frame(200, 32, 24), _meta(0))
    processed = await pool.process("a", _frame(200, 320, 240), _meta(1))
    assert json.loads(processed.result.message_json)["frame_width_px"] == 320


async def test_oversized_frame_is_rejected() -> None:
    pool = WorkerPool(1, factory=FakeTrackerFactory(), max_frame_pixels=64 * 48 - 1)
    await pool.start()
    try:
        pool.open_session("a")
        with pytest.raises(FrameRejectedError, match="exceeds the limit"):
            await pool.process("a", _frame(200), _meta(0))
    finally:
        await pool.close()


async def test_tracker_input_error_rejects_the_frame_not_the_worker(pool: WorkerPool) -> None:
    pool.open_session("a")
    with pytest.raises(FrameRejectedError, match="refuses frames"):
        await pool.process("a", _frame(200, REJECT_WIDTH_PX, 24), _meta(0))
    processed = await pool.process("a", _frame(200), _meta(1))
    assert processed.result.message.sample.face_found


async def test_worker_crash_tells_its_sessions_once_and_they_go_on(pool: WorkerPool) -> None:
    pool.open_session("victim")
    pool.open_session("bystander")
    pool.open_session("idle")  # on the victim's worker, with no frame in it when it dies
    victim_worker = pool.worker_index("victim")
    assert pool.worker_index("idle") == victim_worker
    first = await pool.process("victim", _frame(200), _meta(0))
    old_pids = set(pool.worker_pids())
    with pytest.raises(WorkerCrashedError, match="died"):
        await pool.process("victim", _frame(0), _meta(1))
    # The other worker is untouched.
    assert (await pool.process("bystander", _frame(200), _meta(0))).result.message.sample.face_found
    # The victim's next frame waits for the replacement and starts a fresh tracker there.
    again = await pool.process("victim", _frame(200), _meta(2))
    assert again.result.worker_pid not in old_pids
    assert again.result.worker_pid != first.result.worker_pid
    assert again.result.message.sample.frame_index == 0
    assert pool.worker_index("victim") == victim_worker
    # A session that had no frame in the worker hears of the loss from its next frame, once.
    with pytest.raises(WorkerCrashedError, match="starts over"):
        await pool.process("idle", _frame(200), _meta(0))
    assert (await pool.process("idle", _frame(200), _meta(1))).result.message.sample.face_found
    pool.open_session("newcomer")
    assert (await pool.process("newcomer", _frame(200), _meta(0))).result.message.sample.face_found
    assert pool.workers_lost == 1
    assert len(pool.worker_start_s) == 3  # two at start, one replacement
    assert pool.sessions_per_worker() == [2, 2]


async def test_a_worker_killed_from_outside_is_replaced(pool: WorkerPool) -> None:
    pool.open_session("a")
    await pool.process("a", _frame(200), _meta(0))
    pid = pool.worker_pids()[pool.worker_index("a")]
    os.kill(pid, signal.SIGKILL)
    started = time.monotonic()
    with pytest.raises(WorkerCrashedError):
        await pool.process("a", _frame(200), _meta(1))
    processed = await pool.process("a", _frame(200), _meta(2))
    assert processed.result.worker_pid != pid
    assert time.monotonic() - started < 30.0
    assert not Path(f"/proc/{pid}").exists()  # reaped, not left a zombie


async def test_hung_worker_is_replaced() -> None:
    pool = WorkerPool(1, factory=FakeTrackerFactory(work_s=5.0), frame_timeout_s=0.3)
    await pool.start()
    try:
        pool.open_session("a")
        started = time.perf_counter()
        with pytest.raises(WorkerCrashedError, match="hung"):
            await pool.process("a", _frame(200), _meta(0))
        assert time.perf_counter() - started < 2.0
        assert pool.workers_lost == 1
    finally:
        await pool.close()


async def test_a_busy_worker_answering_other_sessions_is_not_taken_for_hung() -> None:
    """Frames wait behind other sessions' frames in the same worker: only silence is a hang."""
    work_s = 0.1
    pool = WorkerPool(1, factory=FakeTrackerFactory(work_s=work_s), frame_timeout_s=0.25)
    await pool.start()
    try:
        sessions = [str(index) for index in range(4)]  # 0.4 s of work per round > the timeout
        for session_id in sessions:
            pool.open_session(session_id)

        async def stream(session_id: str) -> None:
            for frame_id in range(4):
                await pool.process(session_id, _frame(200), _meta(frame_id))

        await asyncio.gather(*(stream(session_id) for session_id in sessions))
        assert pool.workers_lost == 0
    finally:
        await pool.close()


async def test_close_gives_up_on_a_replacement_that_is_starting(tmp_path: Path) -> None:
    slow_start = tmp_path / "slow-start"
    pool = WorkerPool(1, factory=FakeTrackerFactory(work_s=0.01, slow_start_file=slow_start))
    await pool.start()
    pool.open_session("a")
    await pool.process("a", _frame(200), _meta(0))
    slow_start.touch()  # the replacement is still starting when the pool closes
    with pytest.raises(WorkerCrashedError):
        await pool.process("a", _frame(0), _meta(1))
    waiting = asyncio.ensure_future(pool.process("a", _frame(200), _meta(2)))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await pool.close()
    with pytest.raises(PoolClosedError):
        await waiting
    assert time.monotonic() - started < 3.0


async def test_closing_a_session_frees_its_shared_memory(pool: WorkerPool) -> None:
    pool.open_session("a")
    await pool.process("a", _frame(200), _meta(0))
    names = {path.name for path in Path("/dev/shm").iterdir()}
    pool.close_session("a")
    pool.close_session("a")  # idempotent
    assert len({path.name for path in Path("/dev/shm").iterdir()}) == len(names) - 1
    with pytest.raises(KeyError):
        await pool.process("a", _frame(200), _meta(1))


async def test_a_session_closed_while_its_frame_waits_leaves_the_worker_alive() -> None:
    pool = WorkerPool(1, factory=FakeTrackerFactory(work_s=WORK_S))
    await pool.start()
    try:
        pool.open_session("busy")
        pool.open_session("closing")
        await pool.process("busy", _frame(200), _meta(0))
        pid = pool.worker_pids()
        busy = asyncio.ensure_future(pool.process("busy", _frame(200), _meta(1)))
        await asyncio.sleep(WORK_S / 4)  # the worker is in the busy session's frame
        waiting = asyncio.ensure_future(pool.process("closing", _frame(200), _meta(0)))
        await asyncio.sleep(0)  # its job is in the pipe, behind the busy frame
        pool.close_session("closing")  # frees its slot before the worker reaches the job
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await busy
        again = await pool.process("busy", _frame(200), _meta(2))
        assert (pool.workers_lost, pool.worker_pids()) == (0, pid)
        assert again.result.message.sample.frame_index == 2
    finally:
        await pool.close()


def test_a_worker_attaching_a_slot_leaves_its_freeing_to_the_pool() -> None:
    # A process that attaches with SharedMemory(name=...) registers the segment with its
    # resource tracker, which unlinks it (and warns of a leak) when the process ends.
    owner = SharedMemory(create=True, size=64)
    try:
        attaching = subprocess.run(
            [sys.executable, "-c", ATTACH_AND_EXIT, owner.name],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        # Its output closes when its resource tracker (if any) has ended: the slot is intact.
        assert "leaked" not in attaching.stderr
        attach_slot(owner.name).close()
    finally:
        owner.close()
        owner.unlink()


ATTACH_AND_EXIT = """
import sys
from gazertc.server.worker import attach_slot
attach_slot(sys.argv[1]).close()
"""


async def test_closed_pool_refuses_work() -> None:
    pool = WorkerPool(1, factory=FakeTrackerFactory())
    with pytest.raises(PoolClosedError):
        pool.open_session("a")
    await pool.start()
    pids = pool.worker_pids()
    await pool.close()
    await pool.close()  # idempotent
    with pytest.raises(PoolClosedError):
        await pool.process("a", _frame(200), _meta(0))
    for pid in pids:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )


def test_worker_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        WorkerPool(0)


async def test_the_pool_sums_every_frames_work_across_sessions_and_a_crash(
    pool: WorkerPool,
) -> None:
    assert pool.work_done == PipelineWork()
    faces = {
        "a": [True] * 9 + [False] + [True] * 5,
        "b": [False, True, True, True, True, False, False, True],
    }
    pool.open_session("a")
    pool.open_session("b")

    async def stream(session_id: str) -> list[PipelineWork]:
        results = []
        for frame_id, face in enumerate(faces[session_id]):
            processed = await pool.process(session_id, _frame(200 if face else 50), _meta(frame_id))
            results.append(processed.result.work)
        return results

    per_frame = await asyncio.gather(stream("a"), stream("b"))
    assert per_frame[0][0] == PipelineWork(frames_tracked=1, face_searches=1, iris_eyes_located=2)
    expected = expected_work(faces["a"]) + expected_work(faces["b"])
    assert pool.work_done == expected
    # A worker's crash loses its trackers, not the work they did; the replacement's adds on.
    with pytest.raises(WorkerCrashedError):
        await pool.process("a", _frame(0), _meta(len(faces["a"])))
    await pool.process("a", _frame(200), _meta(len(faces["a"]) + 1))
    assert pool.work_done == expected + expected_work([True])
