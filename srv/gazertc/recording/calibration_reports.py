"""Calibration and validation results kept with a recording, and what the exports say of them.

The session sends ``calibration_result`` and ``validation_result`` messages (schema in
``srv/gazertc/protocol/schema.json``); :class:`CalibrationReport` is one of them as sent, with
the time it was sent. A recording keeps the latest of each from before it started (in its
metadata, ``calibration_reports``) and every one sent while it runs (the ``calibration_reports``
table). A validation measures the calibration in use when it ran; a new calibration makes the
previous validation stale, so the latest validation kept is never older than the latest
calibration. A poor fit sent with ``applied`` false was never in use: it is kept in the table
but counts as no calibration here.

Accuracy and precision are the server's own measurements on the participant's validation
targets (see the schema's ``validation_result``); the fit's offsets of a ``calibration_result``
say how well the model fits its own data, not how accurate it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "METADATA_KEY",
    "CalibrationReport",
    "ReportKind",
    "bids_calibration_fields",
    "calibration_quality",
]

METADATA_KEY: Final = "calibration_reports"
"""Where a recording's metadata lists the reports from before it started."""


class ReportKind(StrEnum):
    """The message type of a report."""

    CALIBRATION = "calibration_result"
    VALIDATION = "validation_result"


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    """A ``calibration_result`` or ``validation_result`` message as the session sent it at
    ``sent_unix_ns`` (server clock)."""

    kind: ReportKind
    sent_unix_ns: int
    message: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind.value,
            "sent_unix_ns": self.sent_unix_ns,
            "message": dict(self.message),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CalibrationReport:
        return cls(ReportKind(raw["type"]), int(raw["sent_unix_ns"]), dict(raw["message"]))

    @classmethod
    def from_message(
        cls, message: Mapping[str, Any], sent_unix_ns: int
    ) -> CalibrationReport | None:
        """The report of a message the session sends; ``None`` for any other message type."""
        kinds = {kind.value: kind for kind in ReportKind}
        kind = kinds.get(str(message.get("type")))
        if kind is None:
            return None
        return cls(kind, sent_unix_ns, dict(message))

    @property
    def applied(self) -> bool:
        """A calibration the session used (reports from before ``applied`` existed were all
        used); always true for a validation."""
        return self.message.get("applied") is not False

    @property
    def viewing_distance_mm(self) -> float | None:
        """The eye-to-camera distance the server estimated from the face during the procedure
        (``None`` for a loaded calibration)."""
        distance = self.message.get("viewing_distance_mm")
        return float(distance) if isinstance(distance, int | float) and distance > 0 else None

    @property
    def screen(self) -> Mapping[str, Any] | None:
        """The screen a calibration's model was made for (the schema's ``screen``); ``None``
        for a validation."""
        model = self.message.get("model")
        screen = model.get("screen") if isinstance(model, Mapping) else None
        return screen if isinstance(screen, Mapping) else None

    @property
    def targets(self) -> list[Mapping[str, Any]]:
        targets = self.message.get("targets")
        return (
            [target for target in targets if isinstance(target, Mapping)]
            if isinstance(targets, list)
            else []
        )


def _latest(reports: Sequence[CalibrationReport], kind: ReportKind) -> CalibrationReport | None:
    return next(
        (report for report in reversed(reports) if report.kind is kind and report.applied), None
    )


def _latest_validation(reports: Sequence[CalibrationReport]) -> CalibrationReport | None:
    """The latest validation, when it came after the latest calibration (else it measured
    another model)."""
    calibration = _latest(reports, ReportKind.CALIBRATION)
    validation = _latest(reports, ReportKind.VALIDATION)
    if validation is None:
        return None
    if calibration is not None and calibration.sent_unix_ns > validation.sent_unix_ns:
        return None
    return validation


def calibration_quality(reports: Sequence[CalibrationReport]) -> dict[str, Any] | None:
    """Overall accuracy and precision of the latest validation of the calibration in use at
    the end (``None`` without one), for the export's metadata."""
    validation = _latest_validation(reports)
    if validation is None:
        return None
    message = validation.message
    fields = ("accuracy_deg", "precision_deg", "accuracy_px", "precision_px", "viewing_distance_mm")
    return {"validated_unix_ns": validation.sent_unix_ns} | {
        name: message.get(name) for name in fields
    }


def _numbers(values: Iterable[Any]) -> list[float]:
    return [float(value) for value in values if isinstance(value, int | float)]


def _calibration_type(positions: Sequence[tuple[float, float]]) -> str:
    """EyeLink's naming (``HV9``: 9 targets spread horizontally and vertically)."""
    spread_x = len({x for x, _ in positions}) > 1
    spread_y = len({y for _, y in positions}) > 1
    prefix = "HV" if spread_x and spread_y else "H" if spread_x else "V" if spread_y else "P"
    return f"{prefix}{len(positions)}"


def bids_calibration_fields(reports: Sequence[CalibrationReport]) -> dict[str, Any]:
    """The BIDS eye-tracking sidecar's calibration fields for a run with these reports.

    ``AverageCalibrationError``/``MaximalCalibrationError`` (degrees) come from the latest
    validation of the calibration in use at the end; without one, from that calibration's fit
    residuals, and ``CalibrationErrorSource`` says which.
    """
    calibrations = [
        report for report in reports if report.kind is ReportKind.CALIBRATION and report.applied
    ]
    fields: dict[str, Any] = {"CalibrationCount": len(calibrations)}
    if not calibrations:
        return fields
    latest = calibrations[-1]
    positions = [
        (float(target["x_px"]), float(target["y_px"]))
        for target in latest.targets
        if isinstance(target.get("x_px"), int | float)
        and isinstance(target.get("y_px"), int | float)
    ]
    if positions:
        fields["CalibrationType"] = _calibration_type(positions)
        fields["CalibrationPosition"] = [[x, y] for x, y in positions]
        fields["CalibrationUnit"] = "pixel"
    validation = _latest_validation(reports)
    if validation is not None:
        average = validation.message.get("accuracy_deg")
        per_target = _numbers(target.get("accuracy_deg") for target in validation.targets)
        source = "validation: mean and largest angle between the targets and the gaze on them"
    else:
        average = latest.message.get("mean_offset_deg")
        per_target = _numbers(target.get("offset_deg") for target in latest.targets)
        source = "calibration fit residuals (no validation was run: not an accuracy)"
    if isinstance(average, int | float):
        fields["AverageCalibrationError"] = float(average)
        fields["CalibrationErrorSource"] = source
    if per_target:
        fields["MaximalCalibrationError"] = max(per_target)
    return fields
