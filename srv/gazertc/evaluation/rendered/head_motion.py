"""The head moved after calibration, in the rendered-eye SIMULATION: errors per head position.

Each face is calibrated where it was placed (home). Then the head moves to other positions
(:class:`~gazertc.evaluation.rendered.benchmark.HeadMotionPlan`) and looks at the same targets
on the camera's plane as the home test gazes; the truth is the direction from the moved eyes to
each target. Both calibrations fitted at home are scored there: gazertc's own (geometric: it
maps where the gaze rays meet the camera's plane) and the affine map of the combined angles.
The moved face is the same planar photograph translated in 3D, never turned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gazertc.evaluation.rendered.benchmark import (
    Condition,
    FaceRun,
    HeadDisplacement,
    Observation,
)
from gazertc.evaluation.rendered.measures import (
    AffineGazeMap,
    finite_mean,
    finite_median,
    fit_gaze_map,
    gaze_map_errors_deg,
    p90,
)
from gazertc.evaluation.rendered.results import HeadMotionSummary
from gazertc.evaluation.rendered.screen_calibration import (
    fit_screen_calibration,
    screen_errors_deg,
)
from gazertc.vision.calibration import CalibrationModel

__all__ = ["HOME", "summarise_head_motion"]

HOME = HeadDisplacement("home (before moving)", (0.0, 0.0, 0.0))
"""The row of the test gazes seen before the head moved, for comparison."""


@dataclass(frozen=True, slots=True, eq=False)
class _Calibrated:
    """One face's two calibrations, fitted at home, and its frames per head position (the
    home test gazes first), with how far gazertc's head pose turned there."""

    screen: CalibrationModel
    affine: AffineGazeMap
    positions: list[tuple[list[Observation], float]]


def _calibrated(run: FaceRun) -> _Calibrated | None:
    screen = fit_screen_calibration(run.calibration)
    affine = fit_gaze_map(run.calibration)
    if screen is None or affine is None:
        return None
    positions = [(run.test, 0.0)] + [(moved.test, moved.head_turn_deg) for moved in run.moved]
    return _Calibrated(screen, affine, positions)


def summarise_head_motion(
    condition: Condition, runs: Sequence[FaceRun | None]
) -> tuple[HeadMotionSummary, ...]:
    """One summary per head position (home first) over the faces that were calibrated and
    moved in this condition; empty when the condition's runs did not move the head. A face
    that gazertc lost at a position counts only at the others."""
    moved_runs = [run for run in runs if run is not None and run.moved]
    if not moved_runs:
        return ()
    displacements = [HOME] + [moved.displacement for moved in moved_runs[0].moved]
    faces = [face for run in moved_runs if (face := _calibrated(run)) is not None]
    summaries = []
    for index, displacement in enumerate(displacements):
        weighted: list[float] = []
        ray: list[float] = []
        affine: list[float] = []
        turns: list[float] = []
        frames = frames_with_gaze = faces_here = 0
        for face in faces:
            test, turn_deg = face.positions[index]
            if not test:
                continue
            faces_here += 1
            frames += len(test)
            frames_with_gaze += sum(o.sample.gaze is not None for o in test)
            weighted += screen_errors_deg(face.screen, test)
            ray += screen_errors_deg(face.screen.with_eyes(None, None), test)
            affine += gaze_map_errors_deg(face.affine, test)
            turns.append(turn_deg)
        offset_x_mm, offset_y_mm, offset_z_mm = displacement.offset_mm
        summaries.append(
            HeadMotionSummary(
                condition=condition.name,
                position=displacement.name,
                offset_x_mm=offset_x_mm,
                offset_y_mm=offset_y_mm,
                offset_z_mm=offset_z_mm,
                faces=faces_here,
                frames=frames,
                frames_with_gaze=frames_with_gaze,
                calibrated_error_deg_mean=finite_mean(weighted),
                calibrated_error_deg_median=finite_median(weighted),
                calibrated_error_deg_p90=p90(weighted),
                calibrated_ray_error_deg_mean=finite_mean(ray),
                affine_error_deg_mean=finite_mean(affine),
                affine_error_deg_median=finite_median(affine),
                affine_error_deg_p90=p90(affine),
                head_turn_deg_mean=finite_mean(turns),
            )
        )
    return tuple(summaries)
