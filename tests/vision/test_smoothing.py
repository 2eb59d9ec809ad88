from __future__ import annotations

import numpy as np
import pytest

from gazertc.vision.smoothing import LANDMARK_FILTER, AlphaBetaFilter, AlphaBetaParameters

FRAME_S = 1.0 / 30.0


def test_first_measurement_is_passed_through() -> None:
    points = np.array([[10.0, 20.0], [30.5, 40.25]])
    assert np.array_equal(AlphaBetaFilter().update(points, FRAME_S), points)


def test_constant_velocity_is_followed_without_steady_state_lag() -> None:
    smoother = AlphaBetaFilter(LANDMARK_FILTER)
    velocity_px_per_s = np.array([[90.0, -30.0]])
    out = np.zeros((1, 2))
    for frame in range(120):
        truth = velocity_px_per_s * frame * FRAME_S
        out = smoother.update(truth, FRAME_S)
    assert np.allclose(out, truth, atol=0.05)


def test_stationary_jitter_is_reduced() -> None:
    rng = np.random.default_rng(1)
    smoother = AlphaBetaFilter(LANDMARK_FILTER)
    measured = 100.0 + rng.normal(0.0, 1.0, size=(600, 68, 2))
    filtered = np.array([smoother.update(frame, FRAME_S) for frame in measured])[100:]
    raw_step = np.abs(np.diff(measured[100:], axis=0)).mean()
    filtered_step = np.abs(np.diff(filtered, axis=0)).mean()
    assert filtered_step < 0.6 * raw_step


def test_long_gap_resets_instead_of_extrapolating() -> None:
    smoother = AlphaBetaFilter(LANDMARK_FILTER)
    for frame in range(30):
        smoother.update(np.array([[frame * 5.0, 0.0]]), FRAME_S)
    after_gap = np.array([[0.0, 0.0]])
    assert np.array_equal(smoother.update(after_gap, 2.0), after_gap)


def test_shape_change_resets() -> None:
    smoother = AlphaBetaFilter()
    smoother.update(np.zeros((2, 2)), FRAME_S)
    three = np.ones((3, 2))
    assert np.array_equal(smoother.update(three, FRAME_S), three)


@pytest.mark.parametrize(("alpha", "beta"), [(0.0, 0.1), (1.5, 0.1), (0.5, -0.1), (0.9, 2.5)])
def test_unstable_parameters_are_refused(alpha: float, beta: float) -> None:
    with pytest.raises(ValueError, match="unstable"):
        AlphaBetaParameters(alpha, beta)
