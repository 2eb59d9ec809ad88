"""Bad requests, bad messages and bad clients: clear errors, the server stays up, sessions are
cleaned up."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import av
import pytest
from aiortc.mediastreams import MediaStreamTrack

from gazertc.protocol import validate, validate_message
from tests.server.conftest import E2E_IDLE_TIMEOUT_S
from tests.server.peer import GazeClient, RunningServer, video_track

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

FIXTURE_OFFER = json.loads(
    (
        Path(__file__).parents[1] / "fixtures" / "messages" / "offer_request.video_json.json"
    ).read_text("utf-8")
)["sdp"]
REPOSITORY = Path(__file__).resolve().parents[2]


class _SilentTrack(MediaStreamTrack):
    """A camera that never delivers a frame."""

    kind = "video"

    async def recv(self) -> av.VideoFrame:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def _post(
    server: RunningServer, body: bytes, content_type: str = "application/json"
) -> tuple[int, dict[str, Any], Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.base_url}/offer", data=body, headers={"Content-Type": content_type}
        ) as response,
    ):
        return response.status, await response.json(), response.headers


async def _assert_healthy_and_empty(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{server.base_url}/health") as response:
        assert response.status == 200
        health = await response.json()
    validate(health, "health")
    assert health["sessions"] == 0


def _without_lines(sdp: str, prefix: str) -> str:
    return "\r\n".join(line for line in sdp.split("\r\n") if not line.startswith(prefix))


def _until_next_m_line(sdp: str, kind: str) -> str:
    """Drop the m-section of ``kind``."""
    kept, skipping = [], False
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            skipping = line.startswith(f"m={kind}")
        if not skipping:
            kept.append(line)
    return "\r\n".join(kept)


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [
        (b"{not json", 400, "invalid_json", "not valid JSON"),
        (b"\xff\xfe", 400, "invalid_json", "not valid JSON"),
        (b"[]", 400, "invalid_request", "not of type 'object'"),
        (b'{"type": "offer"}', 400, "invalid_request", "'sdp' is a required property"),
        (
            json.dumps({"sdp": FIXTURE_OFFER, "type": "answer"}).encode(),
            400,
            "invalid_request",
            "'offer' was expected",
        ),
        (
            json.dumps(
                {"sdp": FIXTURE_OFFER, "type": "offer", "options": {"output": "mp4"}}
            ).encode(),
            400,
            "invalid_request",
            "options/output",
        ),
        (json.dumps({"sdp": "garbage", "type": "offer"}).encode(), 400, "invalid_sdp", "'v=0'"),
        (
            json.dumps({"sdp": "v=0\r\nm=video x\r\n", "type": "offer"}).encode(),
            400,
            "invalid_sdp",
            "could not be parsed",
        ),
        (
            json.dumps({"sdp": "v=0\r\n\x01\r\n", "type": "offer"}).encode(),
            400,
            "invalid_sdp",
            "line 2",
        ),
        (
            json.dumps(
                {"sdp": _until_next_m_line(FIXTURE_OFFER, "application"), "type": "offer"}
            ).encode(),
            400,
            "invalid_sdp",
            "no data channel",
        ),
        (
            json.dumps(
                {"sdp": _until_next_m_line(FIXTURE_OFFER, "video"), "type": "offer"}
            ).encode(),
            400,
            "invalid_sdp",
            "no video m-line",
        ),
        (
            json.dumps(
                {"sdp": FIXTURE_OFFER.replace("a=sendrecv", "a=recvonly"), "type": "offer"}
            ).encode(),
            400,
            "invalid_sdp",
            "must send",
        ),
        (
            json.dumps(
                {"sdp": _without_lines(FIXTURE_OFFER, "a=ice-pwd"), "type": "offer"}
            ).encode(),
            400,
            "invalid_sdp",
            "ICE credentials",
        ),
        (
            json.dumps(
                {"sdp": _without_lines(FIXTURE_OFFER, "a=fingerprint"), "type": "offer"}
            ).encode(),
            400,
            "invalid_sdp",
            "DTLS fingerprint",
        ),
        (
            json.dumps(
                {
                    "sdp": FIXTURE_OFFER.replace("VP8/90000", "AV1/90000").replace(
                        "H264/90000", "H265/90000"
                    ),
                    "type": "offer",
                }
            ).encode(),
            400,
            "invalid_sdp",
            "no video codec",
        ),
        (
            json.dumps(
                {
                    "sdp": FIXTURE_OFFER.replace("a=sendrecv", "a=sendonly"),
                    "type": "offer",
                    "options": {"output": "video"},
                }
            ).encode(),
            400,
            "video_unavailable",
            "sendrecv",
        ),
        (
            json.dumps({"sdp": "v=0\r\n" + "a=x\r\n" * 20000, "type": "offer"}).encode(),
            413,
            "body_too_large",
            "exceeds the limit",
        ),
    ],
    ids=[
        "malformed_json",
        "not_utf8",
        "not_an_object",
        "missing_sdp",
        "answer_type",
        "bad_option",
        "garbage_sdp",
        "malformed_m_line",
        "control_character",
        "no_data_channel",
        "no_video",
        "video_not_sent",
        "no_ice_password",
        "no_fingerprint",
        "no_usable_codec",
        "video_output_without_receiving",
        "oversized_body",
    ],
)
async def test_bad_offers_get_clear_errors(
    server: RunningServer, body: bytes, status: int, code: str, fragment: str
) -> None:
    got_status, error, _ = await _post(server, body)
    assert got_status == status
    validate_message(error)
    assert error["code"] == code
    assert fragment in error["message"]
    await _assert_healthy_and_empty(server)


async def test_unknown_routes_and_methods_answer_in_json(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/offer") as response:
            assert response.status == 405
            assert (await response.json())["code"] == "method_not_allowed"
        async with http.get(f"{server.base_url}/nope") as response:
            assert response.status == 404
            assert (await response.json())["code"] == "not_found"
        async with http.get(f"{server.base_url}/") as response:
            assert response.status == 200
            assert "POST /offer" in await response.text()


async def test_bad_messages_get_errors_and_the_session_stays_up(
    server: RunningServer, cap12_path: Path
) -> None:
    client = GazeClient(server.base_url, video_track(cap12_path))
    await client.connect()
    await client.wait_for(lambda: bool(client.of_type("sample")), what="the first sample")
    bad_messages: list[tuple[str | bytes, str]] = [
        ("{oops", "invalid_json"),
        ('{"v": 1, "type": "calibrate"}', "unknown_type"),
        ('{"v": 1, "type": "sample"}', "unexpected_type"),
        ('{"v": 9, "type": "ping"}', "unsupported_version"),
        ('{"v": 1, "type": "ping", "id": "x", "sent_unix_ns": 1}', "invalid_message"),
        (
            '{"v": 1, "type": "hello", "client": {"name": "' + "x" * 5000 + '"}}',
            "message_too_large",
        ),
        (b"\x00\x01", "binary_not_supported"),
    ]
    for payload, _ in bad_messages:
        client.channel.send(payload)
    await client.wait_for(
        lambda: len(client.of_type("error")) >= len(bad_messages), what="error replies"
    )
    errors = client.of_type("error")
    assert [error["code"] for error in errors] == [code for _, code in bad_messages]
    assert not any(error["fatal"] for error in errors)
    assert errors[1]["ref_type"] == "calibrate"

    # Still up: samples keep coming and ping is answered, with a sane clock estimate.
    samples_before = len(client.of_type("sample"))
    sent_unix_ns = time.time_ns()
    client.send({"v": 1, "type": "ping", "id": 1, "sent_unix_ns": sent_unix_ns})
    await client.wait_for(lambda: bool(client.of_type("pong")), what="pong")
    arrived_unix_ns = next(
        m.received_unix_ns for m in client.messages if m.message["type"] == "pong"
    )
    pong = client.of_type("pong")[0]
    round_trip_ms = (
        (arrived_unix_ns - sent_unix_ns) - (pong["sent_unix_ns"] - pong["received_unix_ns"])
    ) / 1e6
    offset_ms = (
        (pong["received_unix_ns"] - sent_unix_ns) + (pong["sent_unix_ns"] - arrived_unix_ns)
    ) / 2e6
    assert 0 <= round_trip_ms < 100
    assert abs(offset_ms) < 50  # same machine, same clock
    await client.wait_for(
        lambda: len(client.of_type("sample")) > samples_before + 5, what="more samples"
    )
    await client.close()
    await server.wait_for_sessions(0)


async def test_video_output_refused_at_run_time_without_a_receiving_transceiver(
    server: RunningServer, cap12_path: Path
) -> None:
    client = GazeClient(server.base_url, video_track(cap12_path), receive_video=False)
    await client.connect()
    client.send({"v": 1, "type": "config", "output": "both", "status_interval_ms": 500})
    await client.wait_for(lambda: bool(client.of_type("error")), what="the refusal")
    await client.wait_for(lambda: len(client.of_type("config")) >= 2, what="the effective config")
    await client.close()
    await server.wait_for_sessions(0)
    assert client.of_type("error")[0]["code"] == "video_unavailable"
    effective = client.of_type("config")[-1]
    assert (effective["output"], effective["status_interval_ms"]) == ("json", 500)
    assert effective["video_available"] is False


async def test_video_track_ending_closes_the_session(
    server: RunningServer, cap12_path: Path
) -> None:
    client = GazeClient(server.base_url, video_track(cap12_path))
    await client.connect()
    await client.wait_for(lambda: bool(client.of_type("sample")), what="the first sample")
    await client.sender.stop()  # sends RTCP BYE: the server's copy of the track ends
    await client.wait_for(
        lambda: any(status["video"] == "ended" for status in client.of_type("status")),
        what="status video=ended",
    )
    await server.wait_for_sessions(0)
    await client.close()


async def test_client_that_never_sends_video_is_closed_when_idle(server: RunningServer) -> None:
    client = GazeClient(server.base_url, _SilentTrack())
    await client.connect()
    await client.wait_for(
        lambda: bool(client.of_type("error")), E2E_IDLE_TIMEOUT_S + 5, "idle error"
    )
    error = client.of_type("error")[0]
    assert (error["code"], error["fatal"]) == ("idle_timeout", True)
    await server.wait_for_sessions(0)
    await client.close()


async def test_client_vanishing_mid_stream_is_cleaned_up(
    server: RunningServer, cap12_path: Path
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.server.vanishing_client",
        server.base_url,
        str(cap12_path),
        cwd=REPOSITORY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30.0)
        assert line.strip() == b"streaming"
        assert server.session_count == 1
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    await server.wait_for_sessions(0, timeout_s=E2E_IDLE_TIMEOUT_S + 5.0)
    await _assert_healthy_and_empty(server)
