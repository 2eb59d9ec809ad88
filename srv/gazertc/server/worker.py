"""The worker side of :mod:`gazertc.server.pool`: what runs inside each worker process, and the
messages that cross the pipe between the pool and its workers.

A worker serves :class:`FrameJob` requests until it gets :class:`StopWorker` or its pipe
closes: it reads the frame from the session's shared-memory slot, runs the session's tracker,
draws the annotations when asked, and answers with a :class:`FrameResult` (or
:class:`FrameFailed` when the tracker refused the frame). The sample goes back twice: as typed
values for the event loop's consumers and as the JSON text the session sends, encoded here so
that the event loop neither encodes nor parses it.
"""

from __future__ import annotations

import multiprocessing.connection
import os
import signal
import time
from collections.abc import Sized
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import SharedMemory
from typing import TYPE_CHECKING, Any, Final, Protocol

import cv2
import numpy as np

from gazertc.errors import InputError
from gazertc.records import SampleMessage, SampleTiming
from gazertc.server.pipeline_work import CountingTracker, PipelineWork, counter_reading, frame_work

if TYPE_CHECKING:
    from gazertc.vision.frame import CameraFrame
    from gazertc.vision.headpose import CameraIntrinsics
    from gazertc.vision.types import TrackedFrame

__all__ = [
    "WORKER_NICE_INCREMENT",
    "CloseSession",
    "FrameFailed",
    "FrameJob",
    "FrameLayout",
    "FrameMeta",
    "FrameResult",
    "PipelineTrackerFactory",
    "StopWorker",
    "TrackerFactory",
    "TrackerLike",
    "WorkerReady",
    "attach_slot",
    "worker_main",
]


WORKER_NICE_INCREMENT: Final = 10
"""Workers run at a lower CPU priority than the event loop: with every core busy tracking, the
loop (decoding, sending samples, answering HTTP) still gets the CPU the moment it needs it
(about a tenth of a core for 8 sessions), instead of queueing behind the workers."""


class TrackerLike(CountingTracker, Protocol):
    """The part of :class:`gazertc.vision.tracker.GazeTracker` the workers use: tracking, and
    the counters each frame's :class:`PipelineWork` is read from."""

    @property
    def intrinsics(self) -> CameraIntrinsics | None: ...

    def track_frame(self, frame: CameraFrame, timestamp_unix_ns: int) -> TrackedFrame: ...


class TrackerFactory(Protocol):
    """Makes trackers inside a worker process. Must be picklable before :meth:`warm_up`."""

    def warm_up(self) -> None:
        """Load models once per worker, before the first session arrives."""

    def create(self) -> TrackerLike:
        """A fresh tracker for one session."""


class PipelineTrackerFactory:
    """The real pipeline: one set of models per worker, shared by its sessions' trackers."""

    def __init__(self) -> None:
        self._models: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"_models": None}

    def warm_up(self) -> None:
        # Loaded in the worker; shared_models holds the fork server's copy of the landmark
        # model (or, in a spawned worker, loads its own at this import).
        from gazertc.server.shared_models import SharedLandmarkPredictor  # noqa: PLC0415
        from gazertc.vision.tracker import PipelineModels  # noqa: PLC0415

        self._models = PipelineModels(predictor=SharedLandmarkPredictor())
        self._models.warm_up()

    def create(self) -> TrackerLike:
        from gazertc.vision.tracker import GazeTracker  # noqa: PLC0415  (loaded in the worker)

        if self._models is None:
            self.warm_up()
        tracker: TrackerLike = GazeTracker(models=self._models)
        return tracker


class FrameLayout(StrEnum):
    """How a frame sits in its shared-memory slot."""

    I420 = "i420"
    """Planar Y, U, V (4:2:0), ``(height * 3 / 2, width)`` bytes: the decoder's own format."""
    BGR = "bgr"
    """``(height, width, 3)`` bytes: used for odd sizes and formats other than yuv420p."""


@dataclass(frozen=True, slots=True)
class FrameMeta:
    """Bookkeeping for one frame of one session (all copied into its ``sample`` message)."""

    frame_id: int
    pts_90khz: int
    timestamp_unix_ns: int
    received_unix_ns: int


@dataclass(frozen=True, slots=True)
class FrameJob:
    session_id: str
    shm_name: str
    layout: FrameLayout
    width_px: int
    height_px: int
    meta: FrameMeta
    annotate: bool


@dataclass(frozen=True, slots=True)
class CloseSession:
    session_id: str


@dataclass(frozen=True, slots=True)
class StopWorker:
    pass


