"""The session's calibration flow with the verdict and drift correction: a poor fit is not applied
until accepted, validations carry a verdict, and dwell confirmations correct a drift.

Generated samples (tests/vision/calibration_scenarios.py) feed the flow's history; the messages
then name the targets with past times, as a client converts them to the server's clock.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from gazertc.protocol import ErrorCode, ProtocolError, validate_message
from gazertc.server.calibration_flow import MAX_TARGET_WINDOW_S, CalibrationFlow
from gazertc.vision.calibration import ScreenPoint
from gazertc.vision.screen import ScreenGeometry
from tests.vision.calibration_scenarios import (
    CALIBRATION_GRID,
    CSS_PX_PER_DEG_AT_60_CM,
    Dwell,
    clean_calibration,
    drifting_dwells,
    staring_calibration,
)
from tests.vision.gaze_simulation import FPS, LAPTOP_SCREEN, Recording

SCREEN = ScreenGeometry.from_dict(LAPTOP_SCREEN.to_dict())
MESSAGE_DELAY_NS = 40_000_000
"""Messages arrive a little after the last frame they name."""
FRAMES_PER_TARGET = round(1.5 * FPS)
"""simulate_session's default dwell."""


async def _send(flow: CalibrationFlow, message: dict[str, Any], received_unix_ns: int) -> Any:
    validate_message(message)  # what the test sends is what a client may send
    answer = await flow.handle(message, received_unix_ns, SCREEN)
    for sent in [answer, *flow.take_notices()] if answer is not None else flow.take_notices():
        validate_message(sent)
    return answer


async def _calibrate(flow: CalibrationFlow, recording: Recording) -> dict[str, Any]:
    """Feed the recording's frames, then name its targets with their past times."""
    for frame in recording.gaze_samples:
        flow.on_sample(frame)
    arrival_unix_ns = recording.gaze_samples[-1].timestamp_unix_ns + MESSAGE_DELAY_NS
    targets = [
        {"id": index, "x_px": point.x_css_px, "y_px": point.y_css_px}
        for index, point in enumerate(CALIBRATION_GRID)
    ]
    await _send(flow, {"v": 1, "type": "calibration_start", "targets": targets}, arrival_unix_ns)
    for index in range(len(CALIBRATION_GRID)):
        frames = recording.gaze_samples[index * FRAMES_PER_TARGET : (index + 1) * FRAMES_PER_TARGET]
        shown = {
            "v": 1,
            "type": "target_shown",
            "target_id": index,
            "shown_unix_ns": frames[0].timestamp_unix_ns,
        }
        done = {
            "v": 1,
            "type": "target_done",
            "target_id": index,
            "done_unix_ns": frames[-1].timestamp_unix_ns,
        }
        await _send(flow, shown, arrival_unix_ns)
        await _send(flow, done, arrival_unix_ns)
    answer = await _send(flow, {"v": 1, "type": "calibration_end"}, arrival_unix_ns)
    assert answer is not None and answer["type"] == "calibration_result"
    return dict(answer)


