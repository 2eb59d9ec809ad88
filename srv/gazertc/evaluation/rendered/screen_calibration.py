"""gazertc's own calibration on the rendered-eye SIMULATION: targets on the camera's plane.

The benchmark's gaze targets lie on the camera's plane ``z = 0``, which is where a screen around
the webcam would be. Each calibration gaze becomes a :class:`CalibrationSample` whose target is
that point, in CSS pixels of a nominal 96-per-inch screen, and the model is fitted by
:class:`~gazertc.vision.calibration.CalibrationModel` exactly as a session fits it (selection,
ridge regression on the gaze ray, outlier refit, each eye fitted on its own and the eyes weighted
by their residuals). A test frame's predicted point is turned back into a direction from the
true midpoint of the eyes and compared with the true gaze. The same model without its per-eye
part gives the figure of the combined ray alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gazertc.evaluation.rendered.benchmark import Observation, TrueGaze
from gazertc.evaluation.rendered.measures import (
    fixation_errors_deg,
    fixations,
    rms_sample_to_sample,
)
from gazertc.vision.calibration import (
    CalibrationError,
    CalibrationModel,
    CalibrationSample,
    FrameFeatures,
    ScreenPoint,
)
from gazertc.vision.gaze import angles_from_direction, direction_from_angles
from gazertc.vision.screen import CSS_PX_PER_INCH, MM_PER_INCH, ScreenGeometry
from gazertc.vision.types import EyeSide

__all__ = [
    "SCREEN",
    "ScreenCalibrationErrors",
    "fit_screen_calibration",
    "screen_calibration_errors",
    "screen_errors_deg",
    "target_point",
]

FloatArray = npt.NDArray[np.float64]

MM_PER_CSS_PX: Final = MM_PER_INCH / CSS_PX_PER_INCH
SCREEN_SIDE_CSS_PX: Final = 4000
"""A square nominal screen about 1 m wide with the camera at its centre: every target of the
plan (within about 20 degrees at up to 75 cm) lies on it."""
SCREEN: Final = ScreenGeometry(SCREEN_SIDE_CSS_PX, SCREEN_SIDE_CSS_PX)
_CAMERA_CSS_PX: Final = SCREEN_SIDE_CSS_PX / 2.0

MIN_CALIBRATION_FRAMES: Final = 6
"""One frame per calibration gaze: as :data:`~gazertc.evaluation.rendered.measures.
MIN_CALIBRATION_GAZES`, two thirds of a 3x3 calibration must survive."""


def _eyes_midpoint_mm(truth: TrueGaze) -> FloatArray:
    centres = [truth.poses[side].centre_mm for side in EyeSide]
    midpoint: FloatArray = (centres[0] + centres[1]) / 2.0
    return midpoint


def target_point(truth: TrueGaze) -> ScreenPoint:
    """Where the true gaze, from the eyes' midpoint, meets the camera's plane, in CSS px of
    :data:`SCREEN` (y down, as the camera's y)."""
    midpoint = _eyes_midpoint_mm(truth)
    direction = direction_from_angles(*truth.combined)
    point = midpoint + direction * (-midpoint[2] / direction[2])
    return ScreenPoint(
        float(point[0]) / MM_PER_CSS_PX + _CAMERA_CSS_PX,
        float(point[1]) / MM_PER_CSS_PX + _CAMERA_CSS_PX,
    )


def _angles(point: ScreenPoint, truth: TrueGaze) -> tuple[float, float]:
    """The direction to ``point`` from the true midpoint of the eyes."""
    on_plane_mm = np.array(
        [
            (point.x_css_px - _CAMERA_CSS_PX) * MM_PER_CSS_PX,
            (point.y_css_px - _CAMERA_CSS_PX) * MM_PER_CSS_PX,
            0.0,
        ]
    )
    return angles_from_direction(on_plane_mm - _eyes_midpoint_mm(truth))


@dataclass(frozen=True, slots=True)
class ScreenCalibrationErrors:
    """One face's test errors (degrees) under gazertc's calibration: with the eyes weighted
    (``weighted``, what a session uses) and with the combined ray alone (``combined``); the
    weighted model's RMS sample-to-sample change over the precision frames (degrees), and the
    right eye's weight (``None``: the model has no per-eye part)."""

    weighted: list[float]
    combined: list[float]
    weighted_precision_rms_deg: float
    right_eye_weight: float | None


def fit_screen_calibration(calibration: Sequence[Observation]) -> CalibrationModel | None:
    """gazertc's calibration fitted on the calibration frames as a session fits it, ``None``
    when too few of them are usable."""
    samples = [
        CalibrationSample(FrameFeatures.from_sample(o.sample), target_point(o.truth), index)
        for index, fixation in enumerate(fixations(calibration))
        for o in fixation
    ]
    try:
        return CalibrationModel.fit(samples, SCREEN, min_samples=MIN_CALIBRATION_FRAMES)
    except CalibrationError:
        return None


def screen_errors_deg(model: CalibrationModel, test: Sequence[Observation]) -> list[float]:
    """The angle between the direction to the predicted point and the true gaze, both from the
    true midpoint of the eyes, for each test fixation (its frames' mean direction) that the
    model predicts a point for."""

    def predicted(observation: Observation) -> tuple[float, float] | None:
        point = model.predict_features(FrameFeatures.from_sample(observation.sample))
        return None if point is None else _angles(point, observation.truth)

    return fixation_errors_deg(test, predicted)


def screen_calibration_errors(
    calibration: Sequence[Observation],
    test: Sequence[Observation],
    precision: Sequence[Observation],
) -> ScreenCalibrationErrors | None:
    """Fit gazertc's calibration on the calibration frames and score it on the test frames and
    the precision frames; ``None`` when too few calibration frames are usable."""
    model = fit_screen_calibration(calibration)
    if model is None:
        return None
    steady = [
        _angles(point, o.truth)
        for o in precision
        if (point := model.predict_features(FrameFeatures.from_sample(o.sample))) is not None
    ]
    weights = model.eye_weights
    return ScreenCalibrationErrors(
        screen_errors_deg(model, test),
        screen_errors_deg(model.with_eyes(None, None), test),
        rms_sample_to_sample(steady),
        None if weights is None else weights.right,
    )
