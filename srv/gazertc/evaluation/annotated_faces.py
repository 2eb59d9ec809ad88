"""Faces with human-annotated landmarks: loading, matching to fitted landmarks, eye-centre errors.

Two file formats are read, so the same code runs on any folder laid out like the test data:

* COCO-style keypoint JSON (mmpose's 300-W, 300-VW, WFLW, COFW and 300W-LP files): ``images[]``
  with ``id`` and ``file_name`` (relative to the JSON's folder), ``annotations[]`` with
  ``image_id``, a flat ``keypoints`` list of ``[x, y, v]`` triples and optionally ``bbox`` =
  ``[x, y, w, h]``.
* iBUG ``.pts`` files (300-W, 300-VW, menpo): ``version``, ``n_points``, then ``x y`` lines in
  braces. The image is the file with the same stem beside it, or in a sibling ``imgs/`` folder
  (300-VW's ``annot/`` + ``imgs/`` layout).

The landmark scheme is known from the point count (68 iBUG, 98 WFLW, 29 COFW). Keypoints are
returned in gazertc's pixel convention (0-based, pixel centres on integers); a loader's
``origin_px`` says what the file's own origin is (1.0 for Matlab-style 1-based files).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

import cv2
import numpy as np
import numpy.typing as npt

from gazertc.errors import InputError
from gazertc.vision.faces import FaceCandidate, FaceDetector, box_overlap
from gazertc.vision.landmarks import LandmarkPredictor, refit
from gazertc.vision.types import EyeSide, FaceBox, PointPx

__all__ = [
    "EYE_CENTRE_INDICES",
    "MIN_MATCH_OVERLAP",
    "OUTER_EYE_CORNER_INDICES",
    "PTS_ORIGIN_PX",
    "AnnotatedFace",
    "EyeCentreError",
    "EyeCentreMethod",
    "FittedFace",
    "LandmarkScheme",
    "box_overlap",
    "eye_centre_errors",
    "fit_annotated_faces",
    "load_coco_keypoints",
    "load_folder",
    "load_pts",
    "mirror_face",
    "read_image",
]

logger = logging.getLogger(__name__)

Landmarks = npt.NDArray[np.float64]
ColourImage = npt.NDArray[np.uint8]


class LandmarkScheme(StrEnum):
    """Which annotation scheme a face's keypoints follow (known from the point count)."""

    IBUG_68 = "ibug_68"
    WFLW_98 = "wflw_98"
    COFW_29 = "cofw_29"


_SCHEME_BY_POINT_COUNT = {
    68: LandmarkScheme.IBUG_68,
    98: LandmarkScheme.WFLW_98,
    29: LandmarkScheme.COFW_29,
}

EYE_CENTRE_INDICES: Mapping[LandmarkScheme, Mapping[EyeSide, int]] = MappingProxyType(
    {
        LandmarkScheme.WFLW_98: {EyeSide.RIGHT: 96, EyeSide.LEFT: 97},
        LandmarkScheme.COFW_29: {EyeSide.RIGHT: 16, EyeSide.LEFT: 17},
    }
)
"""0-based keypoint index of each annotated pupil, by scheme (checked by drawing them on every
face of the test data: the first is the image-left eye, the subject's right). The iBUG 68 scheme
has no eye centre."""

OUTER_EYE_CORNER_INDICES: Mapping[LandmarkScheme, Mapping[EyeSide, int]] = MappingProxyType(
    {LandmarkScheme.IBUG_68: {EyeSide.RIGHT: 36, EyeSide.LEFT: 45}}
)
"""0-based index of each outer eye corner: the 300-W normalisation ("inter-ocular distance")."""

PTS_ORIGIN_PX = 1.0
"""Origin of ``.pts`` coordinates: 300-W's convention is 1-based (Matlab). Measured against dlib on
the 11 human-annotated 68-point faces here (bench/eye_centre.py, reading the mmpose JSON copies
the same way): 1-based lowers the mean point error on 8 of 11 faces (median 0.050 to 0.047 of the
outer-corner distance) and the mean x offset from -1.2 % to -0.2 %, while the y offset grows from
1.1 % to 2.2 %: weak support, but the convention agrees."""

MIN_MATCH_OVERLAP = 0.3
"""Least intersection-over-union between an annotated face and a detection for them to be the
same face. The 17 annotated faces here overlap their detections by 0.41-0.85; a detection of a
neighbouring face overlaps 0."""

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".pgm", ".bmp")