def _points(flow: CalibrationFlow, recording: Recording) -> list[ScreenPoint | None]:
    points = []
    for frame in recording.gaze_samples[FRAMES_PER_TARGET // 2 :: 7]:
        gaze = flow.on_sample(frame)
        points.append(None if gaze is None else ScreenPoint(gaze.x_css_px, gaze.y_css_px))
    return points


async def test_a_poor_fit_is_not_applied_until_accepted() -> None:
    flow = CalibrationFlow()
    staring = staring_calibration(1)
    result = await _calibrate(flow, staring)
    assert (result["quality"], result["applied"], result["source"]) == ("poor", False, "fit")
    assert result["quality_reason"].startswith("Your gaze barely moved")
    assert (flow.calibrated, flow.wants_samples) == (False, True)
    assert _points(flow, staring) == [None] * len(_points(flow, staring))

    accepted = await _send(flow, {"v": 1, "type": "calibration_accept"}, 0)
    assert (accepted["source"], accepted["applied"], accepted["quality"]) == (
        "accept",
        True,
        "poor",
    )
    assert accepted["model"] == result["model"]
    assert flow.calibrated
    assert all(point is not None for point in _points(flow, staring))
    with pytest.raises(ProtocolError) as again:
        await _send(flow, {"v": 1, "type": "calibration_accept"}, 0)
    assert again.value.code is ErrorCode.CALIBRATION_OUT_OF_ORDER


async def test_a_poor_fit_leaves_the_model_in_use_and_a_good_one_drops_it() -> None:
    flow = CalibrationFlow()
    clean = clean_calibration(2)
    good = await _calibrate(flow, clean)
    assert (good["quality"], good["applied"]) == ("good", True)
    assert good["loto_error_deg"] is not None and good["loto_error_deg"] < 1.5
    before = _points(flow, clean)

    poor = await _calibrate(flow, staring_calibration(2))
    assert (poor["quality"], poor["applied"]) == ("poor", False)
    assert flow.calibrated
    assert _points(flow, clean) == pytest.approx(before)  # the good model still maps

    # A new good calibration replaces the pending poor fit: nothing is left to accept.
    await _calibrate(flow, clean_calibration(3))
    with pytest.raises(ProtocolError) as nothing:
        await _send(flow, {"v": 1, "type": "calibration_accept"}, 0)
    assert nothing.value.code is ErrorCode.CALIBRATION_OUT_OF_ORDER


async def test_a_validation_carries_its_verdict() -> None:
    flow = CalibrationFlow()
    clean = clean_calibration(4)
    await _calibrate(flow, clean)
    arrival_unix_ns = clean.gaze_samples[-1].timestamp_unix_ns + MESSAGE_DELAY_NS
    looked_at = CALIBRATION_GRID[5]
    off_by_4_deg = looked_at.y_css_px + 4.0 * CSS_PX_PER_DEG_AT_60_CM
    targets = [{"id": 50, "x_px": looked_at.x_css_px, "y_px": off_by_4_deg}]
    await _send(flow, {"v": 1, "type": "validation_start", "targets": targets}, arrival_unix_ns)
    frames = clean.gaze_samples[5 * FRAMES_PER_TARGET : 6 * FRAMES_PER_TARGET]
    shown_unix_ns = frames[0].timestamp_unix_ns
    done_unix_ns = frames[-1].timestamp_unix_ns
    shown = {"v": 1, "type": "target_shown", "target_id": 50, "shown_unix_ns": shown_unix_ns}
    done = {"v": 1, "type": "target_done", "target_id": 50, "done_unix_ns": done_unix_ns}
    await _send(flow, shown, arrival_unix_ns)
    await _send(flow, done, arrival_unix_ns)
    validation = await _send(flow, {"v": 1, "type": "calibration_end"}, arrival_unix_ns)
    # The eyes looked at calibration target 5, 4 degrees from the validation target.
    assert validation["quality"] == "fair", validation["quality_reason"]
    assert "Measured accuracy" in validation["quality_reason"]


def _confirmation(dwell: Dwell) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "dwell_confirmed",
        "x_px": dwell.target.x_css_px,
        "y_px": dwell.target.y_css_px,
        "start_unix_ns": dwell.start_unix_ns,
        "end_unix_ns": dwell.end_unix_ns,
    }


def _mean_error_css_px(flow: CalibrationFlow, dwell: Dwell) -> float:
    errors = []
    for frame in dwell.frames:
        gaze = flow.on_sample(frame)
        assert gaze is not None
        errors.append(ScreenPoint(gaze.x_css_px, gaze.y_css_px).distance_css_px(dwell.target))
    return statistics.fmean(errors)


