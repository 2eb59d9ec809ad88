"""The records the rendered-eye SIMULATION reports: one summary per condition, and the run.

Both carry :data:`~gazertc.evaluation.rendered.SIMULATION_NOTE` when serialised: these are
measurements on rendered eyes, not on real ones. Angles are in degrees, positions in pixels of
the simulated camera's frame; NaN (nothing to measure) travels as ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from gazertc.evaluation.rendered import SIMULATION_NOTE

__all__ = ["BenchmarkResult", "ConditionSummary"]


def _float_or_none(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _float_from(value: Any) -> float:
    return math.nan if value is None else float(value)


@dataclass(frozen=True, slots=True)
class ConditionSummary:
    """One condition over every face that could be calibrated in it.

    ``frames`` counts the tracked frames of a known gaze (calibration, test and precision; not
    the warm-up frames nor the smoothed re-run), ``frames_with_gaze`` those with a combined gaze.
    Errors are over the test gazes of every such face after that face's own 9-point affine
    calibration (``uncalibrated_error_deg_mean``: the pipeline's angles as they are).
    ``calibrated_*`` are the same test gazes under gazertc's own calibration fitted on the same
    frames (:mod:`~gazertc.evaluation.rendered.screen_calibration`): with the eyes weighted by
    their calibration residuals, as a session uses it, and (``calibrated_ray_error_deg_mean``)
    with the combined ray alone; ``right_eye_weight_mean`` is the right eye's mean share. Precision
    is the RMS sample-to-sample change over repeated frames of one fixed gaze with fresh noise,
    the median over faces, after the affine map (``precision_rms_deg``) and after gazertc's
    calibration with the eyes weighted (``calibrated_precision_rms_deg``); ``smoothed`` runs
    the tracker with its default filters at 30 fps; the iris centre and the four eye-corner
    landmarks (which place the eyeball) are in pixels.
    Sensitivity: iris pixels moved per degree of the eye's own gaze, found by the pipeline
    against the truth (the iris as the camera sees it through the cornea), mean over eyes;
    the ratio is the mean of per-eye ratios.
    """

    condition: str
    width_px: int
    height_px: int
    distance_mm: float
    faces: int
    faces_skipped: int
    frames: int
    frames_with_gaze: int
    uncalibrated_error_deg_mean: float
    combined_error_deg_mean: float
    combined_error_deg_median: float
    combined_error_deg_p90: float
    right_eye_error_deg_mean: float
    left_eye_error_deg_mean: float
    calibrated_error_deg_mean: float
    calibrated_error_deg_median: float
    calibrated_error_deg_p90: float
    calibrated_ray_error_deg_mean: float
    right_eye_weight_mean: float
    precision_rms_deg: float
    calibrated_precision_rms_deg: float
    precision_rms_deg_smoothed: float
    iris_precision_rms_px: float
    corner_precision_rms_px: float
    true_px_per_deg_horizontal: float
    found_px_per_deg_horizontal: float
    sensitivity_ratio_horizontal: float
    true_px_per_deg_vertical: float
    found_px_per_deg_vertical: float
    sensitivity_ratio_vertical: float

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"simulation": True}
        for field in fields(self):
            value = getattr(self, field.name)
            result[field.name] = _float_or_none(value) if isinstance(value, float) else value
        return result

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ConditionSummary:
        """Raises: KeyError, TypeError, ValueError: ``raw`` is not a summary."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            value = raw[field.name]
            if field.type == "str":
                values[field.name] = str(value)
            elif field.type == "int":
                values[field.name] = int(value)
            else:
                values[field.name] = _float_from(value)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class BenchmarkResult:
    """A whole run: the faces used (by name), the summaries, and the wall time it took."""

    faces: tuple[str, ...]
    conditions: tuple[ConditionSummary, ...]
    runtime_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "simulation": True,
            "note": SIMULATION_NOTE,
            "faces": list(self.faces),
            "conditions": [summary.to_dict() for summary in self.conditions],
            "runtime_s": round(self.runtime_s, 1),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BenchmarkResult:
        """Raises: KeyError, TypeError, ValueError: ``raw`` is not a result."""
        return cls(
            faces=tuple(str(name) for name in raw["faces"]),
            conditions=tuple(ConditionSummary.from_dict(item) for item in raw["conditions"]),
            runtime_s=float(raw["runtime_s"]),
        )
