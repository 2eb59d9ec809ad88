"""The Columbia Gaze loader, its protocol and ``gazertc evaluate --dataset columbia``.

The data set is not available here, so each test writes a small copy in its exact layout into
``tmp_path``: images named as published, either real faces or uniform frames for the fake
pipeline of :mod:`tests.evaluation.gaze_fakes`, whose known gaze lets the protocol's numbers be
checked exactly; the real pipeline runs end to end on the real faces (fake labels: structure
only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import pytest

from gazertc.cli import main
from gazertc.errors import InputError
from gazertc.evaluation.columbia import (
    COLUMBIA_CALIBRATION_LABELS,
    AngleCorrection,
    ColumbiaSample,
    evaluate_columbia,
    load_columbia,
    parse_columbia_name,
)
from gazertc.vision.types import BgrImage, GazeSample
from tests.evaluation.gaze_fakes import (
    NO_FACE_GREY,
    fake_pipeline,
    gaze_sample,
    real_faces,
    table_rows,
    uniform,
)

# --- parsing and loading -----------------------------------------------------------------------


def test_columbia_names_carry_the_labels(tmp_path: Path) -> None:
    sample = parse_columbia_name(tmp_path / "0003_2m_-15P_10V_-5H.jpg")
    assert sample == ColumbiaSample("0003", tmp_path / "0003_2m_-15P_10V_-5H.jpg", 2.0, -15, 10, -5)
    assert parse_columbia_name(tmp_path / "0003_2m_30P_0V_15H.JPG") is not None
    assert parse_columbia_name(tmp_path / "readme.txt") is None
    assert parse_columbia_name(tmp_path / "0003_2m_-15P_10V.jpg") is None


COLUMBIA_LABELS = [
    *sorted(COLUMBIA_CALIBRATION_LABELS),
    (15, 0, -10), (15, 0, 5), (15, 0, 10), (15, 10, 5), (-30, -10, 0), (-30, 10, 0),
]  # fmt: skip


def write_columbia_subject(root: Path, subject: str, images: Sequence[BgrImage]) -> list[Path]:
    folder = root / subject
    folder.mkdir(parents=True)
    paths = []
    for image, (pose, vertical, horizontal) in zip(images, COLUMBIA_LABELS, strict=False):
        path = folder / f"{subject}_2m_{pose}P_{vertical}V_{horizontal}H.jpg"
        assert cv2.imwrite(str(path), image)
        paths.append(path)
    (folder / "Thumbs.db").write_bytes(b"\x00")  # not an image of the set: ignored
    return paths


def test_columbia_loader_reads_the_layout(tmp_path: Path) -> None:
    write_columbia_subject(tmp_path, "0002", [uniform(10)] * 3)
    write_columbia_subject(tmp_path, "0001", [uniform(10)] * 15)
    samples = load_columbia(tmp_path)
    assert len(samples) == 18
    assert [s.subject_id for s in samples] == ["0001"] * 15 + ["0002"] * 3
    assert {s.labels for s in samples if s.subject_id == "0001"} == set(COLUMBIA_LABELS)
    assert all(s.image_path.is_file() and s.distance_m == 2.0 for s in samples)
    assert len(load_columbia(tmp_path / "0002")) == 3
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no Columbia Gaze images"):
        load_columbia(tmp_path / "empty")
    with pytest.raises(InputError, match="is not a folder"):
        load_columbia(tmp_path / "absent")


# --- protocol pieces ---------------------------------------------------------------------------


def test_angle_correction_recovers_an_affine_map() -> None:
    predicted = [(-10.0, 5.0), (0.0, 0.0), (10.0, -5.0), (3.0, 8.0), (-7.0, -2.0)]
    labelled = [(2.0 + 1.5 * y - 0.2 * p, -1.0 + 0.1 * y + 0.8 * p) for y, p in predicted]
    correction = AngleCorrection.fit(predicted, labelled)
    for angles, truth in zip(predicted, labelled, strict=True):
        assert correction.apply(*angles) == pytest.approx(truth)
    with pytest.raises(InputError, match="needs 3"):
        AngleCorrection.fit(predicted[:2], labelled[:2])
    with pytest.raises(InputError, match="4 predictions for 5"):
        AngleCorrection.fit(predicted[:4], labelled)


def _columbia_answers(
    samples: Sequence[ColumbiaSample], horizontal_sign: float
) -> tuple[list[BgrImage], dict[int, GazeSample]]:
    """Frames and a fake whose gaze has exactly the labelled angles (horizontal times a sign),
    from an eye on the optical axis 2 m away."""
    images, answers = [], {}
    for index, sample in enumerate(samples):
        grey = 10 + 5 * index
        images.append(uniform(grey))
        yaw, pitch = (
            math.radians(horizontal_sign * sample.gaze_horizontal_deg),
            math.radians(sample.gaze_vertical_deg),
        )
        direction = (
            math.cos(pitch) * math.sin(yaw), -math.sin(pitch), -math.cos(pitch) * math.cos(yaw),
        )  # fmt: skip
        answers[grey] = gaze_sample((0.0, 0.0, 2000.0), direction)
    return images, answers


@pytest.mark.parametrize("horizontal_sign", [1.0, -1.0])
def test_columbia_protocol_with_known_answers(tmp_path: Path, horizontal_sign: float) -> None:
    labels_only = [
        ColumbiaSample("0001", tmp_path, 2.0, pose, vertical, horizontal)
        for pose, vertical, horizontal in COLUMBIA_LABELS
    ]
    images, answers = _columbia_answers(labels_only, horizontal_sign)
    write_columbia_subject(tmp_path, "0001", [*images, uniform(NO_FACE_GREY)])
    # The 16th label has no image: add a no-face frame under a label of its own.
    assert cv2.imwrite(str(tmp_path / "0001" / "0001_2m_30P_0V_0H.jpg"), uniform(NO_FACE_GREY))
    evaluation = evaluate_columbia(load_columbia(tmp_path), fake_pipeline(answers))
    overall = evaluation.overall
    assert overall.image_count == 16
    assert overall.faces_not_found == 1
    assert [g.head_pose_deg for g in evaluation.by_head_pose] == [-30, 0, 15, 30]
    assert [g.image_count for g in evaluation.by_head_pose] == [2, 9, 4, 1]
    # Calibrated on the 9 frontal images; scored on the 6 others with a face.
    assert overall.calibrated_count == 6
    assert overall.mean_calibrated_error_deg == pytest.approx(0.0, abs=1e-6)
    assert evaluation.uncalibrated_subjects == ()
    # Pairs: at 0P, 3 V rows of H in {-15, 0, 15} (9 pairs) and 3 H columns of 3 V (9 pairs);
    # at 15P, V=0 holds H in {-10, 5, 10} (3 pairs) and H=5 holds V in {0, 10} (1 pair); at -30P,
    # V in {-10, 10} at H=0 (1 pair).
    assert overall.horizontal_pairs == 12
    assert overall.vertical_pairs == 11
    assert overall.vertical_order == 1.0
    if horizontal_sign > 0:
        assert overall.mean_uncalibrated_error_deg == pytest.approx(0.0, abs=1e-6)
        assert overall.horizontal_order == 1.0
    else:
        assert overall.mean_uncalibrated_error_deg > 5.0
        assert overall.horizontal_order == 0.0


# --- the command, end to end with the real pipeline --------------------------------------------


def test_evaluate_columbia_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    faces = real_faces()
    write_columbia_subject(tmp_path, "0001", [*faces[:14], uniform(NO_FACE_GREY)])
    status = main(["evaluate", "--dataset", "columbia", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    rows = table_rows(captured.out, "| head pose deg")
    assert [row[0] for row in rows] == ["-30", "0", "15", "all"]
    overall = rows[-1]
    assert overall[1] == "15"
    assert int(overall[2]) >= 1
    assert math.isfinite(float(overall[4]))
    assert 0.0 <= float(overall[7]) <= 1.0
