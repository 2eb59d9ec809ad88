"""The ``gazertc cluster`` command: a local cluster until Ctrl-C or SIGTERM (flags only; the
cluster itself is :class:`gazertc.cluster.local.LocalCluster`)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Final

from gazertc.errors import InputError

if TYPE_CHECKING:
    from gazertc.cluster.local import LocalCluster

__all__ = ["add_arguments", "run"]

WATCH_INTERVAL_S: Final = 0.5
"""How often the running cluster's processes are looked at (a dead one is reported)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``cluster`` flags to ``parser``."""
    parser.add_argument(
        "--port", type=int, default=3000, help="the balancer's port on 127.0.0.1 (default 3000)"
    )
    parser.add_argument("--nodes", type=int, default=2, help="gazertc serve nodes (default 2)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="pipeline workers per node (default: one per usable core)",
    )
    parser.add_argument(
        "--max-sessions", type=int, default=8, help="each node's --max-sessions (default 8)"
    )
    parser.add_argument(
        "--host-token",
        default=None,
        metavar="TOKEN",
        help="the host token of every node (default: a new random one, printed)",
    )
    parser.add_argument(
        "--offer-rate",
        type=int,
        default=None,
        metavar="N",
        help="each node's --offer-rate (every local client has the same address)",
    )
    parser.add_argument(
        "--no-database",
        dest="database",
        action="store_false",
        help="start no PostgreSQL: each node keeps its recordings in SQLite",
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="keep configurations, logs and data here (default: a temporary directory, "
        "removed on exit)",
    )
    parser.add_argument(
        "--static-dir", type=Path, default=None, help="each node's --static-dir (the web app)"
    )


class _StopSignalError(Exception):
    """SIGTERM or SIGINT arrived."""


def _raise_stop(signum: int, _: FrameType | None) -> None:
    raise _StopSignalError(signal.Signals(signum).name)


def run(args: argparse.Namespace) -> int:
    """Run the cluster until SIGINT or SIGTERM; returns the exit status (1 when the balancer
    died).

    Raises:
        InputError: unusable flags, missing programs, or a part that did not start.
    """
    from gazertc.cluster.local import ClusterConfig, LocalCluster  # noqa: PLC0415
    from gazertc.server.access import check_token  # noqa: PLC0415

    if args.nodes < 1:
        raise InputError(f"--nodes must be at least 1, got {args.nodes}")
    if args.host_token is not None:
        try:
            check_token(args.host_token)
        except ValueError as exc:
            raise InputError(f"--host-token: {exc}") from exc
    config = ClusterConfig(
        port=args.port,
        node_count=args.nodes,
        workers_per_node=args.workers,
        max_sessions_per_node=args.max_sessions,
        host_token=args.host_token,
        offer_rate=args.offer_rate,
        database=args.database,
        run_dir=args.run_dir,
        static_dir=args.static_dir,
    )
    # Both signals stop the cluster in order, also while it starts.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    cluster = LocalCluster(config)
    try:
        cluster.start()
        _print_ready(cluster)
        return _watch(cluster)
    except _StopSignalError as stop:
        print(f"gazertc cluster: {stop}, stopping", file=sys.stderr)
        return 0
    finally:
        # No signal may interrupt the stop itself.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cluster.stop()
        print("gazertc cluster: stopped", file=sys.stderr)


def _print_ready(cluster: LocalCluster) -> None:
    err = sys.stderr
    print(f"gazertc cluster: run directory {cluster.run_dir}", file=err)
    for name, url in cluster.node_urls.items():
        drain = f"{url}/api/monitor/nodes/{name}/drain"
        print(f"gazertc cluster: {name} {url} (drain: POST {drain})", file=err)
    print(f"gazertc cluster: TURN {cluster.turn_url}", file=err)
    if cluster.database_dsn is not None:
        print(f"gazertc cluster: database {cluster.database_dsn}", file=err)
    print(f"gazertc cluster: monitor {cluster.url}/monitor#token={cluster.host_token}", file=err)
    print(f"cluster ready: {cluster.url}", flush=True)


def _watch(cluster: LocalCluster) -> int:
    """Report processes that end; return 1 when the balancer does (the cluster is gone)."""
    reported: set[str] = set()
    while True:
        for process in cluster.processes():
            if not process.alive() and process.name not in reported:
                reported.add(process.name)
                print(
                    f"gazertc cluster: {process.name} exited with status "
                    f"{process.process.returncode} (log: {process.log_path})",
                    file=sys.stderr,
                    flush=True,
                )
        if cluster.balancer is not None and not cluster.balancer.alive():
            return 1
        time.sleep(WATCH_INTERVAL_S)
