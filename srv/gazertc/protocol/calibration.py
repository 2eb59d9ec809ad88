"""The messages that report a calibration: ``calibration_result``, ``validation_result`` and
``drift_status``.

Lengths are rounded to a hundredth of a CSS pixel, degrees to a thousandth, centimetres to a
thousandth and the viewing distance to a tenth of a millimetre: far below what webcam gaze
resolves.
"""

from __future__ import annotations

import math
from enum import StrEnum

from gazertc.protocol import PROTOCOL_VERSION, JsonObject
from gazertc.vision.calibration import (
    CalibrationFit,
    CalibrationModel,
    CalibrationVerdict,
    DriftStatus,
    ValidationResult,
    ValidationVerdict,
)
from gazertc.vision.screen import ScreenGeometry, offset_cm_from_css_px

__all__ = [
    "LOADED_REASON",
    "CalibrationSource",
    "make_calibration_result",
    "make_drift_status",
    "make_validation_result",
]

LOADED_REASON = (
    "A saved calibration has no verdict of its own: run a validation to see how well it works "
    "today."
)
"""The ``quality_reason`` of a loaded model (its ``quality`` is null)."""


class CalibrationSource(StrEnum):
    """Where the model of a ``calibration_result`` came from (its ``source``)."""

    FIT = "fit"
    """Fitted on this session's calibration procedure (the result carries the fit's residuals)."""
    ACCEPT = "accept"
    """A poor fit applied on ``calibration_accept`` (the same report as its ``fit`` answer)."""
    LOAD = "load"
    """Restored from a saved model with ``calibration_load`` (no targets, totals null)."""


def _rounded(value: float | None, digits: int = 2) -> float | None:
    """``value`` rounded; ``None`` for no value, and for an infinite or NaN one (a loaded model
    with extreme numbers can give those; JSON has no way to say them)."""
    return None if value is None or not math.isfinite(value) else round(value, digits)


def make_calibration_result(
    model: CalibrationModel,
    verdict: CalibrationVerdict | None,
    source: CalibrationSource,
    *,
    applied: bool,
) -> JsonObject:
    """The ``calibration_result`` message for ``model``; ``verdict`` is the judgement of a fit
    (``None`` for a loaded model: no targets, totals and quality ``null`` or 0). ``applied``:
    whether the session now uses the model."""
    screen = model.screen
    fit: CalibrationFit | None = None if verdict is None else model.fit_report
    mean_px = None if fit is None else fit.mean_offset_css_px
    return {
        "v": PROTOCOL_VERSION,
        "type": "calibration_result",
        "source": source.value,
        "targets": []
        if fit is None
        else [
            {
                "target_id": target.target_id,
                "x_px": target.target.x_css_px,
                "y_px": target.target.y_css_px,
                "offset_px": _rounded(target.offset_css_px),
                "offset_deg": _rounded(target.offset_deg, 3),
                "rms_px": _rounded(target.rms_css_px),
                "samples_used": target.samples_used,
                "samples_dropped": target.samples_dropped,
            }
            for target in fit.targets
        ],
        "mean_offset_px": _rounded(mean_px),
        "mean_offset_deg": None if fit is None else _rounded(fit.mean_offset_deg, 3),
        "mean_offset_cm": None
        if mean_px is None
        else _rounded(offset_cm_from_css_px(mean_px, screen), 3),
        "samples_used": 0 if fit is None else fit.samples_used,
        "samples_dropped": 0 if fit is None else fit.samples_dropped,
        "viewing_distance_mm": None if fit is None else _rounded(fit.viewing_distance_mm, 1),
        "screen_size_estimated": screen.size_is_estimated,
        "model": model.to_dict(),
        "applied": applied,
        "quality": None if verdict is None else verdict.quality.value,
        "quality_reason": LOADED_REASON if verdict is None else verdict.reason,
        "loto_error_px": None if verdict is None else _rounded(verdict.loto_error_css_px),
        "loto_error_deg": None if verdict is None else _rounded(verdict.loto_error_deg, 3),
    }


def make_validation_result(
    validation: ValidationResult, screen: ScreenGeometry, verdict: ValidationVerdict
) -> JsonObject:
    """The ``validation_result`` message for a validation on ``screen``."""
    accuracy_px = validation.accuracy_css_px
    return {
        "v": PROTOCOL_VERSION,
        "type": "validation_result",
        "targets": [
            {
                "target_id": target.target_id,
                "x_px": target.target.x_css_px,
                "y_px": target.target.y_css_px,
                "accuracy_px": _rounded(target.accuracy_css_px),
                "accuracy_deg": _rounded(target.accuracy_deg, 3),
                "precision_px": _rounded(target.precision_css_px),
                "precision_deg": _rounded(target.precision_deg, 3),
                "samples_used": target.samples_used,
            }
            for target in validation.targets
        ],
        "accuracy_px": _rounded(accuracy_px),
        "accuracy_deg": _rounded(validation.accuracy_deg, 3),
        "accuracy_cm": None
        if accuracy_px is None
        else _rounded(offset_cm_from_css_px(accuracy_px, screen), 3),
        "precision_px": _rounded(validation.precision_css_px),
        "precision_deg": _rounded(validation.precision_deg, 3),
        "viewing_distance_mm": _rounded(validation.viewing_distance_mm, 1),
        "screen_size_estimated": screen.size_is_estimated,
        "quality": verdict.quality.value,
        "quality_reason": verdict.reason,
    }


def make_drift_status(status: DriftStatus) -> JsonObject:
    """The ``drift_status`` message for the drift correction's state after an event."""
    return {
        "v": PROTOCOL_VERSION,
        "type": "drift_status",
        "offset_x_px": round(status.offset_x_css_px, 2),
        "offset_y_px": round(status.offset_y_css_px, 2),
        "offset_deg": _rounded(status.offset_deg, 3),
        "confirmations_used": status.confirmations_used,
        "last": status.last.value,
        "reason": status.reason,
    }
