"""Iris centre per eye, with sub-pixel output from the full-resolution eye region.

:class:`IrisLandmarkNetwork`: MediaPipe's iris landmark network run on eye crops cut from the
dlib landmarks, the locator the tracker uses. The baselines it is compared with on the annotated
pupils (``bench/eye_centre.py``) are in :mod:`gazertc.vision.iris_baselines`.

The locators take the six dlib contour points of one eye (``(6, 2)`` float, full-frame pixels, in
the order of :data:`gazertc.vision.landmarks.EYE_INDICES`: outer corner, two upper lid points,
inner corner, two lower lid points) and return full-frame pixel coordinates.
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from gazertc import models
from gazertc.errors import InputError, ModelFileError
from gazertc.native_output import filtered_stderr
from gazertc.vision.frame import CameraFrame
from gazertc.vision.iris_refine import refined_iris_centre_px
from gazertc.vision.landmarks import INNER_CORNER, OUTER_CORNER
from gazertc.vision.types import EyeSide, PointPx

__all__ = [
    "CLOSED_NETWORK_OPENNESS",
    "CROP_SIDE_PER_EYE_WIDTH",
    "IRIS_MODEL_ENV",
    "MIRRORED_SIDES",
    "EyeLandmarks",
    "EyePoints",
    "IrisEstimate",
    "IrisLandmarkNetwork",
    "IrisModel",
    "check_eye_points",
    "check_image",
    "default_iris_model",
    "eye_crop_affine",
]

ColourImage = npt.NDArray[np.uint8]
GreyImage = npt.NDArray[np.uint8]
EyePoints = npt.NDArray[np.float64]
Affine = npt.NDArray[np.float64]

NETWORK_INPUT_PX = 64
"""The iris network's input is a 64x64 RGB crop."""

CROP_SIDE_PER_EYE_WIDTH = 2.3
"""Crop side over the eye-corner distance, as MediaPipe. On the annotated pupils 2.0 is worse
(worst face 0.046 against 0.042) and at 2.6 one narrowed eye reads as closed."""

MIRRORED_SIDES: frozenset[EyeSide] = frozenset({EyeSide.LEFT})
"""Eyes mirrored before the network sees them: the subject's left, so that every crop looks like
a right eye, as MediaPipe does. On the 22 visible annotated eyes of 6 faces and their mirror
images, right-eye-like crops err 0.023 of the inter-pupil distance on average and left-eye-like
ones 0.032. Worse-eye error over the 12 faces: median 0.030, every face within 0.042; mirroring no
eye gives median 0.029 but a worst face of 0.127 (bench/eye_centre.py)."""

CLOSED_NETWORK_OPENNESS = 0.12
"""Below this lid gap over eye width (from the network's own lid contour) the eye is treated as
closed and gets no estimate. Closed eyes in the Talking Face video (dlib eye aspect ratio below
0.11) measure 0.05-0.16, 95 % below 0.12; open ones 0.28-0.41; the narrowest open annotated eye
0.154."""

OPEN_NETWORK_OPENNESS = 0.25
"""From this lid gap over eye width up the lids no longer lower the confidence."""

ROUND_IRIS_SPREAD = 0.06
"""Spread (standard deviation over mean) of the four iris boundary radii up to which the iris
counts as round. Open eyes in the Talking Face video: all below 0.05."""

NOT_AN_IRIS_SPREAD = 0.15
"""Spread at which confidence reaches 0: crops of false faces and blur in the still images reach
0.13-0.43."""

CENTRE_INSIDE_PER_RADIUS = 0.25
"""How far (in iris radii) the iris centre must lie inside the lid contour for full confidence. A
centre on or outside the lids is a guess at a hidden iris (closed eyes in the Talking Face video:
median -0.18 radii; open eyes: 0.49-0.91)."""

_OPENING = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 15, 14, 13, 12, 11, 10, 9])
"""The network's first 16 contour points in polygon order: outer corner 0, lower lid 1-7, inner
corner 8, upper lid 9-15 (numbered from the outer corner)."""

_LID_PAIRS = ((11, 3), (12, 4), (13, 5))
"""Upper and lower lid points facing each other across the middle of the eye."""


