"""Lab Streaming Layer outlets: a real inlet resolves them and receives samples and markers in
order, stamped with the capture time on the LSL clock.

LSL finds streams over UDP multicast/broadcast. So that this runs on any machine (CI runners and
containers often drop multicast), the tests point liblsl at a config file (``LSLAPICFG``) that
resolves on this machine only, asks 127.0.0.1 directly (``KnownPeers``), and uses a session id
of its own so that no other LSL stream on the network can answer.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gazertc.client import Client
from gazertc.protocol import JsonObject
from gazertc.records import SampleMessage, oculomotor_from_dict
from gazertc.server import lsl
from gazertc.server.app import ServerConfig
from gazertc.server.lsl import GAZE_CHANNELS, LslPublisher, gaze_channel_values
from tests.server.peer import running_server

pytestmark = pytest.mark.timeout(60)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "messages"
RESOLVE_TIMEOUT_S = 5.0
SCREEN_CHANNELS = (
    "screen_x_css_px", "screen_y_css_px", "screen_smoothed_x_css_px", "screen_smoothed_y_css_px",
)  # fmt: skip
VALIDITY_CHANNELS = ("right_eye_valid", "left_eye_valid")
CLOCK_TOLERANCE_S = 0.002
"""The LSL/wall clock offset is measured to within microseconds; 2 ms allows for a wall clock
slewed by NTP between the server's measurement and the test's."""


@pytest.fixture(scope="module")
def publisher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LslPublisher]:
    config = tmp_path_factory.mktemp("lsl") / "lsl_api.cfg"
    config.write_text(
        "[ports]\nIPv6 = disable\n"
        "[multicast]\nResolveScope = machine\n"
        f"[lab]\nKnownPeers = {{127.0.0.1}}\nSessionID = gazertc-test-{uuid.uuid4().hex}\n"
        "[log]\nlevel = -3\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        # liblsl reads its config once per process, at the first call that needs it.
        patch.setenv("LSLAPICFG", str(config))
        yield LslPublisher.load()


OFFSET_READS = 20
"""A single read was off by 14 ms on a loaded machine (the test preempted between the clocks)."""


def _lsl_offset_s(publisher: LslPublisher) -> float:
    """LSL clock minus wall clock, in seconds, from the read with the narrowest bracket of
    wall-clock reads around it (the one least likely to have been interrupted)."""
    readings = []
    for _ in range(OFFSET_READS):
        before_ns = time.time_ns()
        lsl_s = float(publisher.pylsl.local_clock())
        after_ns = time.time_ns()
        readings.append((after_ns - before_ns, lsl_s - (before_ns + after_ns) / 2e9))
    return min(readings)[1]


def _inlet(publisher: LslPublisher, source_id: str) -> Any:
    pylsl = publisher.pylsl
    found = pylsl.resolve_byprop("source_id", source_id, timeout=RESOLVE_TIMEOUT_S)
    assert len(found) == 1, f"no LSL stream with source_id {source_id}"
    inlet = pylsl.StreamInlet(found[0])
    inlet.open_stream(timeout=RESOLVE_TIMEOUT_S)
    return inlet


def _pull(inlet: Any, count: int, timeout_s: float = 5.0) -> tuple[list[Any], list[float]]:
    values: list[Any] = []
    stamps: list[float] = []
    deadline_s = time.monotonic() + timeout_s
    while len(values) < count and time.monotonic() < deadline_s:
        sample, stamp = inlet.pull_sample(timeout=0.2)
        if sample is not None:
            values.append(sample)
            stamps.append(stamp)
    return values, stamps


def _labels(inlet: Any) -> list[str]:
    channel = inlet.info().desc().child("channels").child("channel")
    labels = []
    while not channel.empty():
        labels.append(channel.child_value("label"))
        channel = channel.next_sibling()
    return labels


def test_inlet_receives_samples_and_markers_in_order(publisher: LslPublisher) -> None:
    session_id = uuid.uuid4().hex
    outlets = publisher.open_session(session_id)
    try:
        gaze = _inlet(publisher, f"gazertc:{session_id}:gaze")
        markers = _inlet(publisher, f"gazertc:{session_id}:markers")
        assert _labels(gaze) == [column.name for column in GAZE_CHANNELS]
        assert gaze.info().nominal_srate() == 0.0
        face = json.loads((FIXTURES / "sample.face.json").read_text())
        no_face = json.loads((FIXTURES / "sample.no_face.json").read_text())
        start_ns = time.time_ns() - 1_000_000_000
        sent: list[JsonObject] = []
        for index in range(20):
            sample = dict(no_face if index % 5 == 4 else face)
            sample["frame_id"] = index * 2  # gaps: dropped frames
            sample["timestamp_unix_ns"] = start_ns + index * 33_333_333
            sample["blink_events"] = [] if index != 7 else face["blink_events"]
            sent.append(sample)
            outlets.on_sample(SampleMessage.from_dict(sample), "")
        received, stamps = _pull(gaze, len(sent))
        offset_s = _lsl_offset_s(publisher)
        assert [row[0] for row in received] == [sample["frame_id"] for sample in sent]
        for row, stamp, sample in zip(received, stamps, sent, strict=True):
            assert row == pytest.approx(
                gaze_channel_values(SampleMessage.from_dict(sample)), nan_ok=True
            )
            expected_s = sample["timestamp_unix_ns"] / 1e9 + offset_s
            assert stamp == pytest.approx(expected_s, abs=CLOCK_TOLERANCE_S)
        face_row = received[0]
        by_name = dict(zip([c.name for c in GAZE_CHANNELS], face_row, strict=True))
        assert by_name["gaze_yaw_deg"] == pytest.approx(face["gaze"]["yaw_deg"])
        assert by_name["right_iris_x_px"] == pytest.approx(face["right_eye"]["centre_px"][0])

        blink_markers, blink_stamps = _pull(markers, 1)
        blink = json.loads(blink_markers[0][0])
        assert blink == {"type": "blink", **face["blink_events"][0]}
        assert blink_stamps[0] == pytest.approx(
            blink["timestamp_unix_ns"] / 1e9 + offset_s, abs=CLOCK_TOLERANCE_S
        )
        fixation = json.loads((FIXTURES / "fixation.end.json").read_text())
        fields = {k: v for k, v in fixation.items() if k not in {"v", "type"}}
        outlets.on_oculomotor(oculomotor_from_dict(fixation))
        (received_fixation,), (fixation_stamp,) = _pull(markers, 1)
        assert json.loads(received_fixation[0]) == fixation
        assert fixation_stamp == pytest.approx(
            fields["end_unix_ns"] / 1e9 + offset_s, abs=CLOCK_TOLERANCE_S
        )
    finally:
        outlets.close()
    outlets.on_sample(SampleMessage.from_dict(sent[0]), "")  # closed: ignored, not an error
    assert outlets.samples_pushed == len(sent)


async def test_served_session_publishes_its_samples_and_events(
    publisher: LslPublisher, cap12_path: Path
) -> None:
    config = ServerConfig(static_dir=None, worker_count=1, lsl=True)
    async with running_server(config) as server:
        client = Client(server.base_url, video=cap12_path)
        received: list[JsonObject] = []
        client.add_listener(
            lambda message, _: received.append(message) if message["type"] == "sample" else None
        )
        await client.connect()
        try:
            session_id = client.session_id
            assert session_id is not None
            gaze, markers = await asyncio.gather(
                asyncio.to_thread(_inlet, publisher, f"gazertc:{session_id}:gaze"),
                asyncio.to_thread(_inlet, publisher, f"gazertc:{session_id}:markers"),
            )
            event = await client.send_event("stimulus_onset")
            rows, stamps = await asyncio.to_thread(_pull, gaze, 30, 15.0)
            marker_rows, marker_stamps = await asyncio.to_thread(_pull, markers, 20, 1.0)
        finally:
            await client.close()
        await server.wait_for_sessions(0)
    offset_s = _lsl_offset_s(publisher)
    assert len(rows) == 30
    frame_ids = [int(row[0]) for row in rows]
    assert frame_ids == sorted(set(frame_ids))
    assert stamps == sorted(stamps)
    by_frame = {message["frame_id"]: message for message in received}
    matched = [(row, stamp) for row, stamp in zip(rows, stamps, strict=True) if row[0] in by_frame]
    assert len(matched) >= 25
    for row, stamp in matched:
        sample = by_frame[int(row[0])]
        assert row == pytest.approx(
            gaze_channel_values(SampleMessage.from_dict(sample)), nan_ok=True
        )
        expected_s = sample["timestamp_unix_ns"] / 1e9 + offset_s
        assert stamp == pytest.approx(expected_s, abs=CLOCK_TOLERANCE_S)
    # Markers: the event, amid the online fixations and saccades of the real video.
    marked = [
        (json.loads(row[0]), stamp) for row, stamp in zip(marker_rows, marker_stamps, strict=True)
    ]
    assert {marker["type"] for marker, _ in marked} <= {"event", "blink", "fixation", "saccade"}
    events = [(marker, stamp) for marker, stamp in marked if marker["type"] == "event"]
    assert [marker for marker, _ in events] == [{"type": "event", **event.to_dict()}]
    assert events[0][1] == pytest.approx(
        event.timestamp_unix_ns / 1e9 + offset_s, abs=CLOCK_TOLERANCE_S
    )


def _channel_metadata(inlet: Any) -> list[dict[str, str]]:
    channel = inlet.info().desc().child("channels").child("channel")
    channels = []
    while not channel.empty():
        channels.append(
            {name: channel.child_value(name) for name in ("label", "unit", "description")}
        )
        channel = channel.next_sibling()
    return channels


def _screen_point_px(message: JsonObject) -> list[float]:
    point = message.get("screen_point")
    if point is None:  # absent (not calibrated) or null (no point on this frame)
        return [math.nan] * 4
    return [point[name] for name in ("x_px", "y_px", "smoothed_x_px", "smoothed_y_px")]


def _eye_valid(eye: JsonObject | None) -> float:
    return float(eye is not None and eye["is_open"] and eye["centre_px"] is not None)


def test_screen_point_and_eye_validity_channels(publisher: LslPublisher) -> None:
    session_id = uuid.uuid4().hex
    outlets = publisher.open_session(session_id)
    names = [
        "sample.calibrated", "sample.calibrated_no_point", "sample.face", "sample.blink_dark",
        "sample.no_face",
    ]  # fmt: skip
    sent = [json.loads((FIXTURES / f"{name}.json").read_text()) for name in names]
    try:
        gaze = _inlet(publisher, f"gazertc:{session_id}:gaze")
        metadata = {channel["label"]: channel for channel in _channel_metadata(gaze)}
        for label in SCREEN_CHANNELS:
            assert metadata[label]["unit"] == "pixels"
            assert "screen point" in metadata[label]["description"]
        for label in VALIDITY_CHANNELS:
            assert metadata[label]["unit"] == ""
            assert "open with an iris centre" in metadata[label]["description"]
        start_ns = time.time_ns()
        for index, fixture in enumerate(sent):
            message = {**fixture, "frame_id": index, "timestamp_unix_ns": start_ns + index}
            outlets.on_sample(SampleMessage.from_dict(message), "")
        received, _ = _pull(gaze, len(sent))
    finally:
        outlets.close()
    assert len(received) == len(sent)
    labels = [column.name for column in GAZE_CHANNELS]
    for row, message in zip(received, sent, strict=True):
        by_name = dict(zip(labels, row, strict=True))
        screen = [by_name[label] for label in SCREEN_CHANNELS]
        assert screen == pytest.approx(_screen_point_px(message), nan_ok=True)
        validity = [by_name[label] for label in VALIDITY_CHANNELS]
        assert validity == [_eye_valid(message["right_eye"]), _eye_valid(message["left_eye"])]
    # The fixtures cover each case: a point, calibrated without a point, not calibrated; both
    # eyes valid, and neither.
    assert not math.isnan(received[0][labels.index("screen_x_css_px")])
    assert math.isnan(received[1][labels.index("screen_x_css_px")])
    assert math.isnan(received[2][labels.index("screen_smoothed_y_css_px")])
    assert received[0][labels.index("right_eye_valid")] == 1.0
    assert received[3][labels.index("left_eye_valid")] == 0.0


def _documented_channels(text: str, pattern: str) -> list[tuple[int, str]]:
    return [(int(index), label) for index, label in re.findall(pattern, text, re.MULTILINE)]


def test_the_documented_layout_is_the_outlets() -> None:
    expected = list(enumerate(column.name for column in GAZE_CHANNELS))
    assert lsl.__doc__ is not None
    in_docstring = _documented_channels(lsl.__doc__, r"^ {8}(\d+) +(\w+)")
    assert in_docstring == expected
    guide = (Path(__file__).resolve().parents[2] / "docs" / "lsl.md").read_text(encoding="utf-8")
    in_guide = _documented_channels(guide, r"^\| (\d+) \| `(\w+)` \|")
    assert in_guide == expected
    units = dict(re.findall(r"^\| \d+ \| `(\w+)` \| *(\w*) *\|", guide, re.MULTILINE))
    for column in GAZE_CHANNELS:
        expected_unit = {"deg": "degrees", "pixel": "pixels", None: ""}[column.units]
        assert units[column.name] == expected_unit, column.name