@dataclass(frozen=True, slots=True)
class WorkerReady:
    pid: int


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What a worker returns for one frame.

    ``message`` is the ``sample`` message as typed values (no ``screen_point``: calibration
    runs in the main process), ``message_json`` the same message already encoded in the
    worker, so that the event loop forwards it without encoding or parsing it again.
    ``worker_ms`` covers conversion, tracking, annotation and encoding; ``work`` is what the
    tracker ran and skipped for this frame (the pool sums it for ``GET /health``).
    """

    session_id: str
    message: SampleMessage
    message_json: str
    worker_ms: float
    annotated: bool
    worker_pid: int
    work: PipelineWork


@dataclass(frozen=True, slots=True)
class FrameFailed:
    session_id: str
    frame_id: int
    message: str


def worker_main(connection: multiprocessing.connection.Connection, factory: TrackerFactory) -> None:
    """Entry point of a worker process: serve frame jobs until told to stop or the pipe closes."""
    # Ctrl-C reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICE_INCREMENT)
    # The workers already fill the cores; OpenCV's own threads would compete with the others.
    cv2.setNumThreads(1)
    factory.warm_up()
    connection.send(WorkerReady(os.getpid()))
    trackers: dict[str, TrackerLike] = {}
    slots: dict[str, SharedMemory] = {}
    try:
        while True:
            try:
                request = connection.recv()
            except EOFError:
                return
            if isinstance(request, StopWorker):
                return
            if isinstance(request, CloseSession):
                trackers.pop(request.session_id, None)
                slot = slots.pop(request.session_id, None)
                if slot is not None:
                    slot.close()
                continue
            job: FrameJob = request
            slot = slots.get(job.session_id)
            if slot is None or slot.name != job.shm_name:
                if slot is not None:
                    slot.close()
                    del slots[job.session_id]
                try:
                    slot = slots[job.session_id] = attach_slot(job.shm_name)
                except FileNotFoundError:
                    # The session closed (and the pool freed its slot) while this frame waited
                    # in the pipe: the pool drops the answer.
                    connection.send(
                        FrameFailed(job.session_id, job.meta.frame_id, "the session closed")
                    )
                    continue
            tracker = trackers.get(job.session_id)
            if tracker is None:
                tracker = trackers[job.session_id] = factory.create()
            try:
                reply: FrameResult | FrameFailed = _process_job(job, slot, tracker)
            except InputError as exc:
                reply = FrameFailed(job.session_id, job.meta.frame_id, str(exc))
            connection.send(reply)
    finally:
        for slot in slots.values():
            slot.close()


def attach_slot(name: str) -> SharedMemory:
    """Map a slot the pool created, without registering it with the resource tracker.

    Python 3.11 registers every attached segment as if the attaching process owned it (3.13
    adds ``track=False``). The pool owns the slots: it registers each when it creates it and
    unregisters it when it unlinks it. A worker's registration could reach the tracker after
    the pool's unregistration (a session closing while its frame is in the worker); the
    tracker would then count the slot as leaked and unlink it again at shutdown, warning.

    Raises:
        FileNotFoundError: the pool has already freed the slot.
    """
    register = resource_tracker.register
    resource_tracker.register = _not_registered  # a worker is single-threaded
    try:
        return SharedMemory(name=name)
    finally:
        resource_tracker.register = register


def _not_registered(name: Sized, rtype: str) -> None:
    del name, rtype


def _process_job(job: FrameJob, slot: SharedMemory, tracker: TrackerLike) -> FrameResult:
    # Worker-only imports.
    from gazertc.vision.annotate import draw_sample  # noqa: PLC0415
    from gazertc.vision.frame import CameraFrame  # noqa: PLC0415

    started = time.perf_counter()
    width, height = job.width_px, job.height_px
    if job.layout is FrameLayout.I420:
        # Read in place (the pool writes a session's slot only between its frames): grey comes
        # from the Y plane, colour only for the eye crops.
        i420 = np.ndarray((height * 3 // 2, width), dtype=np.uint8, buffer=slot.buf)
        frame = CameraFrame.from_i420(i420, width, height)
    else:
        frame = CameraFrame.from_bgr(
            np.ndarray((height, width, 3), dtype=np.uint8, buffer=slot.buf).copy()
        )
    before = counter_reading(tracker)
    tracked = tracker.track_frame(frame, job.meta.timestamp_unix_ns)
    work = frame_work(before, tracker, tracked)
    annotated = False
    if job.annotate:
        image_bgr = frame.bgr()  # converted here for I420: a new array, not the slot
        intrinsics = tracker.intrinsics
        if intrinsics is not None:
            draw_sample(image_bgr, tracked.sample, intrinsics)
        if job.layout is FrameLayout.I420:
            output = np.ndarray((height * 3 // 2, width), dtype=np.uint8, buffer=slot.buf)
            cv2.cvtColor(image_bgr, cv2.COLOR_BGR2YUV_I420, dst=output)
        else:
            np.copyto(np.ndarray((height, width, 3), dtype=np.uint8, buffer=slot.buf), image_bgr)
        annotated = True
    message = SampleMessage(
        tracked.sample,
        SampleTiming(
            frame_id=job.meta.frame_id,
            pts_90khz=job.meta.pts_90khz,
            received_unix_ns=job.meta.received_unix_ns,
            processed_unix_ns=time.time_ns(),
            processing_ms=tracked.stages.total_ms,
            stages=tracked.stages,
        ),
    )
    return FrameResult(
        session_id=job.session_id,
        message=message,
        message_json=message.to_json(),
        worker_ms=(time.perf_counter() - started) * 1000.0,
        annotated=annotated,
        worker_pid=os.getpid(),
        work=work,
    )