@dataclass(frozen=True, slots=True)
class IrisEstimate:
    """Where one iris is.

    ``centre_px`` is in full-frame pixels, sub-pixel. ``radius_px`` is the iris radius in pixels,
    ``None`` when the method does not measure it. ``confidence`` is in [0, 1]; each method's
    docstring says how it is computed.
    """

    centre_px: PointPx
    radius_px: float | None
    confidence: float


@dataclass(frozen=True, slots=True, eq=False)
class EyeLandmarks:
    """Everything the iris network says about one eye, in full-frame pixels.

    ``iris_px`` is ``(5, 2)``: the iris centre, then four points on its boundary. ``contour_px`` is
    ``(71, 2)``: the first 16 outline the eye opening (0 the outer corner, 1-7 the lower lid, 8 the
    inner corner, 9-15 the upper lid, when the crop was shown as a right eye, the default), the
    rest the brow and the skin around the eye.
    ``openness`` is the lid gap over the corner distance (about 0.3-0.4 open, below
    :data:`CLOSED_NETWORK_OPENNESS` closed). ``iris_spread`` is the standard deviation over the mean
    of the four boundary radii (0 for a circle). ``centre_inside_radii`` is the signed distance of
    the iris centre inside the eye opening, in iris radii (negative outside it).
    """

    side: EyeSide
    iris_px: npt.NDArray[np.float64]
    contour_px: npt.NDArray[np.float64]
    openness: float
    iris_spread: float
    centre_inside_radii: float

    @property
    def centre_px(self) -> PointPx:
        return (float(self.iris_px[0, 0]), float(self.iris_px[0, 1]))

    @property
    def radius_px(self) -> float:
        return float(np.linalg.norm(self.iris_px[1:] - self.iris_px[0], axis=1).mean())

    @property
    def is_closed(self) -> bool:
        return self.openness < CLOSED_NETWORK_OPENNESS

    @property
    def confidence(self) -> float:
        """The product of three factors, each in [0, 1], 0 for a closed eye.

        Openness: 0 at :data:`CLOSED_NETWORK_OPENNESS`, rising linearly to 1 at
        :data:`OPEN_NETWORK_OPENNESS`. Roundness: 1 up to :data:`ROUND_IRIS_SPREAD`, falling to 0
        at :data:`NOT_AN_IRIS_SPREAD`. Visibility: 0 when the centre is outside the eye opening,
        rising to 1 at :data:`CENTRE_INSIDE_PER_RADIUS` radii inside it.
        """
        openness = _ramp(self.openness, CLOSED_NETWORK_OPENNESS, OPEN_NETWORK_OPENNESS)
        roundness = 1.0 - _ramp(self.iris_spread, ROUND_IRIS_SPREAD, NOT_AN_IRIS_SPREAD)
        visibility = _ramp(self.centre_inside_radii, 0.0, CENTRE_INSIDE_PER_RADIUS)
        return openness * roundness * visibility


def _ramp(value: float, low: float, high: float) -> float:
    """0 at or below ``low``, 1 at or above ``high``, linear between."""
    return float(min(1.0, max(0.0, (value - low) / (high - low))))


def check_eye_points(eye_points: EyePoints) -> EyePoints:
    """The six eye points as a float array; :class:`InputError` when malformed."""
    points = np.asarray(eye_points, dtype=np.float64)
    if points.shape != (6, 2) or not np.all(np.isfinite(points)):
        raise InputError(f"expected (6, 2) finite eye points, got shape {points.shape}")
    if np.linalg.norm(points[INNER_CORNER] - points[OUTER_CORNER]) < 1.0:
        raise InputError("the eye corners are less than a pixel apart")
    return points


def check_image(image: npt.NDArray[np.uint8], channels: int | None) -> None:
    """:class:`InputError` unless ``image`` is non-empty uint8 with ``channels`` (``None``:
    a 2D grey image)."""
    expected_ndim = 2 if channels is None else 3
    if (
        image.dtype != np.uint8
        or image.ndim != expected_ndim
        or (channels is not None and image.shape[2] != channels)
        or image.size == 0
    ):
        wanted = "2D grey" if channels is None else f"HxWx{channels}"
        raise InputError(
            f"expected a non-empty {wanted} uint8 image, got {image.dtype} {image.shape}"
        )


