from __future__ import annotations

import numpy as np
import pytest

from gazertc.vision.smoothing import (
    AlphaBetaParameters,
    GatedFilter,
    GatedFilterParameters,
)

FRAME_S = 1.0 / 30.0
PARAMETERS = GatedFilterParameters(AlphaBetaParameters(alpha=0.2, beta=0.02), noise=0.3, follow=1.0)


def test_a_jump_beyond_follow_is_taken_in_the_same_frame() -> None:
    smoother = GatedFilter(PARAMETERS)
    for _ in range(20):
        smoother.update(np.array([[5.0, 5.0]]), FRAME_S)
    jumped = np.array([[5.0 + 1.5 * PARAMETERS.follow, 5.0]])
    assert np.array_equal(smoother.update(jumped, FRAME_S), jumped)


def test_noise_on_a_still_point_is_damped_by_a_factor_of_three() -> None:
    rng = np.random.default_rng(4)
    measured = 50.0 + rng.normal(0.0, PARAMETERS.noise / 3.0, size=(600, 1, 2))
    smoother = GatedFilter(PARAMETERS)
    filtered = np.array([smoother.update(frame, FRAME_S) for frame in measured])[50:]
    raw_rms = np.sqrt(np.mean(np.sum(np.diff(measured[50:], axis=0) ** 2, axis=-1)))
    filtered_rms = np.sqrt(np.mean(np.sum(np.diff(filtered, axis=0) ** 2, axis=-1)))
    assert filtered_rms < raw_rms / 3.0


def test_a_slow_ramp_inside_the_gate_is_followed_without_steady_lag() -> None:
    smoother = GatedFilter(PARAMETERS)
    speed_per_frame = PARAMETERS.noise / 2.0
    errors = []
    for frame in range(120):
        truth = np.array([[speed_per_frame * frame, 0.0]])
        errors.append(float(np.abs(smoother.update(truth, FRAME_S) - truth).max()))
    assert max(errors) < PARAMETERS.follow
    assert max(errors[60:]) < 0.02 * speed_per_frame * 30


def test_all_rows_take_one_gain() -> None:
    smoother = GatedFilter(PARAMETERS)
    smoother.update(np.zeros((2, 3)), FRAME_S)
    moved = np.array([[2.0 * PARAMETERS.follow, 0.0, 0.0], [0.1, 0.0, 7.0]])
    assert np.array_equal(smoother.update(moved, FRAME_S), moved)


def test_long_gap_and_shape_change_reset() -> None:
    smoother = GatedFilter(PARAMETERS)
    smoother.update(np.zeros((1, 2)), FRAME_S)
    far = np.array([[0.2, 0.0]])
    assert np.array_equal(smoother.update(far, 1.0), far)
    three = np.ones((3, 2))
    assert np.array_equal(smoother.update(three, FRAME_S), three)


@pytest.mark.parametrize(("noise", "follow"), [(1.0, 1.0), (2.0, 1.0), (-0.1, 1.0)])
def test_a_gate_that_never_opens_is_refused(noise: float, follow: float) -> None:
    with pytest.raises(ValueError, match="noise"):
        GatedFilterParameters(AlphaBetaParameters(0.2, 0.02), noise=noise, follow=follow)
