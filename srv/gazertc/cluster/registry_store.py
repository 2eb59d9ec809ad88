"""The cluster registry's tables in PostgreSQL, and the records read from and written to them.

``gazertc_cluster_nodes``: one row per node (name, the URL other nodes forward monitor actions
to, start time, heartbeat from the database's clock, draining, sessions, load, and a drain
request another node left for it). ``gazertc_cluster_sessions``: each node's sessions as
``monitor_session`` views (JSONB), replaced at every write. Changes are announced with
``NOTIFY gazertc_cluster`` (payload: the node's name). Created if missing.

One :class:`RegistryStore` holds one blocking connection (psycopg): use it from one thread
(:mod:`gazertc.cluster.registry` runs it on its own). Every statement is bounded by
:data:`STATEMENT_TIMEOUT_MS`, every connect by :data:`CONNECT_TIMEOUT_S`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import psycopg

from gazertc.protocol import JsonObject

logger = logging.getLogger(__name__)

__all__ = [
    "EMPTY_VIEW",
    "LOST_AFTER_S",
    "NOTIFY_CHANNEL",
    "ClusterView",
    "MonitorNodeState",
    "NodeReport",
    "NodeStatus",
    "RegistryStore",
    "RemoteSession",
    "connect",
]

TABLE_PREFIX: Final = "gazertc_cluster_"
NODES_TABLE: Final = f"{TABLE_PREFIX}nodes"
SESSIONS_TABLE: Final = f"{TABLE_PREFIX}sessions"
NOTIFY_CHANNEL: Final = "gazertc_cluster"
LOST_AFTER_S: Final = 5.0
"""Five missed heartbeats: a node stalled this long is taken as gone (its participants'
pages reconnect within a few seconds anyway)."""
FORGET_AFTER_S: Final = 3600.0
"""A lost node's row stays visible as lost for an hour, then is deleted."""
CONNECT_TIMEOUT_S: Final = 3
STATEMENT_TIMEOUT_MS: Final = 2000
"""No registry statement takes more than milliseconds; one stuck on a lock is given up."""
_ADVISORY_LOCK_KEY: Final = 0x67617A6572
"""Serialises CREATE TABLE IF NOT EXISTS of nodes starting together (it races otherwise)."""


class MonitorNodeState(StrEnum):
    """A node as the monitor shows it (``monitor_node.state``)."""

    UP = "up"
    DRAINING = "draining"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class NodeReport:
    """What a node writes about itself. ``cpu_percent``: its processes' CPU time over the last
    write interval (100 = one core), None before the first interval."""

    name: str
    url: str
    started_unix_ns: int
    draining: bool
    session_count: int
    max_sessions: int
    processed_fps: float
    cpu_percent: float | None


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """A node's row as read, with the age of its heartbeat (database clock)."""

    report: NodeReport
    heartbeat_age_s: float

    @property
    def state(self) -> MonitorNodeState:
        if self.heartbeat_age_s > LOST_AFTER_S:
            return MonitorNodeState.LOST
        return MonitorNodeState.DRAINING if self.report.draining else MonitorNodeState.UP

    def aged(self, extra_s: float) -> NodeStatus:
        return NodeStatus(self.report, self.heartbeat_age_s + extra_s)

    def to_dict(self) -> JsonObject:
        """A ``monitor_node``."""
        report = self.report
        return {
            "name": report.name,
            "state": self.state.value,
            "started_unix_ns": report.started_unix_ns,
            "heartbeat_age_s": round(self.heartbeat_age_s, 2),
            "sessions": report.session_count,
            "max_sessions": report.max_sessions,
            "processed_fps": round(report.processed_fps, 1),
            "cpu_percent": None if report.cpu_percent is None else round(report.cpu_percent, 1),
        }


@dataclass(frozen=True, slots=True)
class RemoteSession:
    """A session of another live node: its node and its ``monitor_session`` view as written."""

    node: str
    anon_id: str
    view: JsonObject


