"""Worker processes that run the vision pipeline off the event loop, across all cores.

Why processes: the pipeline mixes native code with plenty of Python and numpy work that holds
the GIL, so threads would both serialise on one core and delay the event loop (``bench/server.py``
measures it). Each worker process owns the trackers of the sessions assigned to it (session
affinity: a session's pipeline state never moves), and loads the models once for all of them.

Workers are forked from a ``forkserver`` that has loaded the landmark model
(:mod:`gazertc.server.fork_server`), so all of them share one copy of its ~100 MB instead of
holding one each.

Frames travel through one shared-memory slot per session (:mod:`gazertc.server.frame_slots`):
the event loop copies the decoded I420 planes in (1.5 bytes per pixel, ~0.1 ms for 640x480), the
worker converts to BGR, runs the tracker and, when asked, draws the annotations and writes the
annotated frame back as I420 into the same slot. Only small messages cross the pipe, so a busy
worker never blocks the event loop on a write.

Each result carries what the tracker ran and skipped for its frame
(:class:`gazertc.server.pipeline_work.PipelineWork`); the pool sums them over all sessions into
:attr:`WorkerPool.work_done`, for ``GET /health`` and the benchmarks.

A session has at most one frame in a worker at a time, and :meth:`WorkerPool.process` refuses a
second: callers wait for the result, then take the newest frame (latest-frame semantics, see
:mod:`gazertc.server.tracks`). Results therefore come back in order per session, and a worker's
backlog is bounded by the number of its sessions.

A worker that dies (its pipe closes) or hangs (it has work and answers nothing for
``frame_timeout_s``) is killed and replaced at once. Its sessions stay open: each is told once,
by :class:`WorkerCrashedError` from its next (or in-flight) :meth:`WorkerPool.process`, and the
calls after that wait for the replacement and carry on with a fresh tracker. A replacement that
dies while starting is retried after a growing pause, so a broken installation does not spin.

Errors::

    GazertcError
    └── PoolError
        ├── PoolClosedError       the pool is not running
        ├── WorkerCrashedError    the worker holding the session died or hung; the session's
        │                         tracker state is lost, later frames go to a fresh one
        └── FrameRejectedError    the tracker refused this frame; the session lives on
            └── FrameTooLargeError    the frame has more pixels than the server accepts
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import time
from dataclasses import dataclass, field
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Final

import av

from gazertc.errors import GazertcError
from gazertc.server.fork_server import start_fork_server
from gazertc.server.frame_slots import FrameSlots, read_frame, write_frame
from gazertc.server.pipeline_work import PipelineWork
from gazertc.server.worker import (
    CloseSession,
    FrameFailed,
    FrameJob,
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

WORKER_START_TIMEOUT_S: Final = 120.0
"""The first worker waits for the fork server to import numpy, OpenCV and dlib and load the
landmark model (2.5 s measured on a warm disk, 20 s on a machine busy with other work, much
longer on a slow disk); later ones fork from it and load only the iris network."""
WORKER_STOP_TIMEOUT_S: Final = 1.0
"""A worker told to stop finishes its current frame (at most ~0.1 s) and exits; one that is
still there after this is killed, so that a server shutdown stays within its 5 s."""
DEFAULT_FRAME_TIMEOUT_S: Final = 3.0
"""The slowest frame measured takes ~0.1 s (1920x1080, full-frame face detection); a worker
that has work and answers nothing for 30 times that is hung, and is replaced."""
RESTART_PAUSE_S: Final = 0.5
"""Pause before retrying a replacement that died while starting; doubles per failure."""
RESTART_PAUSE_MAX_S: Final = 30.0
"""Longest pause between attempts to start a worker that keeps dying while starting."""


class PoolError(GazertcError):
    """The worker pool could not process a frame."""


class PoolClosedError(PoolError):
    """The pool is not running (not started yet, or closed)."""


class WorkerCrashedError(PoolError):
    """The worker holding a session died or hung; the session's pipeline state is lost.

    The session stays open in the pool: its next frames go to a fresh tracker in the
    replacement worker.
    """


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
class _Worker:
    index: int
    process: multiprocessing.process.BaseProcess
    connection: multiprocessing.connection.Connection
    ready: asyncio.Future[int]
    spawned_s: float
    """When it was spawned (``time.monotonic``); also stands for its last answer until one."""
    sessions: set[str] = field(default_factory=set)
    pending: dict[str, asyncio.Future[FrameResult]] = field(default_factory=dict)
    alive: bool = True
    last_answer_s: float = 0.0
    """When it last sent anything (``time.monotonic``): a busy worker answers often."""

    @property
    def usable(self) -> bool:
        """Alive and done starting."""
        return self.alive and self.ready.done() and not self.ready.cancelled()


class WorkerPool:
    """A fixed number of worker processes; each session's pipeline lives in one of them.

    Use from one event loop: ``await start()``, then ``open_session``/``process``/
    ``close_session`` per session, then ``await close()``.

    Args:
        worker_count: processes to run (at least 1); the machine's core count is a good default.
        factory: makes trackers in the workers; the real pipeline by default.
        max_frame_pixels: larger frames are rejected with :class:`FrameRejectedError`.
        frame_timeout_s: a worker that has a frame to answer and sends nothing for this long
            is hung: it is killed and replaced (its sessions get :class:`WorkerCrashedError`
            once, then carry on).
        share_models: fork the workers from a fork server holding the landmark model (one
            copy for all); ``False`` spawns each worker afresh, loading its own copy (the
            benchmark's "before").

    Attributes:
        worker_start_s: how long each worker took to start (spawn to models loaded), in
            start order, replacements included.
        workers_lost: workers that died or hung (each is replaced).
        work_done: the pipeline work of every frame tracked since the pool was made, all
            sessions together (a lost worker's frames included).
    """

    def __init__(
        self,
        worker_count: int,
        *,
        factory: TrackerFactory | None = None,
        max_frame_pixels: int = 1920 * 1080,
        frame_timeout_s: float = DEFAULT_FRAME_TIMEOUT_S,
        share_models: bool = True,
    ) -> None:
        if worker_count < 1:
            raise ValueError(f"worker_count must be at least 1, got {worker_count}")
        self._worker_count = worker_count
        self._factory: TrackerFactory = factory or PipelineTrackerFactory()
        self._max_frame_pixels = max_frame_pixels
        self._frame_timeout_s = frame_timeout_s
        self._share_models = share_models
        self._context: ForkServerContext | SpawnContext = (
            multiprocessing.get_context("forkserver")
            if share_models
            else multiprocessing.get_context("spawn")
        )
        self._workers: list[_Worker] = []
        self._session_worker: dict[str, _Worker] = {}
        self._slots = FrameSlots()
        self._running = False
        self._restarts: set[asyncio.Task[None]] = set()
        self._stranded: set[str] = set()
        """Sessions whose worker was lost while they had no frame in it: not told yet."""
        self._workers_changed = asyncio.Event()
        self._start_failures = 0
        self.worker_start_s: list[float] = []
        self.workers_lost = 0
        self.work_done = PipelineWork()

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
        self._running = True
        self._workers = list(
            await asyncio.gather(*(self._spawn(index) for index in range(self._worker_count)))
        )
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
            PoolClosedError: the pool is not running, or closed while the frame was processed.
            KeyError: the session is not open.
            RuntimeError: the session already has a frame in flight.
            FrameTooLargeError: the frame has more than ``max_frame_pixels`` pixels.
            FrameRejectedError: the tracker refused the frame.
            WorkerCrashedError: the session's worker died or hung.
        """
        if not self._running:
            raise PoolClosedError("the worker pool is not running")
        worker = self._session_worker[session_id]
        if session_id in self._stranded:
            self._stranded.discard(session_id)
            raise WorkerCrashedError(
                f"the worker of session {session_id} was lost; its tracker starts over"
            )
        if not worker.usable:
            worker = await self._usable_worker(session_id)
        if session_id in worker.pending:
            raise RuntimeError(f"session {session_id} already has a frame in flight")
        width, height = frame.width, frame.height
        if width * height > self._max_frame_pixels:
            raise FrameTooLargeError(
                f"frame of {width}x{height} exceeds the limit of {self._max_frame_pixels} pixels"
            )
        slot = self._slots.slot_for(session_id, width, height)
        layout = await write_frame(frame, slot)
        job = FrameJob(session_id, slot.memory.name, layout, width, height, meta, annotate)
        result_future: asyncio.Future[FrameResult] = asyncio.get_running_loop().create_future()
        if not worker.pending:
            worker.last_answer_s = time.monotonic()  # idle until now: the silence starts here
        worker.pending[session_id] = result_future
        try:
            if not worker.alive:  # lost while the frame was being written
                raise BrokenPipeError(f"worker {worker.index} is gone")
            worker.connection.send(job)
            result = await self._answer(worker, session_id, result_future)
        except asyncio.CancelledError:
            # The frame itself was withdrawn (the caller's own cancellation leaves the shielded
            # future alone): by close(), which its caller must hear as the pool closing.
            if result_future.cancelled() and not self._running:
                raise PoolClosedError(
                    "the worker pool closed while the frame was processed"
                ) from None
            raise
        except OSError as exc:  # a broken or closed pipe
            self._lose_in_flight(worker, session_id, result_future, "died")
            raise WorkerCrashedError(
                f"the worker of session {session_id} died; its tracker starts over"
            ) from exc
        finally:
            if worker.pending.get(session_id) is result_future:
                del worker.pending[session_id]
        annotated = None
        if result.annotated:
            annotated = read_frame(slot.memory, layout, width, height)
            annotated.pts = frame.pts
            if frame.time_base is not None:
                annotated.time_base = frame.time_base
        return ProcessedFrame(result, annotated)

    async def _answer(
        self, worker: _Worker, session_id: str, result_future: asyncio.Future[FrameResult]
    ) -> FrameResult:
        """Wait for a frame's result while its worker keeps answering something."""
        while True:
            try:
                return await asyncio.wait_for(
                    asyncio.shield(result_future), timeout=self._frame_timeout_s
                )
            except TimeoutError as exc:
                silent_s = time.monotonic() - worker.last_answer_s
                if silent_s < self._frame_timeout_s:
                    continue  # busy with other sessions' frames, and answering them
                logger.error(
                    "worker %d has answered nothing for %.1f s; replacing it",
                    worker.index,
                    silent_s,
                )
                self._lose_in_flight(worker, session_id, result_future, "hung")
                raise WorkerCrashedError(
                    f"the worker of session {session_id} hung; its tracker starts over"
                ) from exc

    def _lose_in_flight(
        self,
        worker: _Worker,
        session_id: str,
        result_future: asyncio.Future[FrameResult],
        how: str,
    ) -> None:
        """The worker was lost while this session's frame was in it; the caller tells it."""
        worker.pending.pop(session_id, None)
        result_future.cancel()
        self._worker_lost(worker, how)
        self._stranded.discard(session_id)

    async def _usable_worker(self, session_id: str) -> _Worker:
        """Wait until the session's worker (a replacement, once its first was lost) is ready.

        Raises:
            PoolClosedError: the pool closed meanwhile.
            WorkerCrashedError: no worker could be started within ``WORKER_START_TIMEOUT_S``
                (plus the pauses between attempts).
        """
        deadline_s = time.monotonic() + WORKER_START_TIMEOUT_S + RESTART_PAUSE_MAX_S
        while True:
            if not self._running:
                raise PoolClosedError("the worker pool is not running")
            worker = self._session_worker[session_id]
            if worker.usable:
                return worker
            remaining_s = deadline_s - time.monotonic()
            if remaining_s <= 0:
                raise WorkerCrashedError(
                    f"no worker for session {session_id} could be started within "
                    f"{WORKER_START_TIMEOUT_S:g} s"
                )
            self._workers_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._workers_changed.wait(), remaining_s)

    def close_session(self, session_id: str) -> None:
        """Forget a session: its worker drops its tracker and its slot is freed. Idempotent."""
        self._stranded.discard(session_id)
        worker = self._session_worker.pop(session_id, None)
        if worker is not None:
            worker.sessions.discard(session_id)
            future = worker.pending.pop(session_id, None)
            if future is not None and not future.done():
                future.cancel()  # its caller is being torn down with the session
            if worker.alive:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    worker.connection.send(CloseSession(session_id))
        self._slots.release(session_id)

    async def close(self) -> None:
        """Stop every worker and free every slot; a worker that does not stop within
        ``WORKER_STOP_TIMEOUT_S`` is killed. Idempotent."""
        self._running = False
        self._workers_changed.set()  # callers waiting for a replacement give up
        restarts = list(self._restarts)
        for task in restarts:
            task.cancel()
        await asyncio.gather(*restarts, return_exceptions=True)
        for session_id in list(self._session_worker):
            self.close_session(session_id)
        workers, self._workers = self._workers, []
        for worker in workers:
            self._detach(worker)
            if worker.alive:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    worker.connection.send(StopWorker())
        await asyncio.gather(*(self._stop(worker) for worker in workers))
        self._slots.release_all()

    async def _stop(self, worker: _Worker) -> None:
        """Wait for a worker told to stop (or already dead), kill it when late, and reap it."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, worker.process.join, WORKER_STOP_TIMEOUT_S)
        if worker.process.is_alive():
            logger.warning("worker %d did not stop; killing it", worker.index)
            worker.process.kill()
            await loop.run_in_executor(None, worker.process.join, WORKER_STOP_TIMEOUT_S)
        worker.connection.close()
        with contextlib.suppress(ValueError):  # still running after a failed kill
            worker.process.close()

    async def _spawn(self, index: int) -> _Worker:
        loop = asyncio.get_running_loop()
        spawned_s = time.monotonic()
        # Off the event loop: the first fork waits for the fork server to load the model.
        process, parent_end = await loop.run_in_executor(None, self._start_process, index)
        worker = _Worker(
            index, process, parent_end, loop.create_future(), spawned_s, last_answer_s=spawned_s
        )
        loop.add_reader(parent_end.fileno(), self._on_readable, worker)
        return worker

    def _start_process(
        self, index: int
    ) -> tuple[multiprocessing.process.BaseProcess, multiprocessing.connection.Connection]:
        if self._share_models:
            start_fork_server()  # a no-op while it runs; restarts it if it died
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main,
            args=(child_end, self._factory),
            name=f"gazertc-worker-{index}",
            daemon=True,
        )
        process.start()
        child_end.close()
        return process, parent_end

    async def _await_ready(self, worker: _Worker) -> None:
        try:
            pid = await asyncio.wait_for(asyncio.shield(worker.ready), WORKER_START_TIMEOUT_S)
        except TimeoutError as exc:
            raise PoolError(
                f"worker {worker.index} did not start within {WORKER_START_TIMEOUT_S} s"
            ) from exc
        start_s = time.monotonic() - worker.spawned_s
        self.worker_start_s.append(start_s)
        self._start_failures = 0
        self._workers_changed.set()
        logger.info("worker %d ready (pid %d) after %.2f s", worker.index, pid, start_s)

    def _on_readable(self, worker: _Worker) -> None:
        try:
            while worker.connection.poll():
                message = worker.connection.recv()
                self._dispatch(worker, message)
        except (EOFError, ConnectionResetError, OSError):
            self._worker_lost(worker, "died")

    def _dispatch(self, worker: _Worker, message: object) -> None:
        worker.last_answer_s = time.monotonic()
        if isinstance(message, WorkerReady):
            if not worker.ready.done():
                worker.ready.set_result(message.pid)
            return
        if not isinstance(message, FrameResult | FrameFailed):
            logger.error("worker %d sent an unexpected %r", worker.index, message)
            return
        if isinstance(message, FrameResult):  # counted even if its session closed meanwhile
            self.work_done += message.work
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

    def _worker_lost(self, worker: _Worker, how: str) -> None:
        """Kill a dead or hung worker, tell its sessions, and start its replacement.

        A session with a frame in the worker gets :class:`WorkerCrashedError` for that frame;
        the others get it from their next :meth:`process`.
        """
        if not worker.alive:
            return
        worker.alive = False
        self.workers_lost += 1
        self._detach(worker)
        if worker.process.is_alive():
            worker.process.kill()
        logger.error(
            "worker %d (pid %s) %s with %d session(s)",
            worker.index,
            worker.process.pid,
            how,
            len(worker.sessions),
        )
        crash = WorkerCrashedError(
            f"worker {worker.index} {how}; its sessions' trackers start over"
        )
        for session_id in worker.sessions:
            future = worker.pending.get(session_id)
            if future is not None and not future.done():
                future.set_exception(crash)
            else:
                self._stranded.add(session_id)
        if not worker.ready.done():
            worker.ready.set_exception(PoolError(f"worker {worker.index} died while starting"))
        if self._running:
            task = asyncio.get_running_loop().create_task(self._replace(worker))
            self._restarts.add(task)
            task.add_done_callback(self._restarts.discard)

    async def _replace(self, lost: _Worker) -> None:
        """Start a worker in the lost one's place and hand it the lost one's sessions."""
        if lost.ready.done() and lost.ready.exception() is not None:
            # It died while starting: pause before trying again, longer each time.
            pause_s = min(RESTART_PAUSE_MAX_S, RESTART_PAUSE_S * 2**self._start_failures)
            self._start_failures += 1
            logger.warning("retrying worker %d in %.1f s", lost.index, pause_s)
            await asyncio.sleep(pause_s)
        replacement = await self._spawn(lost.index)
        if not self._running:  # the pool closed meanwhile
            self._detach(replacement)
            replacement.process.kill()
            await self._stop(replacement)
            return
        replacement.sessions, lost.sessions = lost.sessions, set()
        for session_id in replacement.sessions:
            self._session_worker[session_id] = replacement
        self._workers[lost.index] = replacement
        self._workers_changed.set()
        await self._stop(lost)  # already killed: reaps it and closes its pipe
        try:
            await self._await_ready(replacement)
        except PoolError:
            logger.exception("replacement for worker %d failed to start", lost.index)
            self._worker_lost(replacement, "did not start")
