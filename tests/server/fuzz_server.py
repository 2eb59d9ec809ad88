"""A real server process for the fuzz suites, with its log captured: every traceback it prints
is a finding.

Run as ``python -m tests.server.fuzz_server PORT DATA_DIR HOST_TOKEN``: the application of
``gazertc serve`` (:func:`gazertc.server.app.create_app`, logging configured as the command
does) with limits a fuzz run needs: a short connect timeout, so that the sessions of offers that
never connect are gone within seconds, and an offer rate high enough not to hide the routes
behind 429s. :class:`FuzzServer` starts it, watches ``/health`` and reads its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp

from tests.client.server_process import free_port

START_TIMEOUT_S: Final = 60.0
"""Start-up loads the models in a worker: about 5 s, much longer on a busy machine."""
CONNECT_TIMEOUT_S: Final = 2.0
"""Offers the fuzzer makes never connect: their sessions are closed after this long."""
IDLE_TIMEOUT_S: Final = 5.0
"""The suites' own clients stream all along; a shorter timeout would only add risk."""
MAX_SESSIONS: Final = 16
"""Two for the suites' own clients, the rest for fuzzed offers that are accepted and wait out
the connect timeout (more are refused with 503 before their body is read)."""
MAX_LOOP_LAG_MS: Final = 500.0
"""The event loop is late by about 10-20 ms during the suites (more on a busy machine); half a
second means one input held it (a 14 KB message that a quadratic scan took 1.5 s over)."""
OFFER_RATE: Final = 100_000
"""Per address per window: the fuzzer offers from one address far faster than a person."""

FAILURE_MARKERS: Final = (
    "Traceback (most recent call last)",
    "Task exception was never retrieved",
    "Exception in callback",
    "Error handling request",
    "Unhandled exception",
)
"""What Python, asyncio and aiohttp print for an exception nobody handled."""


_RECORD_START: Final = re.compile(r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


def _is_parser(record: str) -> bool:
    return (
        record.startswith("ERROR aiohttp.server: Error handling request")
        and "in data_received" in record
        and "\naiohttp.http_exceptions." in record
        and "/gazertc/" not in record
    )


def _static_dir(root: Path) -> Path:
    """A small web app of its own (the built one may be rebuilt while the suite runs)."""
    static = root / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>fuzz</title>\n", "utf-8")
    (static / "assets" / "app.js").write_text("console.log('fuzz');\n", "utf-8")
    return static


def _serve(port: int, data_dir: Path, host_token: str) -> None:
    from aiohttp import web  # noqa: PLC0415  (the parent process never serves)

    from gazertc.server.app import ServerConfig, create_app  # noqa: PLC0415
    from gazertc.server.guards import EdgeConfig  # noqa: PLC0415
    from gazertc.server.session_settings import SessionLimits  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = ServerConfig(
        port=port,
        static_dir=_static_dir(data_dir.parent),
        worker_count=1,
        max_sessions=MAX_SESSIONS,
        data_dir=data_dir,
        limits=SessionLimits(idle_timeout_s=IDLE_TIMEOUT_S, connect_timeout_s=CONNECT_TIMEOUT_S),
        host_token=host_token,
        edge=EdgeConfig(offer_rate=OFFER_RATE),
    )
    web.run_app(create_app(config), host="127.0.0.1", port=port, print=None, access_log=None)


@dataclass
class FuzzServer:
    """A running fuzz server: its URL, host token and log file."""

    process: subprocess.Popen[bytes]
    base_url: str
    host: str
    host_token: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def records(self) -> list[str]:
        """The log's records: a line ``LEVEL logger: message`` and what follows it (a
        traceback), or a stray line printed outside logging."""
        records: list[str] = []
        for line in self.log().splitlines():
            if not records or _RECORD_START.match(line):
                records.append(line)
            else:
                records[-1] += "\n" + line
        return records

    def failures(self) -> list[str]:
        """Records that show an exception nobody handled, except the HTTP parser's (see
        :meth:`parser_refusals`)."""
        return [
            record
            for record in self.records()
            if any(marker in record for marker in FAILURE_MARKERS) and not _is_parser(record)
        ]

    def parser_refusals(self) -> int:
        """Requests aiohttp's HTTP parser refused (a malformed request line or header, broken
        framing): aiohttp logs each with its traceback at ERROR, before any application code
        runs. Counted, not failed: nothing of gazertc ran."""
        return sum(_is_parser(record) for record in self.records())

    def warnings(self) -> list[str]:
        return [
            line for line in self.log().splitlines() if re.match(r"(WARNING|ERROR|CRITICAL) ", line)
        ]

    async def health(self) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.base_url}/health", timeout=aiohttp.ClientTimeout(total=10)) as answer,
        ):
            assert answer.status == 200, answer.status
            body: dict[str, Any] = await answer.json()
            return body

    async def loop_lag_max_ms(self) -> float:
        """The longest the server's event loop was late over the last minute: a message or
        request that is slow to handle (say, quadratic in its size) shows here."""
        lag_ms = (await self.health())["loop_lag_ms"]["max"]
        return 0.0 if lag_ms is None else float(lag_ms)

    async def wait_for_sessions(self, count: int, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while (sessions := (await self.health())["sessions"]) != count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} session(s), the server has {sessions}")
            await asyncio.sleep(0.2)


@contextlib.contextmanager
def fuzz_server(tmp_path: Path) -> Iterator[FuzzServer]:
    """Start the fuzz server; yields once ``/health`` answers; stops it with SIGINT after."""
    port = free_port()
    host_token = secrets.token_urlsafe(32)
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.server.fuzz_server",
                str(port),
                str(tmp_path / "data"),
                host_token,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = FuzzServer(
        process, f"http://127.0.0.1:{port}", f"127.0.0.1:{port}", host_token, log_path
    )
    try:
        _wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(server: FuzzServer) -> None:
    import urllib.request  # noqa: PLC0415

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{server.base_url}/health", timeout=1.0) as answer,
        ):
            if answer.status == 200:
                return
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the fuzz server did not start:\n{server.log()}")
        time.sleep(0.2)


if __name__ == "__main__":
    _serve(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