def eye_crop_affine(
    eye_points: EyePoints,
    *,
    mirrored: bool,
    crop_scale: float = CROP_SIDE_PER_EYE_WIDTH,
    level: bool = False,
) -> Affine:
    """The ``(2, 3)`` affine from full-frame pixels to the network's 64x64 crop.

    The crop is square, centred on the midpoint of the eye corners, ``crop_scale`` eye-corner
    distances wide; ``level`` rotates it so the corner line is horizontal; ``mirrored`` flips it
    left to right. Both ends use OpenCV's convention (pixel centres on integers), so
    ``cv2.warpAffine`` with this matrix cuts the crop and its inverse maps network outputs back.

    Raises:
        InputError: ``eye_points`` is malformed.
    """
    points = check_eye_points(eye_points)
    outer, inner = points[OUTER_CORNER], points[INNER_CORNER]
    centre = (outer + inner) / 2.0
    scale = NETWORK_INPUT_PX / (crop_scale * float(np.linalg.norm(inner - outer)))
    angle = 0.0
    if level:
        left, right = (outer, inner) if outer[0] <= inner[0] else (inner, outer)
        angle = math.atan2(right[1] - left[1], right[0] - left[0])
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    linear = np.array([[cos, sin], [-sin, cos]])
    if mirrored:
        linear[0] = -linear[0]
    middle = (NETWORK_INPUT_PX - 1) / 2.0
    return np.hstack([linear, (middle - linear @ centre)[:, None]])


class IrisModel(enum.Enum):
    """Which file of the iris network runs (docs/iris-int8.md compares them)."""

    FLOAT = "float"
    """MediaPipe's float32 file, as shipped."""
    INT8 = "int8"
    """Its int8 quantization, built here (``make iris-int8``): cheaper, slightly less accurate."""


IRIS_MODEL_ENV = "GAZERTC_IRIS_MODEL"
"""Environment variable naming the default :class:`IrisModel` (``float`` or ``int8``); ``gazertc
serve --iris-model`` sets it, so that worker processes inherit the choice."""

DEFAULT_IRIS_MODEL = IrisModel.FLOAT
"""Float stays the default: the int8 file's iris centres jitter 1.5 times as much on the webcam
clip, for a 13-17 % cheaper network call (docs/iris-int8.md)."""


def default_iris_model() -> IrisModel:
    """``$GAZERTC_IRIS_MODEL`` when set, else :data:`DEFAULT_IRIS_MODEL`.

    Raises:
        ValueError: the variable names no :class:`IrisModel`.
    """
    value = os.environ.get(IRIS_MODEL_ENV, "").strip().lower()
    if not value:
        return DEFAULT_IRIS_MODEL
    try:
        return IrisModel(value)
    except ValueError:
        choices = ", ".join(model.value for model in IrisModel)
        raise ValueError(f"{IRIS_MODEL_ENV}={value!r}: choose one of {choices}") from None


