"""The head moved after calibration, in the rendered-eye SIMULATION: errors per head position.

Each face is calibrated where it was placed (home). Then the head moves to other positions
(:class:`~gazertc.evaluation.rendered.benchmark.HeadMotionPlan`) and looks at the same targets
on the camera's plane as the home test gazes; the truth is the direction from the moved eyes to
each target. Both calibrations fitted at home are scored there: gazertc's own (geometric: it
maps where the gaze rays meet the camera's plane) and the affine map of the combined angles.
The moved face is the same planar photograph translated in 3D, never turned.

Beside them, the same calibrations pooled over several head positions
(:data:`POOLED_CALIBRATION_POSITIONS`), as a user would calibrate if asked to lean in and out.
No frames are added: each pooled position gives the calibration alternate targets of its own
(beside the home calibration gazes), and its other targets are scored; a second fold swaps the
halves, so each target is scored once, by the fold that did not calibrate on it. Positions
outside the calibration, and home, are scored on every target the same way, each target by the
fold of its index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from gazertc.evaluation.rendered.benchmark import (
    HEAD_FARTHER,
    HEAD_NEARER,
    Condition,
    FaceRun,
    HeadDisplacement,
    MovedRun,
    Observation,
)
from gazertc.evaluation.rendered.measures import (
    AffineGazeMap,
    finite_mean,
    finite_median,
    fit_gaze_map,
    fixations,
    gaze_map_errors_deg,
    p90,
)
from gazertc.evaluation.rendered.results import HeadMotionSummary
from gazertc.evaluation.rendered.screen_calibration import (
    fit_screen_calibration,
    screen_errors_deg,
)
from gazertc.vision.calibration import CalibrationModel

__all__ = [
    "CALIBRATION_FOLDS",
    "HOME",
    "POOLED_CALIBRATION_POSITIONS",
    "calibration_half",
    "held_out_half",
    "pooled_calibration_frames",
    "summarise_head_motion",
]

HOME = HeadDisplacement("home (before moving)", (0.0, 0.0, 0.0))
"""The row of the test gazes seen before the head moved, for comparison."""

POOLED_CALIBRATION_POSITIONS: Final = (HEAD_NEARER, HEAD_FARTHER)
"""Leaning in and back during calibration. Chosen in a scratch comparison on the default plan
(SIMULATION, seeds 0 / 1, gazertc's calibration as a session fits it, mean over the six moved
positions): home alone 6.07 / 5.67 degrees; home + nearer + farther 4.15 / 4.03; home + right +
left 4.25 / 4.12, worse after the depth moves, which cost most; home + half the home test
targets (more points, one position) 5.12 / 4.89. A plan that visits neither is calibrated at
home alone."""

CALIBRATION_FOLDS: Final = 2
"""Alternate targets (on the default 4x4 grid, alternate columns): each fold calibrates on one
half of a pooled position's targets and scores the other half, so no scored target is in its
own calibration, and every one is scored. Every position's target ``i`` is scored by fold
``i % 2``, so no fold scores a target point that it calibrated on from another position."""


def calibration_half(observations: Sequence[Observation], fold: int) -> list[Observation]:
    """The frames a fold calibrates on: the targets whose index is not ``fold`` modulo
    :data:`CALIBRATION_FOLDS`."""
    return [
        o
        for index, fixation in enumerate(fixations(observations))
        if index % CALIBRATION_FOLDS != fold
        for o in fixation
    ]


def held_out_half(observations: Sequence[Observation], fold: int) -> list[Observation]:
    """The frames a fold scores: the targets whose index is ``fold`` modulo
    :data:`CALIBRATION_FOLDS`, none of which is in that fold's calibration."""
    return [
        o
        for index, fixation in enumerate(fixations(observations))
        if index % CALIBRATION_FOLDS == fold
        for o in fixation
    ]


def pooled_calibration_frames(
    run: FaceRun, pooled: Sequence[HeadDisplacement], fold: int
) -> list[Observation]:
    """The frames a fold's pooled calibration is fitted on: the home calibration gazes and the
    calibration half of the targets at each of the ``pooled`` positions the run visited."""
    frames = list(run.calibration)
    for moved in run.moved:
        if moved.displacement in pooled:
            frames += calibration_half(moved.test, fold)
    return frames


@dataclass(frozen=True, slots=True, eq=False)
class _Calibration:
    """gazertc's calibration and the affine map, fitted on the same frames."""

    screen: CalibrationModel
    affine: AffineGazeMap

    @classmethod
    def fit(cls, frames: Sequence[Observation]) -> _Calibration | None:
        screen = fit_screen_calibration(frames)
        affine = fit_gaze_map(frames)
        return None if screen is None or affine is None else cls(screen, affine)


