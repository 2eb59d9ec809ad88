"""How soon one node's monitor sees what another node did, through the cluster registry:
LISTEN/NOTIFY against polling alone, on a throwaway PostgreSQL on this machine (loopback).

Two :class:`~gazertc.cluster.registry.ClusterRegistry` instances (nodes A and B, in one process,
each with its own database connections and threads, as in two servers) share one database. For
each mode and trial, after a random wait (so polling's phase is random):

- **new session**: B gets a session; the time until A's cluster view lists it (what A's
  monitor shows on its next poll of ``GET /api/monitor/sessions``; the page polls at 3 Hz);
- **drain**: A asks for B's drain (written to B's row); the time until B is draining, and
  until A's view shows B draining.

Then the database's cost per write and read with 8 sessions of 60 trace points each (the
session views' contents are synthetic; their sizes are those of real ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bench.report import Cell, median, percentile, print_table
from gazertc.cluster.postgres_local import LocalPostgres, find_postgres_bindir
from gazertc.cluster.registry import ClusterRegistry, LocalSnapshot, RegistrySettings
from gazertc.cluster.registry_store import MonitorNodeState, NodeReport, RegistryStore
from gazertc.protocol import JsonObject
from gazertc.server.node import NodeState
from gazertc.server.trace import TRACE_MAX_POINTS

TRIALS = 12
POLL_STEP_S = 0.005
"""How often the bench looks at a registry's view: adds at most 5 ms to each time."""
GIVE_UP_S = 10.0
COST_SESSIONS = 8
COST_REPEATS = 50
MODES: tuple[tuple[str, bool], ...] = (("LISTEN/NOTIFY", True), ("polling every 1 s", False))


def session_view(anon_id: str, node: str) -> JsonObject:
    """A ``monitor_session`` of the size of a real one (synthetic gaze)."""
    now_ns = time.time_ns()
    trace: list[JsonObject] = [
        {
            "timestamp_unix_ns": now_ns - (TRACE_MAX_POINTS - index) * 40_000_000,
            "yaw_deg": round(random.uniform(-20, 20), 2),
            "pitch_deg": round(random.uniform(-15, 15), 2),
            "screen_x_px": round(random.uniform(0, 1536), 1),
            "screen_y_px": round(random.uniform(0, 864), 1),
        }
        for index in range(TRACE_MAX_POINTS)
    ]
    return {
        "anon_id": anon_id,
        "node": node,
        "state": "live",
        "started_unix_ns": now_ns,
        "processed_fps": 24.6,
        "face_found": True,
        "calibrated": True,
        "screen": {"width_px": 1536, "height_px": 864},
        "recording": "idle",
        "recording_id": None,
        "trace": trace,
        "participant_label": "P07",
        "calibration_quality": "good",
        "calibration_applied": True,
        "thumbnail_shared": False,
    }


class BenchNode:
    """One node's registry, with sessions the bench adds and removes."""

    def __init__(self, name: str, dsn: str, *, listen: bool) -> None:
        self.state = NodeState(name)
        self.views: dict[str, JsonObject] = {}
        settings = RegistrySettings(dsn=dsn, node_url=f"http://{name}.invalid", listen=listen)
        self.registry = ClusterRegistry(
            settings,
            self.state,
            self.snapshot,
            lambda: frozenset(self.views),
            lambda: [os.getpid()],
        )

    def snapshot(self) -> LocalSnapshot:
        return LocalSnapshot(tuple(self.views.items()), 8, 0.0)


@contextlib.asynccontextmanager
async def _node(name: str, dsn: str, *, listen: bool) -> AsyncIterator[BenchNode]:
    node = BenchNode(name, dsn, listen=listen)
    await node.registry.start()
    try:
        yield node
    finally:
        await node.registry.stop()


async def _seconds_until(condition: Callable[[], bool]) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > GIVE_UP_S:
            raise TimeoutError(f"not within {GIVE_UP_S} s")
        await asyncio.sleep(POLL_STEP_S)
    return time.perf_counter() - started


