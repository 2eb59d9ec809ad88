"""The registry's tables on a real throwaway PostgreSQL: what a node writes is what the others
read, lost nodes' sessions are left out, drain requests are taken once, and the CPU meter."""

from __future__ import annotations

import os
import time

import psycopg
import pytest

from gazertc.cluster.registry import CpuMeter
from gazertc.cluster.registry_store import (
    LOST_AFTER_S,
    NOTIFY_CHANNEL,
    MonitorNodeState,
    NodeReport,
    NodeStatus,
    RegistryStore,
)
from gazertc.protocol import validate

pytestmark = pytest.mark.timeout(60)


def _report(name: str, *, draining: bool = False, sessions: int = 1) -> NodeReport:
    return NodeReport(
        name=name,
        url=f"http://{name}.invalid:3000",
        started_unix_ns=1_767_225_600_000_000_000,
        draining=draining,
        session_count=sessions,
        max_sessions=8,
        processed_fps=24.5,
        cpu_percent=None,
    )


def _view(anon_id: str, node: str) -> dict[str, object]:
    return {"anon_id": anon_id, "node": node, "started_unix_ns": 1_767_225_601_000_000_000}


def test_what_one_node_writes_another_reads(postgres_database_dsn: str) -> None:
    writer, reader = RegistryStore(postgres_database_dsn), RegistryStore(postgres_database_dsn)
    try:
        writer.publish(
            _report("a"), [("00000000000000aa", _view("00000000000000aa", "a"))], notify=False
        )
        writer.publish(_report("b", draining=True, sessions=0), [], notify=False)
        view = reader.read()
        assert [node.report.name for node in view.nodes] == ["a", "b"]
        node_a, node_b = view.nodes
        assert node_a.report == _report("a")
        assert node_a.state is MonitorNodeState.UP and node_b.state is MonitorNodeState.DRAINING
        assert 0.0 <= node_a.heartbeat_age_s < 2.0
        assert [(s.node, s.anon_id, s.view) for s in view.sessions] == [
            ("a", "00000000000000aa", _view("00000000000000aa", "a"))
        ]
        # A write replaces the node's sessions: the ended one goes.
        writer.publish(_report("a", sessions=0), [], notify=False)
        assert reader.read().sessions == ()
        validate(node_b.to_dict(), "monitor_node")
    finally:
        writer.close()
        reader.close()


def test_a_view_json_cannot_hold_is_left_out_and_the_rest_written(
    postgres_database_dsn: str,
) -> None:
    store = RegistryStore(postgres_database_dsn)
    try:
        bad = {**_view("00000000000000bb", "a"), "processed_fps": float("nan")}
        good = _view("00000000000000aa", "a")
        store.publish(
            _report("a", sessions=2),
            [("00000000000000bb", bad), ("00000000000000aa", good)],
            notify=False,
        )
        view = store.read()
        assert [session.anon_id for session in view.sessions] == ["00000000000000aa"]
        assert [node.report.name for node in view.nodes] == ["a"]
    finally:
        store.close()


def test_a_node_without_heartbeat_is_lost_and_its_sessions_are_left_out(
    postgres_database_dsn: str,
) -> None:
    store = RegistryStore(postgres_database_dsn)
    try:
        store.publish(
            _report("a"), [("00000000000000aa", _view("00000000000000aa", "a"))], notify=False
        )
        with psycopg.connect(postgres_database_dsn, autocommit=True) as conn:
            conn.execute(
                "UPDATE gazertc_cluster_nodes SET heartbeat = now() - make_interval(secs => %s)",
                (LOST_AFTER_S + 1.0,),
            )
        view = store.read()
        (node,) = view.nodes
        assert node.state is MonitorNodeState.LOST
        assert view.sessions == ()
        # Ageing without a read: a view read now is lost after LOST_AFTER_S more.
        store.publish(_report("a"), [], notify=False)
        fresh = store.read()
        (aged,) = fresh.aged_nodes(fresh.read_monotonic_s + LOST_AFTER_S + 0.5)
        assert aged.state is MonitorNodeState.LOST
    finally:
        store.close()


def test_a_drain_request_is_taken_once_and_notified(postgres_database_dsn: str) -> None:
    store = RegistryStore(postgres_database_dsn)
    with psycopg.connect(postgres_database_dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        try:
            assert not store.request_drain("b", True)  # no such node yet
            store.publish(_report("b"), [], notify=False)
            assert store.take_drain_request("b") is None
            assert store.request_drain("b", True)
            names = [note.payload for note in listener.notifies(timeout=2.0, stop_after=1)]
            assert names == ["b"]
            store.publish(_report("b"), [], notify=False)  # a heartbeat keeps the request
            assert store.take_drain_request("a") is None  # another node's request stays too
            assert store.take_drain_request("b") is True
            assert store.take_drain_request("b") is None
            assert store.request_drain("b", False)
            assert store.take_drain_request("b") is False
            store.remove_node("b")
            assert store.read().nodes == ()
        finally:
            store.close()


def test_tables_are_created_once_by_nodes_starting_together(postgres_database_dsn: str) -> None:
    stores = [RegistryStore(postgres_database_dsn) for _ in range(3)]
    try:
        for index, store in enumerate(stores):
            store.publish(_report(f"n{index}"), [], notify=False)
        assert len(stores[0].read().nodes) == 3
    finally:
        for store in stores:
            store.close()


def test_a_node_status_ages_into_lost() -> None:
    status = NodeStatus(_report("a"), heartbeat_age_s=1.0)
    assert status.state is MonitorNodeState.UP
    assert status.aged(LOST_AFTER_S).state is MonitorNodeState.LOST


def test_the_cpu_meter_agrees_with_this_process_own_cpu_time() -> None:
    meter = CpuMeter()
    started_s, started_cpu_s = time.monotonic(), time.process_time()
    assert meter.percent([os.getpid()]) is None  # nothing to compare with yet
    while time.process_time() < started_cpu_s + 0.3:
        pass
    busy = meter.percent([os.getpid(), 2**22 + 1])  # a pid that does not exist counts nothing
    expected = 100.0 * (time.process_time() - started_cpu_s) / (time.monotonic() - started_s)
    # Ticks of 10 ms over 0.3 s of CPU time, and the calls' own instants: a few percent.
    assert busy is not None and abs(busy - expected) < 10.0, (busy, expected)
    time.sleep(0.3)
    idle = meter.percent([os.getpid()])
    assert idle is not None and idle < 10.0
