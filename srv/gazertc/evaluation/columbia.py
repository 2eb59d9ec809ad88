"""Columbia Gaze, read in its original layout, and its evaluation protocol.

The data set is not shipped or downloaded: a user points :func:`load_columbia` at their own
copy, unpacked as published. Every figure this module produces is measured on that copy;
nothing here claims an accuracy by itself. What it shares with the other data sets is in
:mod:`gazertc.evaluation.gaze_common`.

Source: https://www.cs.columbia.edu/CAVE/databases/columbia_gaze/ (non-commercial use only;
cite Smith, Yin, Feiner and Nayar, "Gaze Locking", UIST 2013). 56 subjects, 5,880 images of
5184x3456 pixels: five horizontal head poses (0, +-15, +-30 degrees), three vertical gaze
directions (0, +-10) and seven horizontal ones (0, +-5, +-10, +-15), all with the subject 2 m
from the camera. Layout::

    <root>/NNNN/NNNN_2m_{P}P_{V}V_{H}H.jpg     e.g. 0003/0003_2m_-15P_10V_-5H.jpg

``P`` is the head pose, ``V`` the vertical and ``H`` the horizontal gaze direction, in degrees.
The gaze angles are relative to the camera: ``0V_0H`` is the subject looking into the lens
("gaze locking") at every head pose. The official page does not state the signs, so the
uncalibrated comparison assumes :data:`COLUMBIA_HORIZONTAL_SIGN` and
:data:`COLUMBIA_VERTICAL_SIGN`, and the order checks (:attr:`ColumbiaGroupResult.horizontal_order`)
show on real data whether that assumption holds (an agreement near 0 instead of 1 means the
sign is the other way). The camera is not calibrated, so intrinsics are estimated from the
image size.

Protocol (:func:`evaluate_columbia`). The pipeline's gaze is expressed relative to the line from
its gaze origin to the camera (the labels' reference), then compared with the labels:

* uncalibrated: the angle between the predicted and the labelled direction, per head pose;
* calibrated: per subject, an affine map from predicted to labelled angles
  (:class:`AngleCorrection`, this evaluation's own step: the labels are angles, not screen
  points) is fitted on the 9 frontal images :data:`COLUMBIA_CALIBRATION_LABELS` and applied to
  all the subject's other images;
* order checks: for each subject, head pose and vertical label, the share of image pairs with
  different horizontal labels whose predicted horizontal angles are in the same order (ties count
  half): 1 is a perfect order, 0.5 chance. Likewise vertically.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np

from gazertc.errors import InputError
from gazertc.evaluation.gaze_common import (
    GazeEstimator,
    SampleOutcome,
    angular_error_deg,
    mean,
    read_image,
    sample_outcome,
)
from gazertc.vision.gaze import angles_from_direction, direction_from_angles
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.types import GazeSample

__all__ = [
    "COLUMBIA_CALIBRATION_LABELS",
    "COLUMBIA_HORIZONTAL_SIGN",
    "COLUMBIA_VERTICAL_SIGN",
    "AngleCorrection",
    "ColumbiaEvaluation",
    "ColumbiaGroupResult",
    "ColumbiaPrediction",
    "ColumbiaSample",
    "evaluate_columbia",
    "load_columbia",
    "parse_columbia_name",
    "relative_to_camera_deg",
]


COLUMBIA_NAME_PATTERN: Final = re.compile(
    r"^(?P<subject>\d+)_(?P<distance>\d+(?:\.\d+)?)m_(?P<pose>[+-]?\d+)P_"
    r"(?P<vertical>[+-]?\d+)V_(?P<horizontal>[+-]?\d+)H\.jpe?g$",
    re.IGNORECASE,
)

COLUMBIA_HORIZONTAL_SIGN: Final = 1.0
"""Assumed: a positive ``H`` label is gaze towards the image's right (gazertc's positive yaw).
Not documented by the data set; the horizontal order check measures it."""

COLUMBIA_VERTICAL_SIGN: Final = 1.0
"""Assumed: a positive ``V`` label is gaze upwards (gazertc's positive pitch). Not documented
by the data set; the vertical order check measures it."""

COLUMBIA_CALIBRATION_LABELS: Final = frozenset(
    (0, vertical, horizontal) for vertical in (-10, 0, 10) for horizontal in (-15, 0, 15)
)
"""``(head pose, V, H)`` of the images each subject is calibrated on: a 3x3 grid at the frontal
head pose, the closest the data set comes to a user looking at nine calibration dots."""

MIN_ANGLE_CORRECTION_SAMPLES: Final = 3
"""An affine map of two angles has three coefficients per output angle."""


@dataclass(frozen=True, slots=True)
class ColumbiaSample:
    """One Columbia Gaze image and the labels in its name (degrees; signs as in the name)."""

    subject_id: str
    image_path: Path
    distance_m: float
    head_pose_deg: int
    gaze_vertical_deg: int
    gaze_horizontal_deg: int

    @property
    def labels(self) -> tuple[int, int, int]:
        """``(head pose, V, H)``."""
        return (self.head_pose_deg, self.gaze_vertical_deg, self.gaze_horizontal_deg)


def parse_columbia_name(path: Path) -> ColumbiaSample | None:
    """The labels in a file name like ``0001_2m_-15P_10V_-5H.jpg``; ``None`` for other names."""
    match = COLUMBIA_NAME_PATTERN.match(path.name)
    if match is None:
        return None
    return ColumbiaSample(
        subject_id=match["subject"],
        image_path=path,
        distance_m=float(match["distance"]),
        head_pose_deg=int(match["pose"]),
        gaze_vertical_deg=int(match["vertical"]),
        gaze_horizontal_deg=int(match["horizontal"]),
    )


def load_columbia(root: Path) -> list[ColumbiaSample]:
    """Every labelled image under a Columbia Gaze copy (``root/NNNN/NNNN_2m_*P_*V_*H.jpg``),
    sorted by subject and labels. Files with other names (e.g. the data set's readme) are
    skipped. ``root`` may also be a single subject folder.

    Raises:
        InputError: ``root`` is not a folder or holds no labelled image.
    """
    if not root.is_dir():
        raise InputError(f"{root} is not a folder")
    folders = [root, *sorted(path for path in root.iterdir() if path.is_dir())]
    samples = [
        sample
        for folder in folders
        for path in sorted(folder.iterdir())
        if path.is_file() and (sample := parse_columbia_name(path)) is not None
    ]
    if not samples:
        raise InputError(
            f"no Columbia Gaze images (NNNN/NNNN_2m_<P>P_<V>V_<H>H.jpg) in {root} "
            "or its subject folders"
        )
    return sorted(samples, key=lambda s: (s.subject_id, s.labels))


@dataclass(frozen=True, slots=True)
class AngleCorrection:
    """A per-subject affine map from predicted to labelled gaze angles (degrees):
    ``yaw' = c0 + c1 yaw + c2 pitch``, ``pitch' = d0 + d1 yaw + d2 pitch``.

    This is the Columbia evaluation's own calibration step: its labels are angles relative to
    the camera, not screen points, so the screen calibration model does not apply.
    """

    yaw_coefficients: tuple[float, float, float]
    pitch_coefficients: tuple[float, float, float]

    @classmethod
    def fit(
        cls, predicted: Sequence[tuple[float, float]], labelled: Sequence[tuple[float, float]]
    ) -> AngleCorrection:
        """Least squares over pairs of ``(yaw_deg, pitch_deg)``.

        Raises:
            InputError: fewer than 3 pairs, the sequences differ in length, or a value is not
                finite.
        """
        if len(predicted) != len(labelled):
            raise InputError(f"{len(predicted)} predictions for {len(labelled)} labels")
        if len(predicted) < MIN_ANGLE_CORRECTION_SAMPLES:
            raise InputError(
                f"an angle correction needs {MIN_ANGLE_CORRECTION_SAMPLES} samples, "
                f"got {len(predicted)}"
            )
        features = np.array([(1.0, yaw, pitch) for yaw, pitch in predicted], dtype=np.float64)
        targets = np.array(labelled, dtype=np.float64)
        if not (np.isfinite(features).all() and np.isfinite(targets).all()):
            raise InputError("angles must be finite")
        solution, *_ = np.linalg.lstsq(features, targets, rcond=None)
        yaw_c = (float(solution[0, 0]), float(solution[1, 0]), float(solution[2, 0]))
        pitch_c = (float(solution[0, 1]), float(solution[1, 1]), float(solution[2, 1]))
        return cls(yaw_c, pitch_c)

    def apply(self, yaw_deg: float, pitch_deg: float) -> tuple[float, float]:
        """The corrected ``(yaw_deg, pitch_deg)``."""
        c, d = self.yaw_coefficients, self.pitch_coefficients
        return (
            c[0] + c[1] * yaw_deg + c[2] * pitch_deg,
            d[0] + d[1] * yaw_deg + d[2] * pitch_deg,
        )


def relative_to_camera_deg(sample: GazeSample) -> tuple[float, float]:
    """The sample's gaze as ``(yaw_deg, pitch_deg)`` relative to the line from its gaze origin to
    the camera (the Columbia labels' reference): ``(0, 0)`` is looking into the lens.

    Angles are differences of gazertc's yaw and pitch, accurate while the face is within a few
    tens of degrees of the optical axis.

    Raises:
        InputError: the sample has no gaze.
    """
    if sample.gaze is None:
        raise InputError("the sample has no gaze")
    to_camera_yaw, to_camera_pitch = angles_from_direction(np.negative(sample.gaze.origin_mm))
    return sample.gaze.yaw_deg - to_camera_yaw, sample.gaze.pitch_deg - to_camera_pitch


def _labelled_deg(sample: ColumbiaSample) -> tuple[float, float]:
    return (
        COLUMBIA_HORIZONTAL_SIGN * sample.gaze_horizontal_deg,
        COLUMBIA_VERTICAL_SIGN * sample.gaze_vertical_deg,
    )


def _angle_between_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    return angular_error_deg(direction_from_angles(*a), direction_from_angles(*b))


@dataclass(frozen=True, slots=True)
class ColumbiaPrediction:
    """One image with a gaze: predicted angles relative to the camera, and the errors.

    ``calibrated_error_deg`` is ``None`` for the subject's calibration images and for subjects
    that could not be calibrated.
    """

    sample: ColumbiaSample
    predicted_deg: tuple[float, float]
    uncalibrated_error_deg: float
    calibrated_error_deg: float | None


@dataclass(frozen=True, slots=True)
class ColumbiaGroupResult:
    """The figures of one head pose (or of all, ``head_pose_deg`` ``None``).

    ``horizontal_order`` / ``vertical_order``: share of correctly ordered pairs (module
    docstring), ``nan`` without pairs; ``*_pairs`` their counts.
    """

    head_pose_deg: int | None
    image_count: int
    faces_not_found: int
    gaze_unknown: int
    predictions: tuple[ColumbiaPrediction, ...]
    horizontal_order: float
    horizontal_pairs: int
    vertical_order: float
    vertical_pairs: int

    @property
    def mean_uncalibrated_error_deg(self) -> float:
        return mean(p.uncalibrated_error_deg for p in self.predictions)

    @property
    def mean_calibrated_error_deg(self) -> float:
        return mean(
            p.calibrated_error_deg for p in self.predictions if p.calibrated_error_deg is not None
        )

    @property
    def calibrated_count(self) -> int:
        return sum(p.calibrated_error_deg is not None for p in self.predictions)


@dataclass(frozen=True, slots=True)
class ColumbiaEvaluation:
    """Results per head pose (sorted) and over all images; subjects that could not be
    calibrated (fewer than 3 usable calibration images) are listed."""

    by_head_pose: tuple[ColumbiaGroupResult, ...]
    overall: ColumbiaGroupResult
    uncalibrated_subjects: tuple[str, ...]


def _order_agreement(
    predictions: Sequence[ColumbiaPrediction], axis: Literal["horizontal", "vertical"]
) -> tuple[float, int]:
    """Share of concordant pairs within groups that differ only in the ``axis`` label."""
    groups: dict[tuple[str, int, int], list[tuple[float, float]]] = {}
    for p in predictions:
        s = p.sample
        if axis == "horizontal":
            key = (s.subject_id, s.head_pose_deg, s.gaze_vertical_deg)
            pair = (COLUMBIA_HORIZONTAL_SIGN * s.gaze_horizontal_deg, p.predicted_deg[0])
        else:
            key = (s.subject_id, s.head_pose_deg, s.gaze_horizontal_deg)
            pair = (COLUMBIA_VERTICAL_SIGN * s.gaze_vertical_deg, p.predicted_deg[1])
        groups.setdefault(key, []).append(pair)
    score, pairs = 0.0, 0
    for members in groups.values():
        for i, (label_a, predicted_a) in enumerate(members):
            for label_b, predicted_b in members[i + 1 :]:
                if label_a == label_b:
                    continue
                pairs += 1
                agreement = np.sign(label_b - label_a) * np.sign(predicted_b - predicted_a)
                score += 0.5 * (1.0 + float(agreement))
    return (score / pairs if pairs else math.nan), pairs


def _columbia_group(
    head_pose_deg: int | None,
    outcomes: Sequence[tuple[ColumbiaSample, SampleOutcome]],
    predictions: Sequence[ColumbiaPrediction],
) -> ColumbiaGroupResult:
    horizontal, horizontal_pairs = _order_agreement(predictions, "horizontal")
    vertical, vertical_pairs = _order_agreement(predictions, "vertical")
    return ColumbiaGroupResult(
        head_pose_deg=head_pose_deg,
        image_count=len(outcomes),
        faces_not_found=sum(o is SampleOutcome.NO_FACE for _, o in outcomes),
        gaze_unknown=sum(o is SampleOutcome.NO_GAZE for _, o in outcomes),
        predictions=tuple(predictions),
        horizontal_order=horizontal,
        horizontal_pairs=horizontal_pairs,
        vertical_order=vertical,
        vertical_pairs=vertical_pairs,
    )


def evaluate_columbia(
    samples: Sequence[ColumbiaSample],
    estimator: GazeEstimator,
    *,
    intrinsics: CameraIntrinsics | None = None,
) -> ColumbiaEvaluation:
    """The Columbia Gaze protocol (module docstring).

    ``intrinsics`` are the camera's if known; by default they are estimated from each image's
    size (the data set publishes no calibration).

    Raises:
        InputError: an image cannot be read.
    """
    outcomes: list[tuple[ColumbiaSample, SampleOutcome]] = []
    predicted: dict[str, list[tuple[ColumbiaSample, tuple[float, float]]]] = {}
    for sample in samples:
        gaze_sample = estimator(read_image(sample.image_path), intrinsics)
        outcome = sample_outcome(gaze_sample)
        outcomes.append((sample, outcome))
        if outcome is SampleOutcome.USED:
            angles = relative_to_camera_deg(gaze_sample)
            predicted.setdefault(sample.subject_id, []).append((sample, angles))
    predictions: list[ColumbiaPrediction] = []
    uncalibrated_subjects = []
    for subject_id, subject_predictions in predicted.items():
        calibration = [
            (angles, _labelled_deg(s))
            for s, angles in subject_predictions
            if s.labels in COLUMBIA_CALIBRATION_LABELS
        ]
        correction = None
        if len(calibration) >= MIN_ANGLE_CORRECTION_SAMPLES:
            correction = AngleCorrection.fit(
                [a for a, _ in calibration], [t for _, t in calibration]
            )
        else:
            uncalibrated_subjects.append(subject_id)
        for s, angles in subject_predictions:
            calibrated = None
            if correction is not None and s.labels not in COLUMBIA_CALIBRATION_LABELS:
                calibrated = _angle_between_deg(correction.apply(*angles), _labelled_deg(s))
            predictions.append(
                ColumbiaPrediction(
                    sample=s,
                    predicted_deg=angles,
                    uncalibrated_error_deg=_angle_between_deg(angles, _labelled_deg(s)),
                    calibrated_error_deg=calibrated,
                )
            )
    poses = sorted({s.head_pose_deg for s in samples})
    by_pose = tuple(
        _columbia_group(
            pose,
            [(s, o) for s, o in outcomes if s.head_pose_deg == pose],
            [p for p in predictions if p.sample.head_pose_deg == pose],
        )
        for pose in poses
    )
    return ColumbiaEvaluation(
        by_head_pose=by_pose,
        overall=_columbia_group(None, outcomes, predictions),
        uncalibrated_subjects=tuple(uncalibrated_subjects),
    )
