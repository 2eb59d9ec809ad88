"""A test double with the tracker's interface, for worker-pool mechanics only.

It does no vision: a frame "has a face" when its mean brightness is above mid-grey. It sleeps to
stand in for work, refuses timestamps that go backwards (so out-of-order delivery fails loudly),
and kills its process on an all-black frame (to stand in for a native crash).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from gazertc.errors import InputError
from gazertc.vision.frame import CameraFrame
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.types import GazeSample, StageTimings, TrackedFrame, TrackingState

BRIGHT_FACE_LEVEL = 128
CRASH_LEVEL = 2
REJECT_WIDTH_PX = 34
"""Frames exactly this wide are refused with an InputError, like the real tracker's bad input."""


class FakeTracker:
    def __init__(self, work_s: float) -> None:
        self._work_s = work_s
        self._frame_index = 0
        self._last_timestamp_ns = -1
        self._intrinsics: CameraIntrinsics | None = None

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
            tracking=TrackingState.DETECTED if found else TrackingState.LOST,
        )
        self._frame_index += 1
        return TrackedFrame(sample, StageTimings(total_ms=(time.perf_counter() - started) * 1000.0))


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
