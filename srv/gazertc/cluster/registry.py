"""The cluster registry, this node's side: every node's row and its sessions' monitor views, in
PostgreSQL (the tables: :mod:`gazertc.cluster.registry_store`).

Enabled by ``gazertc serve --database postgresql://...``. Each node, about once a second and at
once when its set of sessions or its drain state changes, writes in one transaction its row
(name, the URL other nodes forward monitor actions to, start time, heartbeat from the
database's clock, draining, sessions, load) and replaces its sessions' rows (one
``monitor_session`` view each). A change also sends ``NOTIFY gazertc_cluster``: every node
LISTENs on its own connection and reads the cluster at once. Measured on loopback on this
2-core machine under load (``python -m bench cluster_registry``, median / p95): another node
lists a new session after 55 / 107 ms with LISTEN/NOTIFY and 486 / 795 ms with polling every
second; a drain asked from node A is taken by node B after 13 / 50 ms against 863 / 965 ms,
and A shows B draining after 15 / 76 ms against 1812 / 1887 ms. So LISTEN/NOTIFY is kept;
reads also happen every second without one, which is how a node whose heartbeat stopped is
noticed: older than :data:`LOST_AFTER_S`, it is shown as lost and its session rows are ignored.

A drain asked for another node is written to that node's row (``drain_request``) rather than
forwarded over HTTP: it reaches the node through the same database its monitor reads, whatever
the network between nodes allows. The node takes it in its next read (woken by the
notification) and drains itself. Its own row, its
sessions and any drain request go with a clean stop; a lost node's row is dropped after
:data:`FORGET_AFTER_S`.

Every database call runs on one thread of this registry (the listener on another), never on
the event loop; each is bounded by a connect and a statement timeout. When the database does
not answer the node keeps serving its own sessions, and the other nodes age into lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, ParamSpec, Protocol, TypeVar
from urllib.parse import urlsplit

import psycopg

from gazertc.cluster.registry_store import (
    CONNECT_TIMEOUT_S,
    EMPTY_VIEW,
    NOTIFY_CHANNEL,
    ClusterView,
    MonitorNodeState,
    NodeReport,
    NodeStatus,
    RegistryStore,
    RemoteSession,
    connect,
)
from gazertc.errors import GazertcError
from gazertc.protocol import JsonObject

__all__ = [
    "ClusterRegistry",
    "CpuMeter",
    "DrainableNode",
    "LocalSnapshot",
    "RegistrySettings",
    "RegistryUnavailableError",
    "check_node_url",
    "default_node_url",
]

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")

PUBLISH_INTERVAL_S: Final = 1.0
"""The heartbeat: how often a node writes its row and sessions when nothing changed."""
READ_INTERVAL_S: Final = 1.0
"""How often a node reads the cluster without a notification (ages heartbeats into lost)."""
CHANGE_CHECK_INTERVAL_S: Final = 0.1
"""How often the local sessions and drain state are compared with what was last written (a set
comparison on the loop, microseconds)."""
LISTEN_WAIT_S: Final = 0.5
"""The listener's wait per round: how soon it sees the stop flag."""
RETRY_AFTER_FAILURE_S: Final = 1.0


class RegistryUnavailableError(GazertcError):
    """The cluster database did not take a request (it is down, or too slow)."""


