"""Calibrations made after the fact: target windows in the past take their frames from the
:class:`~gazertc.server.calibration_flow.CalibrationFlow`'s history of recent frames.

Generated samples (tests/vision/gaze_simulation.py) give the frames; a "live" flow hears of each
target while its frames arrive, a "retroactive" one sees every frame first and is told the
targets afterwards, the way a page written for WebGazer's ``recordScreenPosition`` does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from gazertc.errors import InputError
from gazertc.protocol import ErrorCode, ProtocolError, validate_message
from gazertc.server.calibration_flow import (
    FUTURE_TOLERANCE_S,
    MAX_TARGET_WINDOW_S,
    CalibrationFlow,
)
from gazertc.vision.calibration import (
    HISTORY_MAX_FRAMES,
    HISTORY_S,
    CalibrationModel,
    CalibrationSample,
    FeatureHistory,
    FrameFeatures,
    ScreenPoint,
)
from gazertc.vision.screen import ScreenGeometry
from gazertc.vision.types import GazeSample
from tests.vision.gaze_simulation import (
    INTRINSICS,
    LAPTOP_SCREEN,
    REALISTIC_NOISE,
    Recording,
    grid_targets,
    random_targets,
    simulate_session,
    still_head,
)

SCREEN = ScreenGeometry.from_dict(LAPTOP_SCREEN.to_dict())
MESSAGE_DELAY_NS = 40_000_000
"""A retroactive procedure arrives a little after the last frame it names."""
FRAME_NS = round(1e9 / 30)


def _targets(points: list[ScreenPoint], first_id: int = 0) -> list[dict[str, Any]]:
    return [
        {"id": first_id + index, "x_px": point.x_css_px, "y_px": point.y_css_px}
        for index, point in enumerate(points)
    ]


def _windows(recording: Recording, count: int) -> list[list[GazeSample]]:
    per_target = len(recording.gaze_samples) // count
    return [
        recording.gaze_samples[index * per_target : (index + 1) * per_target]
        for index in range(count)
    ]


async def _send(flow: CalibrationFlow, message: dict[str, Any], received_unix_ns: int) -> Any:
    validate_message(message)  # what the test sends is what a client may send
    return await flow.handle(message, received_unix_ns, SCREEN)


async def _live(
    flow: CalibrationFlow, start_type: str, targets: list[dict[str, Any]], recording: Recording
) -> dict[str, Any]:
    """Each target's messages arrive while its frames do (no times: arrival counts)."""
    await _send(flow, {"v": 1, "type": start_type, "targets": targets}, 0)
    for target, frames in zip(targets, _windows(recording, len(targets)), strict=True):
        await _send(
            flow,
            {"v": 1, "type": "target_shown", "target_id": target["id"]},
            frames[0].timestamp_unix_ns,
        )
        for frame in frames:
            flow.on_sample(frame)
        await _send(
            flow,
            {"v": 1, "type": "target_done", "target_id": target["id"]},
            frames[-1].timestamp_unix_ns,
        )
    answer = await _send(
        flow, {"v": 1, "type": "calibration_end"}, recording.gaze_samples[-1].timestamp_unix_ns
    )
    assert isinstance(answer, dict)
    return answer


async def _retroactive(
    flow: CalibrationFlow, start_type: str, targets: list[dict[str, Any]], recording: Recording
) -> dict[str, Any]:
    """Every frame first, then the whole procedure with past times."""
    for frame in recording.gaze_samples:
        flow.on_sample(frame)
    arrival_unix_ns = recording.gaze_samples[-1].timestamp_unix_ns + MESSAGE_DELAY_NS
    await _send(flow, {"v": 1, "type": start_type, "targets": targets}, arrival_unix_ns)
    for target, frames in zip(targets, _windows(recording, len(targets)), strict=True):
        shown = {
            "v": 1,
            "type": "target_shown",
            "target_id": target["id"],
            "shown_unix_ns": frames[0].timestamp_unix_ns,
        }
        done = {
            "v": 1,
            "type": "target_done",
            "target_id": target["id"],
            "done_unix_ns": frames[-1].timestamp_unix_ns,
        }
        assert await _send(flow, shown, arrival_unix_ns) is None
        assert await _send(flow, done, arrival_unix_ns) is None
    answer = await _send(flow, {"v": 1, "type": "calibration_end"}, arrival_unix_ns)
    assert isinstance(answer, dict)
    return answer