class IrisLandmarkNetwork:
    """MediaPipe's iris landmark network on eye crops cut from the dlib landmarks.

    The model loads on first use of each batch size (one interpreter per number of crops,
    ``num_threads=1``); one instance serves any number of trackers in the same thread, never
    several threads at once.

    Args:
        model_path: the ``.tflite`` file; when not given, ``model`` picks it from the model cache.
        model: float or int8 file (:func:`default_iris_model` when not given). The int8 file
            takes int8 input (quantized here from the float crops); both give float points.
        crop_scale: crop side over eye-corner distance.
        level_crop: rotate crops so the eye-corner line is level. Measured: no gain on the
            annotated pupils (median 0.031 against 0.030, same worst face).
        flip_average: also run each eye in the other orientation and average the two iris
            centres (the boundary and the contour come from the orientation ``mirrored_sides``
            gives). Measured at twice the network's cost: annotated pupils median 0.025 (against
            0.028) but a worst face of 0.050 (0.042); rendered eyes (a SIMULATION) no more
            accurate (docs/rendered-eyes.md).
        mirrored_sides: the eyes to mirror so that the network sees the orientation it expects.
        refine_centre: move each iris centre along the eye towards where the full-resolution
            frame is mirror-symmetric (:mod:`gazertc.vision.iris_refine`, which has the numbers).
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        model: IrisModel | None = None,
        crop_scale: float = CROP_SIDE_PER_EYE_WIDTH,
        level_crop: bool = False,
        flip_average: bool = False,
        mirrored_sides: Collection[EyeSide] = MIRRORED_SIDES,
        refine_centre: bool = True,
    ) -> None:
        if not 1.0 <= crop_scale <= 5.0:
            raise ValueError(f"crop_scale must be in [1, 5], got {crop_scale}")
        self._model_path = model_path
        self.model = default_iris_model() if model is None else model
        self.crop_scale = crop_scale
        self.level_crop = level_crop
        self.flip_average = flip_average
        self.mirrored_sides = frozenset(mirrored_sides)
        self.refine_centre = refine_centre
        self._interpreters: dict[int, Any] = {}
        self._input_index = 0
        self._input_quantization: tuple[float, int] | None = None
        self._output_indices: dict[str, int] = {}
        self._output_quantization: dict[str, tuple[float, int]] = {}

    def _load(self) -> Any:
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415  (loaded with the model)

        if self._model_path is None:  # located (and its digest checked) once, not per batch size
            self._model_path = (
                models.locate_derived(models.IRIS_LANDMARK_INT8)
                if self.model is IrisModel.INT8
                else models.locate(models.IRIS_LANDMARK)
            )
        path = self._model_path
        try:
            # The first allocation prints LiteRT's XNNPACK "INFO" line on descriptor 2: hide it.
            with filtered_stderr():
                interpreter = Interpreter(model_path=str(path), num_threads=1)
                interpreter.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelFileError(f"cannot load the iris network {path}: {exc}") from exc
        outputs = interpreter.get_output_details()
        if {d["name"] for d in outputs} != {"output_iris", "output_eyes_contours_and_brows"}:
            raise ModelFileError(f"{path} is not the iris network (its outputs differ)")
        self._output_indices = {d["name"]: d["index"] for d in outputs}
        self._output_quantization = {}
        for detail in outputs:
            quantization = _quantization(detail)
            if quantization is not None:
                self._output_quantization[detail["name"]] = quantization
        source = interpreter.get_input_details()[0]
        self._input_index = source["index"]
        self._input_quantization = _quantization(source)
        return interpreter

    def _invoke(
        self, crops: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Run the network once on ``(N, 64, 64, 3)`` crops; return iris and contour points."""
        interpreter = self._interpreters.get(len(crops))
        if interpreter is None:
            # One interpreter per batch size: a tracker that locates one eye in some frames and
            # both in others would otherwise resize its tensors at each change (0.4-0.5 ms).
            interpreter = self._load()
            interpreter.resize_tensor_input(self._input_index, list(crops.shape))
            interpreter.allocate_tensors()
            self._interpreters[len(crops)] = interpreter
        if self._input_quantization is None:
            interpreter.set_tensor(self._input_index, crops)
        else:
            scale, zero_point = self._input_quantization
            levels = np.rint(crops / np.float32(scale)) + zero_point
            interpreter.set_tensor(self._input_index, np.clip(levels, -128, 127).astype(np.int8))
        interpreter.invoke()
        iris = self._output(interpreter, "output_iris").reshape(len(crops), 5, 3)
        contour = self._output(interpreter, "output_eyes_contours_and_brows")
        return iris[:, :, :2], contour.reshape(len(crops), 71, 3)[:, :, :2]

    def _output(self, interpreter: Any, name: str) -> npt.NDArray[np.float32]:
        values = interpreter.get_tensor(self._output_indices[name])
        if name not in self._output_quantization:
            return np.asarray(values, np.float32)
        scale, zero_point = self._output_quantization[name]
        return np.asarray((values.astype(np.float32) - zero_point) * np.float32(scale), np.float32)

    def landmarks(
        self, image: ColourImage | CameraFrame, eyes: Mapping[EyeSide, EyePoints]
    ) -> dict[EyeSide, EyeLandmarks]:
        """The network's iris and eye-contour points for every eye given, in one invocation.

        ``image`` is a BGR frame or a :class:`CameraFrame` (which converts only the eye crops
        to colour).

        Raises:
            InputError: the image is not ``HxWx3`` uint8, or eye points are malformed.
            ModelFileError: the model file is missing, corrupt or cannot be loaded.
        """
        if not isinstance(image, CameraFrame):
            check_image(image, 3)
            image = CameraFrame.from_bgr(image)
        if not eyes:
            return {}
        jobs: list[tuple[EyeSide, Affine]] = []
        for side, points in eyes.items():
            mirror_options = (False, True) if self.flip_average else (side in self.mirrored_sides,)
            for mirrored in mirror_options:
                affine = eye_crop_affine(
                    points, mirrored=mirrored, crop_scale=self.crop_scale, level=self.level_crop
                )
                jobs.append((side, affine))
        crops = np.empty((len(jobs), NETWORK_INPUT_PX, NETWORK_INPUT_PX, 3), np.float32)
        for index, (_, affine) in enumerate(jobs):
            crop = image.colour_crop(affine, NETWORK_INPUT_PX)
            crops[index] = crop[:, :, ::-1] * np.float32(1.0 / 255.0)
        iris, contour = self._invoke(crops)
        collected: dict[EyeSide, list[tuple[npt.NDArray[np.float64], ...]]] = {}
        for index, (side, affine) in enumerate(jobs):
            inverse = cv2.invertAffineTransform(affine)
            collected.setdefault(side, []).append(
                tuple(
                    points.astype(np.float64) @ inverse[:, :2].T + inverse[:, 2]
                    for points in (iris[index], contour[index])
                )
            )
        found: dict[EyeSide, EyeLandmarks] = {}
        for side, runs in collected.items():
            # With both orientations only the centre is averaged: a mirrored crop's iris
            # boundary and eye contour are numbered from the other side, so averaging them point
            # by point halved the iris radius and mixed up the eye corners.
            iris_px, contour_px = runs[1 if side in self.mirrored_sides and len(runs) > 1 else 0]
            centre_px = np.mean([run[0][0] for run in runs], axis=0)
            iris_px = iris_px + (centre_px - iris_px[0])
            if self.refine_centre:
                centre = (float(iris_px[0, 0]), float(iris_px[0, 1]))
                radius = float(np.linalg.norm(iris_px[1:] - iris_px[0], axis=1).mean())
                refined = refined_iris_centre_px(
                    image.grey, centre, radius, contour_px, contour_px[_OPENING]
                )
                iris_px = iris_px + (np.array(refined) - iris_px[0])  # the boundary moves along
            found[side] = _eye_landmarks(side, iris_px, contour_px)
        return found

    def locate(
        self, image: ColourImage | CameraFrame, eyes: Mapping[EyeSide, EyePoints]
    ) -> dict[EyeSide, IrisEstimate]:
        """Iris centre, radius and confidence (see :attr:`EyeLandmarks.confidence`) per eye.

        ``eyes`` maps each eye to its six dlib points; one network invocation serves them all.
        An eye the network finds closed (:data:`CLOSED_NETWORK_OPENNESS`) is left out of the
        result rather than given a guessed centre.

        Raises:
            InputError: the image is not ``HxWx3`` uint8, or eye points are malformed.
            ModelFileError: the model file is missing, corrupt or cannot be loaded.
        """
        return {
            side: IrisEstimate(found.centre_px, found.radius_px, found.confidence)
            for side, found in self.landmarks(image, eyes).items()
            if not found.is_closed
        }


