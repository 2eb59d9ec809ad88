"""GazeTracking-compatible fields from constructed samples (the iris moved on purpose) and from
the shared sample fixtures; their codec and their place in the sample text."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from gazertc import protocol
from gazertc.records import GazeTrackingFields, SampleMessage
from gazertc.vision.gaze_tracking import (
    LEFT_RATIO_MIN,
    RIGHT_RATIO_MAX,
    eye_ratios,
    gaze_tracking_fields,
)
from gazertc.vision.types import (
    EyeObservation,
    EyeSide,
    GazeSample,
    PointPx,
    TrackingState,
)

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "messages"

EYE_WIDTH_PX = 30.0
LID_GAP_PX = 10.0
CENTRES = {EyeSide.RIGHT: (170.0, 120.0), EyeSide.LEFT: (230.0, 120.0)}
"""A frontal face: the subject's right eye on the image's left."""


def _rotate(point: PointPx, angle_deg: float, about: PointPx = (200.0, 120.0)) -> PointPx:
    angle = math.radians(angle_deg)
    x, y = point[0] - about[0], point[1] - about[1]
    return (
        about[0] + x * math.cos(angle) - y * math.sin(angle),
        about[1] + x * math.sin(angle) + y * math.cos(angle),
    )


def _eye_points(side: EyeSide) -> dict[int, PointPx]:
    """The 6 dlib landmarks of one eye: corners on y = centre, lids LID_GAP_PX apart."""
    cx, cy = CENTRES[side]
    half, third = EYE_WIDTH_PX / 2, EYE_WIDTH_PX / 6
    image_left, upper_a, upper_b = (cx - half, cy), (cx - third, cy - 5), (cx + third, cy - 5)
    image_right, lower_b, lower_a = (cx + half, cy), (cx + third, cy + 5), (cx - third, cy + 5)
    first = 36 if side is EyeSide.RIGHT else 42
    # 36/42 .. 41/47 go round the eye from its image-left corner: upper lid, right corner, lower.
    ordered = (image_left, upper_a, upper_b, image_right, lower_b, lower_a)
    return {first + index: point for index, point in enumerate(ordered)}


def _sample(
    iris_offset: tuple[float, float] = (0.0, 0.0),
    *,
    roll_deg: float = 0.0,
    blinking: bool = False,
    open_eyes: tuple[bool, bool] = (True, True),
    face_found: bool = True,
) -> GazeSample:
    """A frontal face whose irises sit ``iris_offset`` (fractions of the eye's width and lid
    gap, image axes) from each eye's middle, the whole face rolled by ``roll_deg``."""
    landmarks: list[PointPx] = [(200.0, 200.0)] * 68
    eyes: dict[EyeSide, EyeObservation] = {}
    for side, is_open in zip((EyeSide.RIGHT, EyeSide.LEFT), open_eyes, strict=True):
        points = _eye_points(side)
        for index, point in points.items():
            landmarks[index] = _rotate(point, roll_deg)
        cx, cy = CENTRES[side]
        iris = (cx + iris_offset[0] * EYE_WIDTH_PX, cy + iris_offset[1] * LID_GAP_PX)
        first = 36 if side is EyeSide.RIGHT else 42
        image_left, image_right = points[first], points[first + 3]
        # The subject's right eye has its outer corner on the image's left.
        outer, inner = (
            (image_left, image_right) if side is EyeSide.RIGHT else (image_right, image_left)
        )
        eyes[side] = EyeObservation(
            side=side,
            centre_px=_rotate(iris, roll_deg) if is_open else None,
            iris_radius_px=5.0 if is_open else None,
            confidence=0.9 if is_open else 0.0,
            openness=0.33 if is_open else 0.05,
            is_open=is_open,
            inner_corner_px=_rotate(inner, roll_deg),
            outer_corner_px=_rotate(outer, roll_deg),
        )
    return GazeSample(
        timestamp_unix_ns=1_767_225_600_000_000_000,
        frame_index=0,
        frame_width_px=400,
        frame_height_px=300,
        face_found=face_found,
        tracking=TrackingState.DETECTED if face_found else TrackingState.LOST,
        landmarks_px=tuple(landmarks) if face_found else None,
        right_eye=eyes[EyeSide.RIGHT] if face_found else None,
        left_eye=eyes[EyeSide.LEFT] if face_found else None,
        blinking=blinking,
    )


def test_centred_irises_look_at_the_centre() -> None:
    fields = gaze_tracking_fields(_sample())
    assert fields.horizontal_ratio == pytest.approx(0.5)
    assert fields.vertical_ratio == pytest.approx(0.5)
    assert (fields.is_center, fields.is_left, fields.is_right) == (True, False, False)
    assert fields.frame_processed and not fields.is_blinking
    assert fields.attention_score == pytest.approx(1.0)
    # GazeTracking's naming: pupil_left is the eye on the image's left (the subject's right).
    assert fields.pupil_left == pytest.approx(CENTRES[EyeSide.RIGHT])
    assert fields.pupil_right == pytest.approx(CENTRES[EyeSide.LEFT])


