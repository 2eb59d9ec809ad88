"""SDP offers for the tests and the SDP benchmark: a real browser's offer, and offers exactly at
the caps of :mod:`gazertc.server.signalling`, each built to cost aiortc the most in one way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from gazertc.server.signalling import (
    MAX_CANDIDATES,
    MAX_M_LINES,
    MAX_PAYLOAD_TYPES,
    MAX_RTCP_FEEDBACK,
    MAX_SDP_BYTES,
    MAX_SDP_LINES,
)

CHROMIUM_OFFER_PATH: Final = (
    Path(__file__).resolve().parents[1] / "fixtures" / "sdp" / "chromium-156-offer.sdp"
)
"""Chromium 156's offer for a camera track (sendrecv) and a data channel, two interfaces."""
_MDNS_NAMES: Final = {
    "e3199f55-cd58-431d-aadf-a5a571f6301a.local": "192.0.2.10",
    "febd275d-03bb-4793-8cd0-14c1b03d887b.local": "192.0.2.11",
}
"""Its host candidates' mDNS names; aiortc resolves such names for a second, so the offers
applied in tests name addresses instead."""


def chromium_offer(*, resolved: bool = True) -> str:
    """The Chromium offer (CRLF line ends), its candidates' names replaced by addresses unless
    ``resolved`` is false."""
    text = CHROMIUM_OFFER_PATH.read_text(encoding="ascii")
    if resolved:
        for name, address in _MDNS_NAMES.items():
            text = text.replace(name, address)
    return "\r\n".join(text.splitlines()) + "\r\n"


def _sections(sdp: str) -> tuple[list[str], list[list[str]]]:
    lines = sdp.rstrip("\r\n").split("\r\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("m=")]
    ends = [*starts[1:], len(lines)]
    return lines[: starts[0]], [lines[a:b] for a, b in zip(starts, ends, strict=True)]


def _join(session: list[str], sections: list[list[str]]) -> str:
    return "\r\n".join(session + [line for section in sections for line in section]) + "\r\n"


def _video_with_payload_types(video: list[str], count: int) -> list[str]:
    """The video section offering ``count`` VP8 payload types (each one aiortc keeps and
    copies), without the original codec lines."""
    m_line = " ".join([*video[0].split(" ")[:3], *(str(96 + i) for i in range(count))])
    kept = [
        line
        for line in video[1:]
        if not line.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:", "a=ssrc"))
    ]
    codecs = [f"a=rtpmap:{96 + i} VP8/90000" for i in range(count)]
    return [m_line, *kept, *codecs]


def _filler(kind: str) -> Callable[[int], str]:
    fillers: dict[str, Callable[[int], str]] = {
        "rtcp_fb": lambda i: f"a=rtcp-fb:{96 + i % MAX_PAYLOAD_TYPES} nack",
        "rtcp_fb_wildcard": lambda i: "a=rtcp-fb:* nack",
        "fmtp": lambda i: f"a=fmtp:{96 + i % MAX_PAYLOAD_TYPES} x-google-start-bitrate={i}",
        "ssrc": lambda i: f"a=ssrc:{1000 + i} cname:c{i}",
        "candidates": lambda i: (
            f"a=candidate:{i} 1 udp 2113937151 198.51.{i // 250}.{i % 250 + 1} {40000 + i} "
            "typ host generation 0 network-cost 999"
        ),
    }
    return fillers[kind]


AT_CAPS_KINDS: Final = ("rtcp_fb", "rtcp_fb_wildcard", "fmtp", "ssrc", "candidates", "m_lines")


def offer_at_caps(kind: str) -> str:
    """An offer that ``check_offer`` accepts, at the caps: ``MAX_PAYLOAD_TYPES`` video payload
    types, then lines of ``kind`` added to the video section until one more would pass a cap
    (``MAX_RTCP_FEEDBACK`` for feedback, ``MAX_CANDIDATES`` for candidates, ``MAX_SDP_LINES``
    or ``MAX_SDP_BYTES`` for any); ``m_lines``: ``MAX_M_LINES`` m-lines, the extra ones audio."""
    session, (video, application) = _sections(chromium_offer())
    video = _video_with_payload_types(video, MAX_PAYLOAD_TYPES)
    extra: list[list[str]] = []
    if kind == "m_lines":
        mids = [f"a{i}" for i in range(MAX_M_LINES - 2)]
        session = [
            f"a=group:BUNDLE 0 1 {' '.join(mids)}" if line.startswith("a=group:") else line
            for line in session
        ]
        extra = [_audio_section(mid) for mid in mids]
        return _join(session, [video, application, *extra])
    if kind == "rtcp_fb_wildcard":
        # Each applies to every payload type: the entries they stand for stay within the cap.
        count = MAX_RTCP_FEEDBACK // MAX_PAYLOAD_TYPES
        return _join(session, [[*video, *["a=rtcp-fb:* nack"] * count], application])
    make = _filler(kind)
    listed = _join(session, [video, application]).count("\na=candidate:")
    most = {"rtcp_fb": MAX_RTCP_FEEDBACK, "candidates": MAX_CANDIDATES - listed}.get(
        kind, MAX_SDP_LINES
    )
    added: list[str] = []
    while len(added) < most:
        candidate = _join(session, [[*video, *added, make(len(added))], application])
        if candidate.count("\n") > MAX_SDP_LINES or len(candidate) > MAX_SDP_BYTES:
            break
        added.append(make(len(added)))
    return _join(session, [[*video, *added], application])


def _audio_section(mid: str) -> list[str]:
    return [
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        f"a=mid:{mid}",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=ice-ufrag:Ab1C",
        "a=ice-pwd:0123456789abcdefghijklmn",
        "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
        "a=setup:actpass",
        "a=rtpmap:111 opus/48000/2",
    ]


def issue_offer() -> str:
    """An offer like the one that held the loop for about 245 ms before the caps: 200 m-lines,
    41 KB."""
    session, (video, application) = _sections(chromium_offer())
    mids = [f"a{i}" for i in range(198)]
    extra = [
        [line for line in _audio_section(mid) if not line.startswith("a=fingerprint:")]
        for mid in mids
    ]
    return _join(session, [video, application, *extra])
