"""A test double with the tracker's interface, for worker-pool mechanics only.

It does no vision: a frame "has a face" when its mean brightness is above mid-grey. It sleeps to
stand in for work, refuses timestamps that go backwards (so out-of-order delivery fails loudly),
and kills its process on an all-black frame (to stand in for a native crash).

Its work counters follow a fixed rule (:func:`expected_work` states it for a run of frames): a
frame without a face, and the first with one, count a face search (the first also two iris eyes);
the n-th face frame after that is tracked, with one iris eye on even n (a single-eye frame) and
two otherwise, its landmark fit reused when n is a multiple of 3, and a detector check when n is a
multiple of 4.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gazertc.errors import InputError
from gazertc.server.pipeline_work import PipelineWork
from gazertc.vision.frame import CameraFrame
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.types import GazeSample, StageTimings, TrackedFrame, TrackingState

BRIGHT_FACE_LEVEL = 128
CRASH_LEVEL = 2
REJECT_WIDTH_PX = 34
"""Frames exactly this wide are refused with an InputError, like the real tracker's bad input."""
CHECK_INTERVAL_FRAMES = 4
REUSE_INTERVAL_FRAMES = 3


@dataclass
class FakeIrisCounts:
    eyes_located: int = 0
    single_eye_frames: int = 0


@dataclass
class FakeReuseCounts:
    reuses: int = 0


class FakeTracker:
    def __init__(self, work_s: float) -> None:
        self._work_s = work_s
        self._frame_index = 0
        self._last_timestamp_ns = -1
        self._intrinsics: CameraIntrinsics | None = None
        self._tracked_run = 0
        """Face frames since the face was found (0: no face in the previous frame)."""
        self._face_before = False
        self.iris_schedule = FakeIrisCounts()
        self.fit_reuse = FakeReuseCounts()
        self.detector_calls = 0
        self.frames_since_detector_check = 0

    @property
    def intrinsics(self) -> CameraIntrinsics | None:
        return self._intrinsics

    def track_frame(self, frame: CameraFrame, timestamp_unix_ns: int) -> TrackedFrame:
        started = time.perf_counter()
        image_bgr = frame.bgr()
        height, width = image_bgr.shape[:2]
        if width == REJECT_WIDTH_PX:
            raise InputError(f"fake tracker refuses frames {REJECT_WIDTH_PX} px wide")
        if timestamp_unix_ns <= self._last_timestamp_ns:
            raise InputError(
                f"timestamps went backwards: {timestamp_unix_ns} after {self._last_timestamp_ns}"
            )
        self._last_timestamp_ns = timestamp_unix_ns
        level = float(image_bgr.mean())
        if level < CRASH_LEVEL:
            os._exit(3)
        time.sleep(self._work_s)
        self._intrinsics = CameraIntrinsics.from_frame_size(width, height)
        found = level > BRIGHT_FACE_LEVEL
        sample = GazeSample(
            timestamp_unix_ns=timestamp_unix_ns,
            frame_index=self._frame_index,
            frame_width_px=width,
            frame_height_px=height,
            face_found=found,
            tracking=self._count_work(found),
        )
        self._frame_index += 1
        return TrackedFrame(sample, StageTimings(total_ms=(time.perf_counter() - started) * 1000.0))

    def _count_work(self, found: bool) -> TrackingState:
        """Move the counters by the rule in the module docstring."""
        tracked = found and self._face_before
        self._face_before = found
        if not tracked:
            self._tracked_run = 0
            self.detector_calls += 1
            self.frames_since_detector_check = 0
            self.iris_schedule.eyes_located += 2 if found else 0
            return TrackingState.DETECTED if found else TrackingState.LOST
        self._tracked_run += 1
        run = self._tracked_run
        single_eye = run % 2 == 0
        self.iris_schedule.eyes_located += 1 if single_eye else 2
        self.iris_schedule.single_eye_frames += int(single_eye)
        self.fit_reuse.reuses += int(run % REUSE_INTERVAL_FRAMES == 0)
        checked = run % CHECK_INTERVAL_FRAMES == 0
        self.frames_since_detector_check = 0 if checked else self.frames_since_detector_check + 1
        return TrackingState.TRACKED


def expected_work(faces: Sequence[bool]) -> PipelineWork:
    """The work the rule in the module docstring counts for one session's frames (``True``: a
    frame with a face), written out apart from the tracker so that a test can compare."""
    searches = checks = reuses = eyes = single_eye = 0
    run = -1  # face frames tracked since the last search; -1: no face
    for face in faces:
        if not face or run < 0:
            searches += 1
            eyes += 2 if face else 0
            run = 0 if face else -1
            continue
        run += 1
        single_eye += int(run % 2 == 0)
        eyes += 1 if run % 2 == 0 else 2
        reuses += int(run % REUSE_INTERVAL_FRAMES == 0)
        checks += int(run % CHECK_INTERVAL_FRAMES == 0)
    return PipelineWork(
        frames_tracked=len(faces),
        face_searches=searches,
        detector_checks=checks,
        landmark_fits_skipped=reuses,
        iris_eyes_located=eyes,
        single_eye_iris_frames=single_eye,
    )


SLOW_WARM_UP_S = 5.0
"""A worker that starts while the slow-start file exists takes this long to be ready: longer
than any test waits for a replacement, so a test can act while one is surely starting."""


class FakeTrackerFactory:
    def __init__(self, work_s: float = 0.0, slow_start_file: Path | None = None) -> None:
        self.work_s = work_s
        self.slow_start_file = slow_start_file
        self.warmed_up = False

    def warm_up(self) -> None:
        if self.slow_start_file is not None and self.slow_start_file.exists():
            time.sleep(SLOW_WARM_UP_S)
        self.warmed_up = True

    def create(self) -> FakeTracker:
        return FakeTracker(self.work_s)