def _window_samples(points: list[ScreenPoint], recording: Recording) -> list[CalibrationSample]:
    return [
        CalibrationSample(
            FrameFeatures.from_sample(frame, INTRINSICS),
            point,
            target_id,
            (frame.timestamp_unix_ns - frames[0].timestamp_unix_ns) / 1e6,
        )
        for target_id, (point, frames) in enumerate(
            zip(points, _windows(recording, len(points)), strict=True)
        )
        for frame in frames
    ]


def _without_creation_time(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "model": {**result["model"], "created_unix_ns": None}}


def _session(seed: int, points: list[ScreenPoint]) -> Recording:
    rng = np.random.default_rng(seed)
    return simulate_session(points, rng, head=still_head(rng), noise=REALISTIC_NOISE)


async def test_retroactive_calibration_and_validation_match_the_live_ones() -> None:
    grid = grid_targets(4, 3)
    calibration = _session(31, grid)
    elsewhere = random_targets(6, np.random.default_rng(32))
    validation = _session(33, elsewhere)

    live_flow, retro_flow = CalibrationFlow(), CalibrationFlow()
    live = await _live(live_flow, "calibration_start", _targets(grid), calibration)
    retro = await _retroactive(retro_flow, "calibration_start", _targets(grid), calibration)
    validate_message(retro)
    assert retro["type"] == "calibration_result" and retro["source"] == "fit"
    # Most of each 1.5 s window counts (300 ms settle dropped): the frames did come from the
    # history, and the fit is the live one to the last digit.
    assert retro["samples_used"] >= 12 * 30
    assert _without_creation_time(retro) == _without_creation_time(live)
    assert retro_flow.calibrated
    # And it is the model fitted straight on those windows' frames, without any flow.
    direct = CalibrationModel.fit(_window_samples(grid, calibration), SCREEN).to_dict()
    assert _without_creation_time({"model": direct}) == _without_creation_time(
        {"model": retro["model"]}
    )

    live_check = await _live(live_flow, "validation_start", _targets(elsewhere, 50), validation)
    retro_check = await _retroactive(
        retro_flow, "validation_start", _targets(elsewhere, 50), validation
    )
    validate_message(retro_check)
    assert retro_check["type"] == "validation_result"
    assert retro_check == live_check
    assert retro_check["accuracy_px"] is not None and retro_check["accuracy_px"] < 80.0


async def test_a_window_that_began_in_the_past_and_ends_live_matches_the_live_one() -> None:
    grid = grid_targets(3, 2)
    recording = _session(41, grid)
    live = await _live(CalibrationFlow(), "calibration_start", _targets(grid), recording)

    flow = CalibrationFlow()
    await _send(flow, {"v": 1, "type": "calibration_start", "targets": _targets(grid)}, 0)
    for target, frames in zip(_targets(grid), _windows(recording, len(grid)), strict=True):
        half = len(frames) // 2
        for frame in frames[:half]:
            flow.on_sample(frame)
        # Announced halfway through, with the time it really appeared.
        shown = {
            "v": 1,
            "type": "target_shown",
            "target_id": target["id"],
            "shown_unix_ns": frames[0].timestamp_unix_ns,
        }
        await _send(flow, shown, frames[half - 1].timestamp_unix_ns)
        for frame in frames[half:]:
            flow.on_sample(frame)
        done = {"v": 1, "type": "target_done", "target_id": target["id"]}
        await _send(flow, done, frames[-1].timestamp_unix_ns)
    mixed = await _send(
        flow, {"v": 1, "type": "calibration_end"}, recording.gaze_samples[-1].timestamp_unix_ns
    )
    assert _without_creation_time(mixed) == _without_creation_time(live)


async def _started(flow: CalibrationFlow, recording: Recording) -> int:
    """Feed every frame, start a calibration; returns the arrival time to use."""
    for frame in recording.gaze_samples:
        flow.on_sample(frame)
    arrival_unix_ns = recording.gaze_samples[-1].timestamp_unix_ns + MESSAGE_DELAY_NS
    start = {"v": 1, "type": "calibration_start", "targets": _targets(grid_targets(2, 2))}
    await _send(flow, start, arrival_unix_ns)
    return arrival_unix_ns


async def _refused(
    flow: CalibrationFlow, message: dict[str, Any], received_unix_ns: int
) -> ProtocolError:
    with pytest.raises(ProtocolError) as refused:
        await _send(flow, message, received_unix_ns)
    assert refused.value.ref_type == message["type"]
    return refused.value


