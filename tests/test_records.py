"""The wire records' codecs: exact round trips on real frames and on the contract fixtures, and
the one column function that CSV, BIDS and LSL share."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from gazertc import protocol
from gazertc.records import (
    SAMPLE_COLUMNS,
    FixationEvent,
    RecordingInfo,
    SaccadeEvent,
    SampleMessage,
    ScreenGaze,
    StatusReport,
    StoredEvent,
    oculomotor_from_dict,
    sample_columns,
)
from gazertc.vision.types import WIRE_DIGITS, GazeSample
from tests.real_samples import real_sample_messages

FIXTURES = Path(__file__).parent / "fixtures" / "messages"


def _fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def test_real_samples_round_trip_exactly_at_wire_precision() -> None:
    messages = real_sample_messages()
    assert sum(message.sample.face_found for message in messages) >= len(messages) - 2
    for message in messages:
        wire = message.to_dict()
        protocol.validate_message(wire)
        decoded = SampleMessage.from_dict(json.loads(json.dumps(wire)))
        assert decoded.to_dict() == wire
        # A decoded record is already at wire precision: a second trip changes nothing.
        assert SampleMessage.from_dict(decoded.to_dict()) == decoded
        # And it differs from the pipeline's own values by the rounding only.
        original, again = message.sample, decoded.sample
        assert original.landmarks_px is not None and again.landmarks_px is not None
        for (x, y), (x2, y2) in zip(original.landmarks_px, again.landmarks_px, strict=True):
            assert abs(x - x2) <= 5e-5 and abs(y - y2) <= 5e-5
        assert again.tracking is original.tracking
        assert again.quality.flags == original.quality.flags


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("sample.*.json")), ids=lambda p: p.stem)
def test_sample_fixtures_round_trip_exactly(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    message = SampleMessage.from_dict(raw)
    assert message.to_dict() == raw
    assert message.calibrated == ("screen_point" in raw)
    assert GazeSample.from_dict(raw).to_dict() == message.sample.to_dict()


def test_sample_text_adds_the_screen_point_as_a_value() -> None:
    (message, *_) = real_sample_messages()
    text = protocol.encode(message.to_dict())
    assert protocol.sample_text(text, calibrated=False) == text
    point = ScreenGaze(812.44, 403.91, 798.0, 410.25)
    calibrated = SampleMessage(message.sample, message.timing, True, point)
    composed = protocol.sample_text(text, calibrated=True, screen_point=point)
    assert json.loads(composed) == calibrated.to_dict()
    protocol.validate_message(json.loads(composed))
    without = protocol.sample_text(text, calibrated=True, screen_point=None)
    assert json.loads(without)["screen_point"] is None
    with pytest.raises(ValueError, match="JSON object"):
        protocol.sample_text("[1, 2]", calibrated=True)


@pytest.mark.parametrize(
    ("name", "record"),
    [
        ("fixation.end.json", FixationEvent),
        ("saccade.velocity.json", SaccadeEvent),
    ],
)
def test_oculomotor_messages_round_trip(name: str, record: type) -> None:
    path = FIXTURES / name
    if not path.exists():
        pytest.fail(f"contract fixture {name} is missing")
    raw = _fixture(name)
    event = oculomotor_from_dict(raw)
    assert isinstance(event, record)
    assert protocol.make_oculomotor(event) == raw


def test_status_event_and_recording_records_round_trip() -> None:
    for path in sorted(FIXTURES.glob("status.*.json")):
        raw = _fixture(path.name)
        assert protocol.make_status(StatusReport.from_dict(raw)) == raw
    for path in sorted(FIXTURES.glob("event_ack.*.json")):
        raw = _fixture(path.name)
        assert protocol.make_event_ack(StoredEvent.from_dict(raw["event"])) == raw
    for path in sorted(FIXTURES.glob("recording_status.*.json")):
        raw = _fixture(path.name)
        assert protocol.make_recording_status(RecordingInfo.from_dict(raw["recording"])) == raw


def _wire(value: float | None) -> float | None:
    return None if value is None else round(value, WIRE_DIGITS)


def test_sample_columns_follow_the_column_list() -> None:
    names = [column.name for column in SAMPLE_COLUMNS]
    for message in real_sample_messages():
        values = dict(zip(names, sample_columns(message), strict=True))
        sample = message.sample
        assert values["timestamp_unix_ns"] == sample.timestamp_unix_ns
        assert values["frame_id"] == message.timing.frame_id
        assert values["face_found"] == int(sample.face_found)
        assert values["blinking"] == int(sample.blinking)
        if sample.gaze is None:
            assert values["gaze_yaw_deg"] is None
        else:
            assert values["gaze_yaw_deg"] == _wire(sample.gaze.yaw_deg)
            assert values["gaze_pitch_deg"] == _wire(sample.gaze.pitch_deg)
        for side, eye in (("right", sample.right_eye), ("left", sample.left_eye)):
            centre = None if eye is None else eye.centre_px
            assert values[f"{side}_iris_x_px"] == (None if centre is None else _wire(centre[0]))
            assert values[f"{side}_iris_y_px"] == (None if centre is None else _wire(centre[1]))
            assert values[f"{side}_eye_openness"] == (None if eye is None else _wire(eye.openness))
        head = sample.head_pose
        assert values["head_roll_deg"] == (None if head is None else _wire(head.roll_deg))
        assert all(value is None or math.isfinite(value) for value in values.values())
        # The live values equal those of the stored (wire) message: exports match LSL exactly.
        assert sample_columns(SampleMessage.from_dict(message.to_dict())) == sample_columns(message)
