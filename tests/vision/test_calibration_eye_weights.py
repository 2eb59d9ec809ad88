"""Each eye calibrated on its own and the two weighted by their calibration residuals."""

from __future__ import annotations

import json
import math

import cv2
import jsonschema
import numpy as np
import pytest
from numpy.typing import NDArray

from gazertc import protocol
from gazertc.errors import InputError
from gazertc.vision.calibration import (
    CalibrationError,
    CalibrationModel,
    CalibrationSample,
    EyeSignals,
    FeatureHistory,
    FrameFeatures,
    ScreenPoint,
)
from gazertc.vision.calibration.eye_weights import MIN_EYE_WEIGHT, EyeWeights, weighted_point
from gazertc.vision.gaze import angles_from_direction
from gazertc.vision.headpose import rotation_from_angles
from gazertc.vision.screen import ScreenGeometry
from gazertc.vision.types import (
    EyeObservation,
    EyeSide,
    GazeDirection,
    GazeSample,
    HeadPose,
    TrackingState,
    Vector3,
)

SCREEN = ScreenGeometry(1600, 900)
MM_PER_CSS_PX = SCREEN.mm_per_css_px


def test_weights_are_inverse_variance_within_bounds() -> None:
    weights = EyeWeights.from_residuals(1.0, 2.0)
    assert (weights.right, weights.left) == pytest.approx((0.8, 0.2))
    assert EyeWeights.from_residuals(3.0, 3.0).right == pytest.approx(0.5)
    assert EyeWeights.from_residuals(1.0, 100.0).right == pytest.approx(1.0 - MIN_EYE_WEIGHT)
    assert EyeWeights.from_residuals(0.0, 0.0).right == pytest.approx(0.5)
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(InputError):
            EyeWeights.from_residuals(bad, 1.0)
    with pytest.raises(InputError):
        EyeWeights(0.99, 0.01)
    with pytest.raises(InputError):
        EyeWeights(0.5, 0.6)


def test_weights_round_trip_and_refuse_what_is_not_a_pair_of_numbers() -> None:
    weights = EyeWeights(0.7, 0.3)
    assert EyeWeights.from_dict(json.loads(json.dumps(weights.to_dict()))) == weights
    for raw in ({"right": True, "left": 0.3}, {"right": "0.7", "left": 0.3}, {"right": 0.7}):
        with pytest.raises((KeyError, TypeError)):
            EyeWeights.from_dict(raw)


def test_weighted_point_uses_the_eyes_it_is_given() -> None:
    weights = EyeWeights(0.75, 0.25)
    both = weighted_point({EyeSide.RIGHT: (0.0, 4.0), EyeSide.LEFT: (8.0, 0.0)}, weights)
    assert both == pytest.approx((2.0, 3.0))
    assert weighted_point({EyeSide.LEFT: (8.0, 1.0)}, weights) == pytest.approx((8.0, 1.0))
    assert weighted_point({}, weights) is None


def _features(
    target: ScreenPoint,
    rng: np.random.Generator,
    noise_mm: dict[EyeSide, float],
    timestamp_unix_ns: int,
) -> FrameFeatures:
    """A frame whose eyes' rays land on the target (in mm of the screen, through an arbitrary
    affine distortion) with each eye's own noise; the combined ray is their mean."""
    target_mm = np.array([target.x_css_px, target.y_css_px]) * MM_PER_CSS_PX
    rays = {
        side: (0.8 * target_mm + np.array([20.0, -35.0]) + rng.normal(0.0, noise_mm[side], 2))
        for side in EyeSide
    }
    signals = {side: EyeSignals(gaze_ray_mm=(float(r[0]), float(r[1]))) for side, r in rays.items()}
    combined = (rays[EyeSide.RIGHT] + rays[EyeSide.LEFT]) / 2.0
    return FrameFeatures(
        timestamp_unix_ns=timestamp_unix_ns,
        gaze_ray_mm=(float(combined[0]), float(combined[1])),
        right_eye=signals[EyeSide.RIGHT],
        left_eye=signals[EyeSide.LEFT],
    )


def _grid(columns: int, rows: int) -> list[ScreenPoint]:
    return [
        ScreenPoint(SCREEN.width_css_px * (0.1 + 0.8 * c / (columns - 1)),
                    SCREEN.height_css_px * (0.1 + 0.8 * r / (rows - 1)))
        for r in range(rows) for c in range(columns)
    ]  # fmt: skip


def _mean_error_css_px(
    model: CalibrationModel, rng: np.random.Generator, noise_mm: dict[EyeSide, float]
) -> float:
    errors = []
    for target in _grid(5, 4) * 10:
        point = model.predict_features(_features(target, rng, noise_mm, 0))
        assert point is not None
        errors.append(point.distance_css_px(target))
    return float(np.mean(errors))


