"""Seeded generators of hostile HTTP input for ``test_fuzz_http.py``: mutated SDP offers,
requests over every route with hostile ids, paths, methods, headers and bodies, and raw requests
no HTTP library sends. Built on :class:`tests.server.fuzz_inputs.Fuzzer`; one
``random.Random`` drives everything, so a failure repeats with its seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from tests.server.fuzz_inputs import HOSTILE_STRINGS, T0_UNIX_NS, Fuzzer

# -- SDP -----------------------------------------------------------------------------------

_SDP_LINE_VALUES: Final = (
    "m=video 0 UDP/TLS/RTP/SAVPF 97",
    "m=video -1 UDP/TLS/RTP/SAVPF 97",
    "m=video 99999999999 UDP/TLS/RTP/SAVPF 97",
    "m=video 9 UDP/TLS/RTP/SAVPF",
    "m=video 9 UDP/TLS/RTP/SAVPF 300",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "m=text 9 RTP/AVP 0",
    "a=rtpmap:97 VP8/90000/2/extra",
    "a=rtpmap:97 VP8",
    "a=rtpmap:abc VP8/90000",
    "a=rtpmap:97 VP8/-90000",
    "a=fmtp:97 apt=",
    "a=fmtp:98 apt=98",
    "a=rtcp-fb:97",
    "a=ssrc:abc cname:x",
    "a=ssrc:99999999999 cname:x",
    "a=ssrc-group:FID",
    "a=ssrc-group:FID 1 2 3 4",
    "a=extmap:999999 urn:x",
    "a=extmap:x urn:x",
    "a=mid:" + "m" * 300,
    "a=sctp-port:-1",
    "a=sctp-port:70000",
    "a=sctp-port:x",
    "a=max-message-size:-1",
    "a=max-message-size:x",
    "a=candidate:1 1 UDP 2122260223 192.0.2.1 9 typ host",
    "a=candidate:1 1 UDP x 192.0.2.1 9 typ host",
    "a=candidate:1 1 UDP 1 999.999.999.999 9 typ host",
    "a=candidate:1 1 UDP 1 ::1 99999 typ host",
    "a=candidate:1 1 TCP 1 127.0.0.1 9 typ host tcptype active",
    "a=candidate:garbage",
    "a=fingerprint:sha-256 00",
    "a=fingerprint:md5 00:11",
    "a=fingerprint:sha-256",
    "a=setup:banana",
    "a=setup:active",
    "a=ice-ufrag:",
    "a=ice-ufrag:" + "u" * 600,
    "a=ice-pwd:x",
    "a=ice-options:trickle",
    "a=group:BUNDLE 9 9 9",
    "a=group:BUNDLE",
    "a=msid:",
    "a=recvonly",
    "a=inactive",
    "a=rtcp:x IN IP4 0.0.0.0",
    "c=IN IP6 ::1",
    "c=IN IP4 300.1.1.1",
    "c=",
    "b=AS:-1",
    "t=x y",
    "o=- x x IN IP4 0.0.0.0",
)
"""Lines that aiortc's parser or its transports might take badly (found by reading aiortc's
``sdp.py``: each field it converts with ``int()`` or splits by position)."""


def mutate_sdp(fuzzer: Fuzzer, sdp: str) -> str:
    """A mutation of an SDP offer: lines dropped, repeated, swapped, replaced by odd values,
    or the text cut or re-encoded."""
    rng = fuzzer.rng
    lines = sdp.split("\r\n")
    for _ in range(rng.randint(1, 4)):
        operation = rng.randrange(7)
        index = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
        if operation == 0 and len(lines) > 2:
            del lines[index]
        elif operation == 1:
            lines.insert(index, lines[index])
        elif operation == 2:
            other = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
            lines[index], lines[other] = lines[other], lines[index]
        elif operation in {3, 4}:
            lines.insert(index, fuzzer.choice(_SDP_LINE_VALUES))
        elif operation == 5:
            prefix, _, _ = lines[index].partition(":")
            lines[index] = f"{prefix}:{fuzzer.choice(HOSTILE_STRINGS[:20])}"
        else:
            lines[index] = lines[index][: rng.randrange(len(lines[index]) + 1)]
    text = "\r\n".join(lines)
    if rng.random() < 0.1:
        text = text.replace("\r\n", "\n")
    if rng.random() < 0.05:
        text = text + "m=video 9 UDP/TLS/RTP/SAVPF 97\r\n" * rng.choice((50, 500))
    return text


# -- HTTP ----------------------------------------------------------------------------------


@dataclass
class HttpCase:
    """One HTTP request. ``raw``: sent as these bytes on a fresh connection (for what an HTTP
    client library would refuse to send); otherwise ``method``, ``path``, ``headers``, ``body``.
    ``unparsable``: HTTP itself has no such request (a method outside its registry), so the
    server's HTTP parser may refuse it before the application sees it.
    """

    kind: str
    method: str = "GET"
    path: str = "/health"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw: bytes | None = None
    unparsable: bool = False


ROUTE_TEMPLATES: Final = (
    ("POST", "/offer"),
    ("GET", "/health"),
    ("GET", "/health?lag_window_s={q}"),
    ("POST", "/api/sessions/{id}/events"),
    ("POST", "/api/sessions/{id}/recording"),
    ("GET", "/api/recordings"),
    ("GET", "/api/recordings/{id}"),
    ("GET", "/api/recordings/{id}/export?format={q}"),
    ("GET", "/api/monitor/sessions"),
    ("POST", "/api/monitor/sessions/{id}/recording"),
    ("POST", "/api/monitor/sessions/{id}/events"),
    ("GET", "/api/ice-servers"),
    ("GET", "/"),
    ("GET", "/monitor"),
    ("GET", "/index.html"),
    ("GET", "/assets/{id}"),
    ("GET", "/assets/app.js"),
)
"""Every route the server has (and one static file), with slots for hostile ids and values."""

OFFER_SHARE: Final = 0.25

HTTP_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
"""The methods of RFC 9110 and RFC 5789; HTTP parsers may refuse any other."""

HOSTILE_PATHS: Final = (
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/assets/..%2f..%2f..%2fpyproject.toml",
    "/assets/../../srv/gazertc/__init__.py",
    "/..%5c..%5cwindows%5cwin.ini",
    "//etc/passwd",
    "/static/%00",
    "/%ff%fe",
    "/api/sessions/",
    "/api/sessions//events",
    "/api/recordings/../../health",
    "/api/monitor/sessions/../../../health",
    "/offer/",
    "/OFFER",
    "/health/",
    "/" + "a" * 4000,
    "/api/sessions/" + "f" * 3000 + "/events",
    "/ünïcödé",
    "/?" + "&".join(f"k{index}=v" for index in range(300)),
)

HOSTILE_HEADER_VALUES: Final = (
    "",
    " ",
    "x" * 7000,
    "évil",
    "null",
    "Bearer",
    "Bearer ",
    "Bearer " + "A" * 43,
    "Bearer " + "A" * 5000,
    "Basic YWRtaW46YWRtaW4=",
    "bearer\tx",
)

CONTENT_TYPES: Final = (
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "*/*",
    "application/json; charset=utf-16",
    "garbage/\x7f",
)

HOSTS: Final = (
    "evil.example",
    "evil.example:3000",
    "localhost.evil.example",
    "127.0.0.1.nip.io",
    "[::1]",
    "[::1",
    "",
    "localhost:99999",
    "LOCALHOST",
    "xn--nxasmq6b",
    "a" * 300,
    "127.0.0.1, evil.example",
)

ORIGINS: Final = (
    "null",
    "http://evil.example",
    "https://evil.example:3000",
    "file://",
    "http://localhost.evil.example",
    "chrome-extension://abc",
    "http://[::1",
    "x" * 500,
)


def _http_request_line(method: str, path: str, host: str, headers: str, body: bytes) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}\r\n"
    return head.encode("latin-1", "replace") + body


def raw_http_cases(fuzzer: Fuzzer, host: str, count: int) -> list[HttpCase]:
    """Requests no well-behaved HTTP client sends: lying Content-Length, bad chunking, odd
    request lines and header bytes."""
    rng = fuzzer.rng
    body = b'{"name": "x"}'
    builders: list[Callable[[], bytes]] = [
        lambda: _http_request_line(
            "POST",
            "/offer",
            host,
            "Content-Type: application/json\r\nContent-Length: 100\r\n",
            body,
        ),
        lambda: _http_request_line(
            "POST", "/offer", host, "Content-Type: application/json\r\nContent-Length: 3\r\n", body
        ),
        lambda: _http_request_line("POST", "/offer", host, "Content-Length: -5\r\n", body),
        lambda: _http_request_line("POST", "/offer", host, "Content-Length: x\r\n", body),
        lambda: _http_request_line(
            "POST", "/offer", host, "Content-Length: 99999999999999999999\r\n", body
        ),
        lambda: _http_request_line(
            "POST", "/offer", host, "Content-Length: 5\r\nContent-Length: 6\r\n", body
        ),
        lambda: _http_request_line(
            "POST", "/offer", host, "Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n"
        ),
        lambda: _http_request_line(
            "POST",
            "/offer",
            host,
            "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
            b"4\r\n{}{}\r\n0\r\n\r\n",
        ),
        lambda: _http_request_line("GET", "/health", host, "X-Bad\x00Header: 1\r\n", b""),
        lambda: _http_request_line("GET", "/health", host, "NoColonHeader\r\n", b""),
        lambda: _http_request_line("GET", "/health", host, "X-Long: " + "a" * 9000 + "\r\n", b""),
        lambda: b"GET /health HTTP/9.9\r\nHost: " + host.encode() + b"\r\n\r\n",
        lambda: b"GET /health\r\n\r\n",
        lambda: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + rng.randbytes(64),
        lambda: b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n",
        lambda: b"G\xffT /health HTTP/1.1\r\n\r\n",
        lambda: b"GET /h\xc3\x28alth HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n",
        lambda: b"GET /health HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",
        lambda: b"POST /offer HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
        lambda: rng.randbytes(rng.randint(1, 300)),
    ]
    return [HttpCase("raw", raw=fuzzer.choice(builders)()) for _ in range(count)]


def _body_for(fuzzer: Fuzzer, path: str, offers: list[str], max_body_bytes: int) -> bytes:
    rng = fuzzer.rng
    if path.startswith("/offer"):
        document: dict[str, Any] = {
            "sdp": mutate_sdp(fuzzer, fuzzer.choice(offers)),
            "type": "offer",
            "options": {"output": "json"},
        }
    elif path.endswith("/events"):
        document = {"name": "stimulus_onset", "timestamp_unix_ns": T0_UNIX_NS}
    else:
        document = {"action": fuzzer.choice(("start", "stop", "cancel")), "name": "block"}
    roll = rng.random()
    if path.startswith("/offer") and rng.random() < 0.5:
        return json.dumps(document).encode()  # an SDP mutation in a well-formed body
    if roll < 0.55:
        for _ in range(rng.randint(1, 3)):
            document = fuzzer.mutate(document)
        return json.dumps(document).encode()
    if roll < 0.75:
        return fuzzer.raw(json.dumps(document)).encode("utf-8", "surrogatepass")
    if roll < 0.85:
        return rng.choice((b"\xff\xfe{}", b'{"name": "\xc3\x28"}', rng.randbytes(200), b"\x00"))
    if roll < 0.92:
        return json.dumps(fuzzer.value(4)).encode()
    return b'{"name": "' + b"x" * (max_body_bytes + rng.choice((1, 5000))) + b'"}'


def http_cases(
    fuzzer: Fuzzer,
    count: int,
    *,
    offers: list[str],
    session_ids: list[str],
    host: str,
    host_token: str,
    max_body_bytes: int,
) -> list[HttpCase]:
    """``count`` requests over every route: hostile ids, paths, methods, headers and bodies
    (with the right credentials often enough to reach the route's own checks)."""
    rng = fuzzer.rng
    cases: list[HttpCase] = []
    while len(cases) < count:
        # A quarter are offers: the route that hands the most to a third party (aiortc).
        method, template = (
            ("POST", "/offer") if rng.random() < OFFER_SHARE else fuzzer.choice(ROUTE_TEMPLATES)
        )
        identifier = fuzzer.choice(
            (
                *session_ids,
                "0" * 32,
                "f" * 16,
                "../../etc/passwd",
                "%2e%2e%2f%2e%2e",
                "x" * rng.choice((33, 3000)),
                "%00",
                "ü",
                "",
            )
        )
        query = fuzzer.choice(("1", "0", "-1", "nan", "inf", "1e400", "60", "csv", "bids", "%00"))
        path = template.format(id=identifier, q=query)
        roll = rng.random()
        if roll < 0.08:
            path = fuzzer.choice(HOSTILE_PATHS)
        if rng.random() < 0.12:
            method = fuzzer.choice(
                ("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "get", "CONNECT")
            )
        headers: dict[str, str] = {}
        if path.startswith("/api/") and rng.random() < 0.7:
            headers["Authorization"] = f"Bearer {host_token}"
        elif rng.random() < 0.2:
            headers["Authorization"] = fuzzer.choice(HOSTILE_HEADER_VALUES)
        if rng.random() < 0.08:
            headers["Host"] = fuzzer.choice(HOSTS)
        if rng.random() < 0.08:
            headers["Origin"] = fuzzer.choice(ORIGINS)
        if rng.random() < 0.05:
            headers["Access-Control-Request-Method"] = "POST"
            method = "OPTIONS"
        if rng.random() < 0.05:
            headers["Range"] = fuzzer.choice(("bytes=999999-", "bytes=5-1", "bytes=x", "bytes=0-0"))
        if rng.random() < 0.05:
            headers["Accept-Encoding"] = fuzzer.choice(("gzip", "br", "x" * 500, "*;q=2"))
        body = b""
        if method == "POST":
            body = _body_for(fuzzer, path, offers, max_body_bytes)
            headers["Content-Type"] = (
                "application/json" if rng.random() < 0.8 else fuzzer.choice(CONTENT_TYPES)
            )
        unparsable = method not in HTTP_METHODS
        cases.append(
            HttpCase(f"{method} {template}", method, path, headers, body, None, unparsable)
        )
    return cases
