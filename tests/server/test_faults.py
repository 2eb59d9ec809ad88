"""Faults on a real server: a worker killed mid-session, SIGTERM/SIGINT with live recording
sessions, a recording write that fails. Real ``gazertc serve`` processes (the writer failure:
the real application in-process, so that a bad row can be pushed straight into its store) and
real aiortc peers streaming a real video."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from gazertc.recording.export import export_csv
from gazertc.recording.store import connect_read_only, list_recording_infos
from gazertc.records import EventSource, RecordingActor, RecordingState, StoredEvent
from gazertc.server.app import RECORDINGS_KEY, SESSIONS_KEY, ServerConfig
from tests.client.server_process import free_port
from tests.server.peer import GazeClient, running_server, video_track

pytestmark = pytest.mark.timeout(180)

SERVER_START_TIMEOUT_S = 60.0
SHUTDOWN_LIMIT_S = 5.0
"""The brief: SIGTERM or SIGINT ends ``gazertc serve`` within 5 s, sessions live."""
RESUME_MARGIN_S = 1.0
"""Samples may pause for the worker's start time plus this much after it is killed."""
_READY_LOG = re.compile(r"worker (\d+) ready \(pid (\d+)\) after ([0-9.]+) s")


@dataclass
class _Server:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        """The live pipeline workers, from their "ready" log lines (they are the fork server's
        children, not the server's)."""
        pids = {int(match[1]) for match in _READY_LOG.findall(self.log())}
        return sorted(pid for pid in pids if Path(f"/proc/{pid}").exists())


