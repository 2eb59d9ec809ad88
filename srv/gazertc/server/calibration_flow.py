"""One session's calibration and validation: the protocol's calibration messages meet
:mod:`gazertc.vision.calibration`.

Where the model runs: in the main process, on the sample dict that the session already parses
for fixation detection. Applying it costs tens of microseconds per frame (``bench/calibration.py``
measures it), less than shipping the model to the worker and keeping it in step would; fitting
(a few milliseconds) runs in the default thread executor, off the event loop.

Flow: ``calibration_start`` (targets) -> per target ``target_shown`` ... ``target_done`` ->
``calibration_end`` -> ``calibration_result``; then every sample carries ``screen_point``.
``validation_start`` runs the same sequence against the fitted model and ends in
``validation_result``. ``calibration_load`` restores a model saved from a ``calibration_result``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from gazertc import protocol
from gazertc.errors import InputError
from gazertc.protocol import ErrorCode, JsonObject, ProtocolError
from gazertc.vision.calibration import (
    CalibrationError,
    CalibrationFit,
    CalibrationModel,
    CalibrationSample,
    FrameFeatures,
    ScreenPoint,
    ValidationResult,
    validate_calibration,
)
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import OneEuroFilter, ScreenGeometry, offset_cm_from_css_px

__all__ = ["CalibrationFlow", "ProcedureKind"]

logger = logging.getLogger(__name__)

MAX_SAMPLES_PER_PROCEDURE: Final = 100 * 30 * 10
"""100 targets of up to 10 s at 30 fps: a client that never ends a procedure cannot grow memory
without bound."""


class ProcedureKind(StrEnum):
    CALIBRATION = "calibration"
    VALIDATION = "validation"


@dataclass
class _Procedure:
    kind: ProcedureKind
    screen: ScreenGeometry
    targets: dict[int, ScreenPoint]
    current_target: int | None = None
    shown_unix_ns: int = 0
    samples: list[CalibrationSample] = field(default_factory=list)


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


class CalibrationFlow:
    """Calibration state of one session (not thread-safe: call from the event loop)."""

    def __init__(self) -> None:
        self.model: CalibrationModel | None = None
        self._procedure: _Procedure | None = None
        self._filter = OneEuroFilter()
        self._intrinsics: dict[tuple[int, int], CameraIntrinsics] = {}

    @property
    def wants_samples(self) -> bool:
        """True while samples are collected or mapped to the screen."""
        return self.model is not None or self._procedure is not None

    # -- client messages -----------------------------------------------------------------

    async def handle(
        self,
        message: Mapping[str, Any],
        received_unix_ns: int,
        screen: Mapping[str, Any] | None,
    ) -> JsonObject | None:
        """Act on a validated calibration message; returns the answer to send, if any.

        Raises:
            ProtocolError: ``calibration_failed`` or ``calibration_out_of_order``.
        """
        message_type = str(message["type"])
        if message_type in {"calibration_start", "validation_start"}:
            self._start(message, screen)
        elif message_type == "target_shown":
            procedure = self._running(message_type)
            target_id = int(message["target_id"])
            if target_id not in procedure.targets:
                raise _out_of_order(
                    f"target {target_id} is not one of this procedure's targets "
                    f"{sorted(procedure.targets)}",
                    message_type,
                )
            procedure.current_target = target_id
            procedure.shown_unix_ns = int(message.get("shown_unix_ns", received_unix_ns))
        elif message_type == "target_done":
            procedure = self._running(message_type)
            if procedure.current_target != int(message["target_id"]):
                raise _out_of_order(
                    f"target {message['target_id']} is not the target shown "
                    f"({procedure.current_target})",
                    message_type,
                )
            procedure.current_target = None
        elif message_type == "calibration_end":
            return await self._finish(self._running(message_type))
        elif message_type == "calibration_load":
            return self._load(message["model"], screen)
        return None

    def _start(self, message: Mapping[str, Any], screen: Mapping[str, Any] | None) -> None:
        message_type = str(message["type"])
        kind = (
            ProcedureKind.CALIBRATION
            if message_type == "calibration_start"
            else ProcedureKind.VALIDATION
        )
        if screen is None:
            raise ProtocolError(
                ErrorCode.CALIBRATION_FAILED,
                "the screen is unknown: send it in hello or config (screen) before calibrating",
                ref_type=message_type,
            )
        if kind is ProcedureKind.VALIDATION and self.model is None:
            raise _out_of_order("validation needs a calibration first", message_type)
        targets = {
            int(target["id"]): ScreenPoint(float(target["x_px"]), float(target["y_px"]))
            for target in message["targets"]
        }
        if len(targets) != len(message["targets"]):
            raise ProtocolError(
                ErrorCode.INVALID_MESSAGE, "target ids must be unique", ref_type=message_type
            )
        self._procedure = _Procedure(kind, ScreenGeometry.from_message(screen), targets)

    def _running(self, message_type: str) -> _Procedure:
        if self._procedure is None:
            raise _out_of_order(
                "no calibration or validation is running (send calibration_start first)",
                message_type,
            )
        return self._procedure

    async def _finish(self, procedure: _Procedure) -> JsonObject:
        self._procedure = None
        samples = list(procedure.samples)
        loop = asyncio.get_running_loop()
        if procedure.kind is ProcedureKind.CALIBRATION:
            try:
                model = await loop.run_in_executor(
                    None, CalibrationModel.fit, samples, procedure.screen
                )
            except CalibrationError as exc:
                raise ProtocolError(
                    ErrorCode.CALIBRATION_FAILED, str(exc), ref_type="calibration_end"
                ) from exc
            self.model = model
            self._filter.reset()
            assert model.fit_report is not None
            return _calibration_result(model, model.fit_report)
        current = self.model
        if current is None:
            raise _out_of_order("the calibration was discarded", "calibration_end")
        validation = await loop.run_in_executor(None, validate_calibration, current, samples)
        return _validation_result(validation, current.screen)

    def _load(self, document: Mapping[str, Any], screen: Mapping[str, Any] | None) -> JsonObject:
        if screen is None:
            raise ProtocolError(
                ErrorCode.CALIBRATION_FAILED,
                "the screen is unknown: send it in hello or config (screen) before loading a "
                "calibration",
                ref_type="calibration_load",
            )
        try:
            model = CalibrationModel.from_dict(document, ScreenGeometry.from_message(screen))
        except CalibrationError as exc:
            raise ProtocolError(
                ErrorCode.CALIBRATION_FAILED, str(exc), ref_type="calibration_load"
            ) from exc
        self.model = model
        self._filter.reset()
        return _calibration_result(model, None)

    def screen_changed(self, screen: Mapping[str, Any] | None) -> JsonObject | None:
        """Drop a model made for another screen; returns the error to send, if any."""
        model = self.model
        if model is None or screen is None:
            return None
        try:
            model.check_screen(ScreenGeometry.from_message(screen))
        except (CalibrationError, InputError) as exc:
            self.model = None
            return protocol.make_error(
                ErrorCode.CALIBRATION_FAILED,
                f"calibration discarded: {exc}",
                ref_type="config",
            )
        return None

    # -- samples -------------------------------------------------------------------------

    def on_sample(self, sample: dict[str, Any], sample_json: str) -> str:
        """Collect a parsed sample for the running procedure and, once calibrated, add
        ``screen_point`` to it and return its text with the field (unchanged text otherwise)."""
        features: FrameFeatures | None = None
        procedure = self._procedure
        if procedure is not None and procedure.current_target is not None:
            features = self._features(sample)
            if features is not None and len(procedure.samples) < MAX_SAMPLES_PER_PROCEDURE:
                procedure.samples.append(
                    CalibrationSample(
                        features,
                        procedure.targets[procedure.current_target],
                        procedure.current_target,
                        (features.timestamp_unix_ns - procedure.shown_unix_ns) / 1e6,
                    )
                )
        model = self.model
        if model is None:
            return sample_json
        point: JsonObject | None = None
        if sample.get("face_found") and not sample.get("blinking"):
            features = features or self._features(sample)
            predicted = None if features is None else model.predict_features(features)
            if features is not None and predicted is not None:
                smoothed_x, smoothed_y = self._filter.update(
                    predicted.x_css_px, predicted.y_css_px, features.timestamp_unix_ns / 1e9
                )
                point = {
                    "x_px": round(predicted.x_css_px, 1),
                    "y_px": round(predicted.y_css_px, 1),
                    "smoothed_x_px": round(smoothed_x, 1),
                    "smoothed_y_px": round(smoothed_y, 1),
                }
        sample["screen_point"] = point
        return f'{sample_json[:-1]},"screen_point":{json.dumps(point, separators=(",", ":"))}}}'

    def _features(self, sample: Mapping[str, Any]) -> FrameFeatures | None:
        try:
            size = (int(sample["frame_width_px"]), int(sample["frame_height_px"]))
            intrinsics = self._intrinsics.get(size)
            if intrinsics is None:
                intrinsics = CameraIntrinsics.from_frame_size(*size)
                self._intrinsics = {size: intrinsics}
            return FrameFeatures.from_message(sample, intrinsics)
        except (InputError, KeyError, TypeError, ValueError) as exc:
            logger.warning("sample unusable for calibration: %s", exc)
            return None


def _out_of_order(message: str, ref_type: str) -> ProtocolError:
    return ProtocolError(ErrorCode.CALIBRATION_OUT_OF_ORDER, message, ref_type=ref_type)


def _calibration_result(model: CalibrationModel, fit: CalibrationFit | None) -> JsonObject:
    screen = model.screen
    mean_px = None if fit is None else fit.mean_offset_css_px
    return {
        "v": protocol.PROTOCOL_VERSION,
        "type": "calibration_result",
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
    }


def _validation_result(validation: ValidationResult, screen: ScreenGeometry) -> JsonObject:
    accuracy_px = validation.accuracy_css_px
    return {
        "v": protocol.PROTOCOL_VERSION,
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
    }
