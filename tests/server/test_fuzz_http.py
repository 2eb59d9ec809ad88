"""A thousand hostile HTTP requests cannot hurt the server or a session streaming meanwhile.

Against a real server process (``fuzz_server.py``): every route with hostile ids, paths
(traversal, long ids, odd encodings), methods, headers (Host, Origin, Authorization,
Content-Type, Range) and bodies (random JSON, mutated valid bodies, invalid UTF-8, deep nesting,
oversized), mutated real SDP offers, and raw requests no HTTP library sends (lying
Content-Length, bad chunking, broken request lines) (``fuzz_http_inputs.py``).

Pass: no answer is a 500; every 4xx/5xx answer the application gives is a JSON ``error``
valid by the schema. The exceptions, all HTTP's own: aiohttp's HTTP parser answers a request it
cannot parse (a malformed request line or header, a method outside HTTP's registry, a
Content-Length that is not a number, broken chunking) with ``400 Bad Request`` in plain text,
or closes the connection, before any application code runs, and logs it with a traceback
(counted, not failed: no gazertc code ran); a static file's unsatisfiable ``Range`` is ``416``
without a body; a ``HEAD`` answer has no body. Afterwards ``/health`` answers, the innocent
session still streams samples, the session count returns to 0, and the server log holds no
other traceback.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import random
import time
from pathlib import Path
from typing import Any, Final

import aiohttp
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from gazertc import protocol
from gazertc.protocol import ProtocolError
from gazertc.server.app import ServerConfig
from tests.server.fuzz_http_inputs import HttpCase, http_cases, raw_http_cases
from tests.server.fuzz_inputs import FIXTURES_DIR, SEED, Fuzzer
from tests.server.fuzz_server import MAX_LOOP_LAG_MS, FuzzServer, fuzz_server
from tests.server.peer import GazeClient, PacedTrack, i420_frames

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(150)]

FUZZ_REQUESTS: Final = 1000
"""As many as the issue asks for; with the raw ones about 15 s on 2 cores."""
RAW_REQUESTS: Final = 150
"""Raw requests each open a connection and may wait RAW_PATIENCE_S: fewer of them."""
FPS: Final = 10
"""Frames per second the innocent session sends: enough samples to see, little encoding work."""
REQUEST_TIMEOUT_S: Final = 15.0
"""An offer waits for ICE gathering (tens of ms); fifteen seconds means the server hangs."""
RAW_PATIENCE_S: Final = 0.5
"""How long a raw request waits for an answer before it half-closes its connection."""
RAW_TIMEOUT_S: Final = 5.0
"""After the half-close the server answers at once or closes; five seconds means it hangs."""
MAX_BODY_BYTES: Final = ServerConfig().max_body_bytes
"""The fuzz server keeps the default limit; bodies are made around it."""
PARSER_STATUSES: Final = frozenset({400, 413, 431, 505})
"""What aiohttp's HTTP parser answers (in plain text) to a request it cannot parse."""


def _fixture_offer() -> str:
    text = (FIXTURES_DIR / "offer_request.video_json.json").read_text("utf-8")
    sdp: str = json.loads(text)["sdp"]
    return sdp


