"""What the gaze data set evaluations share: the estimator, its outcomes, measures and draws.

Each data set with ground truth has a module of its own beside this one, which reads it in its
original layout and runs its protocol (:mod:`gazertc.evaluation.mpiifacegaze`,
:mod:`gazertc.evaluation.columbia`, :mod:`gazertc.evaluation.gazecapture`). What more than one
of them needs lives here, and so does
what any protocol that calibrates on screen targets needs (:data:`DEFAULT_CALIBRATION_SAMPLES`,
:func:`has_calibration_features`). No data set is shipped or downloaded: a user points a loader
at their own copy, unpacked as published. Every figure these modules produce is measured on that
copy; nothing here claims an accuracy by itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Final

import cv2
import numpy as np

from gazertc.errors import InputError
from gazertc.vision.calibration import DEFAULT_FEATURES, FrameFeatures
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.tracker import PipelineModels, estimate
from gazertc.vision.types import BgrImage, GazeSample

__all__ = [
    "DEFAULT_CALIBRATION_SAMPLES",
    "GazeDatasetName",
    "GazeEstimator",
    "SampleOutcome",
    "angular_error_deg",
    "calibration_split",
    "has_calibration_features",
    "mean",
    "median",
    "read_image",
    "sample_outcome",
    "still_estimator",
    "subsample",
]


class GazeDatasetName(StrEnum):
    """The data sets ``gazertc evaluate`` reads."""

    MPIIFACEGAZE = "mpiifacegaze"
    COLUMBIA = "columbia"
    GAZECAPTURE = "gazecapture"


DEFAULT_CALIBRATION_SAMPLES: Final = 16
"""Calibration images per person, one target each: a 4x4 grid's worth. The screen calibration
model refuses fewer than 12 samples (``gazertc.vision.calibration.MIN_SAMPLES``), so the 3x3
grid of webcam trackers, with one image per target, is not enough here."""


GazeEstimator = Callable[[BgrImage, CameraIntrinsics | None], GazeSample]
"""The pipeline under evaluation: an image and the camera's intrinsics (``None``: unknown) in,
a gaze sample out."""


def still_estimator(models: PipelineModels | None = None) -> GazeEstimator:
    """The still-image pipeline (:func:`gazertc.vision.tracker.estimate`) with shared models."""
    shared = models or PipelineModels()

    def run(image: BgrImage, intrinsics: CameraIntrinsics | None) -> GazeSample:
        return estimate(image, intrinsics=intrinsics, models=shared)

    return run


class SampleOutcome(StrEnum):
    """What the pipeline made of one image."""

    USED = "used"
    NO_FACE = "no_face"
    """No face was found: counted and left out."""
    NO_GAZE = "no_gaze"
    """A face but no gaze (eyes closed, or no iris found), or for MPIIFaceGaze without the
    features the screen calibration uses: counted and left out."""


def sample_outcome(sample: GazeSample) -> SampleOutcome:
    """What the pipeline made of an image, from its gaze sample."""
    if not sample.face_found:
        return SampleOutcome.NO_FACE
    return SampleOutcome.USED if sample.gaze is not None else SampleOutcome.NO_GAZE


def read_image(path: Path) -> BgrImage:
    """A colour image file as BGR.

    Raises:
        InputError: the file cannot be read as an image.
    """
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"cannot read an image from {path}")
    return np.asarray(image, dtype=np.uint8)


def angular_error_deg(predicted: Iterable[float], truth: Iterable[float]) -> float:
    """The angle between two 3D directions (need not be unit length), degrees in [0, 180].

    Raises:
        InputError: a vector is not a finite, non-zero 3-vector.
    """
    a = np.asarray(tuple(predicted), dtype=np.float64)
    b = np.asarray(tuple(truth), dtype=np.float64)
    for vector in (a, b):
        if vector.shape != (3,) or not np.isfinite(vector).all() or not vector.any():
            raise InputError(f"a direction must be a finite, non-zero 3-vector, got {vector!r}")
    # atan2 of the cross and dot products stays accurate for tiny angles, unlike acos.
    return math.degrees(math.atan2(float(np.linalg.norm(np.cross(a, b))), float(np.dot(a, b))))


def calibration_split(
    item_count: int, calibration_count: int, *, seed: int, key: str = ""
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Indices ``(calibration, evaluation)`` of ``item_count`` items, both sorted.

    ``calibration_count`` indices are drawn at random from a generator seeded by ``seed`` and
    ``key`` (e.g. the person's id, so that people do not share one draw); the rest evaluate.

    Raises:
        InputError: ``calibration_count`` is below 1 or leaves nothing to evaluate.
    """
    if calibration_count < 1 or calibration_count >= item_count:
        raise InputError(
            f"cannot calibrate on {calibration_count} of {item_count} samples "
            "(need at least 1, and at least one left to evaluate)"
        )
    rng = np.random.default_rng([seed, *key.encode("utf-8")])
    chosen = {int(index) for index in rng.choice(item_count, calibration_count, replace=False)}
    calibration = tuple(sorted(chosen))
    evaluation = tuple(index for index in range(item_count) if index not in chosen)
    return calibration, evaluation


def mean(values: Iterable[float]) -> float:
    """The mean; ``nan`` for no values."""
    collected = list(values)
    return float(np.mean(collected)) if collected else math.nan


def median(values: Iterable[float]) -> float:
    """The median; ``nan`` for no values."""
    collected = list(values)
    return float(np.median(collected)) if collected else math.nan


def subsample(count: int, limit: int | None, *, seed: int, key: str) -> tuple[int, ...]:
    """Sorted indices of ``limit`` of ``count`` items, drawn at random from a generator seeded
    by ``seed`` and ``key``; all of them when ``limit`` is ``None`` or not below ``count``."""
    if limit is None or limit >= count:
        return tuple(range(count))
    rng = np.random.default_rng([seed, *key.encode("utf-8"), 1])
    return tuple(sorted(int(i) for i in rng.choice(count, limit, replace=False)))


def has_calibration_features(sample: GazeSample, intrinsics: CameraIntrinsics) -> bool:
    """Whether the sample has the features the default screen calibration model uses."""
    features = FrameFeatures.from_sample(sample, intrinsics)
    return features.eye_signal(DEFAULT_FEATURES.kind) is not None and (
        features.head is not None or not DEFAULT_FEATURES.head_pose
    )
