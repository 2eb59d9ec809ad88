"""The data channel's boundary: whatever goes wrong with one message is answered, logged, and
never ends the session (aiortc's receive loop would end with it)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from gazertc.protocol import JsonObject, validate_message
from gazertc.server.calibration_flow import CalibrationFlow
from gazertc.server.datachannel import WEBRTC_STRING_PPID
from gazertc.server.session import Session
from tests.server.peer import GazeClient, RunningServer, video_track

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(60)]


async def _connected(server: RunningServer, cap12_path: Path) -> GazeClient:
    client = GazeClient(server.base_url, video_track(cap12_path))
    await client.connect()
    await client.wait_for(lambda: bool(client.of_type("sample")), what="the first sample")
    return client


async def _still_answers(client: GazeClient) -> None:
    client.send({"v": 1, "type": "ping", "id": 4242, "sent_unix_ns": time.time_ns()})
    await client.wait_for(
        lambda: any(pong["id"] == 4242 for pong in client.of_type("pong")), what="the pong"
    )
    samples = len(client.of_type("sample"))
    await client.wait_for(lambda: len(client.of_type("sample")) > samples + 3, what="samples")


async def test_a_text_frame_that_is_not_utf_8_is_refused_and_the_session_goes_on(
    server: RunningServer, cap12_path: Path
) -> None:
    client = await _connected(server, cap12_path)
    channel = client.channel
    assert channel.id is not None
    # aiortc sends str as text and bytes as binary: its transport is asked directly.
    await channel.transport._send(channel.id, WEBRTC_STRING_PPID, b'{"v": 1, "type": "\xff"}')
    await client.wait_for(lambda: bool(client.of_type("error")), what="the error")
    error = client.of_type("error")[0]
    validate_message(error)
    assert (error["code"], error["fatal"]) == ("invalid_json", False)
    assert "not UTF-8" in error["message"]
    await _still_answers(client)
    await client.close()
    await server.wait_for_sessions(0)


async def test_a_failing_message_handler_answers_internal_error_and_the_session_goes_on(
    server: RunningServer, cap12_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken_event(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in the event path")

    async def broken_calibration(*_: object) -> JsonObject | None:
        raise ZeroDivisionError("a bug in the calibration path")

    monkeypatch.setattr(Session, "record_event", broken_event)
    monkeypatch.setattr(CalibrationFlow, "handle", broken_calibration)
    client = await _connected(server, cap12_path)
    with caplog.at_level(logging.ERROR, logger="gazertc.server.session"):
        client.send({"v": 1, "type": "event", "name": "onset"})
        client.send({"v": 1, "type": "calibration_end"})
        await client.wait_for(lambda: len(client.of_type("error")) >= 2, what="two errors")
    errors = client.of_type("error")
    for error in errors:
        validate_message(error)
    assert [(e["code"], e["fatal"], e["ref_type"]) for e in errors] == [
        ("internal_error", False, "event"),
        ("internal_error", False, "calibration_end"),
    ]
    logged = [record for record in caplog.records if record.exc_info is not None]
    assert [type(record.exc_info[1]) for record in logged if record.exc_info] == [
        RuntimeError,
        ZeroDivisionError,
    ]
    await _still_answers(client)
    await client.close()
    await server.wait_for_sessions(0)