def test_a_noisy_eye_gets_less_weight_and_the_weighted_model_is_more_accurate() -> None:
    rng = np.random.default_rng(3)
    noise_mm = {EyeSide.RIGHT: 2.0, EyeSide.LEFT: 12.0}
    samples = [
        CalibrationSample(_features(target, rng, noise_mm, 10_000_000 * index), target, target_id)
        for target_id, target in enumerate(_grid(4, 3))
        for index in range(15)
    ]
    model = CalibrationModel.fit(samples, SCREEN)
    assert model.eye_weights is not None
    # Inverse variances: (1/2^2) / (1/2^2 + 1/12^2) = 0.97, held at 0.9.
    assert model.eye_weights.right == pytest.approx(1.0 - MIN_EYE_WEIGHT, abs=0.02)
    weighted = _mean_error_css_px(model, rng, noise_mm)
    combined_only = _mean_error_css_px(model.with_eyes(None, None), rng, noise_mm)
    assert weighted < 0.75 * combined_only

    # One eye's signal alone is enough; none falls back to the combined ray.
    target = ScreenPoint(800.0, 450.0)
    exact = _features(target, rng, {EyeSide.RIGHT: 0.0, EyeSide.LEFT: 0.0}, 0)
    one_eye = FrameFeatures(0, gaze_ray_mm=exact.gaze_ray_mm, right_eye=exact.right_eye)
    no_eye = FrameFeatures(0, gaze_ray_mm=exact.gaze_ray_mm)
    for features in (one_eye, no_eye):
        point = model.predict_features(features)
        assert point is not None and point.distance_css_px(target) < 20.0

    restored = CalibrationModel.from_json(model.to_json(), SCREEN)
    assert restored.eye_weights == model.eye_weights
    assert restored.predict_features(exact) == model.predict_features(exact)


def test_a_saved_model_with_malformed_eyes_is_refused() -> None:
    rng = np.random.default_rng(4)
    noise = {EyeSide.RIGHT: 1.0, EyeSide.LEFT: 1.0}
    samples = [
        CalibrationSample(_features(target, rng, noise, 0), target, target_id)
        for target_id, target in enumerate(_grid(3, 3))
        for _ in range(3)
    ]
    document = CalibrationModel.fit(samples, SCREEN, min_samples=9).to_dict()
    assert set(document["eyes"]) == {"weights", "right", "left"}
    schema = protocol.load_schema()
    model_schema = {"$ref": "#/$defs/calibration_model", "$defs": schema["$defs"]}
    jsonschema.validate(json.loads(json.dumps(document)), model_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "eyes": {**document["eyes"], "extra": 1}}, model_schema)
    malformed: list[object] = [
        [],
        "eyes",
        {"weights": {"right": 0.5, "left": 0.5}, "right": document["eyes"]["right"]},
        {**document["eyes"], "left": {**document["eyes"]["left"], "intercept": [1.0]}},
        {**document["eyes"], "weights": {"right": 2.0, "left": -1.0}},
    ]
    for eyes in malformed:
        with pytest.raises(CalibrationError):
            CalibrationModel.from_dict({**document, "eyes": eyes})
    without_eyes = {key: value for key, value in document.items() if key != "eyes"}
    assert CalibrationModel.from_dict(without_eyes).eye_weights is None


def _vector(values: NDArray[np.float64]) -> Vector3:
    return (float(values[0]), float(values[1]), float(values[2]))


def _converging_sample(
    target_mm: NDArray[np.float64], head_yaw_deg: float, used: tuple[EyeSide, ...]
) -> GazeSample:
    """A sample whose eyes, 63 mm apart along the head's x axis, look at ``target_mm``."""
    rotation = rotation_from_angles(head_yaw_deg, 0.0, 0.0)
    rotation_vector = np.asarray(cv2.Rodrigues(rotation)[0], dtype=np.float64).reshape(3)
    translation = np.array([10.0, 40.0, 600.0])
    centres = {
        side: translation + rotation @ np.array([sign * 31.5, -2.5, 21.5])
        for side, sign in ((EyeSide.RIGHT, -1.0), (EyeSide.LEFT, 1.0))
    }
    eyes = {}
    for side, centre in centres.items():
        yaw, pitch = angles_from_direction(target_mm - centre)
        eyes[side] = EyeObservation(
            side=side, centre_px=(300.0, 200.0), iris_radius_px=5.0, confidence=1.0,
            openness=0.3, is_open=True, inner_corner_px=(290.0, 200.0),
            outer_corner_px=(310.0, 200.0), gaze_yaw_deg=yaw, gaze_pitch_deg=pitch,
        )  # fmt: skip
    origin = np.asarray(np.mean([centres[side] for side in used], axis=0), dtype=np.float64)
    return GazeSample(
        timestamp_unix_ns=0, frame_index=0, frame_width_px=640, frame_height_px=480,
        face_found=True, tracking=TrackingState.TRACKED,
        right_eye=eyes[EyeSide.RIGHT], left_eye=eyes[EyeSide.LEFT],
        head_pose=HeadPose(
            head_yaw_deg, 0.0, 0.0, _vector(translation), _vector(rotation_vector), 0.5
        ),
        gaze=GazeDirection(0.0, 0.0, _vector(origin), (0.0, 0.0, -1.0), used),
    )  # fmt: skip


@pytest.mark.parametrize("head_yaw_deg", [0.0, 15.0])
@pytest.mark.parametrize("used", [(EyeSide.RIGHT, EyeSide.LEFT), (EyeSide.LEFT,)])
def test_each_eyes_own_ray_starts_at_its_own_eyeball(
    head_yaw_deg: float, used: tuple[EyeSide, ...]
) -> None:
    target_mm = np.array([-120.0, 80.0, 0.0])
    sample = _converging_sample(target_mm, head_yaw_deg, used)
    features = FrameFeatures.from_sample(sample)
    for side in EyeSide:
        own = features.for_eye(side)
        if side in used:
            assert own.gaze_ray_mm == pytest.approx(tuple(target_mm[:2]), abs=1e-6)
        else:
            assert own.gaze_ray_mm is None
        assert own.gaze_angles_deg is not None


def test_the_history_keeps_each_eyes_signals() -> None:
    history = FeatureHistory()
    frame = FrameFeatures(
        5, gaze_ray_mm=(1.0, 2.0), right_eye=EyeSignals((0.1, 0.2), (3.0, 4.0), (5.0, 6.0))
    )
    history.append(frame)
    assert history.between(0, 10) == [frame]