async def test_times_in_the_future_before_the_history_or_out_of_order_are_refused() -> None:
    recording = _session(51, grid_targets(2, 2))
    first_unix_ns = recording.gaze_samples[0].timestamp_unix_ns
    flow = CalibrationFlow()
    now_unix_ns = await _started(flow, recording)

    def shown(at_unix_ns: int, target_id: int = 0) -> dict[str, Any]:
        return {"v": 1, "type": "target_shown", "target_id": target_id, "shown_unix_ns": at_unix_ns}

    def done(at_unix_ns: int, target_id: int = 0) -> dict[str, Any]:
        return {"v": 1, "type": "target_done", "target_id": target_id, "done_unix_ns": at_unix_ns}

    ahead_ns = round((FUTURE_TOLERANCE_S + 1.0) * 1e9)
    future = await _refused(flow, shown(now_unix_ns + ahead_ns), now_unix_ns)
    assert future.code is ErrorCode.INVALID_MESSAGE and "ahead of the server's clock" in str(future)

    too_old_ns = round((HISTORY_S + 1.0) * 1e9)
    old = await _refused(flow, shown(now_unix_ns - too_old_ns), now_unix_ns)
    assert old.code is ErrorCode.CALIBRATION_FAILED and "last 120 s" in str(old)

    # Done before shown: refused, and the window is dropped (target_done again is out of order).
    assert await _send(flow, shown(first_unix_ns + 10 * FRAME_NS), now_unix_ns) is None
    backwards = await _refused(flow, done(first_unix_ns), now_unix_ns)
    assert backwards.code is ErrorCode.INVALID_MESSAGE and "before it was shown" in str(backwards)
    again = await _refused(flow, done(now_unix_ns), now_unix_ns)
    assert again.code is ErrorCode.CALIBRATION_OUT_OF_ORDER

    assert await _send(flow, shown(first_unix_ns), now_unix_ns) is None
    late = await _refused(flow, done(now_unix_ns + ahead_ns), now_unix_ns)
    assert late.code is ErrorCode.INVALID_MESSAGE and "done_unix_ns" in str(late)

    too_long_ns = round((MAX_TARGET_WINDOW_S + 1.0) * 1e9)
    assert await _send(flow, shown(now_unix_ns - too_long_ns), now_unix_ns) is None
    long_window = await _refused(flow, done(now_unix_ns), now_unix_ns)
    assert long_window.code is ErrorCode.INVALID_MESSAGE and "over the 30 s" in str(long_window)

    # The flow goes on: four valid windows in the past still make a calibration.
    windows = _windows(recording, 4)
    for target_id, frames in enumerate(windows):
        assert await _send(flow, shown(frames[0].timestamp_unix_ns, target_id), now_unix_ns) is None
        assert await _send(flow, done(frames[-1].timestamp_unix_ns, target_id), now_unix_ns) is None
    result = await _send(flow, {"v": 1, "type": "calibration_end"}, now_unix_ns)
    assert result["type"] == "calibration_result"
    assert [target["samples_used"] > 20 for target in result["targets"]] == [True] * 4


async def test_frames_the_history_no_longer_holds_are_refused() -> None:
    recording = _session(61, grid_targets(2, 2))
    flow = CalibrationFlow(FeatureHistory(max_frames=20))
    now_unix_ns = await _started(flow, recording)
    assert flow.history_frames == 20
    newest_dropped = recording.gaze_samples[-21].timestamp_unix_ns
    oldest_kept = recording.gaze_samples[-20].timestamp_unix_ns
    for shown_unix_ns, refused in ((newest_dropped, True), (oldest_kept, False)):
        shown = {"v": 1, "type": "target_shown", "target_id": 0, "shown_unix_ns": shown_unix_ns}
        done = {"v": 1, "type": "target_done", "target_id": 0, "done_unix_ns": now_unix_ns}
        assert await _send(flow, shown, now_unix_ns) is None
        if refused:
            gone = await _refused(flow, done, now_unix_ns)
            assert gone.code is ErrorCode.CALIBRATION_FAILED and "no longer held" in str(gone)
        else:
            assert await _send(flow, done, now_unix_ns) is None

    # A new screen forgets the frames: windows from before it are refused too.
    flow.screen_changed(SCREEN)
    flow.screen_changed(ScreenGeometry(1280, 720))
    shown = {"v": 1, "type": "target_shown", "target_id": 1, "shown_unix_ns": oldest_kept}
    done = {"v": 1, "type": "target_done", "target_id": 1, "done_unix_ns": now_unix_ns}
    assert await _send(flow, shown, now_unix_ns) is None
    forgotten = await _refused(flow, done, now_unix_ns)
    assert "screen changes" in str(forgotten)


