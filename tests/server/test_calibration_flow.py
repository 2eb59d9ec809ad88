"""Calibration over a real peer: the message flow, then samples that carry screen_point.

The clip's subject does not look at our targets, so the fit itself means nothing here (the maths
is tested on generated data in tests/vision/test_calibration.py); what is tested is the protocol:
ordering, answers, errors and the samples' new field.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gazertc.protocol import validate_message
from tests.server.peer import GazeClient, RunningServer, video_track

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

SCREEN = {"width_px": 1536, "height_px": 864, "device_pixel_ratio": 1.25}
CALIBRATION_TARGETS = [
    {"id": index, "x_px": x_px, "y_px": y_px}
    for index, (x_px, y_px) in enumerate(
        [(150, 100), (1386, 100), (768, 432), (150, 764), (1386, 764)]
    )
]
VALIDATION_TARGETS = [
    {"id": 100 + index, "x_px": x_px, "y_px": y_px}
    for index, (x_px, y_px) in enumerate([(400, 250), (1136, 250), (400, 614), (1136, 614)])
]
DWELL_S = 0.9
"""Per target: 300 ms settle, then about 0.6 s of samples."""


def _errors(client: GazeClient, ref_type: str) -> list[dict[str, Any]]:
    return [error for error in client.of_type("error") if error.get("ref_type") == ref_type]


async def _show_targets(client: GazeClient, targets: list[dict[str, Any]]) -> None:
    for target in targets:
        client.send({"v": 1, "type": "target_shown", "target_id": target["id"]})
        await asyncio.sleep(DWELL_S)
        client.send({"v": 1, "type": "target_done", "target_id": target["id"]})


async def test_calibrate_validate_and_stream_screen_points(
    server: RunningServer, cap12_path: Path
) -> None:
    client = GazeClient(server.base_url, video_track(cap12_path), options={"screen": SCREEN})
    await client.connect()
    await client.wait_for(lambda: len(client.of_type("sample")) >= 3, what="samples")
    assert all("screen_point" not in sample for sample in client.of_type("sample"))

    # Out of order: a target without a procedure, a validation without a calibration.
    client.send({"v": 1, "type": "target_shown", "target_id": 0})
    client.send({"v": 1, "type": "validation_start", "targets": VALIDATION_TARGETS})
    await client.wait_for(lambda: len(client.of_type("error")) >= 2, what="ordering errors")
    assert _errors(client, "target_shown")[0]["code"] == "calibration_out_of_order"
    assert _errors(client, "validation_start")[0]["code"] == "calibration_out_of_order"

    client.send({"v": 1, "type": "calibration_start", "targets": CALIBRATION_TARGETS})
    await _show_targets(client, CALIBRATION_TARGETS)
    client.send({"v": 1, "type": "calibration_end"})
    await client.wait_for(
        lambda: bool(client.of_type("calibration_result") or _errors(client, "calibration_end")),
        what="calibration result",
    )
    assert not _errors(client, "calibration_end"), _errors(client, "calibration_end")
    result = client.of_type("calibration_result")[0]
    assert [target["target_id"] for target in result["targets"]] == list(range(5))
    assert result["samples_used"] >= 12
    assert result["model"]["screen"]["width_px"] == 1536
    assert result["screen_size_estimated"] is True
    assert result["viewing_distance_mm"] is not None

    samples_before = len(client.of_type("sample"))
    await client.wait_for(
        lambda: len(client.of_type("sample")) >= samples_before + 10, what="calibrated samples"
    )
    calibrated = client.of_type("sample")[samples_before:]
    assert all("screen_point" in sample for sample in calibrated)
    points = [sample["screen_point"] for sample in calibrated if sample["screen_point"]]
    assert len(points) >= 5
    assert all(set(point) == {"x_px", "y_px", "smoothed_x_px", "smoothed_y_px"} for point in points)

    client.send({"v": 1, "type": "validation_start", "targets": VALIDATION_TARGETS})
    await _show_targets(client, VALIDATION_TARGETS)
    client.send({"v": 1, "type": "calibration_end"})
    await client.wait_for(lambda: bool(client.of_type("validation_result")), what="validation")
    validation = client.of_type("validation_result")[0]
    assert [target["target_id"] for target in validation["targets"]] == [100, 101, 102, 103]
    assert validation["accuracy_px"] is not None and validation["accuracy_deg"] is not None
    assert validation["precision_px"] is not None

    # A saved model comes back; one made for another screen is refused.
    client.send({"v": 1, "type": "calibration_load", "model": result["model"]})
    other_screen = {**result["model"], "screen": {"width_px": 1920, "height_px": 1080}}
    client.send({"v": 1, "type": "calibration_load", "model": other_screen})
    await client.wait_for(
        lambda: (
            len(client.of_type("calibration_result")) >= 2
            and bool(_errors(client, "calibration_load"))
        ),
        what="load answers",
    )
    assert client.of_type("calibration_result")[1]["targets"] == []
    assert _errors(client, "calibration_load")[0]["code"] == "calibration_failed"
    assert "1920x1080" in _errors(client, "calibration_load")[0]["message"]

    # Changing the screen discards the calibration: samples stop carrying screen_point.
    client.send({"v": 1, "type": "config", "screen": {"width_px": 1280, "height_px": 720}})
    await client.wait_for(lambda: bool(_errors(client, "config")), what="discard notice")
    assert _errors(client, "config")[0]["code"] == "calibration_failed"
    await asyncio.sleep(0.3)  # samples already on the wire may still carry a point
    samples_after = len(client.of_type("sample"))
    await client.wait_for(
        lambda: len(client.of_type("sample")) >= samples_after + 3, what="uncalibrated samples"
    )
    assert all("screen_point" not in s for s in client.of_type("sample")[samples_after:])

    await client.close()
    await server.wait_for_sessions(0)
    for received in client.messages:
        validate_message(received.message)


async def test_calibration_without_screen_or_samples_fails_clearly(
    server: RunningServer, cap12_path: Path
) -> None:
    client = GazeClient(server.base_url, video_track(cap12_path))
    await client.connect()
    client.send({"v": 1, "type": "calibration_start", "targets": CALIBRATION_TARGETS})
    await client.wait_for(lambda: bool(_errors(client, "calibration_start")), what="no screen")
    assert "screen" in _errors(client, "calibration_start")[0]["message"]

    client.send({"v": 1, "type": "config", "screen": SCREEN})
    client.send({"v": 1, "type": "calibration_start", "targets": CALIBRATION_TARGETS})
    client.send({"v": 1, "type": "target_shown", "target_id": 99})
    client.send({"v": 1, "type": "calibration_end"})  # no target was looked at
    await client.wait_for(
        lambda: bool(_errors(client, "target_shown") and _errors(client, "calibration_end")),
        what="errors",
    )
    assert _errors(client, "target_shown")[0]["code"] == "calibration_out_of_order"
    failed = _errors(client, "calibration_end")[0]
    assert failed["code"] == "calibration_failed"
    assert "too few usable samples" in failed["message"]
    await client.close()
    await server.wait_for_sessions(0)
    for received in client.messages:
        validate_message(received.message)
