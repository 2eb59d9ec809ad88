"""Worker processes that run the vision pipeline off the event loop, across all cores.

Why processes: the pipeline mixes native code with plenty of Python and numpy work that holds
the GIL, so threads would both serialise on one core and delay the event loop (``bench/server.py``
measures it). Each worker process owns the trackers of the sessions assigned to it (session
affinity: a session's pipeline state never moves), and loads the models once for all of them.

Frames travel through one shared-memory slot per session, sized for a BGR frame: the event loop
copies the decoded I420 planes in (1.5 bytes per pixel, ~0.1 ms for 640x480), the worker converts
to BGR, runs the tracker and, when asked, draws the annotations and writes the annotated frame
back as I420 into the same slot. Only small messages cross the pipe, so a busy worker never
blocks the event loop on a write.

A session has at most one frame in a worker at a time, and :meth:`WorkerPool.process` refuses a
second: callers wait for the result, then take the newest frame (latest-frame semantics, see
:mod:`gazertc.server.tracks`). Results therefore come back in order per session, and a worker's
backlog is bounded by the number of its sessions.

Errors::

    GazertcError
    └── PoolError
        ├── PoolClosedError       the pool is not running
        ├── WorkerCrashedError    the worker holding the session died or hung; its state is lost
        └── FrameRejectedError    the tracker refused this frame; the session lives on
            └── FrameTooLargeError    the frame has more pixels than the server accepts
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import multiprocessing.connection
from dataclasses import dataclass, field
from multiprocessing.shared_memory import SharedMemory
from typing import Final

import av
import numpy as np

from gazertc.errors import GazertcError
from gazertc.server.worker import (
    CloseSession,
    FrameFailed,
    FrameJob,
    FrameLayout,
    FrameMeta,
    FrameResult,
    PipelineTrackerFactory,
    StopWorker,
    TrackerFactory,
    TrackerLike,
    WorkerReady,
    worker_main,
)

__all__ = [
    "FrameMeta",
    "FrameRejectedError",
    "FrameResult",
    "FrameTooLargeError",
    "PipelineTrackerFactory",
    "PoolClosedError",
    "PoolError",
    "ProcessedFrame",
    "TrackerFactory",
    "TrackerLike",
    "WorkerCrashedError",
    "WorkerPool",
]

logger = logging.getLogger(__name__)

BYTES_PER_BGR_PIXEL: Final = 3
WORKER_START_TIMEOUT_S: Final = 120.0
"""Spawning imports numpy, OpenCV and dlib and loads the models: seconds on a slow disk."""
WORKER_STOP_TIMEOUT_S: Final = 5.0
DEFAULT_FRAME_TIMEOUT_S: Final = 10.0
"""A frame takes tens of milliseconds; a worker silent for this long is hung and is replaced."""


class PoolError(GazertcError):
    """The worker pool could not process a frame."""


class PoolClosedError(PoolError):
    """The pool is not running (not started yet, or closed)."""


class WorkerCrashedError(PoolError):
    """The worker holding a session died or hung; the session's pipeline state is lost."""


class FrameRejectedError(PoolError):
    """This frame could not be processed; later frames may be fine."""


class FrameTooLargeError(FrameRejectedError):
    """The frame has more pixels than the pool accepts."""


@dataclass(frozen=True, slots=True)
class ProcessedFrame:
    """A frame's result, with the annotated frame when asked for (same size, ``pts`` and
    ``time_base`` as the input; yuv420p, or bgr24 for odd sizes)."""

    result: FrameResult
    annotated: av.VideoFrame | None


@dataclass
class _Slot:
    memory: SharedMemory
    capacity_bytes: int


@dataclass
class _Worker:
    index: int
    process: multiprocessing.process.BaseProcess
    connection: multiprocessing.connection.Connection
    ready: asyncio.Future[int]
    sessions: set[str] = field(default_factory=set)
    pending: dict[str, asyncio.Future[FrameResult]] = field(default_factory=dict)
    alive: bool = True