@dataclass(frozen=True, slots=True, eq=False)
class AnnotatedFace:
    """One annotated face.

    ``keypoints_px`` is ``(N, 2)`` float64 in full-image pixels, 0-based. ``occluded`` is ``(N,)``
    bool, true where the file marks the point as labelled but not visible (COCO flag 1 in files
    that also use flag 2; files that never use flag 2, like mmpose's WFLW, carry no occlusion
    information and every point counts as visible). ``box`` is the file's face box, ``None`` when
    it has none. ``mirrored`` faces live in the left-right mirror image of ``image_path`` (see
    :func:`mirror_face`).
    """

    face_id: str
    image_path: Path
    scheme: LandmarkScheme
    keypoints_px: Landmarks
    occluded: npt.NDArray[np.bool_]
    box: FaceBox | None
    mirrored: bool = False

    def load_image(self) -> ColourImage:
        """The face's BGR image (mirrored if the face is).

        Raises:
            InputError: the image cannot be read.
        """
        image = read_image(self.image_path)
        return np.ascontiguousarray(image[:, ::-1]) if self.mirrored else image

    def eye_centre_px(self, side: EyeSide) -> PointPx | None:
        """The annotated pupil of the subject's ``side`` eye, ``None`` if the scheme has none."""
        indices = EYE_CENTRE_INDICES.get(self.scheme)
        if indices is None:
            return None
        x_px, y_px = self.keypoints_px[indices[side]]
        return (float(x_px), float(y_px))

    def eye_centre_occluded(self, side: EyeSide) -> bool:
        indices = EYE_CENTRE_INDICES.get(self.scheme)
        return indices is not None and bool(self.occluded[indices[side]])

    @property
    def inter_pupil_px(self) -> float | None:
        """Distance between the two annotated pupils, ``None`` if the scheme has no pupils."""
        right = self.eye_centre_px(EyeSide.RIGHT)
        left = self.eye_centre_px(EyeSide.LEFT)
        if right is None or left is None:
            return None
        return math.dist(right, left)

    @property
    def keypoint_box(self) -> FaceBox:
        """The bounding box of the keypoints."""
        low = self.keypoints_px.min(axis=0)
        high = self.keypoints_px.max(axis=0)
        return FaceBox(float(low[0]), float(low[1]), float(high[0]), float(high[1]))

    @property
    def match_box(self) -> FaceBox:
        """The box used to match this face to a detection: the union of the file's face box and
        the keypoints' box (one WFLW face box here covers only the top half of its keypoints)."""
        points = self.keypoint_box
        if self.box is None:
            return points
        return FaceBox(
            min(points.left_px, self.box.left_px),
            min(points.top_px, self.box.top_px),
            max(points.right_px, self.box.right_px),
            max(points.bottom_px, self.box.bottom_px),
        )


def mirror_face(face: AnnotatedFace) -> AnnotatedFace:
    """The same face in the left-right mirror image: a second, equally real test face.

    Keypoints and box are mirrored; the two eye centres swap indices so that each still names
    the subject's own eye (the mirrored subject's right eye is the original left eye). Other
    points keep their index, so their left/right meaning swaps. Mirroring twice gives the
    original face back.

    Raises:
        InputError: the image cannot be read (its width is needed).
    """
    width = read_image(face.image_path).shape[1]
    keypoints = face.keypoints_px.copy()
    keypoints[:, 0] = width - 1 - keypoints[:, 0]
    occluded = face.occluded.copy()
    indices = EYE_CENTRE_INDICES.get(face.scheme)
    if indices is not None:
        pair = [indices[EyeSide.RIGHT], indices[EyeSide.LEFT]]
        keypoints[pair] = keypoints[pair[::-1]]
        occluded[pair] = occluded[pair[::-1]]
    box = None
    if face.box is not None:
        box = FaceBox(
            width - face.box.right_px, face.box.top_px, width - face.box.left_px,
            face.box.bottom_px,
        )  # fmt: skip
    suffix = "/mirrored"
    face_id = face.face_id.removesuffix(suffix) if face.mirrored else face.face_id + suffix
    return AnnotatedFace(
        face_id, face.image_path, face.scheme, keypoints, occluded, box, not face.mirrored
    )


def _scheme_for(point_count: int, source: Path) -> LandmarkScheme:
    try:
        return _SCHEME_BY_POINT_COUNT[point_count]
    except KeyError:
        raise InputError(
            f"{source}: {point_count} keypoints match no known scheme "
            f"(known counts: {sorted(_SCHEME_BY_POINT_COUNT)})"
        ) from None


