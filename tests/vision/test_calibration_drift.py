"""Drift correction on generated dwell selections whose calibration drifted by a known amount."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import replace

import pytest

from gazertc.vision.calibration import (
    CalibrationModel,
    DriftCorrection,
    DriftEvent,
    DwellResidual,
    FrameFeatures,
    ScreenPoint,
    measure_dwell,
)
from gazertc.vision.calibration.drift import (
    MAX_OFFSET_DEG,
    MIN_STEADY_FRAMES,
    RECENT_CONFIRMATIONS,
)
from gazertc.vision.screen import offset_deg_from_css_px
from tests.vision.calibration_scenarios import (
    CSS_PX_PER_DEG_AT_60_CM,
    Dwell,
    clean_calibration,
    drifting_dwells,
)
from tests.vision.gaze_simulation import INTRINSICS, LAPTOP_SCREEN

SEEDS = (1, 2, 3)
DWELLS = 16
Drift = Callable[[int], tuple[float, float]]


def _no_drift(index: int) -> tuple[float, float]:
    return (0.0, 0.0)


def _constant_drift(index: int) -> tuple[float, float]:
    return (80.0, -40.0)  # about 2.2 degrees


def _growing_drift(index: int) -> tuple[float, float]:
    return (6.0 * index, 2.0 * index)  # from 0 to 2.4 degrees over the session


def _features(dwell: Dwell) -> list[FrameFeatures]:
    return [FrameFeatures.from_sample(frame, INTRINSICS) for frame in dwell.frames]


def _replay(seed: int, drift: Drift) -> tuple[list[float], list[float], DriftCorrection]:
    """Per dwell, the mean error of the uncorrected and the corrected points (the correction
    learned from the dwells before it), then the confirmation of the dwell."""
    model = CalibrationModel.fit(clean_calibration(seed).samples, LAPTOP_SCREEN)
    correction = DriftCorrection()
    uncorrected: list[float] = []
    corrected: list[float] = []
    for dwell in drifting_dwells(seed, DWELLS, drift):
        features = _features(dwell)
        points = [point for frame in features if (point := model.predict_features(frame))]
        uncorrected.append(statistics.fmean(p.distance_css_px(dwell.target) for p in points))
        corrected.append(
            statistics.fmean(correction.apply(p).distance_css_px(dwell.target) for p in points)
        )
        correction.confirm(measure_dwell(model, features, dwell.target), LAPTOP_SCREEN)
    return uncorrected, corrected, correction


@pytest.mark.parametrize("drift", [_constant_drift, _growing_drift])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_drift_is_corrected(seed: int, drift: Drift) -> None:
    uncorrected, corrected, correction = _replay(seed, drift)
    late = slice(DWELLS // 2, None)
    before, after = statistics.fmean(uncorrected[late]), statistics.fmean(corrected[late])
    # Measured: about 94 -> 37 px (constant) and 90 -> 45 px (growing); no drift gives 37 px.
    assert after < 0.7 * before
    assert correction.active


@pytest.mark.parametrize("seed", SEEDS)
def test_without_drift_the_correction_stays_near_zero_and_never_hurts(seed: int) -> None:
    uncorrected, corrected, correction = _replay(seed, _no_drift)
    for before, after in zip(uncorrected, corrected, strict=True):
        assert after <= before + 1.0
    offset = correction.apply(ScreenPoint(0.0, 0.0))
    assert math.hypot(offset.x_css_px, offset.y_css_px) < 0.5 * CSS_PX_PER_DEG_AT_60_CM


def _residual(x_deg: float, y_deg: float = 0.0) -> DwellResidual:
    return DwellResidual(
        x_deg * CSS_PX_PER_DEG_AT_60_CM, y_deg * CSS_PX_PER_DEG_AT_60_CM, 20, 600.0
    )


def test_an_outlier_far_from_the_target_is_refused() -> None:
    correction = DriftCorrection()
    for _ in range(3):
        assert correction.confirm(_residual(1.5), LAPTOP_SCREEN).last is DriftEvent.ACCEPTED
    offset_before = correction.apply(ScreenPoint(0.0, 0.0))
    status = correction.confirm(_residual(10.0), LAPTOP_SCREEN)
    assert status.last is DriftEvent.REJECTED and "beyond the" in status.reason
    # One that contradicts the recent confirmations (4.5 degrees from the offset) too.
    assert correction.confirm(_residual(-3.0), LAPTOP_SCREEN).last is DriftEvent.REJECTED
    assert correction.apply(ScreenPoint(0.0, 0.0)) == offset_before
    assert status.confirmations_used == 3


def test_a_window_with_too_few_steady_frames_is_refused() -> None:
    model = CalibrationModel.fit(clean_calibration(SEEDS[0]).samples, LAPTOP_SCREEN)
    dwell = drifting_dwells(SEEDS[0], 1, _constant_drift)[0]
    features = _features(dwell)[: MIN_STEADY_FRAMES - 1]
    blinks = [replace(frame, blinking=True) for frame in _features(dwell)]
    correction = DriftCorrection()
    for frames in (features, blinks, []):
        status = correction.confirm(measure_dwell(model, frames, dwell.target), LAPTOP_SCREEN)
        assert status.last is DriftEvent.REJECTED and "steady frames" in status.reason
    assert not correction.active


def test_the_correction_is_bounded() -> None:
    correction = DriftCorrection()
    for _ in range(2 * RECENT_CONFIRMATIONS):
        status = correction.confirm(_residual(3.0, 3.0), LAPTOP_SCREEN)  # 4.2 degrees
        assert status.last is DriftEvent.ACCEPTED
    assert status.offset_deg is not None
    assert status.offset_deg == pytest.approx(MAX_OFFSET_DEG, abs=1e-6)
    assert "limit" in status.reason
    size_css_px = math.hypot(status.offset_x_css_px, status.offset_y_css_px)
    assert offset_deg_from_css_px(size_css_px, LAPTOP_SCREEN, 600.0) <= MAX_OFFSET_DEG + 1e-6


def test_reset_and_clear_return_to_zero_and_confirmations_rebuild_it() -> None:
    correction = DriftCorrection()
    for _ in range(3):
        correction.confirm(_residual(2.0), LAPTOP_SCREEN)
    assert correction.apply(ScreenPoint(100.0, 100.0)) != ScreenPoint(100.0, 100.0)
    status = correction.reset()
    assert (status.last, status.confirmations_used) == (DriftEvent.RESET, 0)
    assert (status.offset_x_css_px, status.offset_y_css_px, status.offset_deg) == (0.0, 0.0, 0.0)
    assert correction.apply(ScreenPoint(100.0, 100.0)) == ScreenPoint(100.0, 100.0)
    assert not correction.active
    again = correction.confirm(_residual(2.0), LAPTOP_SCREEN)
    assert again.last is DriftEvent.ACCEPTED and again.offset_x_css_px > 0.0
    cleared = correction.clear()
    assert cleared.last is DriftEvent.CLEARED and cleared.offset_x_css_px == 0.0