class WorkerPool:
    """A fixed number of worker processes; each session's pipeline lives in one of them.

    Use from one event loop: ``await start()``, then ``open_session``/``process``/
    ``close_session`` per session, then ``await close()``.

    Args:
        worker_count: processes to run (at least 1); the machine's core count is a good default.
        factory: makes trackers in the workers; the real pipeline by default.
        max_frame_pixels: larger frames are rejected with :class:`FrameRejectedError`.
        frame_timeout_s: a worker that does not answer a frame within this time is killed and
            replaced (its sessions get :class:`WorkerCrashedError`).
    """

    def __init__(
        self,
        worker_count: int,
        *,
        factory: TrackerFactory | None = None,
        max_frame_pixels: int = 1920 * 1080,
        frame_timeout_s: float = DEFAULT_FRAME_TIMEOUT_S,
    ) -> None:
        if worker_count < 1:
            raise ValueError(f"worker_count must be at least 1, got {worker_count}")
        self._worker_count = worker_count
        self._factory: TrackerFactory = factory or PipelineTrackerFactory()
        self._max_frame_pixels = max_frame_pixels
        self._frame_timeout_s = frame_timeout_s
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._session_worker: dict[str, _Worker] = {}
        self._slots: dict[str, _Slot] = {}
        self._running = False
        self._restarts: set[asyncio.Task[None]] = set()

    @property
    def worker_count(self) -> int:
        return self._worker_count

    @property
    def running(self) -> bool:
        return self._running

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for diagnostics and memory measurement)."""
        return [w.process.pid for w in self._workers if w.alive and w.process.pid is not None]

    def sessions_per_worker(self) -> list[int]:
        return [len(worker.sessions) for worker in self._workers]

    async def start(self) -> None:
        """Spawn the workers and wait until each has loaded its models.

        Raises:
            PoolError: a worker failed to start.
        """
        if self._running:
            return
        self._workers = [self._spawn(index) for index in range(self._worker_count)]
        self._running = True
        try:
            await asyncio.gather(*(self._await_ready(worker) for worker in self._workers))
        except PoolError:
            await self.close()
            raise

    def open_session(self, session_id: str) -> None:
        """Assign a session to the worker with the fewest sessions.

        Raises:
            PoolClosedError: the pool is not running.
            ValueError: the session is already open.
        """
        if not self._running:
            raise PoolClosedError("the worker pool is not running")
        if session_id in self._session_worker:
            raise ValueError(f"session {session_id} is already open")
        candidates = [w for w in self._workers if w.alive] or self._workers
        worker = min(candidates, key=lambda w: len(w.sessions))
        worker.sessions.add(session_id)
        self._session_worker[session_id] = worker

    def worker_index(self, session_id: str) -> int:
        """Which worker holds the session (raises ``KeyError`` for an unknown session)."""
        return self._session_worker[session_id].index

    async def process(
        self, session_id: str, frame: av.VideoFrame, meta: FrameMeta, *, annotate: bool = False
    ) -> ProcessedFrame:
        """Run the session's pipeline on one frame.

        Args:
            session_id: an open session with no frame in flight.
            frame: a decoded frame; yuv420p with even sizes travels as is, anything else is
                converted to BGR first.
            meta: the frame's bookkeeping, copied into the sample.
            annotate: also return the frame with the sample drawn on it.

        Raises:
            PoolClosedError: the pool is not running.
            KeyError: the session is not open.
            RuntimeError: the session already has a frame in flight.
            FrameTooLargeError: the frame has more than ``max_frame_pixels`` pixels.
            FrameRejectedError: the tracker refused the frame.
            WorkerCrashedError: the session's worker died or hung.
        """
        if not self._running:
            raise PoolClosedError("the worker pool is not running")
        worker = self._session_worker[session_id]
        if not worker.alive:
            raise WorkerCrashedError(f"the worker of session {session_id} died; state lost")
        if session_id in worker.pending:
            raise RuntimeError(f"session {session_id} already has a frame in flight")
        width, height = frame.width, frame.height
        if width * height > self._max_frame_pixels:
            raise FrameTooLargeError(
                f"frame of {width}x{height} exceeds the limit of {self._max_frame_pixels} pixels"
            )
        slot = self._slot_for(session_id, width * height * BYTES_PER_BGR_PIXEL)
        layout = await self._write_frame(frame, slot)
        job = FrameJob(session_id, slot.memory.name, layout, width, height, meta, annotate)
        result_future: asyncio.Future[FrameResult] = asyncio.get_running_loop().create_future()
        worker.pending[session_id] = result_future
        try:
            worker.connection.send(job)
            result = await asyncio.wait_for(
                asyncio.shield(result_future), timeout=self._frame_timeout_s
            )
        except TimeoutError as exc:
            logger.error(
                "worker %d did not answer within %.1f s; replacing it",
                worker.index,
                self._frame_timeout_s,
            )
            self._worker_lost(worker)
            raise WorkerCrashedError(
                f"the worker of session {session_id} hung; state lost"
            ) from exc
        except (BrokenPipeError, ConnectionResetError) as exc:
            self._worker_lost(worker)
            raise WorkerCrashedError(
                f"the worker of session {session_id} died; state lost"
            ) from exc
        finally:
            if worker.pending.get(session_id) is result_future:
                del worker.pending[session_id]
        annotated = None
        if result.annotated:
            annotated = _read_frame(slot.memory, layout, width, height)
            annotated.pts = frame.pts
            if frame.time_base is not None:
                annotated.time_base = frame.time_base
        return ProcessedFrame(result, annotated)

    def close_session(self, session_id: str) -> None:
        """Forget a session: its worker drops its tracker and its slot is freed. Idempotent."""
        worker = self._session_worker.pop(session_id, None)
        if worker is not None:
            worker.sessions.discard(session_id)
            future = worker.pending.pop(session_id, None)
            if future is not None and not future.done():
                future.cancel()  # its caller is being torn down with the session
            if worker.alive:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    worker.connection.send(CloseSession(session_id))
        slot = self._slots.pop(session_id, None)
        if slot is not None:
            _release(slot.memory)

    async def close(self) -> None:
        """Stop every worker and free every slot. Idempotent."""
        self._running = False
        for task in list(self._restarts):
            task.cancel()
        for session_id in list(self._session_worker):
            self.close_session(session_id)
        workers, self._workers = self._workers, []
        for worker in workers:
            self._detach(worker)
            if worker.alive:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    worker.connection.send(StopWorker())
        loop = asyncio.get_running_loop()
        for worker in workers:
            await loop.run_in_executor(None, worker.process.join, WORKER_STOP_TIMEOUT_S)
            if worker.process.is_alive():
                logger.warning("worker %d did not stop; killing it", worker.index)
                worker.process.kill()
                await loop.run_in_executor(None, worker.process.join, WORKER_STOP_TIMEOUT_S)
            worker.connection.close()
            with contextlib.suppress(ValueError):  # still running after a failed kill
                worker.process.close()
        for slot in self._slots.values():
            _release(slot.memory)
        self._slots.clear()

    def _spawn(self, index: int) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main,
            args=(child_end, self._factory),
            name=f"gazertc-worker-{index}",
            daemon=True,
        )
        process.start()
        child_end.close()
        loop = asyncio.get_running_loop()
        worker = _Worker(index, process, parent_end, loop.create_future())
        loop.add_reader(parent_end.fileno(), self._on_readable, worker)
        return worker

    async def _await_ready(self, worker: _Worker) -> None:
        try:
            pid = await asyncio.wait_for(asyncio.shield(worker.ready), WORKER_START_TIMEOUT_S)
        except TimeoutError as exc:
            raise PoolError(
                f"worker {worker.index} did not start within {WORKER_START_TIMEOUT_S} s"
            ) from exc
        logger.info("worker %d ready (pid %d)", worker.index, pid)

    def _on_readable(self, worker: _Worker) -> None:
        try:
            while worker.connection.poll():
                message = worker.connection.recv()
                self._dispatch(worker, message)
        except (EOFError, ConnectionResetError, OSError):
            self._worker_lost(worker)

    def _dispatch(self, worker: _Worker, message: object) -> None:
        if isinstance(message, WorkerReady):
            if not worker.ready.done():
                worker.ready.set_result(message.pid)
            return
        if not isinstance(message, FrameResult | FrameFailed):
            logger.error("worker %d sent an unexpected %r", worker.index, message)
            return
        future = worker.pending.get(message.session_id)
        if future is None or future.done():
            return  # the session closed while its frame was in the worker
        if isinstance(message, FrameFailed):
            future.set_exception(FrameRejectedError(message.message))
        else:
            future.set_result(message)

    def _detach(self, worker: _Worker) -> None:
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(worker.connection.fileno())

    def _worker_lost(self, worker: _Worker) -> None:
        """Fail everything in a dead or hung worker and start a replacement."""
        if not worker.alive:
            return
        worker.alive = False
        self._detach(worker)
        if worker.process.is_alive():
            worker.process.kill()
        logger.error(
            "worker %d (pid %s) was lost with %d session(s)",
            worker.index,
            worker.process.pid,
            len(worker.sessions),
        )
        crash = WorkerCrashedError(f"worker {worker.index} died; its sessions' state is lost")
        for future in worker.pending.values():
            if not future.done():
                future.set_exception(crash)
        if not worker.ready.done():
            worker.ready.set_exception(PoolError(f"worker {worker.index} died while starting"))
        if self._running:
            task = asyncio.get_running_loop().create_task(self._replace(worker))
            self._restarts.add(task)
            task.add_done_callback(self._restarts.discard)

    async def _replace(self, lost: _Worker) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lost.process.join, WORKER_STOP_TIMEOUT_S)
        lost.connection.close()
        replacement = self._spawn(lost.index)
        # Sessions of the lost worker stay mapped to it (dead): their next frame fails, and
        # their owners close them. New sessions go to the replacement.
        self._workers[lost.index] = replacement
        try:
            await self._await_ready(replacement)
        except PoolError:
            logger.exception("replacement for worker %d failed to start", lost.index)
            self._worker_lost(replacement)

    def _slot_for(self, session_id: str, size_bytes: int) -> _Slot:
        slot = self._slots.get(session_id)
        if slot is not None and slot.capacity_bytes >= size_bytes:
            return slot
        if slot is not None:
            _release(slot.memory)
        slot = _Slot(SharedMemory(create=True, size=size_bytes), size_bytes)
        self._slots[session_id] = slot
        return slot

    async def _write_frame(self, frame: av.VideoFrame, slot: _Slot) -> FrameLayout:
        width, height = frame.width, frame.height
        if frame.format.name == "yuv420p" and width % 2 == 0 and height % 2 == 0:
            planes = frame.to_ndarray()
            np.copyto(
                np.ndarray((height * 3 // 2, width), dtype=np.uint8, buffer=slot.memory.buf),
                planes,
            )
            return FrameLayout.I420
        # Rare (odd sizes, other pixel formats): convert on a thread, not on the event loop.
        convert = functools.partial(frame.to_ndarray, format="bgr24")
        image_bgr = await asyncio.get_running_loop().run_in_executor(None, convert)
        np.copyto(np.ndarray((height, width, 3), dtype=np.uint8, buffer=slot.memory.buf), image_bgr)
        return FrameLayout.BGR


def _read_frame(
    memory: SharedMemory, layout: FrameLayout, width: int, height: int
) -> av.VideoFrame:
    """A copy of the frame in a slot, as a video frame."""
    if layout is FrameLayout.I420:
        planes = np.ndarray((height * 3 // 2, width), dtype=np.uint8, buffer=memory.buf)
        return av.VideoFrame.from_ndarray(planes, format="yuv420p")
    image_bgr = np.ndarray((height, width, 3), dtype=np.uint8, buffer=memory.buf)
    return av.VideoFrame.from_ndarray(image_bgr, format="bgr24")


def _release(memory: SharedMemory) -> None:
    memory.close()
    with contextlib.suppress(FileNotFoundError):
        memory.unlink()