def load_coco_keypoints(json_path: Path, *, origin_px: float = 0.0) -> list[AnnotatedFace]:
    """All annotated faces in a COCO-style keypoint JSON file.

    ``origin_px`` is subtracted from every coordinate (0 for 0-based files). Face ids are
    ``"<json stem>/<annotation id>"``.

    Raises:
        InputError: the file is unreadable or not COCO keypoint JSON.
    """
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
        images = {image["id"]: image["file_name"] for image in document["images"]}
        faces = []
        for annotation in document["annotations"]:
            triples = np.asarray(annotation["keypoints"], dtype=np.float64).reshape(-1, 3)
            flags = triples[:, 2]
            box = None
            if "bbox" in annotation:
                left, top, width, height = (float(v) for v in annotation["bbox"])
                box = FaceBox(
                    left - origin_px, top - origin_px, left + width - origin_px,
                    top + height - origin_px,
                )  # fmt: skip
            faces.append(
                AnnotatedFace(
                    face_id=f"{json_path.stem}/{annotation['id']}",
                    image_path=json_path.parent / images[annotation["image_id"]],
                    scheme=_scheme_for(len(triples), json_path),
                    keypoints_px=triples[:, :2] - origin_px,
                    occluded=(flags == 1) & bool(np.any(flags == 2)),
                    box=box,
                )
            )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read COCO keypoints from {json_path}: {exc}") from exc
    return faces


def _image_beside(pts_path: Path) -> Path:
    folders = [pts_path.parent, pts_path.parent.parent / "imgs"]
    for folder in folders:
        for suffix in _IMAGE_SUFFIXES:
            candidate = folder / (pts_path.stem + suffix)
            if candidate.is_file():
                return candidate
    raise InputError(
        f"no image for {pts_path} (looked for {pts_path.stem}.* in "
        f"{', '.join(str(folder) for folder in folders)})"
    )


def load_pts(
    pts_path: Path, image_path: Path | None = None, *, origin_px: float = PTS_ORIGIN_PX
) -> AnnotatedFace:
    """One face from an iBUG ``.pts`` file.

    The image defaults to the same-stem file beside the ``.pts`` or in a sibling ``imgs/``
    folder. ``origin_px`` is subtracted from every coordinate. The face id is the path's last two
    parts without the suffix.

    Raises:
        InputError: the file is unreadable or malformed, or no image is found.
    """
    try:
        text = pts_path.read_text(encoding="utf-8")
        header, _, rest = text.partition("{")
        body, closing, _ = rest.partition("}")
        if not closing:
            raise ValueError("no closing brace")
        declared = [
            int(line.split(":", 1)[1])
            for line in header.splitlines()
            if line.startswith("n_points")
        ]
        points = np.array([line.split() for line in body.split("\n") if line.strip()], dtype=float)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError("points are not 'x y' lines")
        if declared and declared[0] != len(points):
            raise ValueError(f"n_points says {declared[0]} but {len(points)} points follow")
    except (OSError, ValueError, IndexError) as exc:
        raise InputError(f"cannot read landmarks from {pts_path}: {exc}") from exc
    return AnnotatedFace(
        face_id=f"{pts_path.parent.name}/{pts_path.stem}",
        image_path=image_path if image_path is not None else _image_beside(pts_path),
        scheme=_scheme_for(len(points), pts_path),
        keypoints_px=points - origin_px,
        occluded=np.zeros(len(points), dtype=bool),
        box=None,
    )


def _same_face(a: AnnotatedFace, b: AnnotatedFace) -> bool:
    # The same annotation stored twice (300-VW has each frame as .pts and in a JSON); a 1.5 px
    # tolerance absorbs the files' different origins.
    return (
        a.image_path.resolve() == b.image_path.resolve()
        and a.keypoints_px.shape == b.keypoints_px.shape
        and float(np.abs(a.keypoints_px - b.keypoints_px).max()) <= 1.5
    )


def load_folder(
    root: Path, *, coco_origin_px: float = 0.0, pts_origin_px: float = PTS_ORIGIN_PX
) -> list[AnnotatedFace]:
    """Every annotated face under ``root``: COCO keypoint JSON files and ``.pts`` files.

    A face stored both ways is returned once (from the ``.pts`` file). JSON files that are not
    COCO keypoint files are skipped.

    Raises:
        InputError: ``root`` is not a folder, or a ``.pts`` file is malformed.
    """
    if not root.is_dir():
        raise InputError(f"{root} is not a folder")
    faces = [load_pts(path, origin_px=pts_origin_px) for path in sorted(root.rglob("*.pts"))]
    for json_path in sorted(root.rglob("*.json")):
        try:
            loaded = load_coco_keypoints(json_path, origin_px=coco_origin_px)
        except InputError as exc:
            logger.info("skipping %s: %s", json_path, exc)
            continue
        faces.extend(face for face in loaded if not any(_same_face(face, f) for f in faces))
    return faces


def read_image(path: Path) -> ColourImage:
    """A BGR uint8 image.

    Raises:
        InputError: the file is missing or not an image OpenCV can read.
    """
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"cannot read an image from {path}")
    return np.asarray(image, dtype=np.uint8)