class DrainableNode(Protocol):
    """What the registry needs of this node's identity and drain state (``server/node.py``)."""

    @property
    def name(self) -> str: ...

    @property
    def draining(self) -> bool: ...

    def start_drain(self) -> None: ...

    def cancel_drain(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LocalSnapshot:
    """This node's sessions as the monitor shows them (``(anon_id, view)``), and its load."""

    views: tuple[tuple[str, JsonObject], ...]
    max_sessions: int
    processed_fps: float


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """``dsn``: the PostgreSQL URL; ``node_url``: where other nodes reach this one; ``listen``:
    LISTEN/NOTIFY on (off: polling every ``read_interval_s`` only, kept for the bench)."""

    dsn: str
    node_url: str
    listen: bool = True
    publish_interval_s: float = PUBLISH_INTERVAL_S
    read_interval_s: float = READ_INTERVAL_S


MAX_NODE_URL_CHARS: Final = 300
_UNSPECIFIED_HOSTS: Final = frozenset({"0.0.0.0", "::", ""})


def check_node_url(url: str) -> str:
    """``url`` without a trailing slash, if it is an ``http``/``https`` URL of a host with no
    path, query or credentials (where the other nodes forward monitor actions to).

    Raises:
        ValueError: anything else.
    """
    parts = urlsplit(url)
    if (
        len(url) > MAX_NODE_URL_CHARS
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.username is not None
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"a node URL is http(s)://host[:port], got {url[:MAX_NODE_URL_CHARS]!r}")
    return url.rstrip("/")


def default_node_url(host: str, port: int, *, tls: bool) -> str:
    """``http(s)://<host>:<port>``; a server listening on every address is named by this
    machine's name, which the other nodes must be able to resolve (else give ``--node-url``)."""
    name = socket.gethostname() if host in _UNSPECIFIED_HOSTS else host
    if ":" in name:  # an IPv6 address
        name = f"[{name}]"
    return f"{'https' if tls else 'http'}://{name}:{port}"


class CpuMeter:
    """CPU time of a set of processes between calls, from ``/proc/<pid>/stat`` (Linux)."""

    def __init__(self) -> None:
        self._ticks_per_s = os.sysconf("SC_CLK_TCK")
        self._last: tuple[float, dict[int, int]] | None = None

    @staticmethod
    def _ticks(pid: int) -> int | None:
        try:
            text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
            # utime and stime are the 14th and 15th fields; the command name before them is in
            # parentheses and may hold spaces.
            fields = text.rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):  # gone, or not Linux
            return None

    def percent(self, pids: Sequence[int]) -> float | None:
        """CPU use of ``pids`` since the last call (100 = one core); None at the first call.
        A process seen for the first time counts from now."""
        now_s = time.monotonic()
        ticks = {pid: tick for pid in pids if (tick := self._ticks(pid)) is not None}
        last, self._last = self._last, (now_s, ticks)
        if last is None or now_s <= last[0]:
            return None
        used = sum(tick - last[1][pid] for pid, tick in ticks.items() if pid in last[1])
        return 100.0 * used / self._ticks_per_s / (now_s - last[0])


