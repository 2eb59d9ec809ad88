"""The calibration model: ridge regression from a frame's features to a point on the screen.

Ridge regression on a polynomial basis of the standardised features (degree 1 or 2), one output
per screen axis, the intercept not penalised. The default was chosen by measurement on generated
data with known ground truth (``bench/calibration.py`` prints the comparison): see
:data:`~gazertc.vision.calibration.DEFAULT_FEATURES`. Fitting selects the usable samples
(:func:`~gazertc.vision.calibration.select_samples`), fits, drops the samples whose residual is
a robust outlier and refits once. Each eye is then fitted on its own, on the same samples, and
the two eyes' points are combined with weights from their residuals
(:mod:`~gazertc.vision.calibration.eye_weights`); a frame with no eye of its own falls back to
the combined model. A model saves to a small JSON document and refuses to load for another
screen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from gazertc import protocol
from gazertc.errors import GazertcError, InputError
from gazertc.vision.calibration.eye_weights import EyeWeights, weighted_point
from gazertc.vision.calibration.features import (
    DEFAULT_FEATURES,
    FeatureKind,
    FeatureSettings,
    FrameFeatures,
    ScreenPoint,
)
from gazertc.vision.calibration.report import CalibrationFit, summarise_fit
from gazertc.vision.calibration.selection import (
    MAD_TO_SIGMA,
    OUTLIER_ROBUST_Z,
    CalibrationSample,
    select_samples,
)
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import ScreenGeometry
from gazertc.vision.types import EyeSide, GazeSample

__all__ = [
    "MAX_MODEL_BYTES",
    "MIN_SAMPLES",
    "MIN_TARGETS",
    "MODEL_FORMAT",
    "CalibrationError",
    "CalibrationModel",
    "ScreenMismatchError",
    "basis_rows",
]

MIN_TARGETS: Final = 4
"""Fewer distinct target positions cannot pin down an affine map of the screen plus a margin
(targets repeated at one position, as at several viewing distances, count once)."""
MIN_SAMPLES: Final = 12
"""Fewer samples than this leave the regression to noise."""
MIN_RESIDUAL_CUTOFF_CSS_PX: Final = 20.0
"""Never reject a sample whose residual is below this: a near-perfect fit has a tiny MAD."""
MODEL_FORMAT: Final = "gazertc.calibration/1"
"""The ``format`` field of a saved model: name and version of the JSON layout."""
MAX_MODEL_BYTES: Final = 16 * 1024
"""A saved model is about 1 kB; 16 kB (the data channel's message limit) leaves room for later
formats and bounds what reading a stored file can cost."""


class CalibrationError(GazertcError):
    """A calibration cannot be fitted, loaded or applied (the message says why)."""


class ScreenMismatchError(CalibrationError):
    """A calibration was made for another screen geometry than the one it is applied to."""


def _basis_width(settings: FeatureSettings) -> int:
    width = 5 if settings.polynomial_degree == 2 else 2
    return width + (8 if settings.head_pose else 0)


_TYPICAL_DEPTH_M: Final = 0.6
"""Products with the depth are taken about a typical viewing distance, so that they vary."""


def _eye_row(signal: tuple[float, float] | None, settings: FeatureSettings) -> list[float] | None:
    if signal is None:
        return None
    u, v = signal
    return [u, v, u * u, u * v, v * v] if settings.polynomial_degree == 2 else [u, v]


def _basis_row(features: FrameFeatures, settings: FeatureSettings) -> list[float] | None:
    row = _eye_row(features.eye_signal(settings.kind), settings)
    if row is None:
        return None
    if settings.head_pose:
        u, v = row[0], row[1]
        head = features.head
        if head is None:
            return None
        depth_m = head.z_mm / 1000.0 - _TYPICAL_DEPTH_M
        row.extend(head.values())
        # Products with the distance: the same eye rotation sweeps further at a longer distance.
        row.extend((u * depth_m, v * depth_m))
    return row


HEAD_SCALE_FLOOR: Final = (5.0, 5.0, 5.0, 30.0, 30.0, 60.0)
"""The smallest spread assumed for the head's yaw, pitch, roll (deg) and x, y, z (mm) when
standardising: a head that only swayed by millimetres during calibration must not have its
coefficients scaled up as if that sway were its whole range (the penalty then keeps them small
unless the data clearly asks for them)."""
DEPTH_PRODUCT_SCALE_FLOOR: Final = 0.1
"""The eye-signal-times-depth products are floored at a tenth of the eye signal's spread (a 10 %
change of viewing distance), for the same reason."""


def _scale_floor(rows: NDArray[np.float64], settings: FeatureSettings) -> NDArray[np.float64]:
    floor = np.zeros(rows.shape[1])
    if settings.head_pose:
        eye_width = 5 if settings.polynomial_degree == 2 else 2
        floor[eye_width : eye_width + 6] = HEAD_SCALE_FLOOR
        floor[eye_width + 6 :] = DEPTH_PRODUCT_SCALE_FLOOR * rows[:, :2].std(axis=0) * 0.6
    return floor


class CalibrationModel:
    """A fitted mapping from :class:`FrameFeatures` to a :class:`ScreenPoint` on ``screen``.

    Build with :meth:`fit` or :meth:`from_json`; immutable afterwards.
    """

    settings: FeatureSettings

    def __init__(
        self,
        *,
        settings: FeatureSettings,
        screen: ScreenGeometry,
        feature_mean: NDArray[np.float64],
        feature_scale: NDArray[np.float64],
        coefficients: NDArray[np.float64],
        intercept: NDArray[np.float64],
        fit_report: CalibrationFit | None = None,
        created_unix_ns: int | None = None,
        eye_models: Mapping[EyeSide, CalibrationModel] | None = None,
        eye_weights: EyeWeights | None = None,
    ) -> None:
        width = _basis_width(settings)
        if (
            feature_mean.shape != (width,)
            or feature_scale.shape != (width,)
            or coefficients.shape != (width, 2)
            or intercept.shape != (2,)
        ):
            raise CalibrationError(
                f"model arrays do not match {settings}: mean {feature_mean.shape}, scale "
                f"{feature_scale.shape}, coefficients {coefficients.shape}, intercept "
                f"{intercept.shape}"
            )
        arrays = (feature_mean, feature_scale, coefficients, intercept)
        if not all(np.isfinite(array).all() for array in arrays) or (feature_scale <= 0).any():
            raise CalibrationError("model arrays must be finite with positive scales")
        if (eye_models is None) != (eye_weights is None) or (
            eye_models is not None
            and (
                settings.head_pose
                or set(eye_models) != set(EyeSide)
                or any(
                    eye.eye_models is not None or eye.settings != settings
                    for eye in eye_models.values()
                )
            )
        ):
            raise CalibrationError(
                "per-eye models need both eyes, their weights, the same features without head "
                "pose, and no eyes of their own"
            )
        self.settings = settings
        self.screen = screen
        self.fit_report = fit_report
        self.created_unix_ns = time.time_ns() if created_unix_ns is None else created_unix_ns
        self._mean = feature_mean
        self._scale = feature_scale
        # Fold the standardisation into the weights: one dot product per frame.
        self._weights = coefficients / feature_scale[:, None]
        self._offset = intercept - feature_mean @ self._weights
        # Plain floats for the per-frame prediction: indexing arrays element by element is slow.
        self._weight_rows: list[tuple[float, float]] = [
            (float(a), float(b)) for a, b in self._weights
        ]
        self._offset_xy = (float(self._offset[0]), float(self._offset[1]))
        self._coefficients = coefficients
        self._intercept = intercept
        self.eye_models: dict[EyeSide, CalibrationModel] | None = (
            None if eye_models is None else dict(eye_models)
        )
        """Each eye's own model, fitted on its own signals (``None``: combined model only)."""
        self.eye_weights = eye_weights
        """Each eye's share when both are seen, from the eyes' calibration residuals."""

    # -- fitting -----------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        samples: Sequence[CalibrationSample],
        screen: ScreenGeometry,
        settings: FeatureSettings = DEFAULT_FEATURES,
        *,
        min_samples: int = MIN_SAMPLES,
    ) -> CalibrationModel:
        """Fit a model to the samples recorded while the user looked at known targets.

        ``min_samples`` may be lowered for still-image data sets (one sample per target).

        Raises:
            CalibrationError: fewer than :data:`MIN_TARGETS` targets or ``min_samples``
                samples survive the selection (the message gives the counts).
        """
        return cls.fit_kept(samples, screen, settings, min_samples=min_samples)[0]

    @classmethod
    def fit_kept(
        cls,
        samples: Sequence[CalibrationSample],
        screen: ScreenGeometry,
        settings: FeatureSettings = DEFAULT_FEATURES,
        *,
        min_samples: int = MIN_SAMPLES,
    ) -> tuple[CalibrationModel, list[CalibrationSample]]:
        """As :meth:`fit`, and the samples the final model was fitted on (for judging it:
        :mod:`~gazertc.vision.calibration.quality`).

        Raises:
            CalibrationError: as :meth:`fit`.
        """
        kept, _ = select_samples(samples, settings)
        _check_enough(kept, len(samples), min_samples)
        rows = basis_rows([sample.features for sample in kept], settings)
        targets = np.array([(s.target.x_css_px, s.target.y_css_px) for s in kept])
        model = cls.fit_rows(rows, targets, settings, screen)
        # One refit without the samples the first fit cannot explain (RANSAC-like, one round).
        residuals = np.hypot(*(model.predict_rows(rows) - targets).T)
        cutoff = max(
            float(np.median(residuals))
            + OUTLIER_ROBUST_Z
            * MAD_TO_SIGMA
            * float(np.median(np.abs(residuals - np.median(residuals)))),
            MIN_RESIDUAL_CUTOFF_CSS_PX,
        )
        inliers = residuals <= cutoff
        if not inliers.all():
            kept = [sample for sample, keep in zip(kept, inliers, strict=True) if keep]
            _check_enough(kept, len(samples), min_samples)
            model = cls.fit_rows(rows[inliers], targets[inliers], settings, screen)
        eye_models, eye_weights = _fit_eyes(kept, settings, screen, min_samples)
        weighted = model.with_eyes(eye_models, eye_weights)
        report = summarise_fit(weighted, samples, kept)
        return weighted._copy(report, eye_models, eye_weights), kept

    def with_eyes(
        self,
        eye_models: Mapping[EyeSide, CalibrationModel] | None,
        eye_weights: EyeWeights | None,
    ) -> CalibrationModel:
        """This model with these per-eye models and weights (``None``: none)."""
        return self._copy(self.fit_report, eye_models, eye_weights)

    def _copy(
        self,
        fit_report: CalibrationFit | None,
        eye_models: Mapping[EyeSide, CalibrationModel] | None,
        eye_weights: EyeWeights | None,
    ) -> CalibrationModel:
        return CalibrationModel(
            settings=self.settings,
            screen=self.screen,
            feature_mean=self._mean,
            feature_scale=self._scale,
            coefficients=self._coefficients,
            intercept=self._intercept,
            fit_report=fit_report,
            created_unix_ns=self.created_unix_ns,
            eye_models=eye_models,
            eye_weights=eye_weights,
        )

    @classmethod
    def fit_rows(
        cls,
        rows: NDArray[np.float64],
        targets: NDArray[np.float64],
        settings: FeatureSettings,
        screen: ScreenGeometry,
    ) -> CalibrationModel:
        """The ridge solve alone, on :func:`basis_rows` and their targets (``(n, 2)`` CSS px):
        no selection, no outlier refit (for refits on chosen samples, e.g. leaving a target
        out). No fit report."""
        mean = rows.mean(axis=0)
        scale = np.maximum(rows.std(axis=0), _scale_floor(rows, settings))
        # A constant column (e.g. a head that never moved during calibration) carries nothing.
        scale = np.where(scale > 1e-9, scale, 1.0)
        standardised = (rows - mean) / scale
        target_mean = targets.mean(axis=0)
        count = len(rows)
        gram = standardised.T @ standardised / count
        penalty = settings.ridge_lambda * np.eye(gram.shape[0])
        coefficients = np.linalg.solve(
            gram + penalty, standardised.T @ (targets - target_mean) / count
        )
        return cls(
            settings=settings,
            screen=screen,
            feature_mean=mean,
            feature_scale=scale,
            coefficients=np.asarray(coefficients, dtype=np.float64),
            intercept=target_mean,
        )

    # -- applying ----------------------------------------------------------------------------

    def predict_rows(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        """Screen points ``(n, 2)`` CSS px for :func:`basis_rows` of this model's settings."""
        result: NDArray[np.float64] = rows @ self._weights + self._offset
        return result

    def predict_features(self, features: FrameFeatures) -> ScreenPoint | None:
        """The screen point for one frame's features; ``None`` when they lack a needed signal
        (no face, eyes closed, no head pose). Blinks are not filtered here: the caller decides.

        With per-eye models, the eyes' own points weighted by :attr:`eye_weights` (the one eye's
        point when only one has its own signal), else the combined model's point.
        """
        if self.eye_models is not None and self.eye_weights is not None:
            # Per-eye models exist only without head-pose terms: an eye's row is its signal's.
            points: dict[EyeSide, tuple[float, float]] = {}
            for side, eye_model in self.eye_models.items():
                signals = features.right_eye if side is EyeSide.RIGHT else features.left_eye
                eye_row = (
                    None
                    if signals is None
                    else _eye_row(signals.signal(self.settings.kind), self.settings)
                )
                if eye_row is not None:
                    points[side] = eye_model._predict_row(eye_row)
            weighted = weighted_point(points, self.eye_weights)
            if weighted is not None:
                return ScreenPoint(*weighted)
        row = _basis_row(features, self.settings)
        if row is None:
            return None
        return ScreenPoint(*self._predict_row(row))

    def _predict_row(self, row: list[float]) -> tuple[float, float]:
        x_px, y_px = self._offset_xy
        for value, (weight_x, weight_y) in zip(row, self._weight_rows, strict=True):
            x_px += value * weight_x
            y_px += value * weight_y
        return (x_px, y_px)

    def predict(
        self, sample: GazeSample, intrinsics: CameraIntrinsics | None = None
    ) -> ScreenPoint | None:
        """The screen point a pipeline sample looks at (CSS px, may lie off the screen), or
        ``None`` when the sample has no usable eye signal or head pose."""
        return self.predict_features(FrameFeatures.from_sample(sample, intrinsics))

    def check_screen(self, screen: ScreenGeometry) -> None:
        """Raises:
        ScreenMismatchError: ``screen`` is not the geometry this model was fitted for.
        """
        if not self.screen.same_screen(screen):
            raise ScreenMismatchError(
                f"this calibration was made for a {self.screen.width_css_px}x"
                f"{self.screen.height_css_px} CSS px screen at device pixel ratio "
                f"{self.screen.pixel_ratio}, not {screen.width_css_px}x"
                f"{screen.height_css_px} at {screen.pixel_ratio}; calibrate again"
            )

    # -- saving ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-ready document (about 1-3 kB): settings, screen and coefficients, and
        with per-eye models their weights and arrays under ``eyes``."""
        document: dict[str, Any] = {
            "format": MODEL_FORMAT,
            "created_unix_ns": self.created_unix_ns,
            "screen": self.screen.to_dict(),
            "features": {
                "kind": self.settings.kind.value,
                "head_pose": self.settings.head_pose,
                "polynomial_degree": self.settings.polynomial_degree,
                "ridge_lambda": self.settings.ridge_lambda,
            },
            **self._arrays_dict(),
        }
        if self.eye_models is not None and self.eye_weights is not None:
            document["eyes"] = {
                "weights": self.eye_weights.to_dict(),
                **{side.value: model._arrays_dict() for side, model in self.eye_models.items()},
            }
        return document

    def _arrays_dict(self) -> dict[str, Any]:
        return {
            "feature_mean": [float(value) for value in self._mean],
            "feature_scale": [float(value) for value in self._scale],
            "coefficients": [[float(a), float(b)] for a, b in self._coefficients],
            "intercept": [float(value) for value in self._intercept],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(
        cls, document: Mapping[str, Any], screen: ScreenGeometry | None = None
    ) -> CalibrationModel:
        """A model saved by :meth:`to_dict`; with ``screen``, refuses another geometry.

        Raises:
            CalibrationError: not a saved model of this format.
            ScreenMismatchError: ``screen`` differs from the one the model was made for.
        """
        if document.get("format") != MODEL_FORMAT:
            raise CalibrationError(
                f"not a saved calibration of format {MODEL_FORMAT!r}: "
                f"format is {document.get('format')!r}"
            )
        try:
            features = document["features"]
            settings = FeatureSettings(
                kind=FeatureKind(features["kind"]),
                head_pose=bool(features["head_pose"]),
                polynomial_degree=int(features["polynomial_degree"]),
                ridge_lambda=float(features["ridge_lambda"]),
            )
            model_screen = ScreenGeometry.from_dict(document["screen"])
            eyes = document.get("eyes")
            eye_models = eye_weights = None
            if eyes is not None:
                eye_weights = EyeWeights.from_dict(eyes["weights"])
                eye_models = {
                    side: cls._saved(eyes[side.value], settings, model_screen) for side in EyeSide
                }
            model = cls._saved(
                document,
                settings,
                model_screen,
                created_unix_ns=int(document["created_unix_ns"]),
                eye_models=eye_models,
                eye_weights=eye_weights,
            )
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise CalibrationError(f"malformed saved calibration: {exc!r}") from exc
        if screen is not None:
            model.check_screen(screen)
        return model

    @classmethod
    def _saved(
        cls,
        arrays: Mapping[str, Any],
        settings: FeatureSettings,
        screen: ScreenGeometry,
        *,
        created_unix_ns: int | None = None,
        eye_models: Mapping[EyeSide, CalibrationModel] | None = None,
        eye_weights: EyeWeights | None = None,
    ) -> CalibrationModel:
        """A model from a saved document's arrays (the constructor checks their shapes)."""
        return cls(
            settings=settings,
            screen=screen,
            feature_mean=_array(arrays, "feature_mean"),
            feature_scale=_array(arrays, "feature_scale"),
            coefficients=_array(arrays, "coefficients"),
            intercept=_array(arrays, "intercept"),
            created_unix_ns=created_unix_ns,
            eye_models=eye_models,
            eye_weights=eye_weights,
        )

    @classmethod
    def from_json(cls, text: str, screen: ScreenGeometry | None = None) -> CalibrationModel:
        """Raises: as :meth:`from_dict`, and CalibrationError for text that is not JSON, larger
        than :data:`MAX_MODEL_BYTES` or nested deeper than
        :data:`~gazertc.protocol.MAX_JSON_DEPTH`."""
        try:
            document = protocol.parse_json(text, max_bytes=MAX_MODEL_BYTES)
        except protocol.ProtocolError as exc:
            raise CalibrationError(f"a saved calibration must be JSON: {exc.message}") from exc
        if not isinstance(document, dict):
            raise CalibrationError("a saved calibration must be a JSON object")
        return cls.from_dict(document, screen)


def basis_rows(features: Sequence[FrameFeatures], settings: FeatureSettings) -> NDArray[np.float64]:
    """The model's basis row of each frame, ``(n, width)``.

    Raises:
        CalibrationError: a frame lacks a signal the settings need (select the frames first).
    """
    rows = [_basis_row(frame, settings) for frame in features]
    if any(row is None for row in rows):
        raise CalibrationError("a frame lacks the eye signal or head pose the model needs")
    return np.array(rows, dtype=np.float64).reshape(len(rows), _basis_width(settings))


def _array(document: Mapping[str, Any], name: str) -> NDArray[np.float64]:
    """One of a saved model's arrays (the constructor checks its shape)."""
    return np.array(document[name], dtype=np.float64)


def _fit_eyes(
    kept: Sequence[CalibrationSample],
    settings: FeatureSettings,
    screen: ScreenGeometry,
    min_samples: int,
) -> tuple[dict[EyeSide, CalibrationModel] | None, EyeWeights | None]:
    """Each eye's own model on the kept samples that have its signal, and the eyes' weights from
    their RMS residuals; ``(None, None)`` when either eye has too few samples or targets, and
    with head-pose terms: each eye's noisier signal then pins the head coefficients less well,
    and on generated data with the head moved up to 60 mm after calibration (``bench/
    calibration.py``) per-eye models were 8-10 % worse there (no change with the head still)."""
    if settings.head_pose:
        return None, None
    models: dict[EyeSide, CalibrationModel] = {}
    residuals: dict[EyeSide, float] = {}
    for side in EyeSide:
        usable = [
            (features, sample)
            for sample in kept
            if _basis_row(features := sample.features.for_eye(side), settings) is not None
        ]
        targets_seen = {_position(sample) for _, sample in usable}
        if len(targets_seen) < MIN_TARGETS or len(usable) < max(min_samples, MIN_TARGETS):
            return None, None
        rows = basis_rows([features for features, _ in usable], settings)
        targets = np.array([(s.target.x_css_px, s.target.y_css_px) for _, s in usable])
        model = CalibrationModel.fit_rows(rows, targets, settings, screen)
        models[side] = model
        errors = np.hypot(*(model.predict_rows(rows) - targets).T)
        residuals[side] = float(np.sqrt(np.mean(errors**2)))
    weights = EyeWeights.from_residuals(residuals[EyeSide.RIGHT], residuals[EyeSide.LEFT])
    return models, weights


def _position(sample: CalibrationSample) -> tuple[float, float]:
    return (sample.target.x_css_px, sample.target.y_css_px)


def _check_enough(kept: Sequence[CalibrationSample], total: int, min_samples: int) -> None:
    target_count = len({_position(sample) for sample in kept})
    if target_count < MIN_TARGETS or len(kept) < max(min_samples, MIN_TARGETS):
        raise CalibrationError(
            f"too few usable samples to calibrate: {len(kept)} of {total} samples on "
            f"{target_count} target positions survived (need {min_samples} on {MIN_TARGETS}); "
            "keep the face in view, the eyes open and look at each target until it disappears"
        )
