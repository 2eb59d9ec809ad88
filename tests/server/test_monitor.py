"""The monitor API: anonymised live sessions with their gaze trace, recording and events
controlled from it, host recording refused when the server says so; the trace itself; ``gazertc
serve`` printing the monitor's address. Which credential opens which route: test_access.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from gazertc.errors import InputError
from gazertc.protocol import validate
from gazertc.records import SampleMessage
from gazertc.server import cli
from gazertc.server.app import SESSIONS_KEY, ServerConfig, create_app
from gazertc.server.monitor import MONITOR_KEY, Monitor
from gazertc.server.node import NODE_KEY
from gazertc.server.registry import SessionRegistry
from gazertc.server.session_settings import SessionLimits
from gazertc.server.trace import GazeTrace
from tests.client.server_process import free_port
from tests.server.peer import GazeClient, RunningServer, running_server, video_track

pytestmark = pytest.mark.timeout(120)

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "messages"
TOKEN = "monitor-test-token-0123456789"
SESSION_ID = "3f2a9c0e5b7d41e8a6c4d2b0f9e8a7c6"


def _fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))
    return loaded


# -- the trace ------------------------------------------------------------------------------


def test_trace_keeps_the_last_gaze_points_and_skips_frames_without_gaze() -> None:
    trace = GazeTrace(max_points=3)
    face = _fixture("sample.face.json")
    for index in range(5):
        trace.add(
            SampleMessage.from_dict({**face, "timestamp_unix_ns": 1000 + index}),
            processed_s=index / 25,
        )
    trace.add(SampleMessage.from_dict(_fixture("sample.no_face.json")), processed_s=5 / 25)
    points = trace.points()
    assert [point.timestamp_unix_ns for point in points] == [1002, 1003, 1004]
    assert points[-1].yaw_deg == face["gaze"]["yaw_deg"]
    assert points[-1].pitch_deg == face["gaze"]["pitch_deg"]
    assert points[-1].screen_x_px is None
    assert not trace.face_found  # the latest sample had none
    assert not trace.calibrated


def test_trace_takes_the_smoothed_screen_point_once_calibrated() -> None:
    trace = GazeTrace()
    calibrated = _fixture("sample.calibrated.json")
    trace.add(SampleMessage.from_dict(calibrated), processed_s=0.0)
    (point,) = trace.points()
    assert (point.screen_x_px, point.screen_y_px) == (
        calibrated["screen_point"]["smoothed_x_px"],
        calibrated["screen_point"]["smoothed_y_px"],
    )
    assert trace.calibrated and trace.face_found


def test_trace_rate_counts_recent_samples_and_falls_when_they_stop() -> None:
    trace = GazeTrace(rate_window_s=2.0)
    assert trace.processed_fps(10.0) == 0.0
    face = _fixture("sample.face.json")
    for index in range(100):  # 4 s at 25 fps
        trace.add(SampleMessage.from_dict(face), processed_s=index / 25)
    assert trace.processed_fps(99 / 25) == pytest.approx(25.0, rel=0.02)
    assert trace.processed_fps(99 / 25 + 1.0) == pytest.approx(12.5, rel=0.05)
    assert trace.processed_fps(99 / 25 + 2.0) == 0.0
    young = GazeTrace()
    for index in range(6):  # only 0.2 s old: the rate is over its life, not the full window
        young.add(SampleMessage.from_dict(face), processed_s=index / 25)
    assert young.processed_fps(5 / 25) == pytest.approx(30.0)


def test_trace_refuses_nonsense_sizes() -> None:
    with pytest.raises(ValueError, match="max_points"):
        GazeTrace(max_points=0)
    with pytest.raises(ValueError, match="rate_window_s"):
        GazeTrace(rate_window_s=0)


# -- anonymised ids ---------------------------------------------------------------------------


def test_anon_ids_are_stable_keyed_and_unrelated_to_the_session_id() -> None:
    monitor = Monitor(SessionRegistry(2), key=b"k" * 32)
    anon = monitor.anon_id(SESSION_ID)
    assert re.fullmatch(r"[0-9a-f]{16}", anon)
    assert anon == monitor.anon_id(SESSION_ID)
    assert anon not in SESSION_ID
    assert monitor.anon_id("0" * 32) != anon
    assert Monitor(SessionRegistry(2), key=b"j" * 32).anon_id(SESSION_ID) != anon
    assert Monitor(SessionRegistry(2)).anon_id(SESSION_ID) != anon  # a random key


# -- the API on a real server ----------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def monitored(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    """The real server with the real pipeline, recordings in a temporary directory."""
    config = ServerConfig(
        static_dir=None,
        worker_count=2,
        max_sessions=2,
        limits=SessionLimits(idle_timeout_s=5.0),
        data_dir=tmp_path_factory.mktemp("monitor-data"),
        host_token=TOKEN,
    )
    async with running_server(config) as running:
        yield running


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _request(
    server: RunningServer,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{server.base_url}{path}", headers=headers, json=body) as response,
    ):
        answer: dict[str, Any] = await response.json()
        return response.status, answer, dict(response.headers)


MONITOR_REQUESTS = [
    ("GET", "/api/monitor/sessions", None),
    ("POST", "/api/monitor/sessions/0123456789abcdef/recording", {"action": "start"}),
    ("POST", "/api/monitor/sessions/0123456789abcdef/events", {"name": "onset"}),
]


@pytest.mark.asyncio(loop_scope="module")
async def test_with_the_token_an_idle_server_lists_nothing_and_unknown_ids_are_404(
    monitored: RunningServer,
) -> None:
    status, answer, headers = await _request(
        monitored, "GET", "/api/monitor/sessions", headers=_auth()
    )
    assert status == 200
    validate(answer, "monitor_session_list")
    assert answer["sessions"] == []
    assert answer["host_recording_allowed"] is True
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Encoding"] in {"gzip", "deflate"}  # aiohttp's client accepts both
    for method, path, body in MONITOR_REQUESTS[1:]:
        status, answer, _ = await _request(monitored, method, path, headers=_auth(), body=body)
        assert (status, answer["code"]) == (404, "not_found")


@pytest.mark.asyncio(loop_scope="module")
async def test_without_a_cluster_the_monitor_knows_this_node_alone_and_can_drain_it(
    monitored: RunningServer,
) -> None:
    node = monitored.app[NODE_KEY]
    status, answer, _ = await _request(monitored, "GET", "/api/monitor/sessions", headers=_auth())
    assert status == 200
    validate(answer, "monitor_session_list")
    assert answer["node"] == node.name
    (shown,) = answer["nodes"]
    assert (shown["name"], shown["state"], shown["sessions"]) == (node.name, "up", 0)
    assert shown["max_sessions"] == 2 and shown["heartbeat_age_s"] == 0.0
    drain = f"/api/monitor/nodes/{node.name}/drain"
    try:
        status, answer, _ = await _request(monitored, "POST", drain, headers=_auth())
        assert (status, answer) == (200, {"node": node.name, "draining": True, "applied": True})
        assert node.draining
        status, answer, _ = await _request(
            monitored, "GET", "/api/monitor/sessions", headers=_auth()
        )
        assert [entry["state"] for entry in answer["nodes"]] == ["draining"]
    finally:
        status, answer, _ = await _request(
            monitored, "POST", f"/api/monitor/nodes/{node.name}/undrain", headers=_auth()
        )
    assert (status, answer["draining"], node.draining) == (200, False, False)
    # No cluster: no other node to drain; and only the host may drain.
    status, answer, _ = await _request(
        monitored, "POST", "/api/monitor/nodes/elsewhere/drain", headers=_auth()
    )
    assert (status, answer["code"]) == (404, "not_found")
    status, answer, _ = await _request(monitored, "POST", drain, headers=_auth("x" * 43))
    assert (status, answer["code"], node.draining) == (403, "forbidden", False)
    status, answer, _ = await _request(monitored, "POST", drain)
    assert (status, answer["code"], node.draining) == (401, "unauthorized", False)


async def _monitored_session(server: RunningServer, anon_id: str) -> dict[str, Any]:
    status, answer, _ = await _request(server, "GET", "/api/monitor/sessions", headers=_auth())
    assert status == 200
    validate(answer, "monitor_session_list")
    (session,) = [entry for entry in answer["sessions"] if entry["anon_id"] == anon_id]
    assert isinstance(session, dict)
    return session


async def _wait_for_session(
    server: RunningServer, anon_id: str, ready: str, timeout_s: float = 15.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        session = await _monitored_session(server, anon_id)
        if (
            ready == "tracing"
            and session["face_found"]
            and len(session["trace"]) >= 10
            and session["processed_fps"] > 1
        ):
            return session
        if time.monotonic() > deadline:
            raise AssertionError(f"the monitor did not show the session {ready}: {session}")
        await asyncio.sleep(0.25)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_live_session_is_shown_anonymised_and_its_recording_is_controlled(
    monitored: RunningServer, cap12_path: Path
) -> None:
    client = GazeClient(monitored.base_url, video_track(cap12_path))
    await client.connect()
    session_id = client.session_id
    assert session_id is not None
    anon_id = monitored.app[MONITOR_KEY].anon_id(session_id)
    try:
        shown = await _wait_for_session(monitored, anon_id, "tracing")
        assert anon_id != session_id
        status, listing, _ = await _request(
            monitored, "GET", "/api/monitor/sessions", headers=_auth()
        )
        assert session_id not in json.dumps(listing)
        assert shown["state"] == "live"
        assert (shown["recording"], shown["recording_id"], shown["calibrated"]) == (
            "idle",
            None,
            False,
        )
        times = [point["timestamp_unix_ns"] for point in shown["trace"]]
        assert times == sorted(times)
        assert len(times) <= listing["trace_max_points"]
        assert all(abs(point["yaw_deg"]) < 90 for point in shown["trace"])
        assert listing["server_time_unix_ns"] >= times[-1]

        live = monitored.app[SESSIONS_KEY].get(session_id)
        assert live is not None
        base = f"/api/monitor/sessions/{anon_id}"
        status, started, _ = await _request(
            monitored,
            "POST",
            f"{base}/recording",
            headers=_auth(),
            body={"action": "start", "name": "from the monitor"},
        )
        assert status == 200, started
        validate(started, "monitor_recording_info")
        assert (started["anon_id"], started["state"], started["name"]) == (
            anon_id,
            "recording",
            "from the monitor",
        )
        assert (started["started_by"], started["stopped_by"]) == ("host", None)
        assert live.recording_id == started["recording_id"]
        await client.wait_for(
            lambda: any(
                message["recording"]["state"] == "recording"
                for message in client.of_type("recording_status")
            ),
            what="the participant told of the recording",
        )
        (told,) = client.of_type("recording_status")
        validate(told, "recording_status")
        assert told["recording"]["started_by"] == "host"
        assert (await _monitored_session(monitored, anon_id))["recording"] == "recording"

        status, again, _ = await _request(
            monitored, "POST", f"{base}/recording", headers=_auth(), body={"action": "start"}
        )
        assert (status, again["code"]) == (409, "recording_in_progress")
        status, event, _ = await _request(
            monitored, "POST", f"{base}/events", headers=_auth(), body={"name": "stimulus_onset"}
        )
        assert status == 200, event
        validate(event, "monitor_event")
        assert (event["recording_id"], event["source"]) == (started["recording_id"], "arrival")
        status, bad, _ = await _request(
            monitored, "POST", f"{base}/events", headers=_auth(), body={"name": ""}
        )
        assert (status, bad["code"]) == (400, "invalid_request")

        await asyncio.sleep(1.0)  # samples to record
        status, stopped, _ = await _request(
            monitored, "POST", f"{base}/recording", headers=_auth(), body={"action": "stop"}
        )
        assert status == 200, stopped
        validate(stopped, "monitor_recording_info")
        assert (stopped["state"], stopped["started_by"], stopped["stopped_by"]) == (
            "saved",
            "host",
            "host",
        )
        assert stopped["event_count"] == 1
        assert stopped["sample_count"] >= 10
        assert live.recording_id is None

        # The store has it, as the recordings API shows.
        status, stored, _ = await _request(
            monitored, "GET", f"/api/recordings/{started['recording_id']}", headers=_auth()
        )
        assert status == 200
        assert (stored["state"], stored["session_id"], stored["event_count"]) == (
            "saved",
            session_id,
            1,
        )
        assert stored["sample_count"] == stopped["sample_count"]
        assert (await _monitored_session(monitored, anon_id))["recording"] == "idle"
        status, not_recording, _ = await _request(
            monitored, "POST", f"{base}/recording", headers=_auth(), body={"action": "stop"}
        )
        assert (status, not_recording["code"]) == (409, "not_recording")
    finally:
        await client.close()
    await monitored.wait_for_sessions(0)
    status, after, _ = await _request(monitored, "GET", "/api/monitor/sessions", headers=_auth())
    assert after["sessions"] == []


async def test_monitor_page_is_served_by_the_app(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>gazertc</title>")
    config = ServerConfig(static_dir=tmp_path, worker_count=1, host_token=TOKEN)
    async with (
        running_server(config) as server,
        aiohttp.ClientSession() as http,
        http.get(f"{server.base_url}/monitor") as response,
    ):
        assert response.status == 200
        assert "<title>gazertc</title>" in await response.text()


def test_a_bad_configured_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        create_app(ServerConfig(static_dir=None, worker_count=1, host_token="short"))


@pytest.mark.parametrize(
    ("token", "message"),
    [("short", "at least 16 characters"), ("spaces are not allowed here", "only A-Z")],
)
@pytest.mark.parametrize("flag", ["--host-token", "--monitor-token"])
def test_serve_refuses_a_weak_or_odd_host_token(flag: str, token: str, message: str) -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args([flag, token])
    with pytest.raises(InputError, match=f"--host-token: .*{message}"):
        cli.run(args)


def test_serve_prints_the_monitor_address_once_and_the_token_works(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "gazertc", "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        lines = [process.stderr.readline()]
        # Notices (such as "no web app found" in a checkout without `make app`) come first.
        while not lines[-1].startswith("gazertc: serving on") and len(lines) < 5:
            lines.append(process.stderr.readline())
        lines.append(process.stderr.readline())
        match = re.fullmatch(
            rf"gazertc: monitor: http://127\.0\.0\.1:{port}/monitor#token=([A-Za-z0-9_-]+)\n",
            lines[-1],
        )
        assert match is not None, lines
        token = match.group(1)
        assert len(token) >= 43  # 256 random bits
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        status = 0
        while status != 200:
            assert time.monotonic() < deadline, "the server did not answer"
            status = _get_status(f"{base_url}/api/monitor/sessions", token)
        assert _get_status(f"{base_url}/api/monitor/sessions", token[::-1]) == 403
        assert _get_status(f"{base_url}/api/recordings", token) == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=15)
    assert "monitor#token=" not in rest


def _get_status(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=1.0) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        time.sleep(0.2)
        return 0
