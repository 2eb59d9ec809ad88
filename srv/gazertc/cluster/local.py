"""A whole cluster on one machine, on loopback: ``gazertc cluster`` and ``make cluster``.

:class:`LocalCluster` starts, in this order: a throwaway PostgreSQL
(:class:`~gazertc.cluster.postgres_local.LocalPostgres`, unless switched off), coturn with a
fresh TURN REST secret, the ``gazertc serve`` nodes (one shared host token, each its own data
directory and name ``node1``, ``node2`` ...), and HAProxy in front of them; the HAProxy and
coturn configurations are rendered from the templates in ``deploy/``. It stops them in the
reverse order: HAProxy first (no new sessions), then the nodes (each closes its sessions and
saves its recordings), coturn, PostgreSQL. Every process it starts is its child and gets
SIGTERM should this process die without stopping them (Linux ``PR_SET_DEATHSIG``), so nothing
outlives it; the signal comes when the *thread* that started them ends, so start a cluster from
a thread that outlives it (the main thread). Logs and configurations are kept in the run
directory (a temporary one unless given), which is removed on stop when it was temporary.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from types import TracebackType
from typing import Final

from gazertc.cluster.postgres_local import LocalPostgres
from gazertc.errors import InputError
from gazertc.server.access import new_token

__all__ = [
    "DEPLOY_DIR",
    "ClusterConfig",
    "ClusterProcess",
    "LocalCluster",
    "free_port",
    "render_template",
]

DEPLOY_DIR: Final = Path(__file__).resolve().parents[3] / "deploy"
"""The source checkout's ``deploy/`` folder, which holds the configuration templates."""
LOOPBACK: Final = "127.0.0.1"
NODE_START_TIMEOUT_S: Final = 90.0
"""A node loads its models and starts its workers: ~5 s alone, longer on a busy machine."""
READY_TIMEOUT_S: Final = 20.0
"""coturn and HAProxy answer within a second; the rest is room for a loaded machine."""
STOP_TIMEOUT_S: Final = 10.0
"""A node promises to stop within 5 s of SIGINT (sessions closed, recordings saved)."""
POLL_INTERVAL_S: Final = 0.2
HEALTH_CHECK_INTERVAL_MS: Final = 500
"""HAProxy's health check period: a drained or dead node stops getting sessions within about
two periods (fall 2); refused offers are retried on another node meanwhile."""
RELAY_PORT_COUNT: Final = 200
"""coturn's UDP relay ports: one per relayed session, many more than a local cluster needs."""
_PR_SET_DEATHSIG: Final = 1
"""prctl(2) option: the signal a child gets when the thread that started it ends."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
    return port


def render_template(name: str, values: dict[str, str], deploy_dir: Path = DEPLOY_DIR) -> str:
    """``deploy/<name>.template`` with its ``$placeholders`` filled from ``values``.

    Raises:
        InputError: no such template (``deploy/`` comes with a source checkout), or one of its
            placeholders has no value.
    """
    path = deploy_dir / f"{name}.template"
    try:
        template = Template(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            f"cannot read {path} ({exc}); gazertc cluster runs from a source checkout"
        ) from exc
    try:
        return template.substitute(values)
    except KeyError as exc:
        raise InputError(f"{path} needs a value for ${exc.args[0]}") from exc


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent goes, however it goes."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_DEATHSIG, signal.SIGTERM)


@dataclass
class ClusterProcess:
    """One process of the cluster, its log, and how it is stopped."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    stop_signal: signal.Signals = signal.SIGTERM

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Ask it to stop, wait up to :data:`STOP_TIMEOUT_S`, then kill it."""
        if not self.alive():
            return
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """What :class:`LocalCluster` starts.

    Attributes:
        port: the balancer's port (the cluster's address).
        node_count: ``gazertc serve`` nodes.
        workers_per_node: pipeline workers of each node; ``None``: the node's default.
        max_sessions_per_node: each node's ``--max-sessions``.
        host_token: the one host token of every node; ``None``: a new random one.
        offer_rate: each node's ``--offer-rate`` (all local clients share one address);
            ``None``: the node's default.
        database: start a throwaway PostgreSQL, the nodes' shared store (``--database``).
        run_dir: where configurations, logs and the nodes' data go; ``None``: a temporary
            directory, removed on stop.
        static_dir: the nodes' ``--static-dir``; ``None``: their default.
        node_args: more ``gazertc serve`` flags for every node.
    """

    port: int = 3000
    node_count: int = 2
    workers_per_node: int | None = None
    max_sessions_per_node: int = 8
    host_token: str | None = field(default=None, repr=False)
    offer_rate: int | None = None
    database: bool = True
    run_dir: Path | None = None
    static_dir: Path | None = None
    node_args: tuple[str, ...] = ()


class LocalCluster:
    """PostgreSQL, coturn, nodes and HAProxy on loopback (a context manager).

    Attributes (after :meth:`start`):
        url: the balancer's address, where participants go.
        node_urls: each node's own address, by node name.
        host_token: the host token of every node.
        turn_url, turn_secret: the TURN server and its shared secret.
        database_dsn: the PostgreSQL DSN, or ``None`` without a database.
    """

    def __init__(self, config: ClusterConfig | None = None) -> None:
        self.config = config or ClusterConfig()
        self.url = f"http://{LOOPBACK}:{self.config.port}"
        self.host_token = self.config.host_token or new_token()
        self.turn_secret = secrets.token_urlsafe(32)
        self.turn_url = ""
        self.node_urls: dict[str, str] = {}
        self.nodes: dict[str, ClusterProcess] = {}
        self.database_dsn: str | None = None
        self.balancer: ClusterProcess | None = None
        self.turn: ClusterProcess | None = None
        self._postgres: LocalPostgres | None = None
        self._temporary_dir: tempfile.TemporaryDirectory[str] | None = None
        self.run_dir = self.config.run_dir or Path()  # a temporary one replaces it in start()

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start everything and wait until the balancer answers ``/health``; stops what was
        started when a part fails.

        Raises:
            InputError: a program is missing, a port is taken, or a part did not start (the
                message has the end of its log).
            LocalPostgresError: PostgreSQL did not start.
        """
        for program in ("haproxy", "turnserver"):
            if shutil.which(program) is None:
                raise InputError(f"{program} is not installed (make {_PACKAGE_TARGET[program]})")
        if _tcp_open(self.config.port):
            raise InputError(f"port {self.config.port} is taken: choose another (CLUSTER_PORT)")
        if self.config.run_dir is None:
            self._temporary_dir = tempfile.TemporaryDirectory(prefix="gazertc-cluster-")
            self.run_dir = Path(self._temporary_dir.name)
        self.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            if self.config.database:
                self._postgres = LocalPostgres(self.run_dir / "postgres")
                self._postgres.start()
                self.database_dsn = self._postgres.dsn
            self._start_turn()
            for index in range(1, self.config.node_count + 1):
                self._start_node(f"node{index}")
            for name, node in self.nodes.items():
                _wait_healthy(node, f"{self.node_urls[name]}/health", NODE_START_TIMEOUT_S)
            self._start_balancer()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop everything (idempotent): balancer, nodes, coturn, PostgreSQL."""
        if self.balancer is not None:
            self.balancer.stop()
        for node in self.nodes.values():
            if node.alive():
                node.process.send_signal(node.stop_signal)  # all nodes stop at once
        for node in self.nodes.values():
            node.stop()
        if self.turn is not None:
            self.turn.stop()
        if self._postgres is not None:
            self._postgres.stop()
        if self._temporary_dir is not None:
            self._temporary_dir.cleanup()
            self._temporary_dir = None

    def processes(self) -> list[ClusterProcess]:
        """Every process started here, still running or not (PostgreSQL's are its own)."""
        started = [self.turn, *self.nodes.values(), self.balancer]
        return [process for process in started if process is not None]

    def _spawn(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str] | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> ClusterProcess:
        log_path = self.run_dir / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                # Its own process group: Ctrl-C in a terminal reaches this process only, which
                # stops the others in order.
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509  (only prctl, before exec)
            )
        return ClusterProcess(name, process, log_path, stop_signal)

    def _start_turn(self) -> None:
        port = free_port()
        min_relay_port = 49152 + secrets.randbelow(16384 - RELAY_PORT_COUNT)
        config_path = self.run_dir / "turnserver.conf"
        config_path.touch(mode=0o600)
        config_path.write_text(
            render_template(
                "turnserver.conf",
                {
                    "secret": self.turn_secret,
                    "realm": "gazertc.local",
                    "listening_ip": LOOPBACK,
                    "relay_ip": LOOPBACK,
                    "port": str(port),
                    "min_relay_port": str(min_relay_port),
                    "max_relay_port": str(min_relay_port + RELAY_PORT_COUNT - 1),
                    # The nodes are on loopback too; coturn refuses such peers by default.
                    "peer_policy": "allow-loopback-peers",
                    "userdb": str(self.run_dir / "turndb"),
                    "pidfile": str(self.run_dir / "turnserver.pid"),
                    "log_file": str(self.run_dir / "turnserver-events.log"),
                },
            ),
            encoding="utf-8",
        )
        self.turn_url = f"turn:{LOOPBACK}:{port}?transport=udp"
        self.turn = self._spawn("turnserver", ["turnserver", "-c", str(config_path)])
        _wait_until(self.turn, lambda: _tcp_open(port), READY_TIMEOUT_S, "coturn listening")

    def _start_node(self, name: str) -> None:
        port = free_port()
        data_dir = self.run_dir / name
        command = [
            sys.executable,
            "-m",
            "gazertc",
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--node-name",
            name,
            "--host-token",
            self.host_token,
            "--turn",
            self.turn_url,
            "--trusted-proxy",
            LOOPBACK,
            "--data-dir",
            str(data_dir),
            "--max-sessions",
            str(self.config.max_sessions_per_node),
            *self.config.node_args,
        ]
        if self.config.workers_per_node is not None:
            command += ["--workers", str(self.config.workers_per_node)]
        if self.config.offer_rate is not None:
            command += ["--offer-rate", str(self.config.offer_rate)]
        if self.config.static_dir is not None:
            command += ["--static-dir", str(self.config.static_dir)]
        if self.database_dsn is not None:
            # Recordings, events and calibration reports of every node in one place; videos
            # stay in each node's data directory.
            command += ["--database", self.database_dsn]
        # The secret goes by the environment: process lists show arguments to everyone.
        env = {**os.environ, "GAZERTC_TURN_SECRET": self.turn_secret}
        # SIGINT: the node closes its sessions and saves its recordings before it exits.
        self.nodes[name] = self._spawn(name, command, env=env, stop_signal=signal.SIGINT)
        self.node_urls[name] = f"http://{LOOPBACK}:{port}"

    def _start_balancer(self) -> None:
        servers = "\n".join(
            f"    server {name} {url.removeprefix('http://')}"
            for name, url in self.node_urls.items()
        )
        config_path = self.run_dir / "haproxy.cfg"
        config_path.write_text(
            render_template(
                "haproxy.cfg",
                {
                    "bind_address": LOOPBACK,
                    "port": str(self.config.port),
                    "check_interval_ms": f"{HEALTH_CHECK_INTERVAL_MS}ms",
                    "servers": servers,
                },
            ),
            encoding="utf-8",
        )
        # -db: stay in the foreground, as a child of this process.
        self.balancer = self._spawn("haproxy", ["haproxy", "-db", "-f", str(config_path)])
        _wait_healthy(self.balancer, f"{self.url}/health", READY_TIMEOUT_S)


