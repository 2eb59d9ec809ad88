"""The verdict on a calibration and a validation, on generated data with known ground truth."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gazertc.vision.calibration import (
    CalibrationModel,
    Quality,
    ValidationResult,
    fit_and_judge,
    judge_validation,
)
from gazertc.vision.calibration.quality import (
    ASSUMED_DIAGONAL_DEG,
    LOTO_FAIR_DEG,
    LOTO_GOOD_DEG,
    MIN_GAZE_RANGE_DEG,
    VALIDATION_FAIR_DEG,
    VALIDATION_GOOD_DEG,
    screen_css_px,
    screen_deg,
)
from gazertc.vision.screen import offset_deg_from_css_px
from tests.vision.calibration_scenarios import (
    CALIBRATION_GRID,
    clean_calibration,
    missing_calibration,
    staring_calibration,
)
from tests.vision.gaze_simulation import LAPTOP_SCREEN

SEEDS = (1, 2, 3)


def _grade(error_deg: float) -> Quality:
    if error_deg <= LOTO_GOOD_DEG:
        return Quality.GOOD
    return Quality.FAIR if error_deg <= LOTO_FAIR_DEG else Quality.POOR


@pytest.mark.parametrize("seed", SEEDS)
def test_a_person_who_looks_at_the_targets_gets_good(seed: int) -> None:
    model, verdict = fit_and_judge(clean_calibration(seed).samples, LAPTOP_SCREEN)
    assert verdict.quality is Quality.GOOD, verdict.reason
    assert verdict.loto_error_deg is not None and verdict.loto_error_css_px is not None
    # Measured about 0.3 degrees on these users; the held-out error exceeds the fit's own.
    assert verdict.loto_error_deg < 1.5
    assert model.fit_report is not None
    assert verdict.loto_error_css_px >= model.fit_report.mean_offset_css_px
    assert "good" in verdict.reason
    assert verdict.gaze_range_deg is not None and verdict.gaze_range_deg > 20.0


@pytest.mark.parametrize(("miss_deg", "expected"), [(4.5, Quality.FAIR), (9.0, Quality.POOR)])
def test_a_person_who_misses_the_targets_is_graded_by_the_held_out_error(
    miss_deg: float, expected: Quality
) -> None:
    verdicts = [
        fit_and_judge(missing_calibration(seed, miss_deg).samples, LAPTOP_SCREEN)[1]
        for seed in SEEDS
    ]
    for verdict in verdicts:
        assert verdict.loto_error_deg is not None
        assert verdict.quality is _grade(verdict.loto_error_deg), verdict.reason
    # A miss of 4.5 degrees per target lands between the thresholds, 9 degrees beyond them.
    assert sum(verdict.quality is expected for verdict in verdicts) >= 2
    clean = fit_and_judge(clean_calibration(SEEDS[0]).samples, LAPTOP_SCREEN)[1]
    assert clean.loto_error_deg is not None
    assert min(v.loto_error_deg or 0.0 for v in verdicts) > clean.loto_error_deg


@pytest.mark.parametrize("seed", SEEDS)
def test_a_person_staring_at_the_camera_gets_poor_because_the_gaze_barely_moved(
    seed: int,
) -> None:
    model, verdict = fit_and_judge(staring_calibration(seed).samples, LAPTOP_SCREEN)
    assert verdict.quality is Quality.POOR
    assert verdict.reason.startswith("Your gaze barely moved between the targets")
    assert verdict.gaze_range_deg is not None and verdict.gaze_range_deg < MIN_GAZE_RANGE_DEG
    assert verdict.gaze_separation < 1.0
    # The fit alone would not have told: it maps the noise onto the targets' mean.
    assert model.fit_report is not None


def test_without_a_viewing_distance_the_screen_diagonal_judges() -> None:
    samples = [
        replace(sample, features=replace(sample.features, viewing_distance_mm=None))
        for sample in clean_calibration(SEEDS[0]).samples
    ]
    _, verdict = fit_and_judge(samples, LAPTOP_SCREEN)
    assert verdict.loto_error_deg is None and verdict.loto_error_css_px is not None
    assert verdict.quality is Quality.GOOD
    diagonal_deg = screen_deg(LAPTOP_SCREEN.diagonal_css_px, LAPTOP_SCREEN, None)
    assert diagonal_deg == pytest.approx(ASSUMED_DIAGONAL_DEG)
    for distance_mm in (None, 450.0, 800.0):
        length_css_px = screen_css_px(2.5, LAPTOP_SCREEN, distance_mm)
        assert screen_deg(length_css_px, LAPTOP_SCREEN, distance_mm) == pytest.approx(2.5)


def test_with_too_few_targets_the_fit_offsets_judge_and_the_reason_says_so() -> None:
    first_four = [sample for sample in clean_calibration(SEEDS[0]).samples if sample.target_id < 4]
    model, verdict = fit_and_judge(first_four, LAPTOP_SCREEN)
    assert verdict.loto_error_css_px is None and verdict.loto_error_deg is None
    assert "Only 4 targets" in verdict.reason and "understates" in verdict.reason
    assert model.fit_report is not None and model.fit_report.mean_offset_deg is not None
    assert verdict.quality is _grade(model.fit_report.mean_offset_deg)


def test_the_fit_is_the_same_with_or_without_the_verdict() -> None:
    samples = clean_calibration(SEEDS[1]).samples
    judged, _ = fit_and_judge(samples, LAPTOP_SCREEN)
    plain = CalibrationModel.fit(samples, LAPTOP_SCREEN)
    assert judged.to_dict() | {"created_unix_ns": 0} == plain.to_dict() | {"created_unix_ns": 0}
    assert len(CALIBRATION_GRID) == len(judged.fit_report.targets if judged.fit_report else [])


def _validation(accuracy_deg: float | None, accuracy_css_px: float | None) -> ValidationResult:
    return ValidationResult((), accuracy_css_px, accuracy_deg, None, None, 600.0)


@pytest.mark.parametrize(
    ("accuracy_deg", "expected"),
    [
        (VALIDATION_GOOD_DEG, Quality.GOOD),
        (VALIDATION_GOOD_DEG + 0.01, Quality.FAIR),
        (VALIDATION_FAIR_DEG, Quality.FAIR),
        (VALIDATION_FAIR_DEG + 0.01, Quality.POOR),
    ],
)
def test_a_validation_is_graded_by_its_accuracy(accuracy_deg: float, expected: Quality) -> None:
    verdict = judge_validation(_validation(accuracy_deg, 100.0), LAPTOP_SCREEN)
    assert verdict.quality is expected
    assert f"{accuracy_deg:.1f}°" in verdict.reason


def test_a_validation_without_samples_is_poor_and_one_without_distance_uses_the_diagonal() -> None:
    empty = judge_validation(_validation(None, None), LAPTOP_SCREEN)
    assert empty.quality is Quality.POOR and "No validation target" in empty.reason
    tenth_of_diagonal = LAPTOP_SCREEN.diagonal_css_px / 10.0  # 3.6 degrees assumed: fair
    assert judge_validation(_validation(None, tenth_of_diagonal), LAPTOP_SCREEN).quality is (
        Quality.FAIR
    )
    at_60_cm = offset_deg_from_css_px(tenth_of_diagonal, LAPTOP_SCREEN, 600.0)
    assert at_60_cm == pytest.approx(ASSUMED_DIAGONAL_DEG / 10.0, rel=0.15)


def test_a_position_shown_again_under_another_id_is_left_out_with_it() -> None:
    # The same twelve positions a second time (ids 12-23), as a calibration at a second viewing
    # distance shows them: the same misses again. Keeping a repeat in the fit would let the
    # refit see the held-out position's own miss and look as good as the fit itself.
    once = missing_calibration(SEEDS[0], 4.5).samples
    repeat_ids = len(CALIBRATION_GRID)
    twice = [*once, *(replace(s, target_id=s.target_id + repeat_ids) for s in once)]
    _, verdict_once = fit_and_judge(once, LAPTOP_SCREEN)
    model_twice, verdict_twice = fit_and_judge(twice, LAPTOP_SCREEN)
    assert verdict_once.loto_error_css_px is not None
    assert verdict_twice.loto_error_css_px is not None
    assert model_twice.fit_report is not None
    # Pooling the repeats changes nothing the ridge fit sees but their weight: held out with
    # its repeat, each position is predicted as in one round (measured 233 px, fit 175 px;
    # keeping the repeat in the fit gave 199 px).
    assert verdict_twice.loto_error_css_px == pytest.approx(
        verdict_once.loto_error_css_px, rel=1e-6
    )
    assert verdict_twice.loto_error_css_px > model_twice.fit_report.mean_offset_css_px
