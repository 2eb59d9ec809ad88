"""Gaze data sets with ground truth, read in their original layout, and the evaluation protocol.

Neither data set is shipped or downloaded: a user points :func:`load_mpiifacegaze` or
:func:`load_columbia` at their own copy, unpacked as published. Every figure this module
produces is measured on that copy; nothing here claims an accuracy by itself.

MPIIFaceGaze
============
Source: the data set's ``readme.txt`` (CC BY-NC-SA 4.0, non-commercial research), as published on
https://www.perceptualui.org/research/datasets/MPIIFaceGaze/ (a copy is kept in the
``AlessandroRuzzi/GazeNeRF`` repository, ``data/mpii_face_gaze/readme.txt``). Layout::

    <root>/pXX/pXX.txt                     one line per image, p00 ... p14
    <root>/pXX/dayNN/NNNN.jpg              the laptop camera's images
    <root>/pXX/Calibration/Camera.mat      cameraMatrix (3x3), distCoeffs (1x5)
    <root>/pXX/Calibration/monitorPose.mat rvects (3x1, Rodrigues), tvecs (3x1, mm)
    <root>/pXX/Calibration/screenSize.mat  width_pixel, height_pixel, width_mm, height_mm

Each annotation line holds 28 space-separated fields (the readme's "dimensions", 1-based):

* 1: image path relative to ``pXX/`` (``dayNN/NNNN.jpg``);
* 2-3: gaze target on the screen, screen pixels (x right, y down, origin top-left);
* 4-15: six facial landmarks ``(x, y)`` in image pixels: four eye corners, two mouth corners;
* 16-21: head pose from the 6-point face model, camera frame: rotation (Rodrigues, 16-18) and
  translation (mm, 19-21);
* 22-24 ``fc``: face centre (mean of the six model points), camera frame, mm;
* 25-27 ``gt``: the gaze target, camera frame, mm. "The gaze direction can be calculated as
  gt - fc";
* 28: which eye ("left" or "right") the MPIIGaze evaluation subset used (the readme does not say
  whose left; kept as written).

The readme spells the monitor pose's rotation key ``rvecs``, but the published files (and the
code that reads them, e.g. GazeHub's 2D-to-3D conversion) use ``rvects``; both are accepted.
Screen to camera (the same conversion GazeHub uses): a screen pixel ``(u, v)`` is the point
``p = (u * width_mm / width_pixel, v * height_mm / height_pixel, 0)`` in the monitor frame, and
``R p + t`` in the camera frame, with ``R = Rodrigues(rvects)``, ``t = tvecs``. Since ``gt`` is
the target so converted, :attr:`MpiiPersonResult.target_mismatch_mm` reports how far apart the
two are on a user's copy: a check that this reading of the files is right.

Protocol (:func:`evaluate_mpiifacegaze`). Per person: the images are undistorted with
``Camera.mat`` and run through the pipeline with that camera matrix as intrinsics. Images with no
face, or a face whose gaze is unknown (eyes closed, or without the features the calibration model
uses), are counted and left out. Of the rest, ``calibration_samples`` (default
:data:`DEFAULT_CALIBRATION_SAMPLES`, 16) are drawn at random with a seed fixed per person
(:func:`calibration_split`), a
:class:`~gazertc.vision.calibration.CalibrationModel` is fitted on their gaze samples and
on-screen targets, and every other image is evaluated:

* on-screen error: distance between the predicted and the true screen point, mm;
* angular error: the predicted screen point is taken to the camera frame as above, and the angle
  between ``predicted - fc`` and ``gt - fc`` is the error (so both rays start at the data set's
  face centre, and only the screen points differ);
* uncalibrated angular error: the angle between the pipeline's own gaze direction (camera frame)
  and ``gt - fc``, before any calibration.

Columbia Gaze
=============
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

import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
from scipy.io import loadmat
from scipy.io.matlab import MatReadError

from gazertc.errors import InputError
from gazertc.vision.calibration import (
    DEFAULT_FEATURES,
    CalibrationError,
    CalibrationModel,
    CalibrationSample,
    FrameFeatures,
    ScreenPoint,
)
from gazertc.vision.gaze import angles_from_direction, direction_from_angles
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import ScreenGeometry
from gazertc.vision.tracker import PipelineModels, estimate
from gazertc.vision.types import BgrImage, GazeSample, PointPx, Vector3

__all__ = [
    "COLUMBIA_CALIBRATION_LABELS",
    "COLUMBIA_HORIZONTAL_SIGN",
    "COLUMBIA_VERTICAL_SIGN",
    "DEFAULT_CALIBRATION_SAMPLES",
    "AngleCorrection",
    "ColumbiaEvaluation",
    "ColumbiaGroupResult",
    "ColumbiaPrediction",
    "ColumbiaSample",
    "GazeDatasetName",
    "GazeEstimator",
    "MpiiCamera",
    "MpiiEvaluation",
    "MpiiPerson",
    "MpiiPersonResult",
    "MpiiPrediction",
    "MpiiSample",
    "MpiiScreen",
    "SampleOutcome",
    "angular_error_deg",
    "calibration_split",
    "evaluate_columbia",
    "evaluate_mpii_person",
    "evaluate_mpiifacegaze",
    "fit_screen_calibration",
    "load_columbia",
    "load_mpii_person",
    "load_mpiifacegaze",
    "mpii_errors",
    "parse_columbia_name",
    "parse_mpii_line",
    "relative_to_camera_deg",
    "still_estimator",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


class GazeDatasetName(StrEnum):
    """The data sets ``gazertc evaluate`` reads."""

    MPIIFACEGAZE = "mpiifacegaze"
    COLUMBIA = "columbia"


DEFAULT_CALIBRATION_SAMPLES: Final = 16
"""Calibration images per person, one target each: a 4x4 grid's worth. The screen calibration
model refuses fewer than 12 samples (``gazertc.vision.calibration.MIN_SAMPLES``), so the 3x3
grid of webcam trackers, with one image per target, is not enough here."""

MPII_FIELD_COUNT: Final = 28
MPII_PERSON_PATTERN: Final = re.compile(r"^p\d\d$")

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

TARGET_MISMATCH_WARNING_MM: Final = 10.0
"""Above this median distance between ``gt`` and the converted screen target, the monitor-pose
reading is suspect (a wrong rotation convention is off by hundreds of mm)."""

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


def _outcome(sample: GazeSample) -> SampleOutcome:
    if not sample.face_found:
        return SampleOutcome.NO_FACE
    return SampleOutcome.USED if sample.gaze is not None else SampleOutcome.NO_GAZE


def _read_image(path: Path) -> BgrImage:
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


# --- MPIIFaceGaze ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MpiiSample:
    """One line of ``pXX.txt`` (see the module docstring), paths resolved.

    ``landmarks_px`` are the six annotated points (four eye corners, two mouth corners) in image
    pixels; ``head_rotation_vector`` (Rodrigues) and ``head_translation_mm`` the annotated head
    pose; ``face_centre_mm`` (``fc``) and ``target_mm`` (``gt``) camera-frame points in mm.
    """

    person_id: str
    image_path: Path
    target_screen_px: PointPx
    landmarks_px: tuple[PointPx, ...]
    head_rotation_vector: Vector3
    head_translation_mm: Vector3
    face_centre_mm: Vector3
    target_mm: Vector3
    evaluation_eye: Literal["left", "right"]

    @property
    def gaze_direction(self) -> Vector3:
        """``gt - fc``: the true gaze direction in the camera frame (not unit length)."""
        return _vector3(np.subtract(self.target_mm, self.face_centre_mm))


@dataclass(frozen=True, slots=True)
class MpiiScreen:
    """The laptop screen of one person (``screenSize.mat`` and ``monitorPose.mat``).

    ``rotation_vector`` (Rodrigues) and ``translation_mm`` take monitor-frame points (mm, x right
    and y down from the screen's top-left corner, z = 0 on the screen) to the camera frame.
    """

    width_px: float
    height_px: float
    width_mm: float
    height_mm: float
    rotation_vector: Vector3
    translation_mm: Vector3

    def screen_mm(self, point_px: PointPx) -> tuple[float, float]:
        """A screen pixel as millimetres from the screen's top-left corner."""
        return (
            point_px[0] * self.width_mm / self.width_px,
            point_px[1] * self.height_mm / self.height_px,
        )

    def camera_mm(self, point_px: PointPx) -> Vector3:
        """A screen pixel as a camera-frame point, mm."""
        x_mm, y_mm = self.screen_mm(point_px)
        rotation, _ = cv2.Rodrigues(np.asarray(self.rotation_vector, dtype=np.float64))
        point = np.asarray(rotation, np.float64) @ np.array([x_mm, y_mm, 0.0])
        return _vector3(point + np.asarray(self.translation_mm, dtype=np.float64))


@dataclass(frozen=True, slots=True)
class MpiiCamera:
    """``Camera.mat``: the laptop camera's 3x3 matrix and OpenCV distortion coefficients."""

    matrix: tuple[tuple[float, float, float], ...]
    distortion: tuple[float, ...]

    @property
    def intrinsics(self) -> CameraIntrinsics:
        """The pinhole intrinsics, valid for images undistorted by :meth:`undistort`."""
        (fx, _, cx), (_, fy, cy), _ = self.matrix
        return CameraIntrinsics(fx, fy, cx, cy)

    def undistort(self, image: BgrImage) -> BgrImage:
        """The image with lens distortion removed, same camera matrix."""
        matrix = np.asarray(self.matrix, dtype=np.float64)
        distortion = np.asarray(self.distortion, dtype=np.float64)
        return np.asarray(cv2.undistort(image, matrix, distortion), dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class MpiiPerson:
    """One participant folder ``pXX``: calibration files and annotated samples, in file order."""

    person_id: str
    folder: Path
    camera: MpiiCamera
    screen: MpiiScreen
    samples: tuple[MpiiSample, ...]


def _vector3(values: npt.ArrayLike) -> Vector3:
    x, y, z = (float(v) for v in np.asarray(values, dtype=np.float64).reshape(3))
    return (x, y, z)


def parse_mpii_line(line: str, person_folder: Path) -> MpiiSample:
    """One annotation line of ``pXX.txt``; the image path is resolved against ``person_folder``.

    Raises:
        InputError: the line does not have 28 fields, a number does not parse, or the last
            field is not "left" or "right".
    """
    fields = line.split()
    if len(fields) != MPII_FIELD_COUNT:
        raise InputError(
            f"an MPIIFaceGaze annotation line has {MPII_FIELD_COUNT} fields, got {len(fields)}: "
            f"{line.strip()[:80]!r}"
        )
    eye = fields[27].lower()
    if eye not in ("left", "right"):
        raise InputError(f"field 28 must be 'left' or 'right', got {fields[27]!r}")
    try:
        numbers = [float(field) for field in fields[1:27]]
    except ValueError as exc:
        raise InputError(f"not a number in {line.strip()[:80]!r}: {exc}") from exc
    if not all(math.isfinite(number) for number in numbers):
        raise InputError(f"non-finite number in {line.strip()[:80]!r}")
    landmarks = tuple((numbers[i], numbers[i + 1]) for i in range(2, 14, 2))
    return MpiiSample(
        person_id=person_folder.name,
        image_path=person_folder / fields[0],
        target_screen_px=(numbers[0], numbers[1]),
        landmarks_px=landmarks,
        head_rotation_vector=_vector3(numbers[14:17]),
        head_translation_mm=_vector3(numbers[17:20]),
        face_centre_mm=_vector3(numbers[20:23]),
        target_mm=_vector3(numbers[23:26]),
        evaluation_eye="left" if eye == "left" else "right",
    )


def _load_mat(path: Path, keys: Sequence[str]) -> dict[str, FloatArray]:
    """The named arrays of a MATLAB file; each key may list alternatives as ``"a|b"``.

    Raises:
        InputError: the file is missing or unreadable, or a key is absent.
    """
    if not path.is_file():
        raise InputError(f"missing MPIIFaceGaze calibration file {path}")
    try:
        contents = loadmat(str(path))
    except (OSError, ValueError, TypeError, NotImplementedError, MatReadError) as exc:
        raise InputError(f"cannot read {path} as a MATLAB file: {exc}") from exc
    found: dict[str, FloatArray] = {}
    for key in keys:
        names = key.split("|")
        present = [name for name in names if name in contents]
        if not present:
            stored = sorted(name for name in contents if not name.startswith("__"))
            raise InputError(f"{path} has no {' or '.join(names)} (it holds {stored})")
        try:
            found[names[0]] = np.asarray(contents[present[0]], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{path}: {present[0]} is not numeric: {exc}") from exc
    return found


def _scalar(values: FloatArray, what: str) -> float:
    if values.size != 1 or not math.isfinite(float(values.reshape(-1)[0])):
        raise InputError(f"{what} must be one finite number, got {values.tolist()}")
    return float(values.reshape(-1)[0])


def load_mpii_person(folder: Path) -> MpiiPerson:
    """One participant folder ``pXX`` in the original layout.

    Raises:
        InputError: the annotation file or a calibration file is missing or malformed.
    """
    person_id = folder.name
    annotation = folder / f"{person_id}.txt"
    if not annotation.is_file():
        raise InputError(
            f"{folder} is not an MPIIFaceGaze participant folder: no {annotation.name}"
        )
    calibration = folder / "Calibration"
    camera_mat = _load_mat(calibration / "Camera.mat", ["cameraMatrix", "distCoeffs"])
    matrix = camera_mat["cameraMatrix"]
    if matrix.shape != (3, 3) or not np.isfinite(matrix).all():
        raise InputError(f"{calibration / 'Camera.mat'}: cameraMatrix is not a finite 3x3 matrix")
    camera = MpiiCamera(
        matrix=tuple(_vector3(row) for row in matrix),
        distortion=tuple(float(v) for v in camera_mat["distCoeffs"].reshape(-1)),
    )
    pose = _load_mat(calibration / "monitorPose.mat", ["rvects|rvecs", "tvecs"])
    size = _load_mat(
        calibration / "screenSize.mat", ["width_pixel", "height_pixel", "width_mm", "height_mm"]
    )
    try:
        screen = MpiiScreen(
            width_px=_scalar(size["width_pixel"], "width_pixel"),
            height_px=_scalar(size["height_pixel"], "height_pixel"),
            width_mm=_scalar(size["width_mm"], "width_mm"),
            height_mm=_scalar(size["height_mm"], "height_mm"),
            rotation_vector=_vector3(pose["rvects"]),
            translation_mm=_vector3(pose["tvecs"]),
        )
    except ValueError as exc:  # a pose vector without three values
        raise InputError(f"{calibration / 'monitorPose.mat'}: {exc}") from exc
    if min(screen.width_px, screen.height_px, screen.width_mm, screen.height_mm) <= 0.0:
        raise InputError(f"{calibration / 'screenSize.mat'}: screen sizes must be positive")
    try:
        lines = annotation.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {annotation}: {exc}") from exc
    samples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            samples.append(parse_mpii_line(line, folder))
        except InputError as exc:
            raise InputError(f"{annotation}, line {number}: {exc}") from exc
    if not samples:
        raise InputError(f"{annotation} holds no annotation line")
    return MpiiPerson(person_id, folder, camera, screen, tuple(samples))


def load_mpiifacegaze(root: Path) -> list[MpiiPerson]:
    """Every participant under an MPIIFaceGaze copy (``root/pXX/pXX.txt``), sorted by id.

    ``root`` may also be a single participant folder.

    Raises:
        InputError: ``root`` is not a folder, holds no participant folder, or one is malformed.
    """
    if not root.is_dir():
        raise InputError(f"{root} is not a folder")
    if MPII_PERSON_PATTERN.match(root.name) and (root / f"{root.name}.txt").is_file():
        return [load_mpii_person(root)]
    folders = sorted(
        path for path in root.iterdir() if path.is_dir() and MPII_PERSON_PATTERN.match(path.name)
    )
    if not folders:
        raise InputError(
            f"no MPIIFaceGaze participant folders (p00 ... p14, each with pXX.txt) in {root}"
        )
    return [load_mpii_person(folder) for folder in folders]


@dataclass(frozen=True, slots=True)
class MpiiPrediction:
    """One evaluated image: the calibrated screen point and its errors."""

    sample: MpiiSample
    predicted_screen_px: PointPx
    screen_error_mm: float
    angular_error_deg: float
    uncalibrated_angular_error_deg: float


def mpii_errors(
    screen: MpiiScreen, sample: MpiiSample, predicted_screen_px: PointPx
) -> tuple[float, float]:
    """``(on-screen error mm, angular error deg)`` of a predicted screen point for ``sample``.

    The angle is between ``camera(predicted) - fc`` and ``gt - fc`` (module docstring).

    Raises:
        InputError: a point is not finite, or the prediction sits on the face centre.
    """
    if not all(math.isfinite(v) for v in predicted_screen_px):
        raise InputError(f"a predicted screen point must be finite, got {predicted_screen_px}")
    predicted_mm = screen.screen_mm(predicted_screen_px)
    true_mm = screen.screen_mm(sample.target_screen_px)
    on_screen_mm = math.dist(predicted_mm, true_mm)
    predicted_ray = np.subtract(screen.camera_mm(predicted_screen_px), sample.face_centre_mm)
    return on_screen_mm, angular_error_deg(predicted_ray, sample.gaze_direction)


@dataclass(frozen=True, slots=True)
class MpiiPersonResult:
    """One person's evaluation.

    ``outcomes`` counts every image by :class:`SampleOutcome`; ``predictions`` holds the
    evaluation images only (not the calibration ones). ``skipped_reason`` says why a person has
    no predictions. ``target_mismatch_mm`` is the median distance between ``gt`` and the screen
    target converted to the camera frame (module docstring), over all the person's images.
    """

    person_id: str
    image_count: int
    faces_not_found: int
    gaze_unknown: int
    calibration_count: int
    predictions: tuple[MpiiPrediction, ...]
    target_mismatch_mm: float
    skipped_reason: str | None = None

    @property
    def mean_angular_error_deg(self) -> float:
        return _mean(p.angular_error_deg for p in self.predictions)

    @property
    def median_angular_error_deg(self) -> float:
        return _median(p.angular_error_deg for p in self.predictions)

    @property
    def mean_screen_error_mm(self) -> float:
        return _mean(p.screen_error_mm for p in self.predictions)

    @property
    def mean_uncalibrated_angular_error_deg(self) -> float:
        return _mean(p.uncalibrated_angular_error_deg for p in self.predictions)


@dataclass(frozen=True, slots=True)
class MpiiEvaluation:
    """Per-person results; the pooled figures weight every evaluated image equally."""

    persons: tuple[MpiiPersonResult, ...]
    calibration_samples: int
    seed: int

    @property
    def predictions(self) -> tuple[MpiiPrediction, ...]:
        return tuple(p for person in self.persons for p in person.predictions)

    @property
    def image_count(self) -> int:
        return sum(person.image_count for person in self.persons)

    @property
    def faces_not_found(self) -> int:
        return sum(person.faces_not_found for person in self.persons)

    @property
    def gaze_unknown(self) -> int:
        return sum(person.gaze_unknown for person in self.persons)


def _mean(values: Iterable[float]) -> float:
    collected = list(values)
    return float(np.mean(collected)) if collected else math.nan


def _median(values: Iterable[float]) -> float:
    collected = list(values)
    return float(np.median(collected)) if collected else math.nan


def _subsample(count: int, limit: int | None, *, seed: int, key: str) -> tuple[int, ...]:
    if limit is None or limit >= count:
        return tuple(range(count))
    rng = np.random.default_rng([seed, *key.encode("utf-8"), 1])
    return tuple(sorted(int(i) for i in rng.choice(count, limit, replace=False)))


def fit_screen_calibration(
    person: MpiiPerson, calibration: Sequence[tuple[MpiiSample, GazeSample]]
) -> CalibrationModel:
    """A :class:`~gazertc.vision.calibration.CalibrationModel` (default features) fitted on the
    pipeline samples of ``calibration`` and their screen targets. Each image is its own target
    (MPIIFaceGaze targets are random points); screen pixels are taken as CSS pixels at device
    pixel ratio 1, with the physical size from ``screenSize.mat``.

    Raises:
        CalibrationError: too few samples survive the model's selection.
    """
    screen = ScreenGeometry(
        width_css_px=round(person.screen.width_px),
        height_css_px=round(person.screen.height_px),
        width_mm=person.screen.width_mm,
        height_mm=person.screen.height_mm,
    )
    samples = [
        CalibrationSample.from_gaze_sample(
            gaze_sample,
            ScreenPoint(*sample.target_screen_px),
            target_id=index,
            intrinsics=person.camera.intrinsics,
        )
        for index, (sample, gaze_sample) in enumerate(calibration)
    ]
    return CalibrationModel.fit(samples, screen)


def _has_calibration_features(sample: GazeSample, intrinsics: CameraIntrinsics) -> bool:
    features = FrameFeatures.from_sample(sample, intrinsics)
    return features.eye_signal(DEFAULT_FEATURES.kind) is not None and (
        features.head is not None or not DEFAULT_FEATURES.head_pose
    )


def evaluate_mpii_person(
    person: MpiiPerson,
    estimator: GazeEstimator,
    *,
    calibration_samples: int = DEFAULT_CALIBRATION_SAMPLES,
    seed: int = 0,
    max_images: int | None = None,
) -> MpiiPersonResult:
    """Run the protocol (module docstring) on one person.

    ``max_images`` evaluates a seeded random subset of the person's images (all by default).

    Raises:
        InputError: an image cannot be read, or ``calibration_samples`` is below 1.
    """
    if calibration_samples < 1:
        raise InputError(f"calibration_samples must be at least 1, got {calibration_samples}")
    chosen = [
        person.samples[i]
        for i in _subsample(len(person.samples), max_images, seed=seed, key=person.person_id)
    ]
    mismatch = _median(
        math.dist(person.screen.camera_mm(s.target_screen_px), s.target_mm) for s in chosen
    )
    if mismatch > TARGET_MISMATCH_WARNING_MM:
        logger.warning(
            "%s: gt and the screen target converted with monitorPose differ by %.0f mm (median)",
            person.person_id,
            mismatch,
        )
    intrinsics = person.camera.intrinsics
    used: list[tuple[MpiiSample, GazeSample]] = []
    counts = dict.fromkeys(SampleOutcome, 0)
    for sample in chosen:
        image = person.camera.undistort(_read_image(sample.image_path))
        gaze_sample = estimator(image, intrinsics)
        outcome = _outcome(gaze_sample)
        if outcome is SampleOutcome.USED and not _has_calibration_features(gaze_sample, intrinsics):
            outcome = SampleOutcome.NO_GAZE
        counts[outcome] += 1
        if outcome is SampleOutcome.USED:
            used.append((sample, gaze_sample))
    logger.info("%s: %d images, %d usable", person.person_id, len(chosen), len(used))

    def result(
        predictions: tuple[MpiiPrediction, ...], calibrated: int, reason: str | None
    ) -> MpiiPersonResult:
        return MpiiPersonResult(
            person_id=person.person_id,
            image_count=len(chosen),
            faces_not_found=counts[SampleOutcome.NO_FACE],
            gaze_unknown=counts[SampleOutcome.NO_GAZE],
            calibration_count=calibrated,
            predictions=predictions,
            target_mismatch_mm=mismatch,
            skipped_reason=reason,
        )

    if len(used) <= calibration_samples:
        return result((), 0, f"{len(used)} usable images, need more than {calibration_samples}")
    calibration, evaluation = calibration_split(
        len(used), calibration_samples, seed=seed, key=person.person_id
    )
    try:
        model = fit_screen_calibration(person, [used[i] for i in calibration])
    except CalibrationError as exc:
        return result((), 0, f"calibration failed: {exc}")
    predictions = []
    for index in evaluation:
        sample, gaze_sample = used[index]
        assert gaze_sample.gaze is not None  # USED implies a gaze
        point = model.predict(gaze_sample, intrinsics)
        if point is None:  # cannot happen: used samples have the features (checked above)
            logger.warning("%s: no prediction for %s", person.person_id, sample.image_path)
            continue
        predicted = (point.x_css_px, point.y_css_px)
        screen_mm, angle_deg = mpii_errors(person.screen, sample, predicted)
        predictions.append(
            MpiiPrediction(
                sample=sample,
                predicted_screen_px=predicted,
                screen_error_mm=screen_mm,
                angular_error_deg=angle_deg,
                uncalibrated_angular_error_deg=angular_error_deg(
                    gaze_sample.gaze.direction, sample.gaze_direction
                ),
            )
        )
    return result(tuple(predictions), len(calibration), None)


def evaluate_mpiifacegaze(
    persons: Sequence[MpiiPerson],
    estimator: GazeEstimator,
    *,
    calibration_samples: int = DEFAULT_CALIBRATION_SAMPLES,
    seed: int = 0,
    max_images_per_person: int | None = None,
) -> MpiiEvaluation:
    """The MPIIFaceGaze protocol (module docstring) over every person.

    Raises:
        InputError: an image cannot be read, or ``calibration_samples`` is below 1.
    """
    results = tuple(
        evaluate_mpii_person(
            person,
            estimator,
            calibration_samples=calibration_samples,
            seed=seed,
            max_images=max_images_per_person,
        )
        for person in persons
    )
    return MpiiEvaluation(results, calibration_samples, seed)


# --- Columbia Gaze -----------------------------------------------------------------------------


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
        return _mean(p.uncalibrated_error_deg for p in self.predictions)

    @property
    def mean_calibrated_error_deg(self) -> float:
        return _mean(
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
        gaze_sample = estimator(_read_image(sample.image_path), intrinsics)
        outcome = _outcome(gaze_sample)
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
