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

__all__ = ["BenchmarkResult", "ConditionSummary", "HeadMotionSummary"]


def _float_or_none(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _float_from(value: Any) -> float:
    return math.nan if value is None else float(value)


def _record_dict(record: Any) -> dict[str, Any]:
    """A flat record of str, int, bool and float fields as JSON-ready values, marked a
    simulation."""
    result: dict[str, Any] = {"simulation": True}
    for field in fields(record):
        value = getattr(record, field.name)
        result[field.name] = _float_or_none(value) if isinstance(value, float) else value
    return result


def _record_values(cls: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor arguments of a flat record read back from :func:`_record_dict`."""
    values: dict[str, Any] = {}
    for field in fields(cls):
        value = raw[field.name]
        if field.type == "str":
            values[field.name] = str(value)
        elif field.type == "int":
            values[field.name] = int(value)
        elif field.type == "bool":
            values[field.name] = bool(value)
        else:
            values[field.name] = _float_from(value)
    return values


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
        return _record_dict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ConditionSummary:
        """Raises: KeyError, TypeError, ValueError: ``raw`` is not a summary."""
        return cls(**_record_values(cls, raw))


@dataclass(frozen=True, slots=True)
class HeadMotionSummary:
    """One head position of one condition, over every face calibrated in it (SIMULATION).

    Both calibrations are fitted where the head was calibrated and scored on the test targets
    seen from ``offset_*_mm`` (camera frame: x to the image's right, y down, z away from the
    camera; all zero for ``home``, the test gazes before the head moved). ``calibrated_*``:
    gazertc's calibration with the eyes weighted, as a session uses it; ``calibrated_ray_*``:
    its combined ray alone; ``affine_*``: the affine map of the combined angles. ``frames``
    counts the test frames of those faces, ``frames_with_gaze`` those with a combined gaze;
    ``head_turn_deg_mean`` is how far gazertc's head pose of the moved photograph turned from
    the home one (the photograph did not turn).

    ``pooled_*``: the same two calibrations fitted on the home calibration gazes and half of
    the targets at each position named in ``pooled_calibrated_at`` (two folds, the halves
    swapped; each target scored by the fold that did not calibrate on it;
    :mod:`~gazertc.evaluation.rendered.head_motion`). ``pooled_in_calibration`` says whether
    this position gave the pooled calibration frames (home: its calibration gazes);
    ``pooled_faces`` and ``pooled_frames`` count the faces and frames scored, without the faces
    that gazertc lost at a pooled position.
    """

    condition: str
    position: str
    offset_x_mm: float
    offset_y_mm: float
    offset_z_mm: float
    faces: int
    frames: int
    frames_with_gaze: int
    calibrated_error_deg_mean: float
    calibrated_error_deg_median: float
    calibrated_error_deg_p90: float
    calibrated_ray_error_deg_mean: float
    affine_error_deg_mean: float
    affine_error_deg_median: float
    affine_error_deg_p90: float
    head_turn_deg_mean: float
    pooled_calibrated_at: str
    pooled_in_calibration: bool
    pooled_faces: int
    pooled_frames: int
    pooled_calibrated_error_deg_mean: float
    pooled_calibrated_error_deg_median: float
    pooled_calibrated_error_deg_p90: float
    pooled_calibrated_ray_error_deg_mean: float
    pooled_affine_error_deg_mean: float
    pooled_affine_error_deg_p90: float

    def to_dict(self) -> dict[str, Any]:
        return _record_dict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HeadMotionSummary:
        """Raises: KeyError, TypeError, ValueError: ``raw`` is not a summary."""
        return cls(**_record_values(cls, raw))


@dataclass(frozen=True, slots=True)
class BenchmarkResult:
    """A whole run: the faces used (by name), the summaries, the wall time it took, the
    head-motion summaries (empty when the run did not move the head), whether the lids
    followed the eyes' vertical turns, and how many frames of each calibration and test gaze
    were tracked (a test gaze scored on their mean)."""

    faces: tuple[str, ...]
    conditions: tuple[ConditionSummary, ...]
    runtime_s: float
    head_motion: tuple[HeadMotionSummary, ...] = ()
    lids_follow_gaze: bool = False
    frames_per_gaze: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "simulation": True,
            "note": SIMULATION_NOTE,
            "faces": list(self.faces),
            "conditions": [summary.to_dict() for summary in self.conditions],
            "runtime_s": round(self.runtime_s, 1),
            "head_motion": [summary.to_dict() for summary in self.head_motion],
            "lids_follow_gaze": self.lids_follow_gaze,
            "frames_per_gaze": self.frames_per_gaze,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BenchmarkResult:
        """Raises: KeyError, TypeError, ValueError: ``raw`` is not a result."""
        lids_follow_gaze = raw.get("lids_follow_gaze", False)
        if not isinstance(lids_follow_gaze, bool):
            raise TypeError(f"lids_follow_gaze must be true or false, got {lids_follow_gaze!r}")
        frames_per_gaze = raw.get("frames_per_gaze", 1)
        if type(frames_per_gaze) is not int or frames_per_gaze < 1:
            raise ValueError(f"frames_per_gaze must be a positive integer, got {frames_per_gaze!r}")
        return cls(
            faces=tuple(str(name) for name in raw["faces"]),
            conditions=tuple(ConditionSummary.from_dict(item) for item in raw["conditions"]),
            runtime_s=float(raw["runtime_s"]),
            head_motion=tuple(
                HeadMotionSummary.from_dict(item) for item in raw.get("head_motion", [])
            ),
            lids_follow_gaze=lids_follow_gaze,
            frames_per_gaze=frames_per_gaze,
        )
