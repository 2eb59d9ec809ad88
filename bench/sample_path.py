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

Then smaller samples (issue 15), on the same samples: their size with the landmarks, without
them (config ``landmarks: false``: the session splices them out of the worker's text) and, as
what-ifs not offered as options, also without ``stage_ms``, and cut to fit one chunk (what a
compact encoding would have to reach); the share that fits one SCTP DATA chunk of aiortc
(whose messages go out in chunks of at most that many bytes, one packet each); and the main
process's CPU time per sample to make the client's text and send it over a real
aiortc data channel to a receiving peer in another process, paced as 8 sessions at 25 fps. The
variants alternate in rounds within one run; the tables give medians over the rounds, less an
idle round (the same pacing, nothing sent).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import pickle
import time
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, Final

import cv2
from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcsctptransport import USERDATA_MAX_LENGTH

from bench.pipeline import TIMED_FRAMES, VIDEO, fit_to, load_frames
from bench.report import median, print_table
from gazertc.records import SampleMessage, SampleTiming
from gazertc.server.session_settings import SessionConfig
from gazertc.vision.tracker import GazeTracker, PipelineModels
from gazertc.vision.types import STAGES, TrackedFrame

FRAME_NS = 40_000_000
SIZE_PX = (640, 480)
REPEATS = 5
"""Each encoding is timed this many times per frame and the median kept: single calls of tens
of microseconds are at the mercy of the scheduler."""
SEND_INTERVAL_S: Final = 0.005
"""One sample every 5 ms: 8 sessions at 25 fps, the server's goal (issue 15)."""
SEND_ROUNDS: Final = 7
"""Rounds of every variant (each all the samples): the median round is kept."""
DRAIN_S: Final = 0.2
"""After a round, time for the last chunks' acknowledgements (SACKs) to come back and be
handled, so that each round pays for its own."""
CONNECT_TIMEOUT_S: Final = 15.0
END_OF_ROUND: Final = "end of round"
IDLE: Final = "idle (paced, nothing sent)"
ONE_CHUNK_BYTES: Final = 1100
ONE_CHUNK: Final = f"cut to {ONE_CHUNK_BYTES} bytes (what-if: one chunk)"


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
    messages: list[SampleMessage] = []
    for index, frame in enumerate(frames):
        tracked = tracker.track(frame, index * FRAME_NS)
        track_ms.append(tracked.stages.total_ms)
        timing = _timing(index, tracked)
        message = SampleMessage(tracked.sample, timing)
        messages.append(message)
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
    _smaller_samples(messages)


# -- smaller samples (issue 15) -------------------------------------------------------------------


def _chunks(text: str) -> int:
    return math.ceil(len(text.encode()) / USERDATA_MAX_LENGTH)


def _smaller_samples(messages: list[SampleMessage]) -> None:
    full = [message.to_json() for message in messages]
    refusing = SessionConfig().updated({"landmarks": False})
    without = [refusing.client_sample_text(text) for text in full]
    bare = [
        dataclasses.replace(
            message,
            sample=dataclasses.replace(message.sample, landmarks_px=None),
            timing=dataclasses.replace(message.timing, stages=None),
        ).to_json()
        for message in messages
    ]
    # What one chunk would save: the same samples cut to fit (sent as text, not read as JSON).
    one_chunk = [text[:ONE_CHUNK_BYTES] for text in without]
    texts = {"landmarks (default)": full, "landmarks: false": without,
             "also no stage_ms (what-if)": bare, ONE_CHUNK: one_chunk}  # fmt: skip
    size_rows: list[list[str | float | int | None]] = []
    for name, variant in texts.items():
        lengths = [float(len(text.encode())) for text in variant]
        fitting = sum(length <= USERDATA_MAX_LENGTH for length in lengths) / len(lengths)
        size_rows.append([name, median(lengths), max(lengths), median([float(_chunks(text))
                          for text in variant]), f"{100 * fitting:.0f}%"])  # fmt: skip
    print_table(
        f"Sample size, {len(messages)} samples of cap12 at {SIZE_PX[0]}x{SIZE_PX[1]}; aiortc "
        f"sends a message in SCTP chunks of at most {USERDATA_MAX_LENGTH} bytes, one packet each",
        ["sample", "median bytes", "max bytes", "median chunks",
         f"share <= {USERDATA_MAX_LENGTH} B"],
        size_rows,
    )  # fmt: skip
    splice_us = median([_time_us(partial(refusing.client_sample_text, text)) for text in full])
    worker_full_us = median([_time_us(message.to_json) for message in messages])
    worker_without_us = median(
        [
            _time_us(partial(SampleMessage.to_json, dataclasses.replace(
                message, sample=dataclasses.replace(message.sample, landmarks_px=None))))
            for message in messages
        ]
    )  # fmt: skip
    transforms: dict[str, tuple[list[str], Callable[[str], str]]] = {
        "landmarks (default)": (full, SessionConfig().client_sample_text),
        "landmarks: false": (full, refusing.client_sample_text),
        "also no stage_ms (what-if)": (bare, SessionConfig().client_sample_text),
        ONE_CHUNK: (one_chunk, SessionConfig().client_sample_text),
    }
    rounds = asyncio.run(_channel_rounds(transforms))
    idle_us = median(rounds[IDLE])
    full_us = median(rounds["landmarks (default)"]) - idle_us
    cost_rows: list[list[str | float | int | None]] = []
    for name in [*transforms, IDLE]:
        cost_us = median(rounds[name]) - (0.0 if name == IDLE else idle_us)
        spread = f"{min(rounds[name]):.0f}-{max(rounds[name]):.0f}"
        ratio = full_us / cost_us if name != IDLE and cost_us > 0 else None
        cost_rows.append([name, cost_us, spread, ratio])
    print_table(
        f"Main process per sample: the client's text made and sent over a real aiortc data "
        f"channel (receiver in another process), one sample every {SEND_INTERVAL_S * 1000:g} ms, "
        f"CPU us per sample, median of {SEND_ROUNDS} rounds of {len(messages)} samples less the "
        f"idle round; splicing out the landmarks {splice_us:.1f} us of it. Worker: to_json "
        f"{worker_full_us:.1f} us with landmarks, {worker_without_us:.1f} us without",
        ["client's sample", "main CPU us per sample", "rounds (idle in)", "default / this"],
        cost_rows,
    )


async def _channel_rounds(
    transforms: dict[str, tuple[list[str], Callable[[str], str]]],
) -> dict[str, list[float]]:
    """CPU us per sample of each variant's rounds, and of the idle rounds."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    receiver = context.Process(target=_receive, args=(theirs,), daemon=True)
    receiver.start()
    loop = asyncio.get_running_loop()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        channel = pc.createDataChannel("samples")
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await pc.setLocalDescription(await pc.createOffer())
        ours.send(pc.localDescription.sdp)
        answer = await asyncio.wait_for(loop.run_in_executor(None, ours.recv), CONNECT_TIMEOUT_S)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(opened.wait(), CONNECT_TIMEOUT_S)
        rounds: dict[str, list[float]] = {name: [] for name in [*transforms, IDLE]}
        for _ in range(SEND_ROUNDS):
            for name, (texts, transform) in transforms.items():
                rounds[name].append(await _send_round(channel, texts, transform) / len(texts))
                channel.send(END_OF_ROUND)
                received = await asyncio.wait_for(
                    loop.run_in_executor(None, ours.recv), CONNECT_TIMEOUT_S
                )
                if received != len(texts):
                    raise AssertionError(f"{name}: {received} of {len(texts)} samples arrived")
            texts = next(iter(transforms.values()))[0]
            rounds[IDLE].append(await _send_round(None, texts, str) / len(texts))
        return rounds
    finally:
        await pc.close()
        ours.send(None)
        receiver.join(CONNECT_TIMEOUT_S)


async def _send_round(
    channel: RTCDataChannel | None, texts: list[str], transform: Callable[[str], str]
) -> float:
    """CPU us of the main process for one paced round (``channel`` ``None``: idle)."""
    started_s = time.process_time()
    due_s = time.monotonic()
    for text in texts:
        if channel is not None:
            channel.send(transform(text))
        due_s += SEND_INTERVAL_S
        await asyncio.sleep(max(0.0, due_s - time.monotonic()))
    while channel is not None and channel.bufferedAmount > 0:
        await asyncio.sleep(SEND_INTERVAL_S)
    await asyncio.sleep(DRAIN_S)
    return (time.process_time() - started_s) * 1e6


def _receive(connection: multiprocessing.connection.Connection) -> None:
    """The receiving peer, in its own process: answers the offer, counts each round's
    messages and reports the count at the round's end."""
    asyncio.run(_receive_messages(connection))


async def _receive_messages(connection: multiprocessing.connection.Connection) -> None:
    loop = asyncio.get_running_loop()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    received = [0]

    def on_message(message: str | bytes) -> None:
        if message == END_OF_ROUND:
            connection.send(received[0])
            received[0] = 0
        else:
            received[0] += 1

    pc.on("datachannel", lambda channel: channel.on("message", on_message))
    offer = await loop.run_in_executor(None, connection.recv)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    connection.send(pc.localDescription.sdp)
    await loop.run_in_executor(None, connection.recv)
    await pc.close()


if __name__ == "__main__":
    from bench.__main__ import DEFAULT_DATA_DIR

    run(Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR)))
