"""Per-user calibration: from per-frame eye and head features to a point on the screen.

Public API (stable; the evaluation harness builds on it)::

    features = FrameFeatures.from_sample(gaze_sample, intrinsics=None)
    samples = [CalibrationSample(features, ScreenPoint(x_css_px, y_css_px), target_id,
                                 time_since_target_ms), ...]
    model = CalibrationModel.fit(samples, screen, settings=DEFAULT_FEATURES)   # CalibrationError
    model.fit_report                       # CalibrationFit: per-target residuals in px and deg
    model.eye_weights                      # EyeWeights: each eye's share, from its residuals
    point = model.predict(gaze_sample)     # ScreenPoint | None (None: no usable eye this frame)
    point = model.predict_features(features)
    report = validate_calibration(model, samples)  # ValidationResult: accuracy, precision
    history = FeatureHistory(); history.append(features); history.between(start_ns, end_ns)
    text = model.to_json(); model = CalibrationModel.from_json(text, screen)  # ScreenMismatchError
    model, verdict = fit_and_judge(samples, screen)  # CalibrationVerdict: good/fair/poor, LOTO
    judge_validation(report, screen)               # ValidationVerdict
    drift = DriftCorrection(); drift.confirm(measure_dwell(model, frames, target), screen)
    point = drift.apply(point)                     # the drift-corrected screen point

Modules: :mod:`~gazertc.vision.calibration.features` (what a frame gives),
:mod:`~gazertc.vision.calibration.selection` (which frames are usable),
:mod:`~gazertc.vision.calibration.model` (the regression, saving and loading),
:mod:`~gazertc.vision.calibration.eye_weights` (the eyes weighted by their precision),
:mod:`~gazertc.vision.calibration.report` (residuals and validation),
:mod:`~gazertc.vision.calibration.quality` (the verdict: good, fair or poor),
:mod:`~gazertc.vision.calibration.drift` (an offset learned from confirmed targets) and
:mod:`~gazertc.vision.calibration.history` (recent frames, for calibrations made afterwards).
"""

from gazertc.vision.calibration.drift import (
    DriftCorrection,
    DriftEvent,
    DriftStatus,
    DwellResidual,
    measure_dwell,
)
from gazertc.vision.calibration.eye_weights import EyeWeights
from gazertc.vision.calibration.features import (
    DEFAULT_FEATURES,
    EyeSignals,
    FeatureKind,
    FeatureSettings,
    FrameFeatures,
    HeadFeatures,
    ScreenPoint,
)
from gazertc.vision.calibration.history import HISTORY_MAX_FRAMES, HISTORY_S, FeatureHistory
from gazertc.vision.calibration.model import (
    MIN_SAMPLES,
    MIN_TARGETS,
    MODEL_FORMAT,
    CalibrationError,
    CalibrationModel,
    ScreenMismatchError,
)
from gazertc.vision.calibration.quality import (
    CalibrationVerdict,
    Quality,
    ValidationVerdict,
    fit_and_judge,
    judge_validation,
)
from gazertc.vision.calibration.report import (
    CalibrationFit,
    TargetResidual,
    TargetValidation,
    ValidationResult,
    validate_calibration,
)
from gazertc.vision.calibration.selection import (
    OUTLIER_ROBUST_Z,
    SACCADE_DEG_PER_S,
    SETTLE_MS,
    CalibrationSample,
    select_samples,
)

__all__ = [
    "DEFAULT_FEATURES",
    "HISTORY_MAX_FRAMES",
    "HISTORY_S",
    "MIN_SAMPLES",
    "MIN_TARGETS",
    "MODEL_FORMAT",
    "OUTLIER_ROBUST_Z",
    "SACCADE_DEG_PER_S",
    "SETTLE_MS",
    "CalibrationError",
    "CalibrationFit",
    "CalibrationModel",
    "CalibrationSample",
    "CalibrationVerdict",
    "DriftCorrection",
    "DriftEvent",
    "DriftStatus",
    "DwellResidual",
    "EyeSignals",
    "EyeWeights",
    "FeatureHistory",
    "FeatureKind",
    "FeatureSettings",
    "FrameFeatures",
    "HeadFeatures",
    "Quality",
    "ScreenMismatchError",
    "ScreenPoint",
    "TargetResidual",
    "TargetValidation",
    "ValidationResult",
    "ValidationVerdict",
    "fit_and_judge",
    "judge_validation",
    "measure_dwell",
    "select_samples",
    "validate_calibration",
]
