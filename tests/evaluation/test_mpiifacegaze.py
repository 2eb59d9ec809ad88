"""The MPIIFaceGaze loader, its protocol and ``gazertc evaluate --dataset mpiifacegaze``.

The data set is not available here, so each test writes a small copy in its exact layout into
``tmp_path``: annotation files and ``.mat`` files as published, images either real faces or
uniform frames for the fake pipeline of :mod:`tests.evaluation.gaze_fakes`, whose known gaze lets
the protocol's numbers be checked exactly; the real pipeline runs end to end on the real faces
(fake labels: structure only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.io import savemat

from gazertc.cli import main
from gazertc.errors import InputError
from gazertc.evaluation.gaze_common import angular_error_deg
from gazertc.evaluation.mpiifacegaze import (
    MpiiScreen,
    evaluate_mpiifacegaze,
    load_mpiifacegaze,
    mpii_errors,
    parse_mpii_line,
)
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.types import BgrImage, Vector3
from tests.evaluation.gaze_fakes import (
    NO_FACE_GREY,
    fake_pipeline,
    gaze_sample,
    real_faces,
    table_rows,
    uniform,
)

SCREEN_SIZE = {"width_pixel": 1280.0, "height_pixel": 800.0, "width_mm": 300.0, "height_mm": 190.0}
CAMERA_MATRIX = np.array([[700.0, 0.0, 359.5], [0.0, 700.0, 287.5], [0.0, 0.0, 1.0]])


# --- writing the data set in its original layout -----------------------------------------------


@dataclass(frozen=True)
class WrittenSample:
    image: str
    target_px: tuple[float, float]
    landmarks: tuple[float, ...]
    head: tuple[float, ...]
    face_centre_mm: Vector3
    target_mm: Vector3
    eye: str


def _screen_to_camera(point_px: tuple[float, float], rvec: Vector3, tvec: Vector3) -> Vector3:
    x_mm = point_px[0] * SCREEN_SIZE["width_mm"] / SCREEN_SIZE["width_pixel"]
    y_mm = point_px[1] * SCREEN_SIZE["height_mm"] / SCREEN_SIZE["height_pixel"]
    rotation = cv2.Rodrigues(np.array(rvec, dtype=np.float64))[0]
    x, y, z = rotation @ np.array([x_mm, y_mm, 0.0]) + np.array(tvec)
    return (float(x), float(y), float(z))


def write_mpii_person(
    root: Path,
    person_id: str,
    images: Sequence[BgrImage],
    *,
    rvec: Vector3 = (0.0, 0.0, 0.0),
    tvec: Vector3 = (-150.0, 10.0, 0.0),
    rotation_key: str = "rvects",
    seed: int = 0,
) -> list[WrittenSample]:
    """``root/pXX`` as published: ``pXX.txt``, ``dayNN/NNNN.jpg``, ``Calibration/*.mat``."""
    rng = np.random.default_rng(seed)
    folder = root / person_id
    calibration = folder / "Calibration"
    calibration.mkdir(parents=True)
    savemat(
        calibration / "Camera.mat",
        {
            "cameraMatrix": CAMERA_MATRIX,
            "distCoeffs": np.array([[0.01, -0.02, 0.0, 0.0, 0.0]]),
            "retval": np.array([[0.3]]),
        },
    )
    savemat(
        calibration / "monitorPose.mat",
        {rotation_key: np.array(rvec).reshape(3, 1), "tvecs": np.array(tvec).reshape(3, 1)},
    )
    savemat(calibration / "screenSize.mat", {k: np.array([[v]]) for k, v in SCREEN_SIZE.items()})
    written = []
    for index, image in enumerate(images):
        relative = f"day{1 + index // 10:02d}/{index + 1:04d}.jpg"
        (folder / relative).parent.mkdir(exist_ok=True)
        assert cv2.imwrite(str(folder / relative), image)
        target_px = (float(rng.integers(0, 1280)), float(rng.integers(0, 800)))
        face_centre = (float(rng.uniform(-40, 40)), float(rng.uniform(-30, 30)), 550.0)
        written.append(
            WrittenSample(
                image=relative,
                target_px=target_px,
                landmarks=tuple(float(v) for v in rng.integers(200, 500, 12)),
                head=(*(round(float(v), 4) for v in rng.uniform(-0.3, 0.3, 3)), 10.0, -20.0, 560.0),
                face_centre_mm=face_centre,
                target_mm=_screen_to_camera(target_px, rvec, tvec),
                eye="left" if index % 2 else "right",
            )
        )
    lines = [
        " ".join(
            [
                s.image,
                *(f"{v:g}" for v in s.target_px),
                *(f"{v:g}" for v in s.landmarks),
                *(repr(v) for v in s.head),
                *(repr(v) for v in s.face_centre_mm),
                *(repr(v) for v in s.target_mm),
                s.eye,
            ]
        )
        for s in written
    ]
    (folder / f"{person_id}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


# --- parsing and loading -----------------------------------------------------------------------


def test_annotation_line_fields_in_readme_order(tmp_path: Path) -> None:
    line = (
        "day03/0042.jpg 1000 250 "
        "1 2 3 4 5 6 7 8 9 10 11 12 "
        "-0.1 0.2 -0.3 10.5 -20.25 600 "
        "12.5 -30 580.75 "
        "-100 50.5 -5 "
        "left"
    )
    sample = parse_mpii_line(line, tmp_path / "p07")
    assert sample.person_id == "p07"
    assert sample.image_path == tmp_path / "p07" / "day03" / "0042.jpg"
    assert sample.target_screen_px == (1000.0, 250.0)
    assert sample.landmarks_px == tuple((float(x), float(x + 1)) for x in range(1, 12, 2))
    assert sample.head_rotation_vector == (-0.1, 0.2, -0.3)
    assert sample.head_translation_mm == (10.5, -20.25, 600.0)
    assert sample.face_centre_mm == (12.5, -30.0, 580.75)
    assert sample.target_mm == (-100.0, 50.5, -5.0)
    assert sample.evaluation_eye == "left"
    assert sample.gaze_direction == (-112.5, 80.5, -585.75)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("day01/0001.jpg 1 2 3", "28 fields"),
        ("day01/0001.jpg " + "1 " * 26 + "both", "'left' or 'right'"),
        ("day01/0001.jpg " + "1 " * 25 + "x left", "not a number"),
        ("day01/0001.jpg " + "1 " * 25 + "nan left", "non-finite"),
    ],
)
def test_malformed_annotation_lines_say_why(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_mpii_line(line, tmp_path / "p00")


def test_loads_what_the_files_hold(tmp_path: Path) -> None:
    rvec, tvec = (0.2, -0.05, 0.01), (-160.0, 8.0, -12.0)
    written = write_mpii_person(
        tmp_path, "p03", [uniform(g) for g in (10, 20, 30)], rvec=rvec, tvec=tvec
    )
    write_mpii_person(tmp_path, "p01", [uniform(40)])
    (tmp_path / "notes").mkdir()  # not a participant folder: ignored
    persons = load_mpiifacegaze(tmp_path)
    assert [p.person_id for p in persons] == ["p01", "p03"]
    person = persons[1]
    assert person.camera.intrinsics == CameraIntrinsics(700.0, 700.0, 359.5, 287.5)
    assert person.camera.distortion == (0.01, -0.02, 0.0, 0.0, 0.0)
    screen = person.screen
    assert (screen.width_px, screen.height_px, screen.width_mm, screen.height_mm) == (
        1280.0, 800.0, 300.0, 190.0,
    )  # fmt: skip
    assert screen.rotation_vector == pytest.approx(rvec)
    assert screen.translation_mm == pytest.approx(tvec)
    assert len(person.samples) == 3
    for sample, truth in zip(person.samples, written, strict=True):
        assert sample.image_path == tmp_path / "p03" / truth.image
        assert sample.image_path.is_file()
        assert sample.target_screen_px == truth.target_px
        assert sample.landmarks_px == tuple(
            zip(truth.landmarks[::2], truth.landmarks[1::2], strict=True)
        )
        assert sample.head_rotation_vector + sample.head_translation_mm == truth.head
        assert sample.face_centre_mm == truth.face_centre_mm
        assert sample.target_mm == truth.target_mm
        assert sample.evaluation_eye == truth.eye
        # The screen-to-camera conversion reproduces the 3D target the file holds.
        assert screen.camera_mm(sample.target_screen_px) == pytest.approx(truth.target_mm)
    # A single participant folder works too.
    assert [p.person_id for p in load_mpiifacegaze(tmp_path / "p01")] == ["p01"]


def test_readme_spelling_of_the_rotation_key_is_accepted(tmp_path: Path) -> None:
    write_mpii_person(tmp_path, "p00", [uniform(10)], rvec=(0.1, 0.2, 0.3), rotation_key="rvecs")
    (person,) = load_mpiifacegaze(tmp_path)
    assert person.screen.rotation_vector == pytest.approx((0.1, 0.2, 0.3))


def test_wrong_folders_and_missing_files_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a folder"):
        load_mpiifacegaze(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no MPIIFaceGaze participant folders"):
        load_mpiifacegaze(tmp_path / "empty")
    write_mpii_person(tmp_path / "a", "p00", [uniform(10)])
    (tmp_path / "a" / "p00" / "Calibration" / "monitorPose.mat").unlink()
    with pytest.raises(InputError, match=r"missing .*monitorPose\.mat"):
        load_mpiifacegaze(tmp_path / "a")
    write_mpii_person(tmp_path / "b", "p00", [uniform(10)])
    savemat(tmp_path / "b" / "p00" / "Calibration" / "screenSize.mat", {"width_pixel": 1.0})
    with pytest.raises(InputError, match="has no height_pixel"):
        load_mpiifacegaze(tmp_path / "b")
    write_mpii_person(tmp_path / "c", "p00", [uniform(10)])
    (tmp_path / "c" / "p00" / "Calibration" / "Camera.mat").write_text("not matlab")
    with pytest.raises(InputError, match=r"Camera\.mat"):
        load_mpiifacegaze(tmp_path / "c")
    write_mpii_person(tmp_path / "d", "p00", [uniform(10)])
    with (tmp_path / "d" / "p00" / "p00.txt").open("a", encoding="utf-8") as annotation:
        annotation.write("day01/0002.jpg 1 2\n")
    with pytest.raises(InputError, match=r"p00\.txt, line 2: .*28 fields"):
        load_mpiifacegaze(tmp_path / "d")
    (tmp_path / "e" / "p00").mkdir(parents=True)
    with pytest.raises(InputError, match=r"not an MPIIFaceGaze participant folder: no p00\.txt"):
        load_mpiifacegaze(tmp_path / "e")


# --- protocol pieces ---------------------------------------------------------------------------


def test_screen_and_angular_error_on_known_geometry(tmp_path: Path) -> None:
    screen = MpiiScreen(1000.0, 500.0, 250.0, 125.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
    line = "day01/0001.jpg 0 0 " + "1 " * 12 + "0 0 0 0 0 500 " + "0 0 500 " + "0 0 0 right"
    sample = parse_mpii_line(line, tmp_path / "p00")
    assert mpii_errors(screen, sample, (0.0, 0.0)) == (0.0, 0.0)
    # 400 px is 100 mm on this screen; from 500 mm away that is atan(100 / 500).
    screen_mm, angle_deg = mpii_errors(screen, sample, (400.0, 0.0))
    assert screen_mm == pytest.approx(100.0)
    assert angle_deg == pytest.approx(math.degrees(math.atan(0.2)))
    screen_mm, angle_deg = mpii_errors(screen, sample, (0.0, 400.0))
    assert screen_mm == pytest.approx(100.0)
    with pytest.raises(InputError, match="finite"):
        mpii_errors(screen, sample, (math.nan, 0.0))


# --- the protocol with a pipeline that knows the answer ----------------------------------------


def _mpii_fixture(tmp_path: Path, count: int) -> tuple[list[WrittenSample], list[BgrImage]]:
    images = [uniform(10 + 5 * i) for i in range(count)] + [uniform(NO_FACE_GREY)]
    return write_mpii_person(tmp_path, "p00", images), images


def test_perfect_gaze_gives_near_zero_errors(tmp_path: Path) -> None:
    written, _ = _mpii_fixture(tmp_path, 30)
    # The fake's gaze ray runs from the face centre to the true target: exactly right.
    answers = {
        10 + 5 * i: gaze_sample(s.face_centre_mm, np.subtract(s.target_mm, s.face_centre_mm))
        for i, s in enumerate(written[:30])
    }
    evaluation = evaluate_mpiifacegaze(
        load_mpiifacegaze(tmp_path), fake_pipeline(answers), calibration_samples=16
    )
    (person,) = evaluation.persons
    assert person.image_count == 31
    assert person.faces_not_found == 1
    assert person.gaze_unknown == 0
    assert person.calibration_count == 16
    assert len(person.predictions) == 30 - 16
    assert person.skipped_reason is None
    assert person.target_mismatch_mm == pytest.approx(0.0, abs=1e-6)
    assert person.mean_uncalibrated_angular_error_deg == pytest.approx(0.0, abs=1e-6)
    # The ray meets the screen plane (z = 0 here) at the target: calibration is an affine map,
    # which the model's ridge penalty reproduces to within a millimetre.
    assert person.mean_screen_error_mm < 1.0
    assert person.mean_angular_error_deg < 0.1
    evaluated = {p.sample.image_path for p in person.predictions}
    assert len(evaluated) == 14


def test_wrong_gaze_gives_the_error_it_should(tmp_path: Path) -> None:
    written, _ = _mpii_fixture(tmp_path, 30)
    # Every ray aims at the screen's centre: the calibrated prediction is the mean target, and
    # the uncalibrated error is the angle between the centre and the true target.
    centre_mm = _screen_to_camera((640.0, 400.0), (0.0, 0.0, 0.0), (-150.0, 10.0, 0.0))
    answers = {
        10 + 5 * i: gaze_sample(s.face_centre_mm, np.subtract(centre_mm, s.face_centre_mm))
        for i, s in enumerate(written[:30])
    }
    (person,) = evaluate_mpiifacegaze(
        load_mpiifacegaze(tmp_path), fake_pipeline(answers), calibration_samples=16
    ).persons
    for prediction in person.predictions:
        sample = prediction.sample
        expected = angular_error_deg(
            np.subtract(centre_mm, sample.face_centre_mm), sample.gaze_direction
        )
        assert prediction.uncalibrated_angular_error_deg == pytest.approx(expected)
    assert person.mean_screen_error_mm > 50.0


def test_too_few_usable_images_skip_the_person_and_say_why(tmp_path: Path) -> None:
    written, _ = _mpii_fixture(tmp_path, 5)
    answers = {
        10 + 5 * i: gaze_sample(s.face_centre_mm, np.subtract(s.target_mm, s.face_centre_mm))
        for i, s in enumerate(written[:5])
    }
    (person,) = evaluate_mpiifacegaze(load_mpiifacegaze(tmp_path), fake_pipeline(answers)).persons
    assert person.predictions == ()
    assert person.skipped_reason == "5 usable images, need more than 16"
    assert math.isnan(person.mean_angular_error_deg)


# --- the command, end to end with the real pipeline --------------------------------------------


def test_evaluate_mpiifacegaze_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faces = real_faces()
    write_mpii_person(tmp_path, "p00", [*faces, uniform(NO_FACE_GREY)])
    write_mpii_person(tmp_path, "p01", faces[:3], seed=1)
    status = main(["evaluate", "--dataset", "mpiifacegaze", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    rows = table_rows(captured.out, "| person")
    assert [row[0] for row in rows] == ["p00", "p01", "all"]
    p00, p01, pooled = rows
    assert p00[1] == "23"
    assert int(p00[2]) >= 1  # the blank frame
    assert p00[4] == "16"
    assert int(p00[5]) >= 1
    assert all(math.isfinite(float(value)) for value in p00[6:11])
    assert float(p00[10]) < 1e-3  # the fixture's gt is the converted screen target
    assert p01[5] == "0"
    assert "p01 not evaluated: " in captured.out
    assert pooled[1] == "26"
    assert pooled[5] == p00[5]
