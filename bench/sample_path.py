"""What it costs to get one sample from the tracker to the session, before and after the typed
sample path, measured in the same run on the same real frames (cap12 scaled to 640x480).

Worker side, per frame:

* before: ``dataclasses.asdict`` of the sample, a recursive pass that turns tuples into lists,
  enums into values and rounds floats, the ``sample`` message around it, ``json.dumps`` (the
  worker's path until issue 10, rebuilt here as the baseline);
* after: the records' hand-written ``SampleMessage.to_dict()`` and ``json.dumps``.

Event-loop side, per frame, for the session's consumers (fixations, monitor trace, LSL,
recording, calibration): before, ``json.loads`` of the worker's text into a dict read by key;
after, unpickling the typed :class:`~gazertc.records.SampleMessage` that came with the text.
The worker's time per frame is the tracker's time plus the encoding, so the table also gives
that total for both paths.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import time
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import cv2

from bench.pipeline import TIMED_FRAMES, VIDEO, fit_to, load_frames
from bench.report import median, print_table
from gazertc.records import SampleMessage, SampleTiming
from gazertc.vision.tracker import GazeTracker, PipelineModels
from gazertc.vision.types import STAGES, TrackedFrame

FRAME_NS = 40_000_000
SIZE_PX = (640, 480)
REPEATS = 5
"""Each encoding is timed this many times per frame and the median kept: single calls of tens
of microseconds are at the mercy of the scheduler."""


def _baseline_jsonable(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {key: _baseline_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_baseline_jsonable(item) for item in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def _baseline_encode(tracked: TrackedFrame, timing: SampleTiming) -> str:
    """The worker's encoding before the typed path: asdict, then a generic pass."""
    message: dict[str, Any] = {
        "v": 1,
        "type": "sample",
        "frame_id": timing.frame_id,
        "pts_90khz": timing.pts_90khz,
        "received_unix_ns": timing.received_unix_ns,
        "processed_unix_ns": timing.processed_unix_ns,
        "processing_ms": round(timing.processing_ms, 3),
        "stage_ms": {name: round(tracked.stages.stage_ms(name), 3) for name in STAGES},
    }
    message.update(_baseline_jsonable(dataclasses.asdict(tracked.sample)))
    return json.dumps(message, separators=(",", ":"))


def _typed_encode(message: SampleMessage) -> str:
    return json.dumps(message.to_dict(), separators=(",", ":"))


def _time_us(call: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1e6)
    return median(timings)


def _timing(index: int, tracked: TrackedFrame) -> SampleTiming:
    return SampleTiming(
        frame_id=index,
        pts_90khz=index * 3600,
        received_unix_ns=index * FRAME_NS,
        processed_unix_ns=index * FRAME_NS + 9_000_000,
        processing_ms=tracked.stages.total_ms,
        stages=tracked.stages,
    )


def run(data_dir: Path) -> None:
    cv2.setNumThreads(1)
    frames = [fit_to(frame, *SIZE_PX) for frame in load_frames(data_dir / VIDEO, TIMED_FRAMES)]
    if not frames:
        print(f"sample path benchmark skipped: cannot read {data_dir / VIDEO}")
        return
    models = PipelineModels()
    models.warm_up()
    tracker = GazeTracker(models=models)
    track_ms: list[float] = []
    costs: dict[str, list[float]] = {
        name: [] for name in ("before encode", "after encode", "before loop", "after loop")
    }
    sizes: list[int] = []
    for index, frame in enumerate(frames):
        tracked = tracker.track(frame, index * FRAME_NS)
        track_ms.append(tracked.stages.total_ms)
        timing = _timing(index, tracked)
        message = SampleMessage(tracked.sample, timing)
        text = _typed_encode(message)
        if _baseline_encode(tracked, timing) != text:
            raise AssertionError("the typed encoding differs from the baseline's on the wire")
        pickled = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        sizes.append(len(text))
        costs["before encode"].append(_time_us(partial(_baseline_encode, tracked, timing)))
        costs["after encode"].append(_time_us(partial(_typed_encode, message)))
        costs["before loop"].append(_time_us(partial(json.loads, text)))
        costs["after loop"].append(_time_us(partial(pickle.loads, pickled)))
    tracking_ms = median(track_ms)
    before_us, after_us = median(costs["before encode"]), median(costs["after encode"])
    rows: list[list[str | float | int | None]] = [
        ["encode the sample message (worker)", before_us, after_us, before_us / after_us],
        ["worker per frame: tracker + encode, ms", tracking_ms + before_us / 1000.0,
         tracking_ms + after_us / 1000.0,
         (tracking_ms + before_us / 1000.0) / (tracking_ms + after_us / 1000.0)],
        ["sample for the session's consumers (event loop)", median(costs["before loop"]),
         median(costs["after loop"]), median(costs["before loop"]) / median(costs["after loop"])],
    ]  # fmt: skip
    print_table(
        f"Sample path, before (asdict + JSON parsed back) and after (typed records), "
        f"{len(frames)} frames of cap12 at {SIZE_PX[0]}x{SIZE_PX[1]}, one core, medians in us "
        f"unless stated; message {median([float(size) for size in sizes]):.0f} bytes",
        ["step", "before", "after", "ratio before/after"],
        rows,
    )


if __name__ == "__main__":
    from bench.__main__ import DEFAULT_DATA_DIR

    run(Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR)))