def _quantization(detail: Mapping[str, Any]) -> tuple[float, int] | None:
    """``(scale, zero_point)`` of an int8 tensor, ``None`` for a float one."""
    if detail["dtype"] == np.float32:
        return None
    if detail["dtype"] != np.int8:
        raise ModelFileError(f"iris network tensor {detail['name']} is {detail['dtype']}")
    scale, zero_point = detail["quantization"]
    return float(scale), int(zero_point)


def _eye_landmarks(
    side: EyeSide, iris_px: npt.NDArray[np.float64], contour_px: npt.NDArray[np.float64]
) -> EyeLandmarks:
    width = float(np.linalg.norm(contour_px[8] - contour_px[0]))
    gap = float(np.mean([np.linalg.norm(contour_px[u] - contour_px[d]) for u, d in _LID_PAIRS]))
    radii = np.linalg.norm(iris_px[1:] - iris_px[0], axis=1)
    radius = float(radii.mean())
    opening = contour_px[_OPENING].astype(np.float32)
    inside = cv2.pointPolygonTest(opening, (float(iris_px[0, 0]), float(iris_px[0, 1])), True)
    return EyeLandmarks(
        side=side,
        iris_px=iris_px,
        contour_px=contour_px,
        openness=gap / max(width, 1e-6),
        iris_spread=float(radii.std()) / max(radius, 1e-6),
        centre_inside_radii=float(inside) / max(radius, 1e-6),
    )
