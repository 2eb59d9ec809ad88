"""The calibration model: ridge regression from a frame's features to a point on the screen.

Ridge regression on a polynomial basis of the standardised features (degree 1 or 2), one output
per screen axis, the intercept not penalised. The default was chosen by measurement on generated
data with known ground truth (``bench/calibration.py`` prints the comparison): see
:data:`~gazertc.vision.calibration.DEFAULT_FEATURES`. Fitting selects the usable samples
(:func:`~gazertc.vision.calibration.select_samples`), fits, drops the samples whose residual is
a robust outlier and refits once. A model saves to a small JSON document and refuses to load for
another screen.
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
from gazertc.vision.types import GazeSample

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
"""Fewer distinct targets cannot pin down an affine map of the screen plus a margin."""
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


def _basis_row(features: FrameFeatures, settings: FeatureSettings) -> list[float] | None:
    signal = features.eye_signal(settings.kind)
    if signal is None:
        return None
    u, v = signal
    row = [u, v, u * u, u * v, v * v] if settings.polynomial_degree == 2 else [u, v]
    if settings.head_pose:
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
        self.settings = settings
        self.screen = screen
        self.fit_report = fit_report
        self.created_unix_ns = time.time_ns() if created_unix_ns is None else created_unix_ns
        self._mean = feature_mean
        self._scale = feature_scale
        # Fold the standardisation into the weights: one dot product per frame.
        self._weights = coefficients / feature_scale[:, None]
        self._offset = intercept - feature_mean @ self._weights
        self._coefficients = coefficients
        self._intercept = intercept

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
        report = summarise_fit(model, samples, kept)
        fitted = cls(
            settings=settings,
            screen=screen,
            feature_mean=model._mean,
            feature_scale=model._scale,
            coefficients=model._coefficients,
            intercept=model._intercept,
            fit_report=report,
        )
        return fitted, kept

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
        """
        row = _basis_row(features, self.settings)
        if row is None:
            return None
        weights = self._weights
        x_px = float(self._offset[0])
        y_px = float(self._offset[1])
        for index, value in enumerate(row):
            x_px += value * float(weights[index, 0])
            y_px += value * float(weights[index, 1])
        return ScreenPoint(x_px, y_px)

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
        """A small JSON-ready document (about 1 kB): settings, screen and coefficients."""
        return {
            "format": MODEL_FORMAT,
            "created_unix_ns": self.created_unix_ns,
            "screen": self.screen.to_dict(),
            "features": {
                "kind": self.settings.kind.value,
                "head_pose": self.settings.head_pose,
                "polynomial_degree": self.settings.polynomial_degree,
                "ridge_lambda": self.settings.ridge_lambda,
            },
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
            model = cls(
                settings=settings,
                screen=ScreenGeometry.from_dict(document["screen"]),
                feature_mean=np.array(document["feature_mean"], dtype=np.float64),
                feature_scale=np.array(document["feature_scale"], dtype=np.float64),
                coefficients=np.array(document["coefficients"], dtype=np.float64),
                intercept=np.array(document["intercept"], dtype=np.float64),
                created_unix_ns=int(document["created_unix_ns"]),
            )
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise CalibrationError(f"malformed saved calibration: {exc!r}") from exc
        if screen is not None:
            model.check_screen(screen)
        return model

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


def _check_enough(kept: Sequence[CalibrationSample], total: int, min_samples: int) -> None:
    target_count = len({sample.target_id for sample in kept})
    if target_count < MIN_TARGETS or len(kept) < max(min_samples, MIN_TARGETS):
        raise CalibrationError(
            f"too few usable samples to calibrate: {len(kept)} of {total} samples on "
            f"{target_count} targets survived (need {min_samples} on {MIN_TARGETS}); keep the "
            "face in view, the eyes open and look at each target until it disappears"
        )
