"""The config option ``landmarks``: the schema's bounds on it, and the sample text a client that
turned it off gets (the encoding of the same message without landmarks, whatever was appended)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest

from gazertc import protocol
from gazertc.protocol import ErrorCode, ProtocolError
from gazertc.records import SampleMessage, ScreenGaze
from gazertc.records.samples import sample_text_without_landmarks
from gazertc.server.session_settings import SessionConfig
from gazertc.vision.gaze_tracking import gaze_tracking_fields
from tests.real_samples import real_sample_messages


def _generic(message: SampleMessage) -> str:
    return json.dumps(message.to_dict(), separators=(",", ":"))


def _without_landmarks(message: SampleMessage) -> SampleMessage:
    return dataclasses.replace(
        message, sample=dataclasses.replace(message.sample, landmarks_px=None)
    )


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_a_valid_option_everywhere_options_go(value: bool) -> None:
    protocol.validate({"landmarks": value}, "config_options")
    protocol.validate_message({"v": 1, "type": "config", "landmarks": value})
    protocol.validate_message({"v": 1, "type": "hello", "config": {"landmarks": value}})


@pytest.mark.parametrize("value", ["false", "no", 0, 1, None, [], {}, 0.0])
def test_anything_else_is_an_invalid_message(value: Any) -> None:
    for message in (
        {"v": 1, "type": "config", "landmarks": value},
        {"v": 1, "type": "hello", "config": {"landmarks": value}},
    ):
        with pytest.raises(ProtocolError) as caught:
            protocol.validate_message(message)
        assert caught.value.code is ErrorCode.INVALID_MESSAGE
    with pytest.raises(ProtocolError):
        protocol.validate({"sdp": "v=0", "type": "offer", "options": {"landmarks": value}},
                          "offer_request")  # fmt: skip


def test_the_option_defaults_to_on_and_follows_each_config() -> None:
    config = SessionConfig()
    assert config.landmarks is True
    off = config.updated({"landmarks": False})
    assert off.landmarks is False
    assert off.updated({"output": "json"}).landmarks is False  # omitted: unchanged
    assert off.updated({"landmarks": True}).landmarks is True


def test_real_samples_lose_only_their_landmarks() -> None:
    messages = real_sample_messages()
    with_landmarks = [message for message in messages if message.sample.landmarks_px is not None]
    assert len(with_landmarks) >= len(messages) // 2, "cap12 shows a face in most frames"
    off = SessionConfig().updated({"landmarks": False})
    for message in messages:
        text = message.to_json()
        stripped = off.client_sample_text(text)
        assert stripped == _generic(_without_landmarks(message))
        assert json.loads(stripped)["landmarks_px"] is None
        assert SessionConfig().client_sample_text(text) == text
    for message in with_landmarks:
        # 136 numbers of at least 3 characters ("1.0") and their 203 brackets and commas
        assert len(message.to_json()) - len(off.client_sample_text(message.to_json())) > 600


def test_fields_appended_in_the_event_loop_stay() -> None:
    message = next(m for m in real_sample_messages() if m.sample.landmarks_px is not None)
    point = ScreenGaze(812.5, 400.25, 810.0, 401.0)
    fields = gaze_tracking_fields(message.sample)
    text = protocol.sample_text(message.to_json(), calibrated=True, screen_point=point)
    text = protocol.sample_text_with_gaze_tracking(text, fields)
    complete = dataclasses.replace(
        message, calibrated=True, screen_point=point, gaze_tracking=fields
    )
    assert sample_text_without_landmarks(text) == _generic(_without_landmarks(complete))
    protocol.validate_message(json.loads(sample_text_without_landmarks(text)))


def test_the_generic_encoding_is_stripped_the_same_way() -> None:
    """A sample holding a non-finite number takes json.dumps in the worker."""
    message = next(m for m in real_sample_messages() if m.sample.landmarks_px is not None)
    timing = dataclasses.replace(message.timing, processing_ms=math.inf)
    odd = dataclasses.replace(message, timing=timing)
    text = odd.to_json()
    assert "Infinity" in text
    assert sample_text_without_landmarks(text) == _generic(_without_landmarks(odd))


def test_a_sample_without_landmarks_is_unchanged() -> None:
    message = next(m for m in real_sample_messages() if m.sample.landmarks_px is not None)
    text = _without_landmarks(message).to_json()
    assert sample_text_without_landmarks(text) == text


@pytest.mark.parametrize("text", ["", "{}", '{"v":1,"type":"status"}', '{"landmarks_px":[]}'])
def test_text_that_is_no_sample_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an encoded sample message"):
        sample_text_without_landmarks(text)
