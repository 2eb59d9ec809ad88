"""Contract tests: the schema, the shared fixtures, the Python records and helpers agree."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gazertc import protocol
from gazertc.protocol import ErrorCode, OutputMode, ProtocolError
from gazertc.records import SampleMessage, SampleTiming
from gazertc.vision import types

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "messages"
VALID_FIXTURES = sorted(FIXTURES_DIR.glob("*.json"))
INVALID_FIXTURES = sorted((FIXTURES_DIR / "invalid").glob("*.json"))
MAX_BYTES = 4096
T0_UNIX_NS = 1_767_225_600_000_000_000
"""2026-01-01: times in messages lie between 2000 and 2100."""


def _definition_of(path: Path) -> str:
    """Fixture files are named ``<definition>.<variant>.json``."""
    return path.name.split(".")[0]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _enum(definition: str) -> set[str]:
    return set(protocol.load_schema()["$defs"][definition]["enum"])


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(protocol.load_schema())


@pytest.mark.parametrize("path", VALID_FIXTURES, ids=lambda path: path.name)
def test_fixture_is_valid(path: Path) -> None:
    protocol.validate(_load(path), _definition_of(path))


@pytest.mark.parametrize("path", INVALID_FIXTURES, ids=lambda path: path.name)
def test_invalid_fixture_is_rejected(path: Path) -> None:
    with pytest.raises(ProtocolError) as caught:
        protocol.validate(_load(path), _definition_of(path))
    assert caught.value.code is ErrorCode.INVALID_MESSAGE


def test_every_message_type_and_http_body_has_a_fixture() -> None:
    covered = {_definition_of(path) for path in VALID_FIXTURES}
    expected = set(protocol.MESSAGE_TYPES) | {"offer_request", "offer_answer", "health"}
    assert expected <= covered
    assert covered <= set(protocol.definition_names())


def test_message_fixtures_pass_the_root_schema() -> None:
    messages = [path for path in VALID_FIXTURES if _definition_of(path) in protocol.MESSAGE_TYPES]
    validator = jsonschema.Draft202012Validator(protocol.load_schema())
    for path in messages:
        validator.validate(_load(path))
        protocol.validate_message(_load(path))


def test_python_enums_match_the_schema() -> None:
    assert {mode.value for mode in OutputMode} == _enum("output_mode")
    assert {code.value for code in ErrorCode} == _enum("error_code")
    assert {flag.value for flag in types.QualityFlag} == _enum("quality_flag")
    assert {state.value for state in types.TrackingState} == _enum("tracking_state")
    assert {side.value for side in types.EyeSide} == _enum("eye_side")
    assert set(protocol.QUALITY_ADVICE) == _enum("quality_flag")


def test_sample_schema_lists_exactly_the_gaze_sample_fields() -> None:
    bookkeeping = {
        "v",
        "type",
        "frame_id",
        "pts_90khz",
        "received_unix_ns",
        "processed_unix_ns",
        "processing_ms",
        "stage_ms",
        "screen_point",
        "gaze_tracking",
    }
    gaze_fields = {field.name for field in dataclasses.fields(types.GazeSample)}
    schema_fields = set(protocol.load_schema()["$defs"]["sample"]["properties"])
    assert schema_fields == gaze_fields | bookkeeping


def _full_gaze_sample() -> types.GazeSample:
    landmarks = tuple((100.0 + index, 80.0 + index / 2) for index in range(68))
    return types.GazeSample(
        timestamp_unix_ns=1_767_225_600_000_000_000,
        frame_index=3,
        frame_width_px=640,
        frame_height_px=480,
        face_found=True,
        tracking=types.TrackingState.DETECTED,
        face_box=types.FaceBox(90.0, 60.0, 200.0, 170.0),
        landmarks_px=landmarks,
        right_eye=types.EyeObservation(
            types.EyeSide.RIGHT, (130.2, 100.7), 6.1, 0.9, 0.3, True, (140.0, 101.0), (120.0, 101.0)
        ),
        left_eye=types.EyeObservation(
            types.EyeSide.LEFT, None, None, 0.0, 0.1, False, (160.0, 101.0), (180.0, 101.0)
        ),
        head_pose=types.HeadPose(3.0, -2.0, 1.0, (10.0, 5.0, 600.0), (0.1, 0.05, 0.0), 1.2),
        gaze=types.GazeDirection(
            2.0, -1.0, (10.0, 5.0, 610.0), (0.03, -0.02, -0.999), (types.EyeSide.RIGHT,)
        ),
        blinking=True,
        blink_events=(types.BlinkEvent(types.BlinkPhase.START, 1_767_225_600_000_000_000),),
        quality=types.FrameQuality(120.0, 40.0, 110.0, (types.QualityFlag.FACE_AT_EDGE,)),
    )


@pytest.mark.parametrize(
    "sample",
    [
        _full_gaze_sample(),
        types.GazeSample(T0_UNIX_NS, 0, 320, 240, False, types.TrackingState.LOST),
    ],
    ids=["face", "no_face"],
)
def test_gaze_sample_records_build_valid_sample_messages(sample: types.GazeSample) -> None:
    message = SampleMessage(
        sample,
        SampleTiming(
            frame_id=5,
            pts_90khz=15000,
            received_unix_ns=T0_UNIX_NS + 2,
            processed_unix_ns=T0_UNIX_NS + 3,
            processing_ms=4.56789,
            stages=types.StageTimings(total_ms=4.56789),
        ),
    ).to_dict()
    protocol.validate_message(message)
    assert message["processing_ms"] == pytest.approx(4.568)


def test_builders_produce_valid_messages() -> None:
    ping = protocol.make_ping(3, T0_UNIX_NS)
    protocol.validate_message(ping)
    protocol.validate_message(protocol.make_pong(ping, T0_UNIX_NS + 2_000, T0_UNIX_NS + 2_500))
    for code in ErrorCode:
        protocol.validate_message(protocol.make_error(code, "something", ref_type="x" * 100))


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b'{"v": 1, "type": "ping"}', ErrorCode.BINARY_NOT_SUPPORTED),
        ('{"v": 1, "type": "hello", "client": {"name": "' + "x" * MAX_BYTES + '"}}', None),
        ("{not json", ErrorCode.INVALID_JSON),
        ("[1, 2]", ErrorCode.INVALID_MESSAGE),
        ('{"v": 1}', ErrorCode.INVALID_MESSAGE),
        ('{"v": 2, "type": "hello"}', ErrorCode.UNSUPPORTED_VERSION),
        ('{"type": "hello"}', ErrorCode.UNSUPPORTED_VERSION),
        ('{"v": 1, "type": "calibrate"}', ErrorCode.UNKNOWN_TYPE),
        ('{"v": 1, "type": "sample"}', ErrorCode.UNEXPECTED_TYPE),
        ('{"v": 1, "type": "config", "output": "mp4"}', ErrorCode.INVALID_MESSAGE),
        ('{"v": 1, "type": "ping", "id": 1}', ErrorCode.INVALID_MESSAGE),
    ],
)
def test_parse_client_message_rejects_bad_input(
    payload: str | bytes, code: ErrorCode | None
) -> None:
    with pytest.raises(ProtocolError) as caught:
        protocol.parse_client_message(payload, max_bytes=MAX_BYTES)
    assert caught.value.code is (code or ErrorCode.MESSAGE_TOO_LARGE)
    protocol.validate_message(protocol.error_from(caught.value))


def test_parse_client_message_names_the_offending_field() -> None:
    with pytest.raises(ProtocolError, match="screen: 'height_px' is a required property"):
        protocol.parse_client_message(
            '{"v": 1, "type": "config", "screen": {"width_px": 3}}', max_bytes=MAX_BYTES
        )


def test_parse_client_message_accepts_client_fixtures() -> None:
    for path in VALID_FIXTURES:
        if _definition_of(path) in {"hello", "ping"} or path.name.startswith("config.client"):
            message = protocol.parse_client_message(path.read_text("utf-8"), max_bytes=MAX_BYTES)
            assert message == _load(path)


def test_long_values_are_elided_in_error_messages() -> None:
    sample = _load(FIXTURES_DIR / "sample.face.json")
    sample["landmarks_px"] = sample["landmarks_px"][:67]
    with pytest.raises(ProtocolError) as caught:
        protocol.validate(sample, "sample")
    assert "is too short" in caught.value.message
    assert len(caught.value.message) < 300


def test_unknown_definition_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no definition 'nope'"):
        protocol.validate({}, "nope")


def test_output_mode_properties() -> None:
    assert OutputMode.JSON.sends_samples
    assert not OutputMode.JSON.sends_video
    assert not OutputMode.VIDEO.sends_samples
    assert OutputMode.VIDEO.sends_video
    assert OutputMode.BOTH.sends_samples
    assert OutputMode.BOTH.sends_video
