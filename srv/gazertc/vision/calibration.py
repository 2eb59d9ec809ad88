"""Per-user calibration: from per-frame eye and head features to a point on the screen.

Public API (stable; the evaluation harness builds on it)::

    features = FrameFeatures.from_sample(gaze_sample, intrinsics=None)   # or .from_message(dict)
    samples = [CalibrationSample(features, ScreenPoint(x_css_px, y_css_px), target_id,
                                 time_since_target_ms), ...]
    model = CalibrationModel.fit(samples, screen, settings=DEFAULT_FEATURES)   # CalibrationError
    model.fit_report                       # CalibrationFit: per-target residuals in px and deg
    point = model.predict(gaze_sample)     # ScreenPoint | None (None: no usable eye this frame)
    point = model.predict_features(features)
    report = validate_calibration(model, samples)  # ValidationResult: accuracy, precision
    text = model.to_json(); model = CalibrationModel.from_json(text, screen)  # ScreenMismatchError

Features (:class:`FrameFeatures`, :class:`FeatureKind`). The *eye signal* is two numbers per
frame, averaged over the open eyes, in one of three forms: ``iris_offsets`` (the iris centre
relative to the eye corners, in eye widths, as appearance-based trackers use), ``gaze_angles``
(the pipeline's per-eye yaw/pitch, degrees) or ``gaze_ray`` (where the pipeline's combined gaze
ray meets the camera's z = 0 plane, millimetres: the screen plane when the camera sits in the
screen's bezel). With ``head_pose`` the basis adds the head's yaw, pitch, roll and translation,
and the products of the eye signal with the head's distance.

Model. Ridge regression on a polynomial basis of the standardised features (degree 1 or 2),
one output per screen axis, the intercept not penalised. The default was chosen by measurement
on generated data with known ground truth (``bench/calibration.py`` prints the comparison): see
:data:`DEFAULT_FEATURES`.

Robustness. Samples are dropped when the face or eye signal is missing, while blinking, in the
first :data:`SETTLE_MS` after the target appeared (saccade latency and landing) and when the
gaze moved faster than :data:`SACCADE_DEG_PER_S` since the previous frame. Per target, samples
whose eye signal lies more than :data:`OUTLIER_ROBUST_Z` robust standard deviations (median/MAD)
from the target's median are rejected; after a first fit, samples whose residual is an outlier
in the same sense are dropped and the model is refitted once.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from gazertc.errors import GazertcError, InputError
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import (
    ScreenGeometry,
    offset_deg_from_css_px,
    viewing_distance_from_interpupillary_mm,
    viewing_distance_from_iris_mm,
)
from gazertc.vision.types import EyeObservation, GazeSample, PointPx

__all__ = [
    "DEFAULT_FEATURES",
    "MODEL_FORMAT",
    "OUTLIER_ROBUST_Z",
    "SACCADE_DEG_PER_S",
    "SETTLE_MS",
    "CalibrationError",
    "CalibrationFit",
    "CalibrationModel",
    "CalibrationSample",
    "FeatureKind",
    "FeatureSettings",
    "FrameFeatures",
    "ScreenMismatchError",
    "ScreenPoint",
    "TargetResidual",
    "TargetValidation",
    "ValidationResult",
    "select_samples",
    "validate_calibration",
]

SETTLE_MS: Final = 300.0
"""Saccade latency (about 200 ms) plus landing and a corrective saccade after a target appears."""
SACCADE_DEG_PER_S: Final = 120.0
"""Above this the eye is moving between points: 4 degrees per frame at 30 fps, over the
pipeline's gaze jitter (about 1 degree RMS per frame on cap12, so 1.4 between two frames), under
a saccade of 8 degrees or more spread over two frames by the landmark smoothing."""
OUTLIER_ROBUST_Z: Final = 3.5
"""Robust z-score (|x - median| / (1.4826 MAD)) beyond which a sample is an outlier (Iglewicz and
Hoaglin's cut-off)."""
MAD_TO_SIGMA: Final = 1.4826
"""MAD times this estimates the standard deviation of normal data."""
MIN_TARGETS: Final = 4
"""Fewer distinct targets cannot pin down an affine map of the screen plus a margin."""
MIN_SAMPLES: Final = 12
"""Fewer samples than this leave the regression to noise."""
MIN_RESIDUAL_CUTOFF_CSS_PX: Final = 20.0
"""Never reject a sample whose residual is below this: a near-perfect fit has a tiny MAD."""
MODEL_FORMAT: Final = "gazertc.calibration/1"
"""The ``format`` field of a saved model: name and version of the JSON layout."""
_MIN_RAY_DEPTH: Final = 0.2
"""A gaze ray whose direction has |z| below this runs almost parallel to the screen (over 78
degrees off its normal): its intersection point is meaningless."""


class CalibrationError(GazertcError):
    """A calibration cannot be fitted, loaded or applied (the message says why)."""


class ScreenMismatchError(CalibrationError):
    """A calibration was made for another screen geometry than the one it is applied to."""


class FeatureKind(StrEnum):
    """The form of the eye signal (see the module docstring)."""

    IRIS_OFFSETS = "iris_offsets"
    GAZE_ANGLES = "gaze_angles"
    GAZE_RAY = "gaze_ray"


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    """Which features and which basis a model uses.

    ``polynomial_degree`` (1 or 2) applies to the eye signal; ``ridge_lambda`` is the penalty on
    the standardised coefficients (mean squared error in CSS px² plus ``lambda * |b|²`` scaled
    by the targets' variance).

    Raises:
        InputError: the degree is not 1 or 2 or the penalty is negative.
    """

    kind: FeatureKind
    head_pose: bool
    polynomial_degree: int = 2
    ridge_lambda: float = 1e-3

    def __post_init__(self) -> None:
        if self.polynomial_degree not in (1, 2):
            raise InputError(f"polynomial_degree must be 1 or 2, got {self.polynomial_degree}")
        if not (math.isfinite(self.ridge_lambda) and self.ridge_lambda >= 0.0):
            raise InputError(f"ridge_lambda must be >= 0, got {self.ridge_lambda}")


DEFAULT_FEATURES: Final = FeatureSettings(
    FeatureKind.GAZE_RAY, head_pose=False, polynomial_degree=1
)
"""Chosen on generated data (``bench/calibration.py``, "model comparison": 12-point calibration
with the head swaying by +-5 mm, 16 random test targets, 3 simulated users with kappa). Mean
error in CSS px on a 15.6-inch laptop at 60 cm (head still / head moved by up to 60 mm and 12
degrees), degree 1, penalty 1e-3: iris offsets 45 / 167, with head-pose terms 38 / 85; per-eye
gaze angles 42 / 174, with head-pose terms 38 / 82; gaze ray 36 / 53 (0.78 / 1.13 deg), with
head-pose terms 38 / 83. The gaze ray already contains the head pose (the pipeline places the
eyeballs with it), so it needs no learned head terms, and terms learned from a head that barely
moved during calibration extrapolate badly. Degree 2 and a penalty of 0.1 were no better."""


@dataclass(frozen=True, slots=True)
class ScreenPoint:
    """A point on the client's screen in CSS pixels, origin top-left, y down."""

    x_css_px: float
    y_css_px: float

    def distance_css_px(self, other: ScreenPoint) -> float:
        return math.hypot(self.x_css_px - other.x_css_px, self.y_css_px - other.y_css_px)


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    """What calibration uses from one frame; each signal is ``None`` when the frame lacks it.

    Attributes:
        timestamp_unix_ns: capture time.
        blinking: the pipeline flagged a blink.
        iris_offsets: ``(x, y)`` iris centre minus the corners' midpoint, along and across the
            corner line, in eye widths, averaged over the open eyes (x to the image's right,
            y down).
        gaze_angles_deg: ``(yaw_deg, pitch_deg)`` averaged over the eyes with angles.
        gaze_ray_mm: ``(x_mm, y_mm)`` where the combined gaze ray meets the camera plane z = 0.
        combined_gaze_deg: the combined gaze ``(yaw_deg, pitch_deg)`` (for the saccade check).
        head: ``(yaw_deg, pitch_deg, roll_deg, x_mm, y_mm, z_mm)`` of the head pose.
        viewing_distance_mm: eye-to-camera distance estimated from the face.
    """

    timestamp_unix_ns: int
    blinking: bool = False
    iris_offsets: tuple[float, float] | None = None
    gaze_angles_deg: tuple[float, float] | None = None
    gaze_ray_mm: tuple[float, float] | None = None
    combined_gaze_deg: tuple[float, float] | None = None
    head: tuple[float, float, float, float, float, float] | None = None
    viewing_distance_mm: float | None = None

    def eye_signal(self, kind: FeatureKind) -> tuple[float, float] | None:
        if kind is FeatureKind.IRIS_OFFSETS:
            return self.iris_offsets
        if kind is FeatureKind.GAZE_ANGLES:
            return self.gaze_angles_deg
        return self.gaze_ray_mm

    @classmethod
    def from_sample(
        cls, sample: GazeSample, intrinsics: CameraIntrinsics | None = None
    ) -> FrameFeatures:
        """Features of a pipeline sample; ``intrinsics`` (for the viewing distance) are guessed
        from the frame size when not given."""
        eyes = [
            _EyeInputs(
                eye.centre_px,
                eye.iris_radius_px,
                eye.is_open,
                eye.inner_corner_px,
                eye.outer_corner_px,
                eye.gaze_yaw_deg,
                eye.gaze_pitch_deg,
                eye.side.value == "right",
            )
            for eye in (sample.right_eye, sample.left_eye)
            if isinstance(eye, EyeObservation)
        ]
        gaze = sample.gaze
        pose = sample.head_pose
        return _build_features(
            timestamp_unix_ns=sample.timestamp_unix_ns,
            blinking=sample.blinking,
            face_found=sample.face_found,
            eyes=eyes,
            gaze=None if gaze is None else (gaze.yaw_deg, gaze.pitch_deg),
            gaze_origin_mm=None if gaze is None else gaze.origin_mm,
            gaze_direction=None if gaze is None else gaze.direction,
            head=None
            if pose is None
            else (pose.yaw_deg, pose.pitch_deg, pose.roll_deg, *pose.translation_mm),
            intrinsics=intrinsics
            or CameraIntrinsics.from_frame_size(sample.frame_width_px, sample.frame_height_px),
        )

    @classmethod
    def from_message(
        cls, sample: Mapping[str, Any], intrinsics: CameraIntrinsics | None = None
    ) -> FrameFeatures:
        """Features of a validated protocol ``sample`` message (or ``GazeSample.to_dict()``).

        Raises:
            InputError: a required field is missing or malformed.
        """
        try:
            eyes = [
                _EyeInputs(
                    None if eye["centre_px"] is None else _pair(eye["centre_px"]),
                    eye["iris_radius_px"],
                    bool(eye["is_open"]),
                    _pair(eye["inner_corner_px"]),
                    _pair(eye["outer_corner_px"]),
                    eye["gaze_yaw_deg"],
                    eye["gaze_pitch_deg"],
                    eye["side"] == "right",
                )
                for eye in (sample["right_eye"], sample["left_eye"])
                if eye is not None
            ]
            gaze = sample["gaze"]
            pose = sample["head_pose"]
            head = None
            if pose is not None:
                x_mm, y_mm, z_mm = pose["translation_mm"]
                head = (pose["yaw_deg"], pose["pitch_deg"], pose["roll_deg"], x_mm, y_mm, z_mm)
            return _build_features(
                timestamp_unix_ns=int(sample["timestamp_unix_ns"]),
                blinking=bool(sample["blinking"]),
                face_found=bool(sample["face_found"]),
                eyes=eyes,
                gaze=None if gaze is None else (gaze["yaw_deg"], gaze["pitch_deg"]),
                gaze_origin_mm=None if gaze is None else tuple(gaze["origin_mm"]),
                gaze_direction=None if gaze is None else tuple(gaze["direction"]),
                head=head,
                intrinsics=intrinsics
                or CameraIntrinsics.from_frame_size(
                    int(sample["frame_width_px"]), int(sample["frame_height_px"])
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a usable sample: {exc!r}") from exc


def _pair(values: Sequence[float]) -> tuple[float, float]:
    return (float(values[0]), float(values[1]))


@dataclass(frozen=True, slots=True)
class _EyeInputs:
    centre_px: PointPx | None
    iris_radius_px: float | None
    is_open: bool
    inner_corner_px: PointPx
    outer_corner_px: PointPx
    gaze_yaw_deg: float | None
    gaze_pitch_deg: float | None
    is_right: bool


def _iris_offset(eye: _EyeInputs) -> tuple[float, float] | None:
    if eye.centre_px is None:
        return None
    inner_x, inner_y = eye.inner_corner_px
    outer_x, outer_y = eye.outer_corner_px
    # The corner line oriented towards the image's right: the subject's right eye has its inner
    # corner on the image's right, the left eye its outer corner.
    axis_x, axis_y = (
        (inner_x - outer_x, inner_y - outer_y)
        if eye.is_right
        else (
            outer_x - inner_x,
            outer_y - inner_y,
        )
    )
    width_px = math.hypot(axis_x, axis_y)
    if width_px < 1.0:
        return None
    axis_x, axis_y = axis_x / width_px, axis_y / width_px
    offset_x = eye.centre_px[0] - (inner_x + outer_x) / 2.0
    offset_y = eye.centre_px[1] - (inner_y + outer_y) / 2.0
    along = (offset_x * axis_x + offset_y * axis_y) / width_px
    across = (-offset_x * axis_y + offset_y * axis_x) / width_px
    return (along, across)


def _mean_pair(pairs: list[tuple[float, float]]) -> tuple[float, float] | None:
    if not pairs:
        return None
    return (
        sum(pair[0] for pair in pairs) / len(pairs),
        sum(pair[1] for pair in pairs) / len(pairs),
    )


def _finite(values: Sequence[float]) -> bool:
    return all(math.isfinite(value) for value in values)


def _build_features(
    *,
    timestamp_unix_ns: int,
    blinking: bool,
    face_found: bool,
    eyes: list[_EyeInputs],
    gaze: tuple[float, float] | None,
    gaze_origin_mm: Sequence[float] | None,
    gaze_direction: Sequence[float] | None,
    head: tuple[float, float, float, float, float, float] | None,
    intrinsics: CameraIntrinsics,
) -> FrameFeatures:
    if not face_found:
        return FrameFeatures(timestamp_unix_ns, blinking)
    open_eyes = [eye for eye in eyes if eye.is_open and eye.centre_px is not None]
    offsets = [offset for eye in open_eyes if (offset := _iris_offset(eye)) is not None]
    angles = [
        (float(eye.gaze_yaw_deg), float(eye.gaze_pitch_deg))
        for eye in open_eyes
        if eye.gaze_yaw_deg is not None and eye.gaze_pitch_deg is not None
    ]
    ray_mm: tuple[float, float] | None = None
    if gaze_origin_mm is not None and gaze_direction is not None:
        direction_z = float(gaze_direction[2])
        if direction_z < -_MIN_RAY_DEPTH:
            along = -float(gaze_origin_mm[2]) / direction_z
            ray_mm = (
                float(gaze_origin_mm[0]) + along * float(gaze_direction[0]),
                float(gaze_origin_mm[1]) + along * float(gaze_direction[1]),
            )
    head_values = None
    if head is not None and _finite(head):
        yaw, pitch, roll, x_mm, y_mm, z_mm = (float(value) for value in head)
        head_values = (yaw, pitch, roll, x_mm, y_mm, z_mm)
    return FrameFeatures(
        timestamp_unix_ns=timestamp_unix_ns,
        blinking=blinking,
        iris_offsets=_checked(_mean_pair(offsets)),
        gaze_angles_deg=_checked(_mean_pair(angles)),
        gaze_ray_mm=_checked(ray_mm),
        combined_gaze_deg=_checked(gaze),
        head=head_values,
        viewing_distance_mm=_viewing_distance_mm(open_eyes, head, intrinsics),
    )


def _checked(pair: tuple[float, float] | None) -> tuple[float, float] | None:
    return pair if pair is not None and _finite(pair) else None


def _viewing_distance_mm(
    open_eyes: list[_EyeInputs],
    head: tuple[float, float, float, float, float, float] | None,
    intrinsics: CameraIntrinsics,
) -> float | None:
    """Interpupillary distance when both irises are seen, else the iris size, else the pose."""
    focal_px = (intrinsics.fx_px + intrinsics.fy_px) / 2.0
    yaw_deg = 0.0 if head is None else head[0]
    centres = [eye.centre_px for eye in open_eyes if eye.centre_px is not None]
    if len(centres) == 2 and abs(yaw_deg) < 60.0:
        separation_px = math.hypot(centres[0][0] - centres[1][0], centres[0][1] - centres[1][1])
        if separation_px > 1.0:
            return viewing_distance_from_interpupillary_mm(separation_px, focal_px, yaw_deg)
    radii = [eye.iris_radius_px for eye in open_eyes if eye.iris_radius_px]
    if radii:
        return viewing_distance_from_iris_mm(2.0 * statistics.fmean(radii), focal_px)
    if head is not None and head[5] > 0.0:
        return head[5]
    return None


@dataclass(frozen=True, slots=True)
class CalibrationSample:
    """One frame recorded while the user looked at a target.

    ``time_since_target_ms`` is the frame's capture time minus the time the target appeared
    (``None``: unknown, e.g. a still-image data set; the settle check is then skipped).
    """

    features: FrameFeatures
    target: ScreenPoint
    target_id: int = 0
    time_since_target_ms: float | None = None

    @classmethod
    def from_gaze_sample(
        cls,
        sample: GazeSample,
        target: ScreenPoint,
        *,
        target_id: int = 0,
        time_since_target_ms: float | None = None,
        intrinsics: CameraIntrinsics | None = None,
    ) -> CalibrationSample:
        return cls(
            FrameFeatures.from_sample(sample, intrinsics), target, target_id, time_since_target_ms
        )


@dataclass(frozen=True, slots=True)
class TargetResidual:
    """How well the fit reproduces one calibration target.

    ``mean_point`` is the mean prediction over the samples kept; ``offset_css_px`` /
    ``offset_deg`` its distance from the target; ``rms_css_px`` the RMS distance of the single
    samples' predictions from the target.
    """

    target_id: int
    target: ScreenPoint
    mean_point: ScreenPoint | None
    offset_css_px: float | None
    offset_deg: float | None
    rms_css_px: float | None
    samples_used: int
    samples_dropped: int


@dataclass(frozen=True, slots=True)
class CalibrationFit:
    """The fit's per-target residuals and totals.

    ``mean_offset_css_px`` / ``mean_offset_deg``: the mean of the targets' offsets;
    ``viewing_distance_mm``: the median over the samples used (``None`` when no frame had it).
    """

    targets: tuple[TargetResidual, ...]
    mean_offset_css_px: float
    mean_offset_deg: float | None
    samples_used: int
    samples_dropped: int
    viewing_distance_mm: float | None


@dataclass(frozen=True, slots=True)
class TargetValidation:
    """Accuracy (mean distance of the single predictions from the target) and precision (RMS of
    the distances between consecutive predictions) at one validation target."""

    target_id: int
    target: ScreenPoint
    accuracy_css_px: float | None
    accuracy_deg: float | None
    precision_css_px: float | None
    precision_deg: float | None
    samples_used: int


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Per-target and overall (mean over the targets with samples) accuracy and precision."""

    targets: tuple[TargetValidation, ...]
    accuracy_css_px: float | None
    accuracy_deg: float | None
    precision_css_px: float | None
    precision_deg: float | None
    viewing_distance_mm: float | None


def select_samples(
    samples: Sequence[CalibrationSample], settings: FeatureSettings
) -> tuple[list[CalibrationSample], int]:
    """The samples fit for calibration or validation, and how many were dropped.

    Drops frames without the eye signal (or head pose when the settings use it), blinks, frames
    within :data:`SETTLE_MS` of the target's appearance, frames after a gaze jump faster than
    :data:`SACCADE_DEG_PER_S`, then per target the eye-signal outliers (median/MAD).
    """
    by_target: dict[int, list[CalibrationSample]] = defaultdict(list)
    for sample in samples:
        by_target[sample.target_id].append(sample)
    kept: list[CalibrationSample] = []
    for target_samples in by_target.values():
        ordered = sorted(target_samples, key=lambda s: s.features.timestamp_unix_ns)
        steady: list[CalibrationSample] = []
        previous: FrameFeatures | None = None
        for sample in ordered:
            features = sample.features
            moving = previous is not None and _gaze_speed_deg_per_s(previous, features) > (
                SACCADE_DEG_PER_S
            )
            previous = features
            if (
                features.blinking
                or moving
                or features.eye_signal(settings.kind) is None
                or (settings.head_pose and features.head is None)
                or (
                    sample.time_since_target_ms is not None
                    and sample.time_since_target_ms < SETTLE_MS
                )
            ):
                continue
            steady.append(sample)
        kept.extend(_without_signal_outliers(steady, settings.kind))
    return kept, len(samples) - len(kept)


def _gaze_speed_deg_per_s(previous: FrameFeatures, current: FrameFeatures) -> float:
    if previous.combined_gaze_deg is None or current.combined_gaze_deg is None:
        return 0.0
    dt_s = (current.timestamp_unix_ns - previous.timestamp_unix_ns) / 1e9
    if dt_s <= 0.0:
        return 0.0
    change_deg = math.hypot(
        current.combined_gaze_deg[0] - previous.combined_gaze_deg[0],
        current.combined_gaze_deg[1] - previous.combined_gaze_deg[1],
    )
    return change_deg / dt_s


def _robust_inliers(values: NDArray[np.float64], floor: float) -> NDArray[np.bool_]:
    """Per column: within OUTLIER_ROBUST_Z robust deviations of the median (``floor`` bounds
    the deviation from below, so identical values do not make every tiny difference an outlier).
    """
    median = np.median(values, axis=0)
    deviation = np.abs(values - median)
    sigma = np.maximum(MAD_TO_SIGMA * np.median(deviation, axis=0), floor)
    inliers: NDArray[np.bool_] = np.all(deviation <= OUTLIER_ROBUST_Z * sigma, axis=1)
    return inliers


_SIGNAL_FLOOR: Final = {
    FeatureKind.IRIS_OFFSETS: 0.005,
    FeatureKind.GAZE_ANGLES: 0.2,
    FeatureKind.GAZE_RAY: 2.0,
}
"""The smallest spread assumed per eye-signal kind: 0.2 deg of eye rotation (0.005 eye widths,
about 2 mm on the screen plane) is below anything the pipeline resolves."""


def _without_signal_outliers(
    samples: list[CalibrationSample], kind: FeatureKind
) -> list[CalibrationSample]:
    if len(samples) < 3:
        return samples
    values = np.array([sample.features.eye_signal(kind) for sample in samples], dtype=np.float64)
    inliers = _robust_inliers(values, _SIGNAL_FLOOR[kind])
    return [sample for sample, keep in zip(samples, inliers, strict=True) if keep]


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
        depth_m = head[5] / 1000.0 - _TYPICAL_DEPTH_M
        row.extend(head)
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
        kept, _ = select_samples(samples, settings)
        _check_enough(kept, len(samples), min_samples)
        rows = np.array([_basis_row(s.features, settings) for s in kept], dtype=np.float64)
        targets = np.array([(s.target.x_css_px, s.target.y_css_px) for s in kept])
        model = cls._solve(rows, targets, settings, screen)
        # One refit without the samples the first fit cannot explain (RANSAC-like, one round).
        residuals = np.hypot(*(model._predict_rows(rows) - targets).T)
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
            model = cls._solve(rows[inliers], targets[inliers], settings, screen)
        report = _fit_report(model, samples, kept)
        return cls(
            settings=settings,
            screen=screen,
            feature_mean=model._mean,
            feature_scale=model._scale,
            coefficients=model._coefficients,
            intercept=model._intercept,
            fit_report=report,
        )

    @classmethod
    def _solve(
        cls,
        rows: NDArray[np.float64],
        targets: NDArray[np.float64],
        settings: FeatureSettings,
        screen: ScreenGeometry,
    ) -> CalibrationModel:
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

    def _predict_rows(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
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
                f"{self.screen.device_pixel_ratio}, not {screen.width_css_px}x"
                f"{screen.height_css_px} at {screen.device_pixel_ratio}; calibrate again"
            )

    # -- saving ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-ready document (about 1 kB): settings, screen and coefficients."""
        return {
            "format": MODEL_FORMAT,
            "created_unix_ns": self.created_unix_ns,
            "screen": self.screen.to_message(),
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
                screen=ScreenGeometry.from_message(document["screen"]),
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
        """Raises: as :meth:`from_dict`, and CalibrationError for text that is not JSON."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"a saved calibration must be JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise CalibrationError("a saved calibration must be a JSON object")
        return cls.from_dict(document, screen)


def _check_enough(kept: Sequence[CalibrationSample], total: int, min_samples: int) -> None:
    target_count = len({sample.target_id for sample in kept})
    if target_count < MIN_TARGETS or len(kept) < max(min_samples, MIN_TARGETS):
        raise CalibrationError(
            f"too few usable samples to calibrate: {len(kept)} of {total} samples on "
            f"{target_count} targets survived (need {min_samples} on {MIN_TARGETS}); keep the "
            "face in view, the eyes open and look at each target until it disappears"
        )


def _median_distance_mm(samples: Sequence[CalibrationSample]) -> float | None:
    distances = [s.features.viewing_distance_mm for s in samples if s.features.viewing_distance_mm]
    return statistics.median(distances) if distances else None


def _deg(offset_css_px: float, screen: ScreenGeometry, distance_mm: float | None) -> float | None:
    if distance_mm is None:
        return None
    return offset_deg_from_css_px(offset_css_px, screen, distance_mm)


def _fit_report(
    model: CalibrationModel,
    all_samples: Sequence[CalibrationSample],
    kept: Sequence[CalibrationSample],
) -> CalibrationFit:
    distance_mm = _median_distance_mm(kept)
    kept_by_target: dict[int, list[CalibrationSample]] = defaultdict(list)
    for sample in kept:
        kept_by_target[sample.target_id].append(sample)
    first_of_target: dict[int, CalibrationSample] = {}
    total_by_target: dict[int, int] = defaultdict(int)
    for sample in all_samples:
        first_of_target.setdefault(sample.target_id, sample)
        total_by_target[sample.target_id] += 1
    residuals: list[TargetResidual] = []
    for target_id, first in first_of_target.items():
        used = kept_by_target.get(target_id, [])
        points = [model.predict_features(sample.features) for sample in used]
        xy = np.array([(p.x_css_px, p.y_css_px) for p in points if p is not None])
        mean_point = offset = rms = None
        if len(xy):
            mean_point = ScreenPoint(float(xy[:, 0].mean()), float(xy[:, 1].mean()))
            offset = mean_point.distance_css_px(first.target)
            target_xy = np.array([first.target.x_css_px, first.target.y_css_px])
            rms = float(np.sqrt(np.mean(np.sum((xy - target_xy) ** 2, axis=1))))
        residuals.append(
            TargetResidual(
                target_id=target_id,
                target=first.target,
                mean_point=mean_point,
                offset_css_px=offset,
                offset_deg=None if offset is None else _deg(offset, model.screen, distance_mm),
                rms_css_px=rms,
                samples_used=len(used),
                samples_dropped=total_by_target[target_id] - len(used),
            )
        )
    offsets = [r.offset_css_px for r in residuals if r.offset_css_px is not None]
    mean_offset = statistics.fmean(offsets)
    return CalibrationFit(
        targets=tuple(residuals),
        mean_offset_css_px=mean_offset,
        mean_offset_deg=_deg(mean_offset, model.screen, distance_mm),
        samples_used=len(kept),
        samples_dropped=len(all_samples) - len(kept),
        viewing_distance_mm=distance_mm,
    )


def validate_calibration(
    model: CalibrationModel, samples: Sequence[CalibrationSample]
) -> ValidationResult:
    """Accuracy and precision of ``model`` on samples recorded at known validation targets.

    The same selection as for fitting applies (blinks, settling, saccades, per-target eye-signal
    outliers); no residual-based rejection, so a bad calibration cannot hide its errors. Degrees
    use the median viewing distance of each target's samples.
    """
    kept, _ = select_samples(samples, model.settings)
    by_target: dict[int, list[CalibrationSample]] = defaultdict(list)
    for sample in kept:
        by_target[sample.target_id].append(sample)
    targets: dict[int, ScreenPoint] = {}
    for sample in samples:
        targets.setdefault(sample.target_id, sample.target)
    results: list[TargetValidation] = []
    for target_id, target in targets.items():
        used = sorted(by_target.get(target_id, []), key=lambda s: s.features.timestamp_unix_ns)
        predicted = [model.predict_features(sample.features) for sample in used]
        points = [point for point in predicted if point is not None]
        distance_mm = _median_distance_mm(used)
        accuracy = precision = None
        if points:
            accuracy = statistics.fmean(point.distance_css_px(target) for point in points)
        if len(points) >= 2:
            steps = [a.distance_css_px(b) for a, b in itertools.pairwise(points)]
            precision = math.sqrt(statistics.fmean(step * step for step in steps))
        results.append(
            TargetValidation(
                target_id=target_id,
                target=target,
                accuracy_css_px=accuracy,
                accuracy_deg=None
                if accuracy is None
                else _deg(accuracy, model.screen, distance_mm),
                precision_css_px=precision,
                precision_deg=None
                if precision is None
                else _deg(precision, model.screen, distance_mm),
                samples_used=len(points),
            )
        )
    return ValidationResult(
        targets=tuple(results),
        accuracy_css_px=_mean_of([r.accuracy_css_px for r in results]),
        accuracy_deg=_mean_of([r.accuracy_deg for r in results]),
        precision_css_px=_mean_of([r.precision_css_px for r in results]),
        precision_deg=_mean_of([r.precision_deg for r in results]),
        viewing_distance_mm=_median_distance_mm(kept),
    )


def _mean_of(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.fmean(present) if present else None
