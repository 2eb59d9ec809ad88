"""A real ``gazertc serve`` process on a free port with a temporary data directory."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

SERVER_START_TIMEOUT_S = 60.0
HOST_TOKEN = "test-host-token-0123456789abcdef"
"""The host token every server started here takes (recordings and exports need it)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextlib.contextmanager
def server_process_and_url(
    data_dir: Path, *extra_args: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Yields the process and its URL once ``/health`` answers; stops it with SIGINT
    afterwards (unless it is already gone, e.g. killed by the caller). Its host token is
    :data:`HOST_TOKEN`."""
    port = free_port()
    command = [sys.executable, "-m", "gazertc", "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir), "--host-token", HOST_TOKEN, *extra_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/health", timeout=1.0) as response,
            ):
                if response.status == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the server did not start")
            time.sleep(0.2)
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def server_process(data_dir: Path, *extra_args: str) -> Iterator[str]:
    """Yields the server's URL once ``/health`` answers; stops it with SIGINT afterwards."""
    with server_process_and_url(data_dir, *extra_args) as (_, url):
        yield url
