"""Small GazeCapture copies written in the data set's exact formats, for the loader tests.

Formats as described in the ``CSAILVision/GazeCapture`` repository: the published recording
folders (``README.md``: one JSON file per kind of metadata, each array one element per frame of
``frames.json``) and the folder ``pytorch/prepareDataset.py`` writes (``metadata.mat`` with its
keys and dtypes, face and eye crops named by frame index). Labels are made up: structure only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy.io import savemat

from gazertc.vision.types import BgrImage


@dataclass(frozen=True)
class WrittenFrame:
    """One frame as written: the image, the dot shown and whether Apple's detectors saw the
    face and both eyes."""

    image: BgrImage
    dot_num: int
    target_cm: tuple[float, float]
    valid: bool = True


def dot_targets_cm(count: int) -> list[tuple[float, float]]:
    """Dot positions spread over a phone screen below the camera (cm; y negative below it)."""
    return [(-3.0 + 2.0 * (i % 4), -1.5 - 2.5 * (i // 4)) for i in range(count)]


def _box_arrays(count: int, valid: Sequence[bool], box: tuple[int, int, int, int]) -> Any:
    x, y, w, h = box
    return {
        "H": [float(h)] * count,
        "W": [float(w)] * count,
        "X": [float(x)] * count,
        "Y": [float(y)] * count,
        "IsValid": [1 if v else 0 for v in valid],
    }


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


def write_original_recording(
    root: Path, recording_id: str, frames: Sequence[WrittenFrame], *, split: str = "test"
) -> Path:
    """``root/NNNNN`` as published: ``frames/``, ``frames.json`` and the metadata JSON files."""
    folder = root / recording_id
    (folder / "frames").mkdir(parents=True)
    names = [f"{i:05d}.jpg" for i in range(len(frames))]
    for name, frame in zip(names, frames, strict=True):
        assert cv2.imwrite(str(folder / "frames" / name), frame.image)
    count = len(frames)
    valid = [f.valid for f in frames]
    write_json(folder / "frames.json", names)
    write_json(folder / "appleFace.json", _box_arrays(count, valid, (10, 20, 40, 40)))
    write_json(folder / "appleLeftEye.json", _box_arrays(count, valid, (22, 8, 12, 12)))
    write_json(folder / "appleRightEye.json", _box_arrays(count, valid, (6, 8, 12, 12)))
    grid = _box_arrays(count, valid, (9, 6, 8, 8))
    write_json(folder / "faceGrid.json", grid)
    times: list[float] = []
    for i, frame in enumerate(frames):
        same_dot = i > 0 and frames[i - 1].dot_num == frame.dot_num
        times.append(times[-1] + 0.033 if same_dot else 0.05)
    write_json(
        folder / "dotInfo.json",
        {
            "DotNum": [f.dot_num for f in frames],
            "XPts": [160.0 + 20.0 * f.target_cm[0] for f in frames],
            "YPts": [-20.0 * f.target_cm[1] for f in frames],
            "XCam": [f.target_cm[0] for f in frames],
            "YCam": [f.target_cm[1] for f in frames],
            "Time": times,
        },
    )
    write_json(
        folder / "screen.json",
        {"H": [568.0] * count, "W": [320.0] * count, "Orientation": [1] * count},
    )
    write_json(
        folder / "info.json",
        {
            "TotalFrames": count,
            "NumFaceDetections": sum(valid),
            "NumEyeDetections": sum(valid),
            "Dataset": split,
            "DeviceName": "iPhone 6",
        },
    )
    return folder


@dataclass(frozen=True)
class PreparedFrame:
    """One row of ``metadata.mat`` and its face crop (``None``: no crop written)."""

    recording: int
    frame_index: int
    target_cm: tuple[float, float]
    split: str
    face: BgrImage | None


def write_prepared(root: Path, rows: Sequence[PreparedFrame], *, column: bool = False) -> Path:
    """``root/metadata.mat`` with prepareDataset.py's keys and dtypes, and the crops
    ``root/NNNNN/apple{Face,LeftEye,RightEye}/NNNNN.jpg``. ``column`` stores the per-frame
    arrays as N x 1 (as GazeCapture's reference metadata does) instead of savemat's 1 x N."""
    root.mkdir(parents=True, exist_ok=True)
    for row in rows:
        if row.face is None:
            continue
        folder = root / f"{row.recording:05d}"
        name = f"{row.frame_index:05d}.jpg"
        height, width = row.face.shape[:2]
        eye_crop = row.face[height // 5 : height // 2, : width // 2]
        for crop_folder, crop in (
            ("appleFace", row.face),
            ("appleLeftEye", eye_crop),
            ("appleRightEye", eye_crop),
        ):
            (folder / crop_folder).mkdir(parents=True, exist_ok=True)
            assert cv2.imwrite(str(folder / crop_folder / name), crop)

    def vector(values: Sequence[Any], dtype: Any) -> Any:
        array = np.asarray(values, dtype=dtype)
        return array.reshape(-1, 1) if column else array

    savemat(
        root / "metadata.mat",
        {
            "labelRecNum": vector([r.recording for r in rows], np.int16),
            "frameIndex": vector([r.frame_index for r in rows], np.int32),
            "labelDotXCam": vector([r.target_cm[0] for r in rows], np.float64),
            "labelDotYCam": vector([r.target_cm[1] for r in rows], np.float64),
            "labelFaceGrid": np.tile(np.array([9, 6, 8, 8], np.uint8), (len(rows), 1)),
            "labelTrain": vector([r.split == "train" for r in rows], np.bool_),
            "labelVal": vector([r.split == "val" for r in rows], np.bool_),
            "labelTest": vector([r.split == "test" for r in rows], np.bool_),
        },
    )
    return root
