"""A thousand hostile data-channel messages cannot hurt the server, the session that sent them,
or the session next to it.

Over a real aiortc data channel to a real server process (``fuzz_server.py``): every client
message type, valid and in random (so mostly out-of-order) sequence, mutated (wrong types,
missing and extra fields, huge and deeply nested values, hostile ids and names), raw text that
is not JSON or only Python's idea of it (NaN, lone surrogates, 5000-digit numbers, bracket
bombs), binary frames, text frames that are not UTF-8, and oversized messages
(``fuzz_inputs.py``). A run of refused messages, or one valid message, is followed by a ping:
what the server answers before that ping's pong is its answer (messages that a task of the
session answers are waited for).

Pass: every answer is valid JSON (strictly: no NaN) and valid by the schema; every message the
protocol refuses gets exactly the error :func:`gazertc.protocol.parse_client_message` names,
none fatal and none ``internal_error``; both sessions still stream samples at the end; the
session count returns to 0; the server log holds no traceback.
"""

from __future__ import annotations

import asyncio
import collections
import random
import time
from pathlib import Path
from typing import Any, Final

import pytest

from gazertc import protocol
from gazertc.protocol import ProtocolError
from gazertc.server.datachannel import WEBRTC_STRING_PPID
from gazertc.server.session_settings import SessionLimits
from tests.server.fuzz_inputs import SEED, DataChannelCase, Fuzzer, datachannel_cases
from tests.server.fuzz_server import MAX_LOOP_LAG_MS, FuzzServer, fuzz_server
from tests.server.peer import GazeClient, PacedTrack, i420_frames

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(150)]

FUZZ_MESSAGES: Final = 1200
"""More than the 1000 the issue asks for; about 700 round trips, 20-30 s on 2 cores."""
FPS: Final = 10
"""Frames per second each client sends: enough samples to see, little encoding work."""
BARRIER_ID_BASE: Final = 2**52
"""Barrier pings count up from here; the fuzzer's own ping ids are random and almost never
land on one (and a stray pong with a barrier id would only end a wait early)."""
ANSWER_TIMEOUT_S: Final = 10.0
"""A calibration fit or a recording command takes milliseconds; ten seconds means no answer."""
MAX_BATCH: Final = 8
"""Refused messages sent back to back before one barrier ping."""
MAX_MESSAGE_BYTES: Final = SessionLimits().max_message_bytes
"""The fuzz server keeps the default limit: the oracle must use the same."""
SEMANTIC_ERRORS: Final = frozenset(
    {
        "video_unavailable",
        "invalid_message",
        "recording_unavailable",
        "recording_in_progress",
        "not_recording",
        "calibration_failed",
        "calibration_out_of_order",
    }
)
"""Errors a message valid by the schema may still earn (the state or the screen forbid it)."""
ASYNC_TYPES: Final = protocol.CALIBRATION_CLIENT_MESSAGE_TYPES | {"recording"}
"""Messages the session answers from a task of its own, not from the message handler."""


class _Recorder:
    """Every text a client receives, to be checked after the run (validating 30 samples a
    second would slow the run down): parsed strictly, since ``NaN`` or ``Infinity`` from the
    server would break a browser's ``JSON.parse``, and against the schema."""

    def __init__(self, client: GazeClient) -> None:
        self.received: list[str | bytes] = []
        client.channel.on("message", self.received.append)

    def problems(self) -> list[str]:
        found = []
        for data in self.received:
            if not isinstance(data, str):
                found.append(f"binary message from the server: {data!r:.80}")
                continue
            try:
                protocol.validate_message(protocol.parse_json(data, max_bytes=1 << 20))
            except ProtocolError as exc:
                found.append(f"{exc.message}: {data[:200]}")
        return found


def _check(case: DataChannelCase) -> tuple[str | None, str | None]:
    """The error code the protocol gives ``case`` (``None``: valid), and its type when
    valid."""
    if case.invalid_text:
        return "invalid_json", None
    try:
        message = protocol.parse_client_message(case.payload, max_bytes=MAX_MESSAGE_BYTES)
    except ProtocolError as exc:
        return exc.code.value, None
    return None, str(message["type"])


async def _barrier(client: GazeClient, barrier_id: int, start: int) -> None:
    client.send({"v": 1, "type": "ping", "id": barrier_id, "sent_unix_ns": time.time_ns()})
    await client.wait_for(
        lambda: any(
            m.message.get("type") == "pong" and m.message.get("id") == barrier_id
            for m in client.messages[start:]
        ),
        ANSWER_TIMEOUT_S,
        f"the pong of barrier {barrier_id}",
    )


def _answers(message_type: str, received: dict[str, Any]) -> bool:
    """Whether ``received`` is the answer to a ``message_type`` that always gets one."""
    if received.get("type") == "error":
        return bool(received.get("ref_type") == message_type)
    if message_type == "recording":
        return received.get("type") == "recording_status"
    return received.get("type") in {"calibration_result", "validation_result"}


async def _send(client: GazeClient, case: DataChannelCase) -> None:
    if not case.invalid_text:
        client.channel.send(case.payload)
        return
    # aiortc sends str as text and bytes as binary: its transport is asked directly. Such a
    # case travels alone, after the previous barrier, so nothing queued can come after it.
    assert isinstance(case.payload, bytes)
    assert client.channel.id is not None
    await client.channel.transport._send(client.channel.id, WEBRTC_STRING_PPID, case.payload)


