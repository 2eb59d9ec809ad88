"""One session's calibration and validation: the protocol's calibration messages meet
:mod:`gazertc.vision.calibration`.

Where the model runs: in the main process, on the :class:`~gazertc.vision.types.GazeSample`
the session already holds for fixation detection. Applying it costs tens of microseconds per
frame (``bench/calibration.py`` measures it), less than shipping the model to the worker and
keeping it in step would; fitting (a few milliseconds) runs in the default thread executor, off
the event loop.

Flow: ``calibration_start`` (targets) -> per target ``target_shown`` ... ``target_done`` ->
``calibration_end`` -> ``calibration_result``; then every sample carries ``screen_point`` (the
session adds the :class:`~gazertc.records.ScreenGaze` that :meth:`CalibrationFlow.on_sample`
returns). ``validation_start`` runs the same sequence against the fitted model and ends in
``validation_result``. ``calibration_load`` restores a model saved from a
``calibration_result``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from gazertc import protocol
from gazertc.errors import InputError
from gazertc.protocol import ErrorCode, JsonObject, ProtocolError
from gazertc.protocol.calibration import (
    CalibrationSource,
    make_calibration_result,
    make_validation_result,
)
from gazertc.records import ScreenGaze
from gazertc.vision.calibration import (
    CalibrationError,
    CalibrationModel,
    CalibrationSample,
    FrameFeatures,
    ScreenPoint,
    validate_calibration,
)
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import OneEuroFilter, ScreenGeometry
from gazertc.vision.types import GazeSample

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


class CalibrationFlow:
    """Calibration state of one session (not thread-safe: call from the event loop)."""

    def __init__(self) -> None:
        self._model: CalibrationModel | None = None
        self._procedure: _Procedure | None = None
        self._filter = OneEuroFilter()
        self._intrinsics: dict[tuple[int, int], CameraIntrinsics] = {}

    @property
    def calibrated(self) -> bool:
        """A model is applied: every sample carries ``screen_point`` (``null`` when the frame
        gives none)."""
        return self._model is not None

    @property
    def wants_samples(self) -> bool:
        """True while samples are collected or mapped to the screen."""
        return self._model is not None or self._procedure is not None

    # -- client messages -----------------------------------------------------------------

    async def handle(
        self, message: JsonObject, received_unix_ns: int, screen: ScreenGeometry | None
    ) -> JsonObject | None:
        """Act on a validated calibration message; returns the answer to send, if any.

        ``screen`` is the session's screen (``None`` until the client described it).

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

    def _start(self, message: JsonObject, screen: ScreenGeometry | None) -> None:
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
        if kind is ProcedureKind.VALIDATION and self._model is None:
            raise _out_of_order("validation needs a calibration first", message_type)
        targets = {
            int(target["id"]): ScreenPoint(float(target["x_px"]), float(target["y_px"]))
            for target in message["targets"]
        }
        if len(targets) != len(message["targets"]):
            raise ProtocolError(
                ErrorCode.INVALID_MESSAGE, "target ids must be unique", ref_type=message_type
            )
        self._procedure = _Procedure(kind, screen, targets)

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
            self._use(model)
            return make_calibration_result(model, model.fit_report, CalibrationSource.FIT)
        current = self._model
        if current is None:
            raise _out_of_order("the calibration was discarded", "calibration_end")
        validation = await loop.run_in_executor(None, validate_calibration, current, samples)
        return make_validation_result(validation, current.screen)

    def _load(self, document: JsonObject, screen: ScreenGeometry | None) -> JsonObject:
        if screen is None:
            raise ProtocolError(
                ErrorCode.CALIBRATION_FAILED,
                "the screen is unknown: send it in hello or config (screen) before loading a "
                "calibration",
                ref_type="calibration_load",
            )
        try:
            model = CalibrationModel.from_dict(document, screen)
        except CalibrationError as exc:
            raise ProtocolError(
                ErrorCode.CALIBRATION_FAILED, str(exc), ref_type="calibration_load"
            ) from exc
        self._use(model)
        return make_calibration_result(model, None, CalibrationSource.LOAD)

    def _use(self, model: CalibrationModel) -> None:
        self._model = model
        self._filter.reset()

    def screen_changed(self, screen: ScreenGeometry | None) -> JsonObject | None:
        """Drop a model made for another screen; returns the error to send, if any."""
        model = self._model
        if model is None or screen is None:
            return None
        try:
            model.check_screen(screen)
        except CalibrationError as exc:
            self._model = None
            return protocol.make_error(
                ErrorCode.CALIBRATION_FAILED,
                f"calibration discarded: {exc}",
                ref_type="config",
            )
        return None

    # -- samples -------------------------------------------------------------------------

    def on_sample(self, sample: GazeSample) -> ScreenGaze | None:
        """Collect a sample for the running procedure; once calibrated, return where on the
        screen it looks (``None`` when the frame gives no point: no face, a blink, no usable
        eye), and ``None`` when not calibrated (see :attr:`calibrated`)."""
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
        model = self._model
        if model is None or not sample.face_found or sample.blinking:
            return None
        features = features or self._features(sample)
        predicted = None if features is None else model.predict_features(features)
        if features is None or predicted is None:
            return None
        if not (math.isfinite(predicted.x_css_px) and math.isfinite(predicted.y_css_px)):
            return None  # a loaded model with extreme numbers: no point rather than Infinity
        smoothed_x, smoothed_y = self._filter.update(
            predicted.x_css_px, predicted.y_css_px, features.timestamp_unix_ns / 1e9
        )
        return ScreenGaze(predicted.x_css_px, predicted.y_css_px, smoothed_x, smoothed_y)

    def _features(self, sample: GazeSample) -> FrameFeatures | None:
        size = (sample.frame_width_px, sample.frame_height_px)
        try:
            intrinsics = self._intrinsics.get(size)
            if intrinsics is None:
                intrinsics = CameraIntrinsics.from_frame_size(*size)
                self._intrinsics = {size: intrinsics}
            return FrameFeatures.from_sample(sample, intrinsics)
        except InputError as exc:
            logger.warning("sample unusable for calibration: %s", exc)
            return None


def _out_of_order(message: str, ref_type: str) -> ProtocolError:
    return ProtocolError(ErrorCode.CALIBRATION_OUT_OF_ORDER, message, ref_type=ref_type)