class ClusterRegistry:
    """This node's side of the registry: writes its row and sessions, keeps the cluster's.

    Args:
        settings: the database and this node's URL.
        node: this node's name and drain state.
        local: this node's session views and load, taken on the event loop for each write.
        local_ids: this node's sessions' anonymised ids, compared every
            :data:`CHANGE_CHECK_INTERVAL_S` (cheaper than the views).
        pids: this node's processes (the server and its workers), for ``cpu_percent``.
    """

    def __init__(
        self,
        settings: RegistrySettings,
        node: DrainableNode,
        local: Callable[[], LocalSnapshot],
        local_ids: Callable[[], frozenset[str]],
        pids: Callable[[], Sequence[int]],
    ) -> None:
        self.settings = settings
        self.node = node
        self._local = local
        self._local_ids = local_ids
        self._pids = pids
        self._started_unix_ns = time.time_ns()
        self._store = RegistryStore(settings.dsn)
        self._cpu = CpuMeter()
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        """Ends :meth:`_run` even when Python 3.11's ``wait_for`` swallows the task's
        cancellation (a notification's wake-up landing at the same moment)."""
        self._listener: threading.Thread | None = None
        self._stop_listening = threading.Event()
        self._wake = asyncio.Event()
        self._written = asyncio.Event()
        self._view = EMPTY_VIEW
        self._last_cpu_percent: float | None = None

    @property
    def view(self) -> ClusterView:
        """The cluster as last read (empty before the first read)."""
        return self._view

    def live_sessions(self) -> list[RemoteSession]:
        """The sessions of the other nodes that are not lost (as of now)."""
        live = {
            node.report.name
            for node in self._view.aged_nodes(time.monotonic())
            if node.state is not MonitorNodeState.LOST and node.report.name != self.node.name
        }
        return [session for session in self._view.sessions if session.node in live]

    def owner_of(self, anon_id: str) -> NodeStatus | None:
        """The other live node holding session ``anon_id``, or None."""
        owners = {session.node for session in self.live_sessions() if session.anon_id == anon_id}
        for node in self._view.nodes:
            if node.report.name in owners:
                return node
        return None

    def nodes(self, own: NodeReport) -> list[NodeStatus]:
        """Every node known, this one from ``own`` (its live state), sorted by name."""
        others = [
            node for node in self._view.aged_nodes(time.monotonic()) if node.report.name != own.name
        ]
        return sorted([NodeStatus(own, 0.0), *others], key=lambda node: node.report.name)

    def own_report(self, snapshot: LocalSnapshot, cpu_percent: float | None) -> NodeReport:
        return NodeReport(
            name=self.node.name,
            url=self.settings.node_url,
            started_unix_ns=self._started_unix_ns,
            draining=self.node.draining,
            session_count=len(snapshot.views),
            max_sessions=snapshot.max_sessions,
            processed_fps=snapshot.processed_fps,
            cpu_percent=cpu_percent,
        )

    @property
    def last_cpu_percent(self) -> float | None:
        """This node's CPU use as last measured (100 = one core), None before two writes."""
        return self._last_cpu_percent

    async def start(self) -> None:
        """Start writing and reading (the first write and read happen at once)."""
        if self._task is not None:
            return
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="cluster-registry")
        self._stopping = False
        if self.settings.listen:
            loop = asyncio.get_running_loop()
            self._stop_listening.clear()
            self._listener = threading.Thread(
                target=self._listen, args=(loop,), name="cluster-listen", daemon=True
            )
            self._listener.start()
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._task.add_done_callback(_log_failure)

    async def stop(self) -> None:
        """Stop, and remove this node's row and sessions (idempotent; bounded by the
        statement timeout and the listener's wait)."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        self._stop_listening.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            await asyncio.to_thread(listener.join, LISTEN_WAIT_S + CONNECT_TIMEOUT_S)
        executor, self._executor = self._executor, None
        if executor is not None:
            with contextlib.suppress(psycopg.Error):
                await self._call(executor, self._store.remove_node, self.node.name)
            await self._call(executor, self._store.close)
            executor.shutdown(wait=False)

    async def request_drain(self, name: str, draining: bool) -> bool:
        """Ask node ``name`` (another one) to drain or undrain; False: no such node.

        Raises:
            RegistryUnavailableError: the database did not take the request.
        """
        executor = self._require_executor()
        try:
            return await self._call(executor, self._store.request_drain, name, draining)
        except psycopg.Error as exc:
            raise RegistryUnavailableError(f"the cluster database did not answer: {exc}") from exc

    async def wait_written(self) -> None:
        """Wait for the next write of this node's row (for tests and the bench)."""
        self._written.clear()
        await self._written.wait()

    def _require_executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            raise RuntimeError("the cluster registry is not running")
        return self._executor

    @staticmethod
    async def _call(
        executor: ThreadPoolExecutor,
        function: Callable[_P, _T],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, lambda: function(*args, **kwargs))

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """The listener thread: wakes the loop on every notification, reconnects on failure."""
        while not self._stop_listening.is_set():
            try:
                with connect(self.settings.dsn) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stop_listening.is_set():
                        for _ in conn.notifies(timeout=LISTEN_WAIT_S, stop_after=1):
                            loop.call_soon_threadsafe(self._wake.set)
            except psycopg.Error as exc:
                logger.warning("cluster registry: listening failed (%s); retrying", exc)
                self._stop_listening.wait(RETRY_AFTER_FAILURE_S)
            except RuntimeError:  # the loop closed under us: nothing to wake
                return

    async def _run(self) -> None:
        executor = self._require_executor()
        written_key: tuple[frozenset[str], bool] | None = None
        next_write_s = next_read_s = 0.0
        while not self._stopping:
            key = (self._local_ids(), self.node.draining)
            now_s = time.monotonic()
            notified = self._wake.is_set()
            self._wake.clear()
            try:
                if key != written_key or now_s >= next_write_s:
                    changed = written_key is not None and key != written_key
                    await self._write(executor, notify=changed and self.settings.listen)
                    written_key = key
                    next_write_s = now_s + self.settings.publish_interval_s
                    notified = True  # read what the write changed, without waiting
                if notified or now_s >= next_read_s:
                    request, self._view = await self._call(executor, self._refresh)
                    next_read_s = time.monotonic() + self.settings.read_interval_s
                    self._apply(request)
            except psycopg.Error as exc:
                logger.warning("cluster registry: the database failed (%s); retrying", exc)
                await self._call(executor, self._store.close)
                next_write_s = next_read_s = time.monotonic() + RETRY_AFTER_FAILURE_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), CHANGE_CHECK_INTERVAL_S)

    async def _write(self, executor: ThreadPoolExecutor, *, notify: bool) -> None:
        pids = list(self._pids())
        cpu_percent = await self._call(executor, self._cpu.percent, pids)
        if cpu_percent is not None:
            self._last_cpu_percent = cpu_percent
        snapshot = self._local()
        report = self.own_report(snapshot, self._last_cpu_percent)
        await self._call(executor, self._store.publish, report, snapshot.views, notify=notify)
        self._written.set()

    def _refresh(self) -> tuple[bool | None, ClusterView]:
        """On the registry's thread: a drain request left for this node, and the cluster."""
        return self._store.take_drain_request(self.node.name), self._store.read()

    def _apply(self, request: bool | None) -> None:
        if request is not None and request != self.node.draining:
            logger.info(
                "cluster registry: %s requested by the monitor", "drain" if request else "undrain"
            )
            if request:
                self.node.start_drain()
            else:
                self.node.cancel_drain()
            self._wake.set()  # write the new state at once


def _log_failure(task: asyncio.Task[None]) -> None:
    """A registry that stopped on an error it does not expect says so (the node goes on alone)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("cluster registry stopped: %r", error, exc_info=error)