async def test_a_target_still_shown_at_calibration_end_ends_there() -> None:
    recording = _session(71, grid_targets(2, 2))
    flow = CalibrationFlow()
    now_unix_ns = await _started(flow, recording)
    windows = _windows(recording, 4)
    for target_id, frames in enumerate(windows):
        shown_at = frames[0].timestamp_unix_ns
        shown = {"v": 1, "type": "target_shown", "target_id": target_id, "shown_unix_ns": shown_at}
        # No target_done: the next target_shown, then calibration_end, end each window.
        assert await _send(flow, shown, now_unix_ns) is None
    result = await _send(flow, {"v": 1, "type": "calibration_end"}, now_unix_ns)
    assert [target["target_id"] for target in result["targets"]] == [0, 1, 2, 3]
    assert min(target["samples_used"] for target in result["targets"]) > 20

    # A window left open for longer than a target may last fails the procedure clearly.
    start = {"v": 1, "type": "calibration_start", "targets": _targets(grid_targets(2, 2))}
    await _send(flow, start, now_unix_ns)
    shown = {"v": 1, "type": "target_shown", "target_id": 0}
    assert await _send(flow, shown, now_unix_ns) is None
    later_unix_ns = now_unix_ns + round((MAX_TARGET_WINDOW_S + 5.0) * 1e9)
    end = await _refused(flow, {"v": 1, "type": "calibration_end"}, later_unix_ns)
    assert end.code is ErrorCode.INVALID_MESSAGE
    after = await _refused(flow, {"v": 1, "type": "calibration_end"}, later_unix_ns)
    assert after.code is ErrorCode.CALIBRATION_OUT_OF_ORDER


def test_history_gives_back_the_features_it_was_given_and_stays_bounded() -> None:
    recording = _session(81, grid_targets(2, 1))
    originals = [FrameFeatures.from_sample(frame, INTRINSICS) for frame in recording.gaze_samples]
    blink = replace(originals[5], blinking=True, head=None, gaze_ray_mm=None)
    originals[5] = blink
    history = FeatureHistory(max_age_s=1.0, max_frames=1000)
    for features in originals:
        history.append(features)
    # 3 s at 30 fps, one second kept: the frames within 1 s of the newest.
    newest_unix_ns = originals[-1].timestamp_unix_ns
    kept = [f for f in originals if f.timestamp_unix_ns >= newest_unix_ns - 1_000_000_000]
    assert len(history) == len(kept) == 31
    assert history.between(0, newest_unix_ns) == kept
    assert history.complete_since_unix_ns == originals[-32].timestamp_unix_ns

    early = FeatureHistory()
    for features in originals[:10]:
        early.append(features)
    assert (
        early.between(originals[3].timestamp_unix_ns, originals[6].timestamp_unix_ns)
        == (originals[3:7])
    )
    assert early.between(originals[5].timestamp_unix_ns, originals[5].timestamp_unix_ns) == [blink]
    assert early.complete_since_unix_ns is None
    early.clear()
    assert len(early) == 0 and early.between(0, newest_unix_ns) == []
    assert early.complete_since_unix_ns == originals[9].timestamp_unix_ns


def test_flow_history_is_bounded_by_count_and_cleared_on_screen_change_and_close() -> None:
    frame = _session(91, [ScreenPoint(300.0, 300.0)]).gaze_samples[20]
    flow = CalibrationFlow()
    assert flow.wants_samples and not flow.calibrated
    # A 100 fps camera: the count bound holds before two minutes pass.
    step_ns = 10_000_000
    for index in range(HISTORY_MAX_FRAMES + 500):
        flow.on_sample(replace(frame, timestamp_unix_ns=frame.timestamp_unix_ns + index * step_ns))
    assert flow.history_frames == HISTORY_MAX_FRAMES

    # Tuples below: mypy would narrow a compared property to a literal for good.
    flow.screen_changed(SCREEN)
    assert (flow.history_frames,) == (HISTORY_MAX_FRAMES,)  # the first screen heard of
    flow.screen_changed(SCREEN)
    assert (flow.history_frames,) == (HISTORY_MAX_FRAMES,)  # the same screen again
    flow.screen_changed(ScreenGeometry(1280, 720))
    assert (flow.history_frames,) == (0,)

    flow.on_sample(frame)
    assert (flow.history_frames,) == (1,)
    flow.close()
    flow.close()
    assert (flow.history_frames, flow.wants_samples) == (0, False)
    assert (flow.on_sample(frame), flow.history_frames) == (None, 0)


def test_history_refuses_bad_bounds() -> None:
    with pytest.raises(InputError, match="max_age_s"):
        FeatureHistory(max_age_s=0.0)
    with pytest.raises(InputError, match="max_frames"):
        FeatureHistory(max_frames=0)