async def _real_offer(frames_track: PacedTrack) -> str:
    """A complete offer from a real aiortc peer (closed at once: it never connects)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.createDataChannel("gaze")
        pc.addTransceiver(frames_track, direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        sdp: str = pc.localDescription.sdp
        return sdp
    finally:
        await pc.close()


class _FindingError(Exception):
    """An answer that breaks the rules: the suite lists them all at the end."""


def _error_code(status: int, body: bytes) -> str:
    """The code of an error answer; raises :class:`_FindingError` unless the body is a valid JSON
    ``error``."""
    try:
        error = protocol.parse_json(body, max_bytes=1 << 20)
        protocol.validate(error, "error")
    except ProtocolError as exc:
        raise _FindingError(
            f"{status} without a JSON error ({exc.message}): {body[:300]!r}"
        ) from exc
    code: str = error["code"]
    return code


async def _send(http: aiohttp.ClientSession, server: FuzzServer, case: HttpCase) -> str:
    """Send one request; returns what happened (for the counts)."""
    try:
        async with http.request(
            case.method,
            server.base_url + case.path,
            headers=case.headers,
            data=case.body if case.method != "HEAD" or case.body else None,
            allow_redirects=False,
            skip_auto_headers=("Content-Type",),
        ) as answer:
            status = answer.status
            body = await answer.read()
    except ValueError as exc:  # the client library refuses to send it (an odd header, method)
        return f"not sendable: {type(exc).__name__}"
    if status == 500:
        raise _FindingError(f"500: {body[:500]!r}")
    if status < 400:
        return f"{status}"
    if case.unparsable and status == 400 and answer.content_type == "text/plain":
        return f"{status} from the HTTP parser"
    if status == 416 and "Range" in case.headers and not body:
        return f"{status} (a static file's range)"
    if case.method == "HEAD":
        return f"{status} (HEAD: no body)"
    return f"{status} {_error_code(status, body)}"


async def _send_raw(server: FuzzServer, raw: bytes) -> str:
    """Send raw bytes on a new connection; returns the answer's status (or how it ended)."""
    host, port = server.host.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(raw)
        await writer.drain()
        try:
            answer = await asyncio.wait_for(reader.read(), RAW_PATIENCE_S)
        except TimeoutError:
            # The server waits for more (a Content-Length larger than the body): stop sending.
            with contextlib.suppress(OSError):
                writer.write_eof()
            answer = await asyncio.wait_for(reader.read(), RAW_TIMEOUT_S)
    except (ConnectionError, TimeoutError) as exc:
        return f"no answer ({type(exc).__name__})"
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    if not answer:
        return "closed"
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    if status == 500:
        raise _FindingError(f"500: {answer[:500]!r}")
    if status < 400:
        return f"{status}"
    if headers.get("content-type", "").startswith("application/json"):
        return f"{status} {_error_code(status, body)}"
    if status not in PARSER_STATUSES:
        raise _FindingError(f"{status} without a JSON error: {answer[:500]!r}")
    return f"{status} from the HTTP parser"


async def _fuzz(server: FuzzServer, frames_path: Path) -> collections.Counter[str]:
    frames = i420_frames(frames_path, 30)
    innocent = GazeClient(server.base_url, PacedTrack(frames, FPS))
    counts: collections.Counter[str] = collections.Counter()
    findings: collections.defaultdict[str, list[str]] = collections.defaultdict(list)
    try:
        await innocent.connect()
        await innocent.wait_for(lambda: bool(innocent.of_type("sample")), what="a first sample")
        assert innocent.session_id is not None
        offers = [_fixture_offer(), await _real_offer(PacedTrack(frames, FPS))]
        fuzzer = Fuzzer(random.Random(SEED))
        cases = http_cases(
            fuzzer,
            FUZZ_REQUESTS,
            offers=offers,
            session_ids=[innocent.session_id, "0123456789abcdef0123456789abcdef"],
            host=server.host,
            host_token=server.host_token,
            max_body_bytes=MAX_BODY_BYTES,
        )
        cases += raw_http_cases(fuzzer, server.host, RAW_REQUESTS)
        fuzzer.rng.shuffle(cases)
        samples_before = len(innocent.of_type("sample"))
        connector = aiohttp.TCPConnector(force_close=True)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            for case in cases:
                try:
                    if case.raw is not None:
                        outcome = "raw: " + await _send_raw(server, case.raw)
                    else:
                        outcome = f"{case.method} " + await _send(http, server, case)
                except _FindingError as finding:
                    request = case.raw[:200] if case.raw is not None else case
                    findings[str(finding)[:60]].append(f"{request!r:.600}\n    -> {finding}")
                    continue
                counts[outcome] += 1
        counts["requests sent"] = len(cases)
        assert not findings, "findings, by kind (count, first example):\n" + "\n".join(
            f"{len(examples)} x {examples[0]}" for examples in findings.values()
        )
        assert (await server.health())["status"] == "ok"
        await innocent.wait_for(
            lambda: len(innocent.of_type("sample")) > samples_before + 5, 20.0, "more samples"
        )
        assert not [e for e in innocent.of_type("error") if e["fatal"]], innocent.of_type("error")
    finally:
        await innocent.close()
    await server.wait_for_sessions(0)
    return counts


async def test_hostile_http_requests_cannot_hurt_the_server(
    tmp_path: Path, cap12_path: Path
) -> None:
    started = time.monotonic()
    with fuzz_server(tmp_path) as server:
        counts = await _fuzz(server, cap12_path)
        await asyncio.sleep(0.5)  # a late traceback (a task's) would be printed by now
        health: dict[str, Any] = await server.health()
        assert health["sessions"] == 0
        lag_ms = await server.loop_lag_max_ms()
        assert lag_ms < MAX_LOOP_LAG_MS
        counts["server event loop late by at most (ms)"] = round(lag_ms)
        assert not server.failures(), "\n\n".join(server.failures()[:3])
        counts["HTTP parser refusals logged by aiohttp"] = server.parser_refusals()
    print(f"\nHTTP fuzz, seed {SEED}, {time.monotonic() - started:.1f} s:")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
