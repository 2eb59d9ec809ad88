"""The application shell: static app, health, the serve command's flags, the lag monitor."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import aiohttp
import pytest

from gazertc.errors import InputError
from gazertc.protocol import validate
from gazertc.server import cli
from gazertc.server.app import LoopLagMonitor, ServerConfig
from tests.server.peer import running_server

pytestmark = pytest.mark.timeout(120)


async def test_serves_the_built_app_and_health(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>gazertc</title>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "main.js").write_text("console.log('hi')")
    config = ServerConfig(static_dir=tmp_path, worker_count=1, max_sessions=2)
    async with running_server(config) as server, aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/") as response:
            assert response.status == 200
            assert "<title>gazertc</title>" in await response.text()
        async with http.get(f"{server.base_url}/assets/main.js") as response:
            assert response.status == 200
            assert await response.text() == "console.log('hi')"
        await asyncio.sleep(0.35)  # a few lag measurements
        async with http.get(f"{server.base_url}/health?lag_window_s=5") as response:
            health = await response.json()
        validate(health, "health")
        assert (health["sessions"], health["max_sessions"], health["workers"]) == (0, 2, 1)
        assert health["loop_lag_ms"]["p50"] is not None
        for bad_window in ("0", "61", "soon"):
            async with http.get(f"{server.base_url}/health?lag_window_s={bad_window}") as response:
                assert response.status == 400
                assert (await response.json())["code"] == "invalid_request"


async def test_lag_monitor_sees_a_blocked_loop() -> None:
    monitor = LoopLagMonitor(interval_s=0.01)
    assert monitor.snapshot() == {"p50": None, "p95": None, "max": None}
    monitor.start()
    await asyncio.sleep(0.05)
    blocked_s = 0.08
    loop_time = asyncio.get_running_loop().time
    until = loop_time() + blocked_s
    while loop_time() < until:  # hold the loop, as a blocking call would
        pass
    await asyncio.sleep(0.03)
    await monitor.stop()
    snapshot = monitor.snapshot()
    assert snapshot["max"] is not None and snapshot["max"] >= blocked_s * 1000 * 0.8
    assert snapshot["p50"] is not None and snapshot["p50"] < 20
    assert monitor.snapshot(window_s=1e-6)["max"] is None


def _args(*flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(flags))


def test_serve_flags_have_sane_defaults() -> None:
    args = _args()
    assert (args.host, args.port, args.max_sessions, args.stun) == ("127.0.0.1", 3000, 8, [])


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--cert", "c.pem"), "--cert and --key go together"),
        (("--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem"), "cannot load"),
        (("--workers", "0"), "--workers must be at least 1"),
        (("--max-sessions", "0"), "--max-sessions must be at least 1"),
        (("--turn", "turn:x", "--turn-username", "u"), "go together"),
        (("--static-dir", "/nonexistent"), "has no index.html"),
    ],
)
def test_serve_rejects_inconsistent_flags(flags: tuple[str, ...], message: str) -> None:
    with pytest.raises(InputError, match=message):
        cli.run(_args(*flags))
