"""The async client without a server: every server message is checked against the schema and
typed; a message that breaks the protocol is logged and dropped, and the client carries on."""

from __future__ import annotations

import asyncio
import copy
import logging
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from aiohttp import web

from gazertc import protocol
from gazertc.client import (
    Client,
    ClientError,
    FixationEvent,
    RecordingActor,
    RecordingInfo,
    RecordingState,
    SaccadeEvent,
    SampleMessage,
    ScreenGaze,
    ServerError,
    StatusReport,
    StoredEvent,
)
from gazertc.protocol import JsonObject
from gazertc.records import EventSource, FixationPhase, VideoState
from gazertc.vision.types import GazeSample, QualityFlag, TrackingState
from tests.client.offline import FIXTURES_DIR, fixture, offline_client, text
from tests.server.peer import PacedTrack

pytestmark = pytest.mark.timeout(30)

WARNING = "gazertc.client._core"


def test_the_client_imports_nothing_from_the_server_or_the_recording_store() -> None:
    check = (
        "import gazertc.client, gazertc.client.simple, sys; "
        "bad = [m for m in sys.modules if m.startswith(('gazertc.server', "
        "'gazertc.recording.store', 'gazertc.recording.writer', 'gazertc.recording.export'))]; "
        "assert not bad, bad"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


async def test_samples_arrive_typed_with_their_timing_and_screen_point() -> None:
    client, _ = offline_client()
    face = fixture("sample.face")
    client._on_channel_message(text(face))
    sample = await client.receive_gaze_sample(timeout_seconds=0)
    message = await client.receive_sample_message(timeout_seconds=0)
    assert sample == GazeSample.from_dict(face)
    assert isinstance(message, SampleMessage)
    assert message.sample == sample
    assert message.timing.frame_id == face["frame_id"]
    assert message.timing.pts_90khz == face["pts_90khz"]
    assert message.timing.stages is not None
    assert (message.calibrated, message.screen_point) == (False, None)
    assert client.latest_gaze_sample == sample
    assert client.latest_sample_message == message

    calibrated = fixture("sample.calibrated")
    client._on_channel_message(text(calibrated))
    message = await client.receive_sample_message(timeout_seconds=0)
    assert message is not None
    assert message.calibrated
    assert message.screen_point == ScreenGaze.from_dict(calibrated["screen_point"])

    client._on_channel_message(text(fixture("sample.calibrated_no_point")))
    message = await client.receive_sample_message(timeout_seconds=0)
    assert message is not None
    assert (message.calibrated, message.screen_point) == (True, None)


async def test_status_fixations_and_saccades_arrive_typed() -> None:
    client, _ = offline_client()
    client._on_channel_message(text(fixture("status.live")))
    status = await client.receive_status(timeout_seconds=0)
    assert isinstance(status, StatusReport)
    assert status.video is VideoState.LIVE
    assert status.face_found
    assert status.tracking is TrackingState.TRACKED
    assert status.quality_flags == (QualityFlag.TOO_DARK,)
    assert status.frames_dropped == 7

    client._on_channel_message(text(fixture("fixation.start")))
    fixation = await client.receive_fixation_or_saccade(timeout_seconds=0)
    assert isinstance(fixation, FixationEvent)
    assert fixation.phase is FixationPhase.START
    assert fixation.end_unix_ns is None
    client._on_channel_message(text(fixture("saccade.velocity")))
    saccade = await client.receive_fixation_or_saccade(timeout_seconds=0)
    assert isinstance(saccade, SaccadeEvent)
    assert saccade.amplitude_deg == pytest.approx(9.8)


async def test_each_stream_keeps_only_its_newest_item_for_one_reader() -> None:
    client, _ = offline_client()
    first, second = fixture("sample.face"), fixture("sample.face")
    second["frame_id"] += 1
    client._on_channel_message(text(first))
    client._on_channel_message(text(second))
    message = await client.receive_sample_message(timeout_seconds=0)
    assert message is not None
    assert message.timing.frame_id == second["frame_id"]
    assert await client.receive_sample_message(timeout_seconds=0.05) is None
    # receive_gaze_sample is a stream of its own: still unread.
    assert await client.receive_gaze_sample(timeout_seconds=0) is not None
    assert await client.receive_status(timeout_seconds=0.05) is None


async def test_a_receive_waits_for_the_next_item() -> None:
    client, _ = offline_client()
    waiting = asyncio.ensure_future(client.receive_status(timeout_seconds=5.0))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    client._on_channel_message(text(fixture("status.waiting")))
    status = await asyncio.wait_for(waiting, 1.0)
    assert status is not None
    assert status.video is VideoState.WAITING


async def test_answers_resolve_requests_as_records() -> None:
    client, channel = offline_client()
    sending = asyncio.ensure_future(client.send_event("stimulus_onset", 1767225600123456789))
    await asyncio.sleep(0)
    assert channel.sent[-1] == {
        "v": 1,
        "type": "event",
        "name": "stimulus_onset",
        "timestamp_unix_ns": 1767225600123456789,
    }
    client._on_channel_message(text(fixture("event_ack.client_time")))
    stored = await asyncio.wait_for(sending, 1.0)
    assert isinstance(stored, StoredEvent)
    assert stored.source is EventSource.CLIENT
    assert stored.timestamp_unix_ns == 1767225600123456789

    saving = asyncio.ensure_future(client.recording_stop_and_save())
    await asyncio.sleep(0)
    client._on_channel_message(text(fixture("recording_status.saved")))
    saved = await asyncio.wait_for(saving, 1.0)
    assert isinstance(saved, RecordingInfo)
    assert saved.state is RecordingState.SAVED
    assert saved.sample_count == 1795

    refused = asyncio.ensure_future(client.send_event(""))
    await asyncio.sleep(0)
    error = protocol.make_error(protocol.ErrorCode.INVALID_MESSAGE, "empty name", ref_type="event")
    client._on_channel_message(text(error))
    with pytest.raises(ServerError, match="empty name") as caught:
        await asyncio.wait_for(refused, 1.0)
    assert caught.value.code == "invalid_message"


async def test_every_recording_status_streams_and_only_the_participants_answer_a_request() -> None:
    """A change the host made (or the server) is heard, but is no answer to this client's own
    request: that is the status whose started_by/stopped_by is the participant."""
    client, _ = offline_client()
    heard: list[object] = []
    client.add_record_listener(heard.append)
    stopping = asyncio.ensure_future(client.recording_stop_and_save())
    await asyncio.sleep(0)
    client._on_channel_message(text(fixture("recording_status.host_started")))
    host_started = await client.receive_recording_status(timeout_seconds=0)
    assert host_started is not None
    assert (host_started.started_by, host_started.stopped_by) == (RecordingActor.HOST, None)
    await asyncio.sleep(0)
    assert not stopping.done()
    client._on_channel_message(text(fixture("recording_status.saved")))
    saved = await asyncio.wait_for(stopping, 1.0)
    assert (saved.started_by, saved.stopped_by) == (RecordingActor.HOST, RecordingActor.PARTICIPANT)
    assert await client.receive_recording_status(timeout_seconds=0) == saved
    assert heard == [host_started, saved]


async def test_an_offer_answer_without_a_session_secret_is_refused() -> None:
    """A server that answers outside the protocol (here: no session_secret) is a ClientError
    naming the field, not a KeyError."""
    answer = fixture("offer_answer.basic")
    del answer["session_secret"]

    async def offer(_: web.Request) -> web.Response:
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/offer", offer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    grey = np.full((180, 160), 128, np.uint8)
    client = Client(f"http://{host}:{port}", video=PacedTrack([grey], fps=10))
    try:
        with pytest.raises(ClientError, match="session_secret"):
            await client.connect(timeout_seconds=5.0)
        assert client.closed
        assert client.session_secret is None
    finally:
        await client.close()
        await runner.cleanup()


async def test_the_time_offset_comes_from_pongs() -> None:
    client, channel = offline_client()
    estimating = asyncio.ensure_future(client.estimate_time_offset(pings=1))
    await asyncio.sleep(0)
    ping = channel.sent[-1]
    assert ping["type"] == "ping"
    offset_ns = 5_000_000
    at_server_ns = ping["sent_unix_ns"] + offset_ns
    client._on_channel_message(text(protocol.make_pong(ping, at_server_ns, at_server_ns)))
    estimate = await asyncio.wait_for(estimating, 1.0)
    # The pong came back at once: the estimate is the offset, give or take its arrival delay.
    assert abs(estimate.offset_ns - offset_ns) < 50_000_000
    assert estimate.pings == 1


def _broken_messages() -> list[tuple[str, Any]]:
    invalid_dir = FIXTURES_DIR / "invalid"
    server_types = protocol.SERVER_MESSAGE_TYPES
    broken: list[tuple[str, Any]] = [
        (path.name, fixture(f"invalid/{path.stem}"))
        for path in sorted(invalid_dir.glob("*.json"))
        if path.name.split(".")[0] in server_types
    ]
    version_2 = fixture("status.live")
    version_2["v"] = 2
    sample_version_2 = fixture("sample.face")
    sample_version_2["v"] = 2
    return [
        *broken,
        ("a client's message", fixture("hello.browser")),
        ("version 2", version_2),
        ("sample of version 2", sample_version_2),
        ("unknown type", {"v": 1, "type": "gossip"}),
        ("not an object", [1, 2, 3]),
    ]


BROKEN = _broken_messages()


@pytest.mark.parametrize(("label", "message"), BROKEN, ids=[label for label, _ in BROKEN])
async def test_a_message_that_breaks_the_protocol_is_logged_and_dropped(
    label: str, message: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = offline_client()
    heard: list[JsonObject] = []
    client.add_listener(lambda message, _: heard.append(message))
    with caplog.at_level(logging.WARNING, logger=WARNING):
        client._on_channel_message(text(message))
    assert heard == []
    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    assert "breaks the protocol" in caplog.records[0].getMessage()
    assert await client.receive_gaze_sample(timeout_seconds=0) is None
    assert await client.receive_status(timeout_seconds=0) is None
    assert await client.receive_fixation_or_saccade(timeout_seconds=0) is None
    # The client carries on.
    client._on_channel_message(text(fixture("sample.face")))
    assert await client.receive_gaze_sample(timeout_seconds=0) is not None
    assert len(heard) == 1


@pytest.mark.parametrize("payload", ["{not json", b"\x00\x01binary"], ids=["not JSON", "binary"])
async def test_undecodable_payloads_are_logged_and_dropped(
    payload: str | bytes, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = offline_client()
    with caplog.at_level(logging.WARNING, logger=WARNING):
        client._on_channel_message(payload)
    assert len(caplog.records) == 1
    assert "dropped" in caplog.records[0].getMessage()


async def test_samples_are_validated_fully_once_per_shape(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    validated: list[str] = []
    validate = protocol.validate_message

    def counting(message: Any) -> None:
        validated.append(message["type"])
        validate(message)

    monkeypatch.setattr(protocol, "validate_message", counting)
    client, _ = offline_client()
    for _ in range(3):
        client._on_channel_message(text(fixture("sample.face")))
        client._on_channel_message(text(fixture("status.live")))
    assert validated == ["sample", "status", "status", "status"]
    for _ in range(2):
        client._on_channel_message(text(fixture("sample.calibrated")))
        client._on_channel_message(text(fixture("sample.calibrated_no_point")))
    assert validated[4:] == ["sample", "sample"]

    # After its shape has passed, a sample is checked by its envelope and by from_dict.
    broken = fixture("sample.face")
    del broken["gaze"]
    wrong_state = fixture("sample.face")
    wrong_state["tracking"] = "lost_in_thought"
    heard: list[JsonObject] = []
    client.add_listener(lambda message, _: heard.append(message))
    with caplog.at_level(logging.WARNING, logger=WARNING):
        client._on_channel_message(text(broken))
        client._on_channel_message(text(wrong_state))
    assert heard == []
    assert len(caplog.records) == 2


async def test_a_first_sample_that_breaks_the_schema_is_dropped() -> None:
    client, _ = offline_client()
    client._on_channel_message(text(fixture("invalid/sample.67_landmarks")))
    assert await client.receive_gaze_sample(timeout_seconds=0) is None


async def test_a_failing_listener_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = offline_client()
    heard: list[object] = []

    def failing(*_: object) -> None:
        raise RuntimeError("listener bug")

    client.add_listener(failing)
    client.add_record_listener(failing)
    client.add_listener(lambda message, _: heard.append(message["type"]))
    client.add_record_listener(heard.append)
    with caplog.at_level(logging.ERROR, logger=WARNING):
        client._on_channel_message(text(fixture("status.live")))
    assert heard[0] == StatusReport.from_dict(fixture("status.live"))
    assert heard[1] == "status"
    assert len(caplog.records) == 2
    assert await client.receive_status(timeout_seconds=0) is not None


async def test_a_valid_message_is_not_changed_by_the_client() -> None:
    client, _ = offline_client()
    heard: list[JsonObject] = []
    client.add_listener(lambda message, _: heard.append(message))
    face = fixture("sample.face")
    client._on_channel_message(text(face))
    assert heard == [copy.deepcopy(face)]


async def test_requests_after_close_raise() -> None:
    client, _ = offline_client()
    await client.close()
    assert client.closed
    with pytest.raises(ClientError, match="the client is closed"):
        await client.send_event("late")
    with pytest.raises(ClientError, match="the client is closed"):
        await client.connect()
    assert await client.receive_gaze_sample(timeout_seconds=5.0) is None