def test_the_horizontal_ratio_follows_the_iris_and_crosses_the_thresholds() -> None:
    offsets = [-0.4, -0.2, -0.1, 0.0, 0.1, 0.2, 0.4]
    ratios = [gaze_tracking_fields(_sample((offset, 0.0))).horizontal_ratio for offset in offsets]
    located = [ratio for ratio in ratios if ratio is not None]
    assert len(located) == len(offsets)
    assert located == sorted(located) and len(set(located)) == len(located)
    # Irises towards the image's left: the subject looks to their right (0 = right).
    towards_image_left = gaze_tracking_fields(_sample((-0.2, 0.0)))
    assert towards_image_left.horizontal_ratio == pytest.approx(0.3)
    assert towards_image_left.is_right and not towards_image_left.is_left
    assert not towards_image_left.is_center
    towards_image_right = gaze_tracking_fields(_sample((0.2, 0.0)))
    assert towards_image_right.horizontal_ratio == pytest.approx(0.7)
    assert towards_image_right.is_left and not towards_image_right.is_right
    # Exactly at the documented thresholds.
    assert gaze_tracking_fields(_sample((RIGHT_RATIO_MAX - 0.5, 0.0))).is_right
    assert gaze_tracking_fields(_sample((LEFT_RATIO_MIN - 0.5, 0.0))).is_left
    assert gaze_tracking_fields(_sample((RIGHT_RATIO_MAX - 0.5 + 0.01, 0.0))).is_center


def test_the_vertical_ratio_follows_the_iris_between_the_lids() -> None:
    up = gaze_tracking_fields(_sample((0.0, -0.3)))
    down = gaze_tracking_fields(_sample((0.0, 0.3)))
    assert up.vertical_ratio == pytest.approx(0.2)
    assert down.vertical_ratio == pytest.approx(0.8)
    assert up.horizontal_ratio == pytest.approx(0.5)  # vertical moves leave it alone


def test_head_roll_changes_nothing() -> None:
    for roll_deg in (-25.0, 15.0):
        upright = gaze_tracking_fields(_sample((0.15, -0.2)))
        rolled = gaze_tracking_fields(_sample((0.15, -0.2), roll_deg=roll_deg))
        assert rolled.horizontal_ratio == pytest.approx(upright.horizontal_ratio)
        assert rolled.vertical_ratio == pytest.approx(upright.vertical_ratio)


def test_ratios_beyond_the_corners_are_clamped() -> None:
    fields = gaze_tracking_fields(_sample((-0.9, 0.9)))
    assert (fields.horizontal_ratio, fields.vertical_ratio) == (0.0, 1.0)
    assert fields.attention_score == 0.0


def test_blinks_closed_eyes_and_missing_faces() -> None:
    blinking = gaze_tracking_fields(_sample(blinking=True))
    assert blinking.is_blinking and blinking.attention_score == 0.0
    one_open = gaze_tracking_fields(_sample((0.1, 0.0), open_eyes=(False, True)))
    assert one_open.pupil_left is None and one_open.pupil_right is not None
    assert one_open.horizontal_ratio == pytest.approx(0.6)  # the open eye alone
    assert one_open.attention_score == pytest.approx(0.5 * (1 - 0.1 / 0.5))
    closed = gaze_tracking_fields(_sample(open_eyes=(False, False)))
    assert not closed.frame_processed and closed.horizontal_ratio is None
    assert not (closed.is_center or closed.is_left or closed.is_right)
    no_face = gaze_tracking_fields(_sample(face_found=False))
    assert no_face == GazeTrackingFields(
        None, None, None, None, False, False, False, False, 0.0, False
    )


def test_an_eye_without_landmarks_gives_no_vertical_ratio() -> None:
    eye = _sample((0.1, 0.2)).right_eye
    assert eye is not None
    ratios = eye_ratios(eye, None)
    assert ratios is not None
    assert ratios[0] == pytest.approx(0.6) and ratios[1] is None
    degenerate = replace(eye, inner_corner_px=eye.outer_corner_px)
    assert eye_ratios(degenerate, None) is None


@pytest.mark.parametrize(
    "name", ["sample.face.json", "sample.blink_dark.json", "sample.no_face.json"]
)
def test_fixture_samples_give_valid_fields_and_exact_text(name: str) -> None:
    raw = json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))
    message = SampleMessage.from_dict(raw)
    fields = gaze_tracking_fields(message.sample)
    with_fields = replace(message, gaze_tracking=fields)
    text = protocol.sample_text_with_gaze_tracking(protocol.encode(message.to_dict()), fields)
    assert text == protocol.encode(with_fields.to_dict())
    decoded = json.loads(text)
    protocol.validate(decoded, "sample")
    assert SampleMessage.from_dict(decoded).to_dict() == with_fields.to_dict()
    assert fields.frame_processed == (
        message.sample.face_found and fields.horizontal_ratio is not None
    )
    assert fields.is_blinking == message.sample.blinking


def test_the_fixture_with_fields_matches_what_the_function_gives() -> None:
    raw = json.loads((FIXTURES_DIR / "sample.gaze_tracking.json").read_text(encoding="utf-8"))
    message = SampleMessage.from_dict(raw)
    assert message.gaze_tracking is not None
    assert message.gaze_tracking.to_dict() == gaze_tracking_fields(message.sample).to_dict()