@dataclass(frozen=True, slots=True)
class ClusterView:
    """The cluster as last read: every node's row, the sessions of the live ones."""

    nodes: tuple[NodeStatus, ...]
    sessions: tuple[RemoteSession, ...]
    read_monotonic_s: float

    def aged_nodes(self, now_monotonic_s: float) -> list[NodeStatus]:
        """The nodes with their heartbeat ages as of now (a read that failed ages them all)."""
        extra_s = max(0.0, now_monotonic_s - self.read_monotonic_s)
        return [node.aged(extra_s) for node in self.nodes]


EMPTY_VIEW: Final = ClusterView((), (), 0.0)


class RegistryStore:
    """The registry's tables, through one blocking connection (use it from one thread)."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self._dsn)
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK_KEY,))
                self._conn.execute(_CREATE_NODES)
                self._conn.execute(_CREATE_SESSIONS)
        return self._conn

    def publish(
        self, report: NodeReport, views: Sequence[tuple[str, JsonObject]], *, notify: bool
    ) -> None:
        """Write this node's row (a drain request on it stays) and replace its sessions."""
        conn = self._connection()
        with conn.transaction():
            conn.execute(
                _UPSERT_NODE,
                (
                    report.name,
                    report.url,
                    report.started_unix_ns,
                    report.draining,
                    report.session_count,
                    report.max_sessions,
                    report.processed_fps,
                    report.cpu_percent,
                ),
            )
            conn.execute(f"DELETE FROM {SESSIONS_TABLE} WHERE node = %s", (report.name,))
            with conn.cursor() as cursor:
                cursor.executemany(
                    _INSERT_SESSION,
                    [(report.name, anon_id, view_json) for anon_id, view_json in _storable(views)],
                )
            conn.execute(
                f"DELETE FROM {NODES_TABLE} WHERE heartbeat < now() - make_interval(secs => %s)",
                (FORGET_AFTER_S,),
            )
            if notify:
                conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, report.name))

    def take_drain_request(self, name: str) -> bool | None:
        """The drain request another node left on node ``name``'s row (True: drain, False:
        undrain), taken off it; None when there is none."""
        row = self._connection().execute(_TAKE_DRAIN_REQUEST, (name,)).fetchone()
        return None if row is None else bool(row[0])

    def read(self) -> ClusterView:
        """Every node's row, and the sessions of the nodes not lost."""
        conn = self._connection()
        with conn.transaction():
            node_rows = conn.execute(_SELECT_NODES).fetchall()
            session_rows = conn.execute(_SELECT_LIVE_SESSIONS, (LOST_AFTER_S,)).fetchall()
        nodes = tuple(_node_status(row) for row in node_rows)
        sessions = tuple(
            RemoteSession(str(node), str(anon_id), view)
            for node, anon_id, view in session_rows
            if isinstance(view, dict)
        )
        return ClusterView(nodes, sessions, time.monotonic())

    def request_drain(self, name: str, draining: bool) -> bool:
        """Leave a drain (or undrain) request on node ``name``'s row; False: no such node."""
        conn = self._connection()
        with conn.transaction():
            row = conn.execute(
                f"UPDATE {NODES_TABLE} SET drain_request = %s WHERE name = %s RETURNING name",
                (draining, name),
            ).fetchone()
            if row is not None:
                conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, name))
        return row is not None

    def remove_node(self, name: str) -> None:
        """Delete a node's row and sessions (a clean stop), and tell the others."""
        conn = self._connection()
        with conn.transaction():
            conn.execute(f"DELETE FROM {NODES_TABLE} WHERE name = %s", (name,))
            conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, name))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def connect(dsn: str) -> psycopg.Connection[tuple[object, ...]]:
    """A connection with the registry's timeouts (autocommit: transactions are explicit)."""
    return psycopg.connect(
        dsn,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_S,
        options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
    )


