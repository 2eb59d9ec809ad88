"""Recordings made for the export tests: real pipeline samples re-timed to fall inside the
recording, calibrated screen points, and the calibration messages of the shared fixtures."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from gazertc.recording.store import RecordingStore
from gazertc.records import (
    DetectionMethod,
    FixationEvent,
    FixationPhase,
    RecordingActor,
    RecordingInfo,
    SampleMessage,
    ScreenGaze,
)
from gazertc.server.session_recording import SessionRecorder
from tests.real_samples import real_sample_messages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "messages"
SESSION_ID = "0123456789abcdef0123456789abcdef"
FRAME_NS = 33_333_333
"""30 frames per second."""


def fixture_message(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def calibration_message() -> dict[str, Any]:
    """A ``calibration_result``: 9 targets, a 1536x864 CSS px screen of 344x194 mm."""
    return fixture_message("calibration_result.nine_points.json")


def validation_message() -> dict[str, Any]:
    return fixture_message("validation_result.four_points.json")


def retimed(
    messages: tuple[SampleMessage, ...], first_unix_ns: int, *, skip: frozenset[int] = frozenset()
) -> list[SampleMessage]:
    """The messages at 30 Hz from ``first_unix_ns``, blink events moved with them; the frames
    at the indices in ``skip`` are left out (dropped frames: a gap in time and in frame id)."""
    result = []
    for index, message in enumerate(messages):
        if index in skip:
            continue
        sample = message.sample
        timestamp_unix_ns = first_unix_ns + index * FRAME_NS
        shift = timestamp_unix_ns - sample.timestamp_unix_ns
        blinks = tuple(
            dataclasses.replace(blink, timestamp_unix_ns=blink.timestamp_unix_ns + shift)
            for blink in sample.blink_events
        )
        timing = dataclasses.replace(message.timing, frame_id=index)
        result.append(
            dataclasses.replace(
                message,
                sample=dataclasses.replace(
                    sample, timestamp_unix_ns=timestamp_unix_ns, blink_events=blinks
                ),
                timing=timing,
            )
        )
    return result


def with_screen_points(messages: list[SampleMessage]) -> list[SampleMessage]:
    """The messages of a calibrated session: a point that walks across the screen, none on
    every fifth frame (a frame that gives no point)."""
    return [
        dataclasses.replace(
            message,
            calibrated=True,
            screen_point=None
            if index % 5 == 4
            else ScreenGaze(100.0 + 37.3 * index, 800.0 - 11.1 * index, 90.0 + 30 * index, 790.0),
        )
        for index, message in enumerate(messages)
    ]


def text_of(message: SampleMessage) -> str:
    return json.dumps(message.to_dict(), separators=(",", ":"))


@dataclasses.dataclass(frozen=True)
class Session:
    """What :func:`record_session` recorded, for the assertions."""

    info: RecordingInfo
    stored: list[SampleMessage]
    """The samples the recording holds (captured from its start on)."""
    early_event_unix_ns: int
    early_fixation_start_unix_ns: int


async def record_session(
    store: RecordingStore,
    *,
    calibrated: bool = True,
    metadata: dict[str, Any] | None = None,
    skip: frozenset[int] = frozenset(),
) -> Session:
    """A session's recording through the real :class:`SessionRecorder`: (when ``calibrated``) a
    calibration and a validation before the start, a second validation while it runs; 40 real
    samples at 30 Hz from just after the start (with screen points when calibrated) plus one
    captured before it; an event the client dated before the start, one after; a fixation
    that began before the start and one within."""
    recorder = SessionRecorder(SESSION_ID, store, host_recording=True)
    if calibrated:
        recorder.on_calibration_message(calibration_message())
        recorder.on_calibration_message(validation_message())
    await recorder.command("start", "export test", metadata or {}, by=RecordingActor.PARTICIPANT)
    recording_id = recorder.recording_id
    assert recording_id is not None
    started_unix_ns = store.started_unix_ns(recording_id)
    assert started_unix_ns is not None
    messages = retimed(real_sample_messages(), started_unix_ns + 2_000_000, skip=skip)
    if calibrated:
        messages = with_screen_points(messages)
    early = dataclasses.replace(
        messages[0],
        sample=dataclasses.replace(
            messages[0].sample, timestamp_unix_ns=started_unix_ns - 30_000_000
        ),
    )
    for message in [early, *messages]:
        recorder.on_sample(message, text_of(message))
        if message is messages[len(messages) // 2] and calibrated:
            second = validation_message() | {"accuracy_deg": 1.5, "viewing_distance_mm": 600.0}
            recorder.on_calibration_message(second)
    early_event_unix_ns = started_unix_ns - 5_000_000_000
    recorder.stamp_event("before_start", early_event_unix_ns, started_unix_ns + 10)
    recorder.stamp_event("stimulus", messages[3].sample.timestamp_unix_ns, started_unix_ns + 20)
    early_fixation_start_unix_ns = started_unix_ns - 100_000_000
    for start_ns, end_ns in (
        (early_fixation_start_unix_ns, messages[5].sample.timestamp_unix_ns),
        (messages[10].sample.timestamp_unix_ns, messages[20].sample.timestamp_unix_ns),
    ):
        recorder.on_oculomotor(
            FixationEvent(FixationPhase.END, start_ns, end_ns, (end_ns - start_ns) / 1e6,
                          2.0, -1.0, 0.5, DetectionMethod.VELOCITY)
        )  # fmt: skip
    info = await recorder.command("stop", None, {}, by=RecordingActor.PARTICIPANT)
    return Session(info, messages, early_event_unix_ns, early_fixation_start_unix_ns)
