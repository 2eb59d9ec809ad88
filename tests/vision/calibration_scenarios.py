"""Generated calibrations and dwell sessions for the verdict and drift tests and the benchmark.

Built on :mod:`tests.vision.gaze_simulation` (simulated users, known ground truth): a person who
looks where asked, one who misses each target by a few degrees, one who stares at the camera
whatever is shown (issue 13), and a session of dwell selections whose gaze drifts away from the
calibration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from gazertc.vision.calibration import ScreenPoint
from gazertc.vision.types import GazeSample
from tests.vision.gaze_simulation import (
    FPS,
    LAPTOP_SCREEN,
    REALISTIC_NOISE,
    Recording,
    grid_targets,
    random_targets,
    simulate_session,
    still_head,
)

CALIBRATION_GRID = grid_targets(4, 3)
"""Twelve targets, the usual calibration."""
CAMERA_POINT = ScreenPoint(LAPTOP_SCREEN.width_css_px / 2.0, -30.0)
"""Just above the screen's top edge: the camera of a laptop."""
CSS_PX_PER_DEG_AT_60_CM = 600.0 * math.tan(math.radians(1.0)) / LAPTOP_SCREEN.mm_per_css_px
"""About 40 CSS px per degree on the simulated laptop at 60 cm."""
LANDED_FRAMES = 12
"""Frames of a dwell before the eyes have landed (saccade latency and flight, 400 ms)."""


def _labelled(recording: Recording, targets: Sequence[ScreenPoint]) -> Recording:
    """The recording's samples labelled with the targets shown (``target_id`` indexes
    ``targets``); ``looked_at`` stays where the eyes looked."""
    samples = [replace(sample, target=targets[sample.target_id]) for sample in recording.samples]
    return Recording(samples, recording.gaze_samples, recording.looked_at)


def clean_calibration(seed: int) -> Recording:
    """A person who looks at each target, with realistic pipeline noise."""
    rng = np.random.default_rng(seed)
    return simulate_session(CALIBRATION_GRID, rng, head=still_head(rng), noise=REALISTIC_NOISE)


def missing_calibration(seed: int, miss_deg: float) -> Recording:
    """A person whose gaze lands ``miss_deg`` degrees from each target, in a random direction
    per target (inattentive, or a noisy tracker): a systematic error no fit can remove."""
    rng = np.random.default_rng(seed)
    miss_css_px = miss_deg * CSS_PX_PER_DEG_AT_60_CM
    angles = rng.uniform(0.0, 2.0 * math.pi, len(CALIBRATION_GRID))
    looked_at = [
        ScreenPoint(
            target.x_css_px + miss_css_px * math.cos(angle),
            target.y_css_px + miss_css_px * math.sin(angle),
        )
        for target, angle in zip(CALIBRATION_GRID, angles, strict=True)
    ]
    recording = simulate_session(looked_at, rng, head=still_head(rng), noise=REALISTIC_NOISE)
    return _labelled(recording, CALIBRATION_GRID)


def staring_calibration(seed: int) -> Recording:
    """A person who looks at the camera whatever target is shown (issue 13)."""
    rng = np.random.default_rng(seed)
    recording = simulate_session(
        [CAMERA_POINT] * len(CALIBRATION_GRID), rng, head=still_head(rng), noise=REALISTIC_NOISE
    )
    return _labelled(recording, CALIBRATION_GRID)


@dataclass(frozen=True)
class Dwell:
    """One dwell selection: the target selected, the frames of the dwell (the eyes landed on
    the target) and the window's times."""

    target: ScreenPoint
    frames: list[GazeSample]

    @property
    def start_unix_ns(self) -> int:
        return self.frames[0].timestamp_unix_ns

    @property
    def end_unix_ns(self) -> int:
        return self.frames[-1].timestamp_unix_ns


def drifting_dwells(
    seed: int,
    count: int,
    drift_css_px: Callable[[int], tuple[float, float]],
    *,
    dwell_s: float = 1.2,
    start_unix_ns: int = 1_700_000_100_000_000_000,
) -> list[Dwell]:
    """``count`` dwell selections of random targets by the person of ``clean_calibration(seed)``
    some time after calibrating; on dwell ``index`` the calibration is off by
    ``drift_css_px(index)``: the eye signal is that of a gaze displaced by it (as when the head
    settled elsewhere) while the person looks at the target."""
    rng = np.random.default_rng(seed + 1000)
    targets = random_targets(count, rng)
    displaced = [
        ScreenPoint(target.x_css_px + drift[0], target.y_css_px + drift[1])
        for index, target in enumerate(targets)
        for drift in (drift_css_px(index),)
    ]
    recording = simulate_session(
        displaced,
        rng,
        head=still_head(rng),
        noise=REALISTIC_NOISE,
        dwell_s=dwell_s,
        start_unix_ns=start_unix_ns,
    )
    per_dwell = round(dwell_s * FPS)
    return [
        Dwell(
            target,
            recording.gaze_samples[index * per_dwell + LANDED_FRAMES : (index + 1) * per_dwell],
        )
        for index, target in enumerate(targets)
    ]