_CREATE_NODES: Final = f"""
CREATE TABLE IF NOT EXISTS {NODES_TABLE} (
    name text PRIMARY KEY,
    url text NOT NULL,
    started_unix_ns bigint NOT NULL,
    heartbeat timestamptz NOT NULL,
    draining boolean NOT NULL,
    session_count integer NOT NULL,
    max_sessions integer NOT NULL,
    processed_fps double precision NOT NULL,
    cpu_percent double precision,
    drain_request boolean
)"""
_CREATE_SESSIONS: Final = f"""
CREATE TABLE IF NOT EXISTS {SESSIONS_TABLE} (
    node text NOT NULL REFERENCES {NODES_TABLE} (name) ON DELETE CASCADE,
    anon_id text NOT NULL,
    view jsonb NOT NULL,
    PRIMARY KEY (node, anon_id)
)"""
_UPSERT_NODE: Final = f"""
INSERT INTO {NODES_TABLE} (name, url, started_unix_ns, heartbeat, draining, session_count,
    max_sessions, processed_fps, cpu_percent, drain_request)
VALUES (%s, %s, %s, now(), %s, %s, %s, %s, %s, NULL)
ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, started_unix_ns = EXCLUDED.started_unix_ns,
    heartbeat = now(), draining = EXCLUDED.draining, session_count = EXCLUDED.session_count,
    max_sessions = EXCLUDED.max_sessions, processed_fps = EXCLUDED.processed_fps,
    cpu_percent = EXCLUDED.cpu_percent"""
_INSERT_SESSION: Final = (
    f"INSERT INTO {SESSIONS_TABLE} (node, anon_id, view) VALUES (%s, %s, %s::jsonb)"
)
_TAKE_DRAIN_REQUEST: Final = f"""
UPDATE {NODES_TABLE} AS n SET drain_request = NULL
FROM (SELECT name, drain_request FROM {NODES_TABLE}
    WHERE name = %s AND drain_request IS NOT NULL FOR UPDATE) AS old
WHERE n.name = old.name
RETURNING old.drain_request"""
_SELECT_NODES: Final = f"""
SELECT name, url, started_unix_ns, draining, session_count, max_sessions, processed_fps,
    cpu_percent, extract(epoch FROM now() - heartbeat)::double precision
FROM {NODES_TABLE} ORDER BY name"""
_SELECT_LIVE_SESSIONS: Final = f"""
SELECT s.node, s.anon_id, s.view FROM {SESSIONS_TABLE} s JOIN {NODES_TABLE} n ON n.name = s.node
WHERE n.heartbeat >= now() - make_interval(secs => %s)"""


def _storable(views: Sequence[tuple[str, JsonObject]]) -> list[tuple[str, str]]:
    """The views PostgreSQL's JSON takes: one with a NaN or an infinity (which JSON has not) is
    left out, so that it never keeps the node's row from being written."""
    storable: list[tuple[str, str]] = []
    for anon_id, view in views:
        try:
            text = json.dumps(view, allow_nan=False, separators=(",", ":"))
        except ValueError:
            logger.warning(
                "cluster registry: session %s has a non-finite number; not shown", anon_id
            )
            continue
        storable.append((anon_id, text))
    return storable


def _node_status(row: tuple[object, ...]) -> NodeStatus:
    name, url, started, draining, sessions, max_sessions, fps, cpu, age = row
    assert isinstance(started, int) and isinstance(sessions, int)
    assert isinstance(max_sessions, int) and isinstance(fps, float) and isinstance(age, float)
    report = NodeReport(
        name=str(name),
        url=str(url),
        started_unix_ns=started,
        draining=bool(draining),
        session_count=sessions,
        max_sessions=max_sessions,
        processed_fps=fps,
        cpu_percent=cpu if isinstance(cpu, float) else None,
    )
    return NodeStatus(report, max(0.0, age))
