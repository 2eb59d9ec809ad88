"""What the gaze data set evaluations share: the calibration split, the angular error, and
``gazertc evaluate`` refusing a folder that is not the data set named."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gazertc.cli import main
from gazertc.errors import InputError
from gazertc.evaluation.gaze_common import angular_error_deg, calibration_split

# --- protocol pieces ---------------------------------------------------------------------------


def test_calibration_split_takes_k_per_person_reproducibly() -> None:
    calibration, evaluation = calibration_split(40, 9, seed=3, key="p00")
    assert len(calibration) == 9
    assert sorted(calibration + evaluation) == list(range(40))
    assert calibration == calibration_split(40, 9, seed=3, key="p00")[0]
    assert calibration != calibration_split(40, 9, seed=3, key="p01")[0]
    assert calibration != calibration_split(40, 9, seed=4, key="p00")[0]
    with pytest.raises(InputError, match="cannot calibrate on 5 of 5"):
        calibration_split(5, 5, seed=0)
    with pytest.raises(InputError, match="cannot calibrate on 0"):
        calibration_split(5, 0, seed=0)


def test_angular_error_on_known_vectors() -> None:
    assert angular_error_deg((0, 0, -1), (0, 0, -5)) == 0.0
    assert angular_error_deg((1, 0, 0), (0, 0, -1)) == pytest.approx(90.0)
    assert angular_error_deg((1, 0, 0), (-2, 0, 0)) == pytest.approx(180.0)
    assert angular_error_deg((1, 1, 0), (1, 0, 0)) == pytest.approx(45.0)
    assert angular_error_deg((1e-6, 0, -1), (0, 0, -1)) == pytest.approx(math.degrees(1e-6))
    with pytest.raises(InputError, match="non-zero"):
        angular_error_deg((0, 0, 0), (0, 0, -1))


# --- the command, on either data set -----------------------------------------------------------


def test_evaluate_reports_a_wrong_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["evaluate", "--dataset", "columbia", str(tmp_path)])
    assert status == 2
    assert "no Columbia Gaze images" in capsys.readouterr().err
    status = main(["evaluate", "--dataset", "mpiifacegaze", str(tmp_path / "absent")])
    assert status == 2
    assert "is not a folder" in capsys.readouterr().err
