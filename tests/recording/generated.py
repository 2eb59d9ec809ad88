"""A recording written through the real store with generated samples whose times, places and
flags are known: a gaze that dwells at one screen point, a half-second gap, frames without a
face, two events with names that need escaping, a blink and three fixations."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from gazertc.recording.backend import open_database
from gazertc.recording.store import RecordingStore
from gazertc.records import (
    DetectionMethod,
    EventSource,
    FixationEvent,
    FixationPhase,
    RecordingActor,
    RecordingState,
    SampleMessage,
    SampleTiming,
    ScreenGaze,
    StoredEvent,
)
from gazertc.vision.types import (
    BlinkEvent,
    BlinkPhase,
    EyeSide,
    GazeDirection,
    GazeSample,
    TrackingState,
)

SESSION_ID = "0123456789abcdef0123456789abcdef"
FRAME_NS = 33_333_333
SCREEN = {"width_px": 1000, "height_px": 500}
DWELL_POINT = (700.0, 150.0)
FRAMES = 90
GAP_FRAMES = range(30, 45)
"""Frames 30-44 are lost: half a second without samples, one gap."""
SHORT_LOSS = range(60, 63)
"""Three frames lost: 133 ms, not a gap."""
NO_FACE = range(70, 76)
EVENT_NAMES = ("stimulus <b>onset</b>", 'response "left" & more')


@dataclasses.dataclass(frozen=True)
class Generated:
    """What was written: the recording's info and the generated samples' fields."""

    recording_id: str
    started_unix_ns: int
    times_s: list[float]
    faces: list[bool]
    screen_points: list[tuple[float, float] | None]
    fixations_s: list[tuple[float, float]]


def _sample(timestamp_unix_ns: int, index: int, point: tuple[float, float] | None) -> SampleMessage:
    face = index not in NO_FACE
    gaze = (
        GazeDirection(
            5.0 + 0.01 * index, -3.0, (0.0, 0.0, 600.0), (0.0, 0.0, -1.0), (EyeSide.RIGHT,)
        )
        if face
        else None
    )
    blinks = (
        (BlinkEvent(BlinkPhase.START, timestamp_unix_ns),)
        if index == 20
        else (BlinkEvent(BlinkPhase.END, timestamp_unix_ns, 100.0),)
        if index == 23
        else ()
    )
    sample = GazeSample(
        timestamp_unix_ns=timestamp_unix_ns,
        frame_index=index,
        frame_width_px=640,
        frame_height_px=480,
        face_found=face,
        tracking=TrackingState.DETECTED if face else TrackingState.LOST,
        gaze=gaze,
        blinking=20 <= index < 23,
        blink_events=blinks,
    )
    timing = SampleTiming(index, index * 3000, timestamp_unix_ns, timestamp_unix_ns, 5.0)
    screen = None if point is None or not face else ScreenGaze(*point, *point)
    return SampleMessage(sample, timing, calibrated=True, screen_point=screen)


def _point(index: int) -> tuple[float, float] | None:
    """Two thirds of the frames dwell at DWELL_POINT; the others sweep the screen; every tenth
    has no point."""
    if index % 10 == 9:
        return None
    if index % 3 != 0:
        return DWELL_POINT
    return (50.0 + 10.0 * index, 400.0 - 2.0 * index)


def record_generated(data_dir: Path, database_url: str | None = None) -> Generated:
    """Record the generated session into ``data_dir`` (or the PostgreSQL ``database_url``)."""
    store = RecordingStore(data_dir, database=open_database(data_dir, database_url))
    store.open()
    try:
        recording_id, started = store.start(
            SESSION_ID,
            name="views test",
            metadata={"screen": SCREEN},
            started_by=RecordingActor.PARTICIPANT,
        )
        start_ns = started.result(timeout=5).started_unix_ns
        times_s, faces, points = [], [], []
        for index in range(FRAMES):
            if index in GAP_FRAMES or index in SHORT_LOSS:
                continue
            timestamp = start_ns + 10_000_000 + index * FRAME_NS
            message = _sample(timestamp, index, _point(index))
            store.add_sample(recording_id, message, json.dumps(message.to_dict()))
            times_s.append((timestamp - start_ns) / 1e9)
            faces.append(message.sample.face_found)
            screen = message.screen_point
            points.append(None if screen is None else (screen.x_css_px, screen.y_css_px))
        for offset_s, name in zip((0.5, 2.0), EVENT_NAMES, strict=True):
            at = start_ns + round(offset_s * 1e9)
            store.add_event(StoredEvent(name, at, at, EventSource.CLIENT, SESSION_ID, recording_id))
        fixations_s = [(0.2, 0.6), (1.6, 1.8), (2.0, 2.8)]
        for first_s, last_s in fixations_s:
            first, last = start_ns + round(first_s * 1e9), start_ns + round(last_s * 1e9)
            store.add_oculomotor(
                recording_id,
                FixationEvent(FixationPhase.END, first, last, (last - first) / 1e6,
                              4.0, -2.0, 0.5, DetectionMethod.VELOCITY),
            )  # fmt: skip
        store.finish(recording_id, RecordingState.SAVED).result(timeout=5)
    finally:
        store.close()
    return Generated(recording_id, start_ns, times_s, faces, points, fixations_s)
