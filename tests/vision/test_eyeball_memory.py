"""The per-session eyeball centres in the head frame."""

from __future__ import annotations

import numpy as np
import pytest

from gazertc.vision.eyeball_memory import EyeballMemory
from gazertc.vision.types import EyeSide


def test_first_frames_are_averaged_with_equal_weights() -> None:
    memory = EyeballMemory(frames=10)
    observed = [np.array([30.0 + k, -2.0, 20.0]) for k in range(4)]
    for centre in observed:
        estimate = memory.update({EyeSide.LEFT: centre})
    np.testing.assert_allclose(estimate[EyeSide.LEFT], np.mean(observed, axis=0))
    assert EyeSide.RIGHT not in estimate


def test_later_frames_weigh_one_over_frames() -> None:
    memory = EyeballMemory(frames=4)
    for _ in range(4):
        memory.update({EyeSide.RIGHT: np.zeros(3)})
    estimate = memory.update({EyeSide.RIGHT: np.array([8.0, 0.0, 0.0])})
    np.testing.assert_allclose(estimate[EyeSide.RIGHT], [2.0, 0.0, 0.0])


def test_noise_is_averaged_out_and_reset_forgets() -> None:
    rng = np.random.default_rng(3)
    memory = EyeballMemory(frames=30)
    true_mm = np.array([-31.5, -2.5, 21.5])
    for _ in range(200):
        estimate = memory.update({EyeSide.RIGHT: true_mm + rng.normal(0.0, 0.5, 3)})
    # One frame's noise is 0.5 mm per axis; the mean over ~30 frames about 0.1 mm.
    assert np.linalg.norm(estimate[EyeSide.RIGHT] - true_mm) < 0.4
    memory.reset()
    assert memory.update({}) == {}


def test_returned_estimates_are_copies() -> None:
    memory = EyeballMemory(frames=5)
    estimate = memory.update({EyeSide.LEFT: np.ones(3)})
    estimate[EyeSide.LEFT][0] = 99.0
    np.testing.assert_allclose(memory.update({})[EyeSide.LEFT], np.ones(3))


def test_frames_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EyeballMemory(frames=0)
