"""One session's calibration and validation: the protocol's calibration messages meet
:mod:`gazertc.vision.calibration`.

Where the model runs: in the main process, on the :class:`~gazertc.vision.types.GazeSample`
the session already holds for fixation detection. Applying it costs tens of microseconds per
frame (``bench/calibration.py`` measures it), less than shipping the model to the worker and
keeping it in step would; fitting (a few milliseconds) runs in the default thread executor, off
the event loop.

Flow: ``calibration_start`` (targets) -> per target ``target_shown`` ... ``target_done`` ->
``calibration_end`` -> ``calibration_result``. The fit is judged
(:mod:`~gazertc.vision.calibration.quality`, in the same executor call): a good or fair fit is
applied at once and every sample carries ``screen_point`` (the session adds the
:class:`~gazertc.records.ScreenGaze` that :meth:`CalibrationFlow.on_sample` returns); a poor one
is answered with ``applied`` false and kept pending (the previous model, if any, stays in use)
until ``calibration_accept`` applies it (answered with the same report, source ``accept``). A new
calibration, a load or a screen change drops a pending fit. ``validation_start`` runs the same
sequence against the model in use and ends in ``validation_result`` with its verdict.
``calibration_load`` restores a model saved from a ``calibration_result`` (quality null).

Drift correction: ``dwell_confirmed`` names a target the user selected by dwelling on it and the
window of the dwell; its frames come from the history (the same checks as a target's window)
and feed the session's :class:`~gazertc.vision.calibration.DriftCorrection`, whose offset is
added to every screen point before the One Euro filter (raw and smoothed points agree). Every
``dwell_confirmed`` and ``drift_reset`` is answered with ``drift_status``. A new model (fit,
accept, load) or a discarded one clears the correction; when there was one (an offset or held
confirmations) a ``drift_status`` "cleared" follows the answer
(:meth:`CalibrationFlow.take_notices`): a client that never confirms hears nothing new.

Target times may lie in the past: every tracked sample's features go into a
:class:`~gazertc.vision.calibration.FeatureHistory` (the last
:data:`~gazertc.vision.calibration.HISTORY_S`, memory only), and a target's window
``[shown_unix_ns, done_unix_ns]`` takes its frames from it when the window closes (at
``target_done``, or at ``calibration_end`` for a target still shown). A live procedure is the
case where both times are "now"; a page written for WebGazer, whose client learns the targets
only after the user looked at them, sends the same messages afterwards with past times. The
selection rules are the same either way (first 300 ms, blinks and saccades dropped at the fit).
As today, frames captured just before a live ``target_done`` but still in the pipeline when it
arrives are not counted; a client that sends ``done_unix_ns`` gets them.
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
    make_drift_status,
    make_validation_result,
)
from gazertc.records import ScreenGaze
from gazertc.vision.calibration import (
    CalibrationError,
    CalibrationModel,
    CalibrationSample,
    CalibrationVerdict,
    DriftCorrection,
    FeatureHistory,
    FrameFeatures,
    Quality,
    ScreenPoint,
    fit_and_judge,
    judge_validation,
    measure_dwell,
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
FUTURE_TOLERANCE_S: Final = 1.0
"""How far past the server's clock at arrival a target time may lie: the ping/pong clock offset
is uncertain by half a round trip, and a page may stamp a target with the paint it scheduled; a
client that forgot to convert its clock is usually off by far more."""
MAX_TARGET_WINDOW_S: Final = 30.0
"""The longest a target may count as looked at: 1-2 s is usual and a WebGazer page's five clicks
on one point take under 10 s; a longer window is a client that lost track of its targets, whose
frames would be mostly of the user looking elsewhere. Dwell confirmations share the bound."""
MAX_DWELL_FRAMES: Final = 300
"""A dwell confirmation uses at most its window's last 300 frames (10 s at 30 fps; a dwell takes
1-2 s): it bounds what one confirmation costs in the executor (about 20 ms)."""


class ProcedureKind(StrEnum):
    CALIBRATION = "calibration"
    VALIDATION = "validation"


@dataclass(frozen=True, slots=True)
class _ShownTarget:
    target_id: int
    shown_unix_ns: int


@dataclass(frozen=True, slots=True)
class _Fit:
    model: CalibrationModel
    verdict: CalibrationVerdict


@dataclass
class _Procedure:
    kind: ProcedureKind
    screen: ScreenGeometry
    targets: dict[int, ScreenPoint]
    shown: _ShownTarget | None = None
    samples: list[CalibrationSample] = field(default_factory=list)


class CalibrationFlow:
    """Calibration state of one session (not thread-safe: call from the event loop).

    ``history`` keeps the recent frames' features (see the module docstring); tests pass a
    smaller one.
    """

    def __init__(self, history: FeatureHistory | None = None) -> None:
        self._model: CalibrationModel | None = None
        self._model_quality: Quality | None = None
        """The verdict on the model in use (``None`` for a loaded one: it carries none)."""
        self._pending: _Fit | None = None
        """A poor fit not applied, waiting for ``calibration_accept``."""
        self._drift = DriftCorrection()
        self._drift_epoch = 0
        """Counts resets and clears: a confirmation measured across one is dropped."""
        self._notices: list[JsonObject] = []
        self._procedure: _Procedure | None = None
        self._filter = OneEuroFilter()
        self._intrinsics: dict[tuple[int, int], CameraIntrinsics] = {}
        self._history = FeatureHistory() if history is None else history
        self._screen: ScreenGeometry | None = None
        self._closed = False

    @property
    def calibrated(self) -> bool:
        """A model is applied: every sample carries ``screen_point`` (``null`` when the frame
        gives none)."""
        return self._model is not None

    @property
    def quality(self) -> Quality | None:
        """The verdict on the model in use; without one, on a poor fit waiting for
        ``calibration_accept``; ``None`` when neither (or the model was loaded)."""
        if self._model is not None:
            return self._model_quality
        return None if self._pending is None else self._pending.verdict.quality

    @property
    def wants_samples(self) -> bool:
        """True until :meth:`close`: every tracked sample goes into the history that target
        windows take their frames from, and once calibrated is mapped to the screen."""
        return not self._closed

    @property
    def history_frames(self) -> int:
        """How many frames the history holds now."""
        return len(self._history)

    def close(self) -> None:
        """Forget the history, the running procedure and the model (idempotent); afterwards
        :attr:`wants_samples` is false."""
        self._closed = True
        self._history.clear()
        self._procedure = None
        self._model = None
        self._pending = None
        self._drift.clear()
        self._notices.clear()

    def take_notices(self) -> list[JsonObject]:
        """The messages to send after the last answer (a ``drift_status`` "cleared" when a new
        or discarded model ended a drift correction), oldest first; empties the queue."""
        notices, self._notices = self._notices, []
        return notices

    # -- client messages -----------------------------------------------------------------

    async def handle(
        self, message: JsonObject, received_unix_ns: int, screen: ScreenGeometry | None
    ) -> JsonObject | None:
        """Act on a validated calibration message; returns the answer to send, if any.

        ``screen`` is the session's screen (``None`` until the client described it).

        Raises:
            ProtocolError: ``calibration_failed`` (e.g. a target shown before the history
                began), ``calibration_out_of_order`` or ``invalid_message`` (a target time in
                the future, a window that ends before it starts or lasts too long).
        """
        message_type = str(message["type"])
        if self._screen is None:
            self._screen = screen
        if message_type in {"calibration_start", "validation_start"}:
            self._start(message, screen)
        elif message_type == "target_shown":
            self._show(message, received_unix_ns)
        elif message_type == "target_done":
            procedure = self._running(message_type)
            shown = procedure.shown
            if shown is None or shown.target_id != int(message["target_id"]):
                raise _out_of_order(
                    f"target {message['target_id']} is not the target shown "
                    f"({None if shown is None else shown.target_id})",
                    message_type,
                )
            procedure.shown = None
            done_unix_ns = _checked_time(
                message, "done_unix_ns", received_unix_ns, self._history.max_age_ns
            )
            self._collect(procedure, shown, done_unix_ns, message_type)
        elif message_type == "calibration_end":
            procedure = self._running(message_type)
            self._procedure = None
            if procedure.shown is not None:
                self._collect(procedure, procedure.shown, received_unix_ns, message_type)
            return await self._finish(procedure)
        elif message_type == "calibration_load":
            return self._load(message["model"], screen)
        elif message_type == "calibration_accept":
            return self._accept()
        elif message_type == "dwell_confirmed":
            return await self._confirm_dwell(message, received_unix_ns)
        elif message_type == "drift_reset":
            self._drift_epoch += 1
            return make_drift_status(self._drift.reset())
        return None

    def _show(self, message: JsonObject, received_unix_ns: int) -> None:
        message_type = str(message["type"])
        procedure = self._running(message_type)
        target_id = int(message["target_id"])
        if target_id not in procedure.targets:
            raise _out_of_order(
                f"target {target_id} is not one of this procedure's targets "
                f"{sorted(procedure.targets)}",
                message_type,
            )
        shown_unix_ns = _checked_time(
            message, "shown_unix_ns", received_unix_ns, self._history.max_age_ns
        )
        previous = procedure.shown
        procedure.shown = None
        if previous is not None:  # a new target ends the one shown before
            self._collect(procedure, previous, shown_unix_ns, message_type)
        procedure.shown = _ShownTarget(target_id, shown_unix_ns)

    def _collect(
        self, procedure: _Procedure, shown: _ShownTarget, end_unix_ns: int, message_type: str
    ) -> None:
        """Add the history's frames of a target's window ``[shown, end_unix_ns]``.

        Raises:
            ProtocolError: the window ends before it starts or lasts too long
                (``invalid_message``), or the history no longer holds its start
                (``calibration_failed``).
        """
        target_id = shown.target_id
        self._check_window(
            shown.shown_unix_ns,
            end_unix_ns,
            f"target {target_id}",
            "was shown (done_unix_ns, or the next target's shown_unix_ns, must not precede "
            "shown_unix_ns)",
            message_type,
        )
        target = procedure.targets[target_id]
        room = MAX_SAMPLES_PER_PROCEDURE - len(procedure.samples)
        for features in self._history.between(shown.shown_unix_ns, end_unix_ns)[: max(room, 0)]:
            procedure.samples.append(
                CalibrationSample(
                    features,
                    target,
                    target_id,
                    (features.timestamp_unix_ns - shown.shown_unix_ns) / 1e6,
                )
            )

    def _check_window(
        self, start_unix_ns: int, end_unix_ns: int, what: str, began: str, message_type: str
    ) -> None:
        """Check the window ``[start_unix_ns, end_unix_ns]`` of ``what`` (``began``: how the
        error says it started, and which fields to fix).

        Raises:
        ProtocolError: the window ends before it starts or lasts over
            :data:`MAX_TARGET_WINDOW_S` (``invalid_message``), or the history no longer holds
            its start (``calibration_failed``).
        """
        length_s = (end_unix_ns - start_unix_ns) / 1e9
        if length_s < 0.0:
            raise ProtocolError(
                ErrorCode.INVALID_MESSAGE,
                f"{what} ends {-length_s:.3f} s before it {began}",
                ref_type=message_type,
            )
        if length_s > MAX_TARGET_WINDOW_S:
            raise ProtocolError(
                ErrorCode.INVALID_MESSAGE,
                f"{what} lasted {length_s:.1f} s, over the {MAX_TARGET_WINDOW_S:g} s a target "
                "may count as looked at",
                ref_type=message_type,
            )
        complete_since_unix_ns = self._history.complete_since_unix_ns
        if complete_since_unix_ns is not None and start_unix_ns <= complete_since_unix_ns:
            raise ProtocolError(
                ErrorCode.CALIBRATION_FAILED,
                f"{what}'s first frames are no longer held: the server keeps the "
                f"last {self._history.max_age_ns / 1e9:g} s of frames, at most "
                f"{self._history.max_frames}, and forgets them when the screen changes",
                ref_type=message_type,
            )

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
                model, verdict = await loop.run_in_executor(
                    None, fit_and_judge, samples, procedure.screen
                )
            except CalibrationError as exc:
                raise ProtocolError(
                    ErrorCode.CALIBRATION_FAILED, str(exc), ref_type="calibration_end"
                ) from exc
            if verdict.quality is Quality.POOR:
                self._pending = _Fit(model, verdict)
                return make_calibration_result(model, verdict, CalibrationSource.FIT, applied=False)
            self._use(model, verdict.quality)
            return make_calibration_result(model, verdict, CalibrationSource.FIT, applied=True)
        current = self._model
        if current is None:
            raise _out_of_order("the calibration was discarded", "calibration_end")
        validation = await loop.run_in_executor(None, validate_calibration, current, samples)
        judged = judge_validation(validation, current.screen)
        return make_validation_result(validation, current.screen, judged)

    def _accept(self) -> JsonObject:
        pending = self._pending
        if pending is None:
            raise _out_of_order(
                "no calibration is waiting to be accepted (only a poor fit, not yet applied and "
                "not replaced by another calibration, can be)",
                "calibration_accept",
            )
        self._use(pending.model, pending.verdict.quality)
        return make_calibration_result(
            pending.model, pending.verdict, CalibrationSource.ACCEPT, applied=True
        )

    async def _confirm_dwell(self, message: JsonObject, received_unix_ns: int) -> JsonObject:
        message_type = "dwell_confirmed"
        model = self._model
        if model is None:
            raise _out_of_order(
                "drift correction needs a calibration in use (calibrate, accept or load first)",
                message_type,
            )
        max_age_ns = self._history.max_age_ns
        start_unix_ns = _checked_time(message, "start_unix_ns", received_unix_ns, max_age_ns)
        end_unix_ns = _checked_time(message, "end_unix_ns", received_unix_ns, max_age_ns)
        self._check_window(
            start_unix_ns,
            end_unix_ns,
            "the dwell",
            "began (end_unix_ns must not precede start_unix_ns)",
            message_type,
        )
        frames = self._history.between(start_unix_ns, end_unix_ns)[-MAX_DWELL_FRAMES:]
        target = ScreenPoint(float(message["x_px"]), float(message["y_px"]))
        epoch = self._drift_epoch
        loop = asyncio.get_running_loop()
        residual = await loop.run_in_executor(None, measure_dwell, model, frames, target)
        if self._model is not model or self._drift_epoch != epoch:
            return make_drift_status(
                self._drift.ignored("a reset or a new calibration came while it was measured")
            )
        return make_drift_status(self._drift.confirm(residual, model.screen))

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
        self._use(model, None)
        return make_calibration_result(model, None, CalibrationSource.LOAD, applied=True)

    def _use(self, model: CalibrationModel, quality: Quality | None) -> None:
        self._model = model
        self._model_quality = quality
        self._pending = None
        self._filter.reset()
        self._clear_drift()

    def _clear_drift(self) -> None:
        """Drop the drift correction of a model no longer in use; the client hears of it when
        there was one."""
        self._drift_epoch += 1
        active = self._drift.active
        cleared = self._drift.clear()
        if active:
            self._notices.append(make_drift_status(cleared))

    def screen_changed(self, screen: ScreenGeometry | None) -> JsonObject | None:
        """Drop a model made for another screen, and the history when the screen differs from
        the last one seen (the targets the user looked at were on the old one); returns the
        error to send, if any."""
        if screen is not None:
            if self._screen is not None and screen != self._screen:
                self._history.clear()
            self._screen = screen
        pending = self._pending
        if (
            pending is not None
            and screen is not None
            and not pending.model.screen.same_screen(screen)
        ):
            self._pending = None
        model = self._model
        if model is None or screen is None:
            return None
        try:
            model.check_screen(screen)
        except CalibrationError as exc:
            self._model = None
            self._clear_drift()
            return protocol.make_error(
                ErrorCode.CALIBRATION_FAILED,
                f"calibration discarded: {exc}",
                ref_type="config",
            )
        return None

    # -- samples -------------------------------------------------------------------------

    def on_sample(self, sample: GazeSample) -> ScreenGaze | None:
        """Keep a sample's features in the history; once calibrated, return where on the
        screen it looks (``None`` when the frame gives no point: no face, a blink, no usable
        eye), and ``None`` when not calibrated (see :attr:`calibrated`) or closed."""
        if self._closed:
            return None
        features = self._features(sample)
        if features is not None:
            self._history.append(features)
        model = self._model
        if model is None or features is None or not sample.face_found or sample.blinking:
            return None
        predicted = model.predict_features(features)
        if predicted is None:
            return None
        if not (math.isfinite(predicted.x_css_px) and math.isfinite(predicted.y_css_px)):
            return None  # a loaded model with extreme numbers: no point rather than Infinity
        predicted = self._drift.apply(predicted)
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


def _checked_time(
    message: JsonObject, field_name: str, received_unix_ns: int, max_age_ns: int
) -> int:
    """The message's ``field_name`` time (its arrival when absent), checked against the server's
    clock at arrival.

    Raises:
        ProtocolError: the time lies in the future (``invalid_message``) or before the history
            (``calibration_failed``).
    """
    message_type = str(message["type"])
    time_unix_ns = int(message.get(field_name, received_unix_ns))
    ahead_s = (time_unix_ns - received_unix_ns) / 1e9
    if ahead_s > FUTURE_TOLERANCE_S:
        raise ProtocolError(
            ErrorCode.INVALID_MESSAGE,
            f"{field_name} is {ahead_s:.1f} s ahead of the server's clock (at most "
            f"{FUTURE_TOLERANCE_S:g} s): times are on the server's clock, converted with the "
            "ping/pong offset",
            ref_type=message_type,
        )
    if -ahead_s * 1e9 > max_age_ns:
        raise ProtocolError(
            ErrorCode.CALIBRATION_FAILED,
            f"{field_name} is {-ahead_s:.1f} s in the past: the server keeps the frames of "
            f"the last {max_age_ns / 1e9:g} s only",
            ref_type=message_type,
        )
    return time_unix_ns


def _out_of_order(message: str, ref_type: str) -> ProtocolError:
    return ProtocolError(ErrorCode.CALIBRATION_OUT_OF_ORDER, message, ref_type=ref_type)
