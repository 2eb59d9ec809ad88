"""MPIIFaceGaze, read in its original layout, and its evaluation protocol.

The data set is not shipped or downloaded: a user points :func:`load_mpiifacegaze` at their
own copy, unpacked as published. Every figure this module produces is measured on that copy;
nothing here claims an accuracy by itself. What it shares with the other data sets is in
:mod:`gazertc.evaluation.gaze_common`.

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
:data:`~gazertc.evaluation.gaze_common.DEFAULT_CALIBRATION_SAMPLES`, 16) are drawn at random
with a seed fixed per person (:func:`~gazertc.evaluation.gaze_common.calibration_split`), a
:class:`~gazertc.vision.calibration.CalibrationModel` is fitted on their gaze samples and
on-screen targets, and every other image is evaluated:

* on-screen error: distance between the predicted and the true screen point, mm;
* angular error: the predicted screen point is taken to the camera frame as above, and the angle
  between ``predicted - fc`` and ``gt - fc`` is the error (so both rays start at the data set's
  face centre, and only the screen points differ);
* uncalibrated angular error: the angle between the pipeline's own gaze direction (camera frame)
  and ``gt - fc``, before any calibration.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
from scipy.io import loadmat
from scipy.io.matlab import MatReadError

from gazertc.errors import InputError
from gazertc.evaluation.gaze_common import (
    DEFAULT_CALIBRATION_SAMPLES,
    GazeEstimator,
    SampleOutcome,
    angular_error_deg,
    calibration_split,
    has_calibration_features,
    mean,
    median,
    read_image,
    sample_outcome,
    subsample,
)
from gazertc.vision.calibration import (
    CalibrationError,
    CalibrationModel,
    CalibrationSample,
    ScreenPoint,
)
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import ScreenGeometry
from gazertc.vision.types import BgrImage, GazeSample, PointPx, Vector3

__all__ = [
    "MpiiCamera",
    "MpiiEvaluation",
    "MpiiPerson",
    "MpiiPersonResult",
    "MpiiPrediction",
    "MpiiSample",
    "MpiiScreen",
    "evaluate_mpii_person",
    "evaluate_mpiifacegaze",
    "fit_screen_calibration",
    "load_mpii_person",
    "load_mpiifacegaze",
    "mpii_errors",
    "parse_mpii_line",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


MPII_FIELD_COUNT: Final = 28
MPII_PERSON_PATTERN: Final = re.compile(r"^p\d\d$")

TARGET_MISMATCH_WARNING_MM: Final = 10.0
"""Above this median distance between ``gt`` and the converted screen target, the monitor-pose
reading is suspect (a wrong rotation convention is off by hundreds of mm)."""


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
        return mean(p.angular_error_deg for p in self.predictions)

    @property
    def median_angular_error_deg(self) -> float:
        return median(p.angular_error_deg for p in self.predictions)

    @property
    def mean_screen_error_mm(self) -> float:
        return mean(p.screen_error_mm for p in self.predictions)

    @property
    def mean_uncalibrated_angular_error_deg(self) -> float:
        return mean(p.uncalibrated_angular_error_deg for p in self.predictions)


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
        for i in subsample(len(person.samples), max_images, seed=seed, key=person.person_id)
    ]
    mismatch = median(
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
        image = person.camera.undistort(read_image(sample.image_path))
        gaze_sample = estimator(image, intrinsics)
        outcome = sample_outcome(gaze_sample)
        if outcome is SampleOutcome.USED and not has_calibration_features(gaze_sample, intrinsics):
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
