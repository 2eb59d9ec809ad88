"""``gazertc cluster`` as ``make cluster`` runs it: it prints its address once everything
answers, and SIGTERM stops every process it started (nothing is left behind)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from gazertc.cluster.local import free_port
from gazertc.cluster.postgres_local import find_postgres_bindir
from tests.system_programs import require_programs

pytestmark = pytest.mark.timeout(150)

STOP_TIMEOUT_S = 30.0
"""HAProxy, two nodes (5 s each at most, together), coturn and PostgreSQL, with room."""


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc: children's children too)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces: the parent's pid follows the ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    waiting = [pid]
    while waiting:
        for child in parents.get(waiting.pop(), []):
            found.add(child)
            waiting.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone but not yet reaped by its parent.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_stops_every_process_of_the_cluster(tmp_path: Path) -> None:
    require_programs("haproxy", "turnserver")
    port = free_port()
    command = [sys.executable, "-m", "gazertc", "cluster", "--port", str(port), "--workers", "1"]
    if find_postgres_bindir() is None:
        command.append("--no-database")
    with subprocess.Popen(
        [*command, "--run-dir", str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as launcher:
        try:
            _check_stop_leaves_nothing(launcher, port)
        finally:
            if launcher.poll() is None:
                launcher.kill()


def _check_stop_leaves_nothing(launcher: subprocess.Popen[str], port: int) -> None:
    assert launcher.stdout is not None
    # The one line on stdout (pytest-timeout bounds the wait; "" if the launcher exited).
    line = launcher.stdout.readline()
    assert line.strip() == f"cluster ready: http://127.0.0.1:{port}", line
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
        assert response.status == 200
    started = _descendants(launcher.pid)
    # HAProxy, coturn, two nodes and their workers (and PostgreSQL's processes).
    assert len(started) >= 6, started

    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(STOP_TIMEOUT_S) == 0
    left = sorted(pid for pid in started if _alive(pid))
    assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in left]