_PACKAGE_TARGET: Final = {"haproxy": "haproxy", "turnserver": "coturn"}


def _tcp_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((LOOPBACK, port)) == 0


def _http_ok(url: str) -> bool:
    # URLError and HTTPError (any status but 2xx) are OSErrors.
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2.0) as response:
        status: int = response.status
        return status == 200
    return False


def _wait_healthy(process: ClusterProcess, url: str, timeout_s: float) -> None:
    _wait_until(process, lambda: _http_ok(url), timeout_s, f"{url} answering 200")


def _wait_until(
    process: ClusterProcess, ready: Callable[[], bool], timeout_s: float, what: str
) -> None:
    """Wait until ``ready()``.

    Raises:
        InputError: ``process`` exited or ``timeout_s`` passed first (with its log's tail).
    """
    deadline = time.monotonic() + timeout_s
    while not ready():
        if not process.alive():
            raise InputError(
                f"{process.name} exited with status {process.process.returncode} before "
                f"{what}; its log ({process.log_path}) ends:\n{process.log_tail()}"
            )
        if time.monotonic() > deadline:
            raise InputError(
                f"{process.name}: no {what} within {timeout_s:.0f} s; its log "
                f"({process.log_path}) ends:\n{process.log_tail()}"
            )
        time.sleep(POLL_INTERVAL_S)