async def _exchange(
    client: GazeClient, payloads: list[DataChannelCase], index: int, valid_type: str | None
) -> list[dict[str, Any]]:
    """Send ``payloads`` (several refused ones, or one valid message of ``valid_type``), then
    wait until their answers must have come: one ping later for what ``_on_message`` answers
    itself; one more for calibration messages (answered by a task); their answer itself for
    ``calibration_end`` and ``recording``. Returns what came meanwhile, without the barriers'
    pongs."""
    start = len(client.messages)
    barriers = {BARRIER_ID_BASE + 2 * index, BARRIER_ID_BASE + 2 * index + 1}
    for case in payloads:
        await _send(client, case)
    await _barrier(client, BARRIER_ID_BASE + 2 * index, start)
    if valid_type in ASYNC_TYPES:
        await _barrier(client, BARRIER_ID_BASE + 2 * index + 1, start)
    if valid_type in {"calibration_end", "recording"}:
        await client.wait_for(
            lambda: any(_answers(valid_type, m.message) for m in client.messages[start:]),
            ANSWER_TIMEOUT_S,
            f"the answer to {valid_type}",
        )
    return [
        m.message
        for m in client.messages[start:]
        if not (m.message.get("type") == "pong" and m.message.get("id") in barriers)
    ]


async def _more_samples(client: GazeClient, more: int, what: str) -> None:
    before = len(client.of_type("sample"))
    await client.wait_for(
        lambda: len(client.of_type("sample")) >= before + more, 20.0, f"{what} samples"
    )


async def _fuzz(server: FuzzServer, cap12_path: Path) -> collections.Counter[str]:
    frames = i420_frames(cap12_path, 30)
    innocent = GazeClient(server.base_url, PacedTrack(frames, FPS))
    fuzzed = GazeClient(server.base_url, PacedTrack(frames, FPS))
    innocent_log, fuzzed_log = _Recorder(innocent), _Recorder(fuzzed)
    counts: collections.Counter[str] = collections.Counter()
    try:
        await innocent.connect()
        await fuzzed.connect()
        await _more_samples(innocent, 1, "the innocent session's first")
        await _more_samples(fuzzed, 1, "the fuzzed session's first")
        innocent_samples = len(innocent.of_type("sample"))
        cases = datachannel_cases(
            Fuzzer(random.Random(SEED)),
            FUZZ_MESSAGES,
            now_unix_ns=time.time_ns(),
            max_message_bytes=MAX_MESSAGE_BYTES,
        )
        index = 0
        while index < len(cases):
            # A run of refused messages shares one barrier: each earns one error, in order.
            batch: list[DataChannelCase] = []
            expected: list[str] = []
            batch_type: str | None = None
            while index < len(cases) and len(batch) < MAX_BATCH:
                case = cases[index]
                code, valid_type = _check(case)
                alone = code is None or case.invalid_text
                if alone and batch:
                    break
                batch.append(case)
                index += 1
                if code is not None:
                    expected.append(code)
                batch_type = valid_type
                if alone:
                    break
            answer = await _exchange(fuzzed, batch, index, batch_type)
            errors = [message for message in answer if message["type"] == "error"]
            context = (
                f"cases {index - len(batch)}..{index - 1}: {[c.payload for c in batch]!r:.400}"
            )
            assert not any(error["fatal"] for error in errors), f"{context}: {errors}"
            if expected:
                assert [error["code"] for error in errors] == expected, f"{context}: {errors}"
                counts.update(f"refused: {code}" for code in expected)
            else:
                assert {error["code"] for error in errors} <= SEMANTIC_ERRORS, (
                    f"{context}: {errors}"
                )
                counts["accepted by the schema"] += 1
            counts["exchanges"] += 1
        counts["messages sent"] = len(cases)

        # Both sessions still stream (the fuzzer may have asked for video-only output).
        fuzzed.send({"v": 1, "type": "config", "output": "json"})
        await _more_samples(fuzzed, 5, "the fuzzed session's later")
        await _more_samples(innocent, 5, "the innocent session's later")
        assert len(innocent.of_type("sample")) > innocent_samples + 5
    finally:
        await fuzzed.close()
        await innocent.close()
    await server.wait_for_sessions(0)

    late_errors = [
        m for m in fuzzed.of_type("error") if m["fatal"] or m["code"] == "internal_error"
    ]
    assert not late_errors, late_errors
    assert not innocent.of_type("error"), innocent.of_type("error")
    assert not fuzzed_log.problems(), fuzzed_log.problems()[:5]
    assert not innocent_log.problems(), innocent_log.problems()[:5]
    for message in fuzzed.messages:
        counts[f"answer: {message.message['type']}"] += 1
    return counts


async def test_hostile_data_channel_messages_cannot_hurt_any_session(
    tmp_path: Path, cap12_path: Path
) -> None:
    started = time.monotonic()
    with fuzz_server(tmp_path) as server:
        counts = await _fuzz(server, cap12_path)
        assert (await server.health())["sessions"] == 0
        lag_ms = await server.loop_lag_max_ms()
        assert lag_ms < MAX_LOOP_LAG_MS
        counts["server event loop late by at most (ms)"] = round(lag_ms)
        await asyncio.sleep(0.5)  # a late traceback (a task's) would be printed by now
        assert not server.failures(), "\n\n".join(server.failures()[:3])
    print(f"\ndata-channel fuzz, seed {SEED}, {time.monotonic() - started:.1f} s:")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