@dataclass(slots=True)
class _Errors:
    """The errors (degrees) at one head position, gathered over faces and folds."""

    weighted: list[float] = field(default_factory=list)
    ray: list[float] = field(default_factory=list)
    affine: list[float] = field(default_factory=list)
    head_turns_deg: list[float] = field(default_factory=list)
    faces: int = 0
    frames: int = 0
    frames_with_gaze: int = 0

    def add(
        self, folds: Sequence[_Calibration], test: Sequence[Observation], head_turn_deg: float
    ) -> None:
        """One face's frames at this position, each target scored by the fold of its index."""
        self.faces += 1
        self.head_turns_deg.append(head_turn_deg)
        self.frames += len(test)
        self.frames_with_gaze += sum(o.sample.gaze is not None for o in test)
        for fold, calibration in enumerate(folds):
            held_out = held_out_half(test, fold)
            self.weighted += screen_errors_deg(calibration.screen, held_out)
            self.ray += screen_errors_deg(calibration.screen.with_eyes(None, None), held_out)
            self.affine += gaze_map_errors_deg(calibration.affine, held_out)


def _errors_per_position(
    runs: Sequence[FaceRun],
    displacements: Sequence[HeadDisplacement],
    pooled: Sequence[HeadDisplacement],
) -> dict[HeadDisplacement, _Errors]:
    """Per head position, the errors under the calibrations pooled over home and ``pooled``
    (home alone when empty). A face that gazertc lost at a pooled position is left out: its
    calibration would lack that position."""
    errors = {displacement: _Errors() for displacement in displacements}
    for run in runs:
        positions = {HOME: MovedRun(HOME, run.test, 0.0)}
        positions |= {moved.displacement: moved for moved in run.moved}
        if any(not positions[displacement].test for displacement in pooled):
            continue
        folds = [
            _Calibration.fit(pooled_calibration_frames(run, pooled, fold))
            for fold in range(CALIBRATION_FOLDS)
        ]
        fitted = [fold for fold in folds if fold is not None]
        if len(fitted) < CALIBRATION_FOLDS:
            continue
        for displacement, moved in positions.items():
            if moved.test:
                errors[displacement].add(fitted, moved.test, moved.head_turn_deg)
    return errors


def summarise_head_motion(
    condition: Condition, runs: Sequence[FaceRun | None]
) -> tuple[HeadMotionSummary, ...]:
    """One summary per head position (home first) over the faces that were calibrated and
    moved in this condition; empty when the condition's runs did not move the head. A face
    that gazertc lost at a position counts only at the others."""
    moved_runs = [run for run in runs if run is not None and run.moved]
    if not moved_runs:
        return ()
    visited = [moved.displacement for moved in moved_runs[0].moved]
    displacements = [HOME, *visited]
    pooled = [d for d in POOLED_CALIBRATION_POSITIONS if d in visited]
    at_home = _errors_per_position(moved_runs, displacements, ())
    at_several = _errors_per_position(moved_runs, displacements, pooled)
    calibrated_at = " + ".join(["home", *(d.name for d in pooled)])
    summaries = []
    for displacement in displacements:
        home, several = at_home[displacement], at_several[displacement]
        offset_x_mm, offset_y_mm, offset_z_mm = displacement.offset_mm
        summaries.append(
            HeadMotionSummary(
                condition=condition.name,
                position=displacement.name,
                offset_x_mm=offset_x_mm,
                offset_y_mm=offset_y_mm,
                offset_z_mm=offset_z_mm,
                faces=home.faces,
                frames=home.frames,
                frames_with_gaze=home.frames_with_gaze,
                calibrated_error_deg_mean=finite_mean(home.weighted),
                calibrated_error_deg_median=finite_median(home.weighted),
                calibrated_error_deg_p90=p90(home.weighted),
                calibrated_ray_error_deg_mean=finite_mean(home.ray),
                affine_error_deg_mean=finite_mean(home.affine),
                affine_error_deg_median=finite_median(home.affine),
                affine_error_deg_p90=p90(home.affine),
                head_turn_deg_mean=finite_mean(home.head_turns_deg),
                pooled_calibrated_at=calibrated_at,
                pooled_in_calibration=displacement == HOME or displacement in pooled,
                pooled_faces=several.faces,
                pooled_frames=several.frames,
                pooled_calibrated_error_deg_mean=finite_mean(several.weighted),
                pooled_calibrated_error_deg_median=finite_median(several.weighted),
                pooled_calibrated_error_deg_p90=p90(several.weighted),
                pooled_calibrated_ray_error_deg_mean=finite_mean(several.ray),
                pooled_affine_error_deg_mean=finite_mean(several.affine),
                pooled_affine_error_deg_p90=p90(several.affine),
            )
        )
    return tuple(summaries)