async def test_dwell_confirmations_correct_a_drift_until_reset_or_recalibration() -> None:
    flow = CalibrationFlow()
    result = await _calibrate(flow, clean_calibration(5))
    dwells = drifting_dwells(5, 10, lambda index: (80.0, -40.0))
    errors: list[float] = []
    statuses: list[dict[str, Any]] = []
    for dwell in dwells:
        errors.append(_mean_error_css_px(flow, dwell))  # feeds the frames to the history
        arrival_unix_ns = dwell.end_unix_ns + MESSAGE_DELAY_NS
        statuses.append(await _send(flow, _confirmation(dwell), arrival_unix_ns))
    assert all(status["last"] == "accepted" for status in statuses)
    assert statuses[-1]["confirmations_used"] == 5
    # The drift is about 89 px; corrected, the error falls to the calibration's own.
    assert statistics.fmean(errors[5:]) < 0.6 * errors[0]
    offset = math.hypot(statuses[-1]["offset_x_px"], statuses[-1]["offset_y_px"])
    assert offset == pytest.approx(math.hypot(80.0, 40.0), rel=0.25)
    assert statuses[-1]["offset_deg"] == pytest.approx(offset / CSS_PX_PER_DEG_AT_60_CM, rel=0.2)

    # An outlier (a confirmation of a target 10 degrees away) is refused.
    last = dwells[-1]
    far = {**_confirmation(last), "x_px": last.target.x_css_px + 10 * CSS_PX_PER_DEG_AT_60_CM}
    refused = await _send(flow, far, last.end_unix_ns + MESSAGE_DELAY_NS)
    assert refused["last"] == "rejected"
    assert refused["offset_x_px"] == statuses[-1]["offset_x_px"]

    reset = await _send(flow, {"v": 1, "type": "drift_reset"}, 0)
    assert (reset["last"], reset["offset_x_px"], reset["confirmations_used"]) == ("reset", 0, 0)
    assert _mean_error_css_px(flow, last) == pytest.approx(errors[0], rel=0.3)

    # Rebuilt, then cleared by a new model (a load), with a notice after the answer.
    await _send(flow, _confirmation(last), last.end_unix_ns + MESSAGE_DELAY_NS)
    load = {"v": 1, "type": "calibration_load", "model": result["model"]}
    loaded = await flow.handle(load, 0, SCREEN)
    assert loaded is not None and loaded["source"] == "load"
    notices = flow.take_notices()
    assert [(n["type"], n["last"], n["offset_x_px"]) for n in notices] == [
        ("drift_status", "cleared", 0.0)
    ]
    # Nothing to clear: no notice.
    await flow.handle(load, 0, SCREEN)
    assert flow.take_notices() == []


async def test_dwell_confirmations_are_checked_like_target_windows() -> None:
    flow = CalibrationFlow()
    dwell = drifting_dwells(6, 1, lambda index: (0.0, 0.0))[0]
    arrival_unix_ns = dwell.end_unix_ns + MESSAGE_DELAY_NS
    with pytest.raises(ProtocolError) as uncalibrated:
        await _send(flow, _confirmation(dwell), arrival_unix_ns)
    assert uncalibrated.value.code is ErrorCode.CALIBRATION_OUT_OF_ORDER

    clean = clean_calibration(6)
    await _calibrate(flow, clean)
    for frame in dwell.frames:
        flow.on_sample(frame)
    backwards = {
        **_confirmation(dwell),
        "start_unix_ns": dwell.end_unix_ns,
        "end_unix_ns": dwell.start_unix_ns,
    }
    too_long = {
        **_confirmation(dwell),
        "start_unix_ns": dwell.end_unix_ns - round((MAX_TARGET_WINDOW_S + 1) * 1e9),
    }
    future = {**_confirmation(dwell), "end_unix_ns": arrival_unix_ns + 5_000_000_000}
    for message, code in (
        (backwards, ErrorCode.INVALID_MESSAGE),
        (too_long, ErrorCode.INVALID_MESSAGE),
        (future, ErrorCode.INVALID_MESSAGE),
    ):
        with pytest.raises(ProtocolError) as refused:
            await _send(flow, message, arrival_unix_ns)
        assert refused.value.code is code
    # A window with no frames is answered, not failed: too few steady frames.
    empty = {**_confirmation(dwell), "start_unix_ns": arrival_unix_ns - 1000}
    status = await _send(flow, {**empty, "end_unix_ns": arrival_unix_ns}, arrival_unix_ns)
    assert status["last"] == "rejected" and "steady frames" in status["reason"]
    # Discarding the model for another screen clears nothing that was not there.
    assert flow.screen_changed(ScreenGeometry(1280, 720)) is not None
    assert flow.take_notices() == []