@contextlib.contextmanager
def _serve(tmp_path: Path, *extra_args: str) -> Iterator[_Server]:
    """``gazertc -v serve`` with one worker and a data directory, its log in a file."""
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gazertc", "-v", "serve", "--port", str(port), "--workers",
             "1", "--data-dir", str(tmp_path / "data"), *extra_args],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip
    server = _Server(process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while "pipeline worker(s) ready" not in server.log():
            assert process.poll() is None, server.log()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def _health(base_url: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/health") as response:
        assert response.status == 200
        body: dict[str, object] = await response.json()
    return body


@contextlib.asynccontextmanager
async def _clients(base_url: str, video: Path, count: int) -> AsyncIterator[list[GazeClient]]:
    clients = [GazeClient(base_url, video_track(video)) for _ in range(count)]
    try:
        await asyncio.gather(*(client.connect() for client in clients))
        yield clients
    finally:
        await asyncio.gather(*(client.close() for client in clients))


async def _start_recording(client: GazeClient, name: str) -> str:
    client.send({"v": 1, "type": "recording", "action": "start", "name": name})
    await client.wait_for(lambda: bool(client.of_type("recording_status")), what="recording")
    recording_id: str = client.of_type("recording_status")[0]["recording"]["recording_id"]
    return recording_id


def _has(client: GazeClient, message_type: str, count: int) -> Callable[[], bool]:
    return lambda: len(client.of_type(message_type)) >= count


def _sample_arrivals_s(client: GazeClient) -> list[float]:
    return [m.received_unix_ns / 1e9 for m in client.messages if m.message["type"] == "sample"]


async def test_a_killed_worker_is_replaced_and_the_session_carries_on(
    tmp_path: Path, cap12_path: Path
) -> None:
    with _serve(tmp_path) as server:
        async with _clients(server.url, cap12_path, 1) as (client,):
            await client.wait_for(lambda: len(client.of_type("sample")) >= 30, what="samples")
            (worker_pid,) = server.worker_pids()
            killed_s = time.time()
            os.kill(worker_pid, signal.SIGKILL)
            await client.wait_for(
                lambda: any(m.get("pipeline_restarts") == 1 for m in client.of_type("status")),
                what="a status telling of the restart",
            )
            await client.wait_for(
                lambda: any(t > killed_s for t in _sample_arrivals_s(client)),
                timeout_s=30.0,
                what="samples after the restart",
            )
            await client.wait_for(
                lambda: sum(t > killed_s for t in _sample_arrivals_s(client)) >= 30,
                what="samples going on",
            )
            assert (await _health(server.url))["sessions"] == 1
        log = server.log()

    starts = [(int(index), float(seconds)) for index, _, seconds in _READY_LOG.findall(log)]
    assert len(starts) == 2, log  # the first worker and its replacement
    replacement_start_s = starts[1][1]
    arrivals = _sample_arrivals_s(client)
    last_before = max(t for t in arrivals if t < killed_s)
    first_after = min(t for t in arrivals if t > killed_s)
    gap_s = first_after - last_before
    print(f"worker start {replacement_start_s:.2f} s, sample gap {gap_s:.2f} s")
    assert gap_s < replacement_start_s + RESUME_MARGIN_S, (gap_s, replacement_start_s)
    assert not client.of_type("error"), client.of_type("error")  # nothing fatal, nothing at all
    restarted = [m for m in client.of_type("sample") if m["received_unix_ns"] / 1e9 > killed_s]
    assert restarted[0]["frame_index"] == 0  # a fresh tracker


@pytest.mark.parametrize(
    "stop_signal",
    [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")],
)
async def test_a_stop_signal_ends_the_server_quickly_and_saves_the_recordings(
    tmp_path: Path, cap12_path: Path, stop_signal: signal.Signals
) -> None:
    with _serve(tmp_path, "--max-sessions", "4") as server:
        async with _clients(server.url, cap12_path, 3) as clients:
            recordings = [
                await _start_recording(client, f"p{index}") for index, client in enumerate(clients)
            ]
            await asyncio.gather(
                *(client.wait_for(_has(client, "sample", 20)) for client in clients)
            )
            started = time.monotonic()
            server.process.send_signal(stop_signal)
            exit_code = await asyncio.to_thread(server.process.wait, 30.0)
            stopped_s = time.monotonic() - started
        log = server.log()

    print(f"{stop_signal.name}: exited after {stopped_s:.2f} s")
    assert stopped_s < SHUTDOWN_LIMIT_S, log
    assert exit_code == 0, log
    assert "Traceback" not in log, log
    connection = connect_read_only(tmp_path / "data")
    try:
        infos = {info.recording_id: info for info in list_recording_infos(connection)}
        assert set(infos) == set(recordings)
        for recording_id in recordings:
            info = infos[recording_id]
            assert info.state is RecordingState.SAVED
            assert info.stopped_by is RecordingActor.SERVER
            assert info.sample_count >= 18  # frames captured before the start are not kept
            assert info.write_errors == 0
        files = export_csv(connection, recordings[0], tmp_path / "export")
    finally:
        connection.close()
    samples_csv = next(path for path in files if path.name == "samples.csv")
    assert len(samples_csv.read_text().splitlines()) == infos[recordings[0]].sample_count + 1


async def test_a_failed_recording_write_is_reported_and_harms_nothing_else(
    tmp_path: Path, cap12_path: Path
) -> None:
    config = ServerConfig(static_dir=None, worker_count=1, data_dir=tmp_path / "data")
    async with (
        running_server(config) as server,
        _clients(server.base_url, cap12_path, 2) as (victim, bystander),
    ):
        victim_recording = await _start_recording(victim, "victim")
        bystander_recording = await _start_recording(bystander, "bystander")
        await victim.wait_for(lambda: len(victim.of_type("sample")) >= 10, what="samples")
        # Past the protocol's bounds, straight into the store: the value SQLite cannot hold.
        store = server.app[RECORDINGS_KEY]
        session = server.app[SESSIONS_KEY].get(victim.session_id or "")
        assert session is not None
        store.add_event(
            StoredEvent("overflow", 2**63, time.time_ns(), EventSource.CLIENT,
                        session.session_id, victim_recording)
        )  # fmt: skip
        await victim.wait_for(
            lambda: any(e["code"] == "recording_write_failed" for e in victim.of_type("error")),
            what="the write failure report",
        )
        assert (await _health(server.base_url))["sessions"] == 2
        for client in (victim, bystander):
            client.send({"v": 1, "type": "event", "name": "after"})
        await asyncio.sleep(0.5)
        for client in (victim, bystander):
            client.send({"v": 1, "type": "recording", "action": "stop"})
            await client.wait_for(_has(client, "recording_status", 2), what="the stop")
        assert (await _health(server.base_url))["status"] == "ok"

    (error,) = victim.of_type("error")
    assert error["fatal"] is False
    assert error["ref_type"] == "recording"
    assert "event 'overflow'" in error["message"]
    assert "OverflowError" in error["message"]
    assert bystander.of_type("error") == []
    victim_info = victim.of_type("recording_status")[-1]["recording"]
    bystander_info = bystander.of_type("recording_status")[-1]["recording"]
    assert (victim_info["recording_id"], bystander_info["recording_id"]) == (
        victim_recording,
        bystander_recording,
    )
    assert victim_info["state"] == bystander_info["state"] == "saved"
    assert victim_info["write_errors"] == 1
    assert "write_errors" not in bystander_info
    assert victim_info["event_count"] == bystander_info["event_count"] == 1  # "after" only
    assert victim_info["sample_count"] >= 10
    assert bystander_info["sample_count"] >= 10