@dataclass(frozen=True, slots=True, eq=False)
class FittedFace:
    """An annotated face with the detection matched to it and the 68 landmarks fitted there.

    ``detection`` and ``landmarks_px`` are ``None`` when no detection overlapped the face by at
    least :data:`MIN_MATCH_OVERLAP`; ``overlap`` is the best intersection-over-union found.
    """

    annotation: AnnotatedFace
    detection: FaceCandidate | None
    overlap: float
    landmarks_px: Landmarks | None


def fit_annotated_faces(
    faces: Iterable[AnnotatedFace],
    detector: FaceDetector,
    predictor: LandmarkPredictor,
    *,
    refits: int = 1,
) -> list[FittedFace]:
    """Detect faces in each image once, match each annotated face to the detection overlapping its
    :attr:`AnnotatedFace.match_box` most, and fit landmarks there.

    Landmarks are fitted as the tracker does: on the detection box, then ``refits`` times from
    the landmarks' own box (:func:`gazertc.vision.landmarks.refit`).

    Raises:
        InputError: an image cannot be read.
    """
    by_image: dict[tuple[Path, bool], list[AnnotatedFace]] = {}
    for face in faces:
        by_image.setdefault((face.image_path, face.mirrored), []).append(face)
    fitted: list[FittedFace] = []
    for image_faces in by_image.values():
        image = image_faces[0].load_image()
        grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
        detections = detector.detect(grey)
        for face in image_faces:
            scored = [(box_overlap(d.box, face.match_box), d) for d in detections]
            overlap, best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
            if best is None or overlap < MIN_MATCH_OVERLAP:
                logger.info("no detection matches %s (best overlap %.2f)", face.face_id, overlap)
                fitted.append(FittedFace(face, None, overlap, None))
                continue
            landmarks = predictor.fit(grey, best.box)
            for _ in range(refits):
                landmarks, _shift = refit(predictor, grey, landmarks)
            fitted.append(FittedFace(face, best, overlap, landmarks))
    return fitted


EyeCentreMethod = Callable[[ColourImage, Landmarks], Mapping[EyeSide, PointPx | None]]
"""An eye-centre locator under evaluation: ``(image_bgr, landmarks (68, 2)) -> {side: centre}``,
``None`` for an eye it declines (e.g. closed)."""


@dataclass(frozen=True, slots=True)
class EyeCentreError:
    """Eye-centre error of one method on one face.

    ``error_by_eye`` is the distance from the annotated pupil over the inter-pupil distance, for
    each scored eye (``inf`` where the method gave no estimate, unless declined eyes are left out).
    Eyes whose pupil is marked occluded are left out unless asked for, and listed in
    ``occluded``; eyes left out because the method declined them are listed in ``declined``.
    """

    face_id: str
    inter_pupil_px: float
    error_by_eye: Mapping[EyeSide, float]
    occluded: tuple[EyeSide, ...]
    declined: tuple[EyeSide, ...] = ()

    @property
    def worst(self) -> float:
        """The worst scored eye's normalised error (``inf`` when no eye could be scored)."""
        return max(self.error_by_eye.values(), default=math.inf)


def eye_centre_errors(
    method: EyeCentreMethod,
    fitted: Sequence[FittedFace],
    *,
    include_occluded: bool = False,
    skip_declined: bool = False,
) -> list[EyeCentreError]:
    """Per-face eye-centre errors of ``method`` on faces whose scheme annotates pupils.

    An eye the method declines (``None``) scores ``inf``, or with ``skip_declined`` is left out
    so the face is scored on its other eye (``inf`` if neither is left). Faces without landmarks
    (not detected) or without annotated pupils are skipped; the caller reports the former from
    :func:`fit_annotated_faces`' result.

    Raises:
        InputError: an image cannot be read.
    """
    errors = []
    images: dict[tuple[Path, bool], ColourImage] = {}
    for face in fitted:
        annotation = face.annotation
        inter_pupil = annotation.inter_pupil_px
        if face.landmarks_px is None or inter_pupil is None:
            continue
        key = (annotation.image_path, annotation.mirrored)
        if key not in images:
            images[key] = annotation.load_image()
        found = method(images[key], face.landmarks_px)
        occluded = tuple(side for side in EyeSide if annotation.eye_centre_occluded(side))
        by_eye: dict[EyeSide, float] = {}
        declined = []
        for side in EyeSide:
            truth = annotation.eye_centre_px(side)
            if truth is None or (side in occluded and not include_occluded):
                continue
            estimate = found.get(side)
            if estimate is None and skip_declined:
                declined.append(side)
                continue
            distance = math.inf if estimate is None else math.dist(estimate, truth)
            by_eye[side] = distance / inter_pupil
        errors.append(
            EyeCentreError(annotation.face_id, inter_pupil, by_eye, occluded, tuple(declined))
        )
    return errors