def _lists(node: BenchNode, anon_id: str) -> bool:
    return any(session.anon_id == anon_id for session in node.registry.live_sessions())


def _b_state_on(node: BenchNode) -> MonitorNodeState | None:
    for status in node.registry.view.nodes:
        if status.report.name == "b":
            return status.state
    return None


async def _latencies(dsn: str, *, listen: bool) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"session": [], "drain_taken": [], "drain_shown": []}
    async with _node("a", dsn, listen=listen) as node_a, _node("b", dsn, listen=listen) as node_b:
        await node_b.registry.wait_written()
        await _seconds_until(lambda: _b_state_on(node_a) is not None)
        for trial in range(TRIALS):
            await asyncio.sleep(random.uniform(0.0, 1.0))
            anon_id = f"{trial:016x}"
            node_b.views[anon_id] = session_view(anon_id, "b")
            times["session"].append(
                await _seconds_until(functools.partial(_lists, node_a, anon_id))
            )
            del node_b.views[anon_id]
            await asyncio.sleep(random.uniform(0.0, 1.0))
            started = time.perf_counter()
            await node_a.registry.request_drain("b", True)
            await _seconds_until(lambda: node_b.state.draining)
            times["drain_taken"].append(time.perf_counter() - started)
            await _seconds_until(lambda: _b_state_on(node_a) is MonitorNodeState.DRAINING)
            times["drain_shown"].append(time.perf_counter() - started)
            node_b.state.cancel_drain()
            await _seconds_until(lambda: _b_state_on(node_a) is MonitorNodeState.UP)
    return times


def _ms(values: list[float]) -> list[float]:
    return [round(median(values) * 1000.0, 1), round(percentile(values, 0.95) * 1000.0, 1)]


def _database_cost_ms(dsn: str) -> list[list[Cell]]:
    store = RegistryStore(dsn)
    views = [(f"{index:016x}", session_view(f"{index:016x}", "cost")) for index in range(8)]
    report = NodeReport("cost", "http://cost.invalid", time.time_ns(), False, 8, 8, 196.8, 50.0)
    writes: list[float] = []
    reads: list[float] = []
    try:
        store.publish(report, views, notify=False)
        for _ in range(COST_REPEATS):
            started = time.perf_counter()
            store.publish(report, views, notify=False)
            writes.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.read()
            reads.append(time.perf_counter() - started)
        store.remove_node("cost")
    finally:
        store.close()
    return [
        [f"write: row + {COST_SESSIONS} session views", *_ms(writes)],
        [f"read: every node + {COST_SESSIONS} session views", *_ms(reads)],
    ]


def run(data_dir: Path) -> None:
    if find_postgres_bindir() is None:
        print("\ncluster_registry: skipped, no PostgreSQL binaries (`make postgresql`)")
        return
    with tempfile.TemporaryDirectory() as scratch, LocalPostgres(Path(scratch)) as postgres:
        rows: list[list[Cell]] = []
        for label, listen in MODES:
            times = asyncio.run(_latencies(postgres.dsn, listen=listen))
            rows.append([label, *_ms(times["session"]), *_ms(times["drain_taken"])])
            rows[-1].extend(_ms(times["drain_shown"]))
        print_table(
            f"Cluster registry: how soon node A sees node B's change ({TRIALS} trials each, "
            "ms, median / p95; loopback PostgreSQL)",
            [
                "mode",
                "new session on A",
                "p95",
                "drain taken by B",
                "p95",
                "B draining on A",
                "p95",
            ],
            rows,
        )
        print_table(
            f"Cluster registry: database time per call ({COST_REPEATS} calls, ms)",
            ["call", "median", "p95"],
            _database_cost_ms(postgres.dsn),
        )


if __name__ == "__main__":
    from bench.__main__ import DEFAULT_DATA_DIR

    run(Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR)))
