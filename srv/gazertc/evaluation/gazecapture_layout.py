"""GazeCapture, read in either of its two layouts: the published recording folders, or the
folder that GazeCapture's own ``pytorch/prepareDataset.py`` writes.

The data set is not shipped or downloaded: a user points :func:`load_gazecapture` at their own
copy. Source: https://gazecapture.csail.mit.edu/ (research use under its licence; cite Krafka,
Khosla, Kellnhofer et al., "Eye Tracking for Everyone", CVPR 2016) and the formats as described
in the ``CSAILVision/GazeCapture`` repository (``README.md``, ``code/loadSubject.m``,
``pytorch/prepareDataset.py``, ``pytorch/ITrackerData.py``). 1474 recordings (one subject each)
of phone and tablet front-camera frames while the subject looked at dots on the screen.

Published layout (:attr:`GazeCaptureLayout.ORIGINAL`), one folder per recording::

    <root>/NNNNN/frames/NNNNN.jpg    the camera's frames
    <root>/NNNNN/frames.json         the frame file names, one per frame: ["00000.jpg", ...]
    <root>/NNNNN/dotInfo.json        per frame: DotNum, XPts, YPts, XCam, YCam, Time
    <root>/NNNNN/appleFace.json      per frame: X, Y, W, H, IsValid (Apple's face detection)
    <root>/NNNNN/appleLeftEye.json   the same for the eyes (X, Y relative to the face box)
    <root>/NNNNN/appleRightEye.json
    <root>/NNNNN/info.json           TotalFrames, NumFaceDetections, NumEyeDetections,
                                     Dataset ("train", "val" or "test"), DeviceName
    (and faceGrid.json, screen.json, motion.json, which this evaluation does not need)

Each array holds one element per frame, in the order of ``frames.json``. ``XCam``/``YCam`` are the
dot's position in centimetres relative to the camera, in the camera's plane (``YCam`` negative
when the screen is below the camera). ``DotNum`` counts the dots from 0. Only the frames with
Apple face and both eye detections (``IsValid`` 1 in all three files) are read: the subset
GazeCapture's own training and ``prepareDataset.py`` use, and the only frames the second layout
has, so that both layouts evaluate the same frames.

Prepared layout (:attr:`GazeCaptureLayout.PREPARED`)::

    <root>/metadata.mat                  labelRecNum, frameIndex, labelDotXCam, labelDotYCam,
                                         labelFaceGrid, labelTrain, labelVal, labelTest
    <root>/NNNNN/appleFace/NNNNN.jpg     the face crop of recording labelRecNum, frame frameIndex
    <root>/NNNNN/appleLeftEye/NNNNN.jpg  (and appleRightEye/; not used here)

``metadata.mat`` holds one element per prepared frame (``labelFaceGrid`` one row of 4). The face
crops are Apple's face box, which is tight: it leaves the face no margin, and the face detector
needs context around a face to find it, so each crop is padded (:data:`FACE_CROP_PADDING`).
This layout keeps no dot number, so a dot is a run of consecutive frames (by frame index) with
the same target, which is what a dot is in the published layout. It keeps neither the crop's
place in the frame nor the frame's size, so the camera is taken as centred on the padded crop
(intrinsics guessed from its size); the per-recording calibration absorbs the offset and scale
that this gets wrong, not the perspective.

Where both layouts are in one folder (``prepareDataset.py`` writes into the data set's folder by
default), the published one is read: its full frames need no guess about the camera.
Recordings without images (no ``frames/`` or ``appleFace/`` folder) or without a usable frame are
skipped and listed with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt
from scipy.io import loadmat
from scipy.io.matlab import MatReadError

from gazertc import protocol
from gazertc.errors import InputError
from gazertc.evaluation.gaze_common import read_image
from gazertc.vision.types import BgrImage

__all__ = [
    "FACE_CROP_PADDING",
    "GazeCaptureDataset",
    "GazeCaptureFrame",
    "GazeCaptureLayout",
    "GazeCaptureRecording",
    "load_gazecapture",
    "load_original_recording",
    "read_gazecapture_image",
]

FACE_CROP_PADDING: Final = 0.2
"""Border added on each side of a prepared face crop, as a share of the crop's longer side,
filled by repeating the edge pixels. Measured on the 22 real faces of the shared data cropped to
70 % of their landmark box (tighter than Apple's box): no border, no face found (0 of 22; 19 of 22
at 80 %); 10-20 %, 21 of 22; 30-50 %, 12-14 of 22 (probably because the repeated edges then
streak over more of the image)."""

MAX_JSON_BYTES: Final = 64 * 1024 * 1024
"""A recording has about 1,700 frames (2,445,504 in 1474 recordings) and its largest file well
under 1 MB; this bound only stops a wrong file from filling the memory."""

MAX_METADATA_BYTES: Final = 2 * 1024**3
"""The published data set prepares to 1,490,959 frames, about 100 MB of ``metadata.mat``."""

RECORDING_PATTERN: Final = re.compile(r"^\d{5}$")
FRAME_NAME_PATTERN: Final = re.compile(r"^(\d{5})\.jpg$")
SPLITS: Final = ("train", "val", "test")

METADATA_KEYS: Final = (
    "labelRecNum",
    "frameIndex",
    "labelDotXCam",
    "labelDotYCam",
    "labelTrain",
    "labelVal",
    "labelTest",
)
"""What this evaluation reads from ``metadata.mat`` (``labelFaceGrid`` is not needed)."""


class GazeCaptureLayout(StrEnum):
    """Which of the two layouts a copy is in (module docstring)."""

    ORIGINAL = "original"
    PREPARED = "prepared"


@dataclass(frozen=True, slots=True)
class GazeCaptureFrame:
    """One frame: its image, the dot shown and that dot's position.

    ``target_cm`` is ``(XCam, YCam)``: centimetres from the camera in its plane, as published.
    ``dot_id`` is ``DotNum`` in the published layout and the run number in the prepared one.
    """

    frame_index: int
    image_path: Path
    dot_id: int
    target_cm: tuple[float, float]


@dataclass(frozen=True, slots=True)
class GazeCaptureRecording:
    """One recording's usable frames, in frame order; ``split`` is ``train``, ``val``, ``test``
    or ``None`` (not stated, or mixed)."""

    recording_id: str
    layout: GazeCaptureLayout
    split: str | None
    frames: tuple[GazeCaptureFrame, ...]

    def dots(self) -> dict[int, tuple[GazeCaptureFrame, ...]]:
        """The frames of each dot, by dot id in ascending order."""
        by_dot: dict[int, list[GazeCaptureFrame]] = {}
        for frame in self.frames:
            by_dot.setdefault(frame.dot_id, []).append(frame)
        return {dot: tuple(by_dot[dot]) for dot in sorted(by_dot)}


@dataclass(frozen=True, slots=True)
class GazeCaptureDataset:
    """The recordings read (sorted by id) and those skipped, with the reason."""

    root: Path
    layout: GazeCaptureLayout
    recordings: tuple[GazeCaptureRecording, ...]
    skipped: tuple[tuple[str, str], ...]


def read_gazecapture_image(frame: GazeCaptureFrame, layout: GazeCaptureLayout) -> BgrImage:
    """The frame's image as the pipeline gets it: a published frame as is, a prepared face
    crop with :data:`FACE_CROP_PADDING`.

    Raises:
        InputError: the file cannot be read as an image.
    """
    image = read_image(frame.image_path)
    if layout is GazeCaptureLayout.ORIGINAL:
        return image
    border = round(FACE_CROP_PADDING * max(image.shape[:2]))
    padded = cv2.copyMakeBorder(image, border, border, border, border, cv2.BORDER_REPLICATE)
    return np.asarray(padded, dtype=np.uint8)


# --- the published layout ----------------------------------------------------------------------


def _read_json_object(path: Path) -> Mapping[str, Any] | list[Any]:
    if not path.is_file():
        raise InputError(f"missing GazeCapture file {path}")
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise InputError(f"{path} is larger than {MAX_JSON_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    try:
        document = protocol.parse_json(data, max_bytes=MAX_JSON_BYTES)
    except protocol.ProtocolError as exc:
        raise InputError(f"{path} is not valid JSON: {exc.message}") from exc
    if not isinstance(document, dict | list):
        raise InputError(f"{path} must hold a JSON object or array")
    return document


def _arrays(path: Path, keys: Sequence[str], length: int) -> dict[str, list[float]]:
    """The named per-frame number arrays of a JSON object, each ``length`` long.

    Raises:
        InputError: the file is missing or malformed, a key is absent, an array has another
            length, or an element is not a finite number.
    """
    document = _read_json_object(path)
    if not isinstance(document, dict):
        raise InputError(f"{path} must hold a JSON object")
    found = {}
    for key in keys:
        values = document.get(key)
        if not isinstance(values, list):
            raise InputError(f"{path} has no array {key!r} (it holds {sorted(document)[:12]})")
        if len(values) != length:
            raise InputError(
                f"{path}: {key} has {len(values)} elements for {length} frames in frames.json"
            )
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in values
        ):
            raise InputError(f"{path}: {key} must hold finite numbers only")
        found[key] = [float(v) for v in values]
    return found


def _frame_names(path: Path) -> list[int]:
    document = _read_json_object(path)
    if not isinstance(document, list):
        raise InputError(f"{path} must hold a JSON array of frame file names")
    indices = []
    for name in document:
        match = FRAME_NAME_PATTERN.match(name) if isinstance(name, str) else None
        if match is None:
            raise InputError(f"{path}: {name!r} is not a frame file name like '00000.jpg'")
        indices.append(int(match[1]))
    return indices


def _info_split(path: Path) -> str | None:
    document = _read_json_object(path)
    if not isinstance(document, dict):
        raise InputError(f"{path} must hold a JSON object")
    split = document.get("Dataset")
    if split is not None and split not in SPLITS:
        raise InputError(f"{path}: Dataset must be one of {SPLITS}, got {split!r}")
    return split if isinstance(split, str) else None


def load_original_recording(folder: Path) -> GazeCaptureRecording | str:
    """One recording folder of the published layout, or the reason it is skipped (no
    ``frames/`` folder, or no frame with Apple face and eye detections).

    Raises:
        InputError: a JSON file is missing or malformed (the message names file and key).
    """
    frame_indices = _frame_names(folder / "frames.json")
    count = len(frame_indices)
    dots = _arrays(
        folder / "dotInfo.json", ("DotNum", "XPts", "YPts", "XCam", "YCam", "Time"), count
    )
    valid = np.ones(count, dtype=bool)
    for name in ("appleFace", "appleLeftEye", "appleRightEye"):
        detections = _arrays(folder / f"{name}.json", ("X", "Y", "W", "H", "IsValid"), count)
        valid &= np.asarray(detections["IsValid"]) == 1.0
    if any(n < 0 or n != int(n) for n in dots["DotNum"]):
        raise InputError(f"{folder / 'dotInfo.json'}: DotNum must hold integers >= 0")
    split = _info_split(folder / "info.json")
    if not (folder / "frames").is_dir():
        return "no frames/ folder"
    frames = tuple(
        GazeCaptureFrame(
            frame_index=frame_indices[j],
            image_path=folder / "frames" / f"{frame_indices[j]:05d}.jpg",
            dot_id=int(dots["DotNum"][j]),
            target_cm=(dots["XCam"][j], dots["YCam"][j]),
        )
        for j in range(count)
        if valid[j]
    )
    if not frames:
        return "no frame with Apple face and eye detections"
    return GazeCaptureRecording(folder.name, GazeCaptureLayout.ORIGINAL, split, frames)


# --- the prepared layout -----------------------------------------------------------------------

FloatArray = npt.NDArray[np.float64]


def _load_metadata(path: Path) -> dict[str, FloatArray]:
    """The per-frame arrays of ``metadata.mat``, flattened, all of one length.

    Raises:
        InputError: the file is unreadable, too large, a key is absent, an array is not
            one-dimensional or numeric, or the lengths differ.
    """
    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            raise InputError(f"{path} is larger than {MAX_METADATA_BYTES} bytes")
        contents = loadmat(str(path))
    except (OSError, ValueError, TypeError, NotImplementedError, MatReadError) as exc:
        raise InputError(f"cannot read {path} as a MATLAB file: {exc}") from exc
    arrays: dict[str, FloatArray] = {}
    for key in METADATA_KEYS:
        if key not in contents:
            stored = sorted(name for name in contents if not name.startswith("__"))
            raise InputError(f"{path} has no {key} (it holds {stored})")
        try:
            values = np.asarray(contents[key], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{path}: {key} is not numeric: {exc}") from exc
        if values.ndim > 2 or (values.ndim == 2 and min(values.shape) > 1):
            raise InputError(f"{path}: {key} must be one value per frame, shape {values.shape}")
        if not np.isfinite(values).all():
            raise InputError(f"{path}: {key} must hold finite numbers only")
        arrays[key] = values.reshape(-1)
    lengths = {key: len(values) for key, values in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise InputError(f"{path}: the per-frame arrays differ in length: {lengths}")
    for key in ("labelRecNum", "frameIndex"):
        values = arrays[key]
        if (values < 0).any() or (values != np.round(values)).any():
            raise InputError(f"{path}: {key} must hold integers >= 0")
    return arrays


def _prepared_split(train: bool, val: bool, test: bool) -> str | None:
    flags = [name for name, flag in zip(SPLITS, (train, val, test), strict=True) if flag]
    return flags[0] if len(flags) == 1 else None


def _prepared_recordings(
    root: Path, metadata: dict[str, FloatArray]
) -> dict[str, list[tuple[int, tuple[float, float], str | None]]]:
    """Per recording id, ``(frame index, target cm, split)`` in frame order."""
    by_recording: dict[str, list[tuple[int, tuple[float, float], str | None]]] = {}
    for i in range(len(metadata["labelRecNum"])):
        recording_id = f"{int(metadata['labelRecNum'][i]):05d}"
        target = (float(metadata["labelDotXCam"][i]), float(metadata["labelDotYCam"][i]))
        split = _prepared_split(
            bool(metadata["labelTrain"][i]),
            bool(metadata["labelVal"][i]),
            bool(metadata["labelTest"][i]),
        )
        by_recording.setdefault(recording_id, []).append(
            (int(metadata["frameIndex"][i]), target, split)
        )
    for rows in by_recording.values():
        rows.sort(key=lambda row: row[0])
        indices = [row[0] for row in rows]
        if len(set(indices)) != len(indices):
            raise InputError(f"{root / 'metadata.mat'}: a recording lists a frame twice")
    return by_recording


def _prepared_recording(
    root: Path, recording_id: str, rows: Sequence[tuple[int, tuple[float, float], str | None]]
) -> GazeCaptureRecording | str:
    crops = root / recording_id / "appleFace"
    if not crops.is_dir():
        return "no appleFace/ images"
    frames = []
    dot_id = -1
    previous: tuple[float, float] | None = None
    for frame_index, target, _ in rows:
        if target != previous:  # a new dot: consecutive frames with one target form a dot
            dot_id += 1
            previous = target
        image_path = crops / f"{frame_index:05d}.jpg"
        frames.append(GazeCaptureFrame(frame_index, image_path, dot_id, target))
    splits = {split for _, _, split in rows}
    split = splits.pop() if len(splits) == 1 else None
    return GazeCaptureRecording(recording_id, GazeCaptureLayout.PREPARED, split, tuple(frames))


# --- either layout -----------------------------------------------------------------------------


def _seeded_order(ids: Sequence[str], seed: int) -> list[str]:
    rng = np.random.default_rng([seed, *b"recordings"])
    return [ids[int(i)] for i in rng.permutation(len(ids))]


def load_gazecapture(
    root: Path, *, max_recordings: int | None = None, seed: int = 0
) -> GazeCaptureDataset:
    """A GazeCapture copy in either layout (module docstring); ``root`` may also be one
    recording folder of the published layout.

    With ``max_recordings``, recordings are read in a random order seeded by ``seed`` until that
    many usable ones are found (skipped ones do not count), so a quick run reads few files.

    Raises:
        InputError: ``root`` is not a folder, holds neither layout, ``max_recordings`` is below
            1, or a file is malformed (the message names it).
    """
    if max_recordings is not None and max_recordings < 1:
        raise InputError(f"max_recordings must be at least 1, got {max_recordings}")
    if not root.is_dir():
        raise InputError(f"{root} is not a folder")
    limit = math.inf if max_recordings is None else max_recordings
    recordings: list[GazeCaptureRecording] = []
    skipped: list[tuple[str, str]] = []

    def keep(recording_id: str, loaded: GazeCaptureRecording | str) -> None:
        if isinstance(loaded, str):
            skipped.append((recording_id, loaded))
        else:
            recordings.append(loaded)

    if (root / "dotInfo.json").is_file():
        keep(root.name, load_original_recording(root))
        layout = GazeCaptureLayout.ORIGINAL
    else:
        folders = sorted(
            path.name
            for path in root.iterdir()
            if RECORDING_PATTERN.match(path.name) and (path / "dotInfo.json").is_file()
        )
        if folders:
            layout = GazeCaptureLayout.ORIGINAL
            for name in _seeded_order(folders, seed):
                if len(recordings) >= limit:
                    break
                try:
                    keep(name, load_original_recording(root / name))
                except InputError as exc:
                    raise InputError(f"recording {name}: {exc}") from exc
        elif (root / "metadata.mat").is_file():
            layout = GazeCaptureLayout.PREPARED
            by_recording = _prepared_recordings(root, _load_metadata(root / "metadata.mat"))
            for name in _seeded_order(sorted(by_recording), seed):
                if len(recordings) >= limit:
                    break
                keep(name, _prepared_recording(root, name, by_recording[name]))
        else:
            raise InputError(
                f"no GazeCapture data in {root}: neither recording folders (NNNNN/dotInfo.json) "
                "nor metadata.mat from prepareDataset.py"
            )
    return GazeCaptureDataset(
        root=root,
        layout=layout,
        recordings=tuple(sorted(recordings, key=lambda r: r.recording_id)),
        skipped=tuple(sorted(skipped)),
    )
