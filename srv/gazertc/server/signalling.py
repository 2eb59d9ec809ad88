"""Checks on a client's SDP offer before it reaches aiortc, with errors a person can act on.

aiortc accepts an offer without media and fails on malformed lines with whatever exception the
failing operation raises (assertions, index errors, ...); a client deserves to hear which line
is wrong and what the server needs instead.

The offer is also bounded before anything parses it: aiortc parses an SDP on the event loop (and
again when it applies it), with costs that grow with the product of lines and payload types, so
an unbounded offer stalls every session (a 50 KB offer with 200 m-lines held the loop for about
245 ms). Within the caps below an offer costs the loop about as much as a browser's own offer
(``python -m bench sdp`` measures both). A ``BUNDLE`` group must name m-lines that exist: aiortc
otherwise fails in ``createAnswer`` and leaves a failing task behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from aiortc.sdp import SessionDescription

from gazertc.protocol import ErrorCode, ProtocolError

__all__ = [
    "DECODABLE_VIDEO_CODECS",
    "MAX_CANDIDATES",
    "MAX_M_LINES",
    "MAX_PAYLOAD_TYPES",
    "MAX_RTCP_FEEDBACK",
    "MAX_SDP_BYTES",
    "MAX_SDP_LINES",
    "OfferSummary",
    "check_offer",
]

DECODABLE_VIDEO_CODECS: Final = frozenset({"video/VP8", "video/H264"})
"""What aiortc decodes; every browser offers at least one of them."""

SENDING_DIRECTIONS: Final = frozenset({"sendrecv", "sendonly"})
RECEIVING_DIRECTIONS: Final = frozenset({"sendrecv", "recvonly"})

MAX_SDP_BYTES: Final = 16 * 1024
"""A browser's offer for a camera and a data channel is 3-6 KB (Chromium 156: 5.1 KB with two
network interfaces); this leaves room for many more interfaces' candidates."""
MAX_SDP_LINES: Final = 200
"""Chromium 156's offer has 144 lines, 4 of them candidates; with the most candidates accepted
it would have about 175. Parsing costs aiortc more than linear time (a=ssrc, a=fmtp and
a=rtcp-fb lines are each matched against the earlier ones or the payload types)."""
MAX_M_LINES: Final = 4
"""The camera and the data channel, and room for an audio track a client may add."""
MAX_PAYLOAD_TYPES: Final = 32
"""Per m-line (counting rtx, red and ulpfec entries): Chromium 156 offers 23 for video, Firefox
fewer; aiortc compares every offered codec with each of its own."""
MAX_RTCP_FEEDBACK: Final = 96
"""Feedback entries per m-line (an ``a=rtcp-fb:*`` line counts once per payload type): Chromium
156 sends 50; aiortc copies each accepted codec with its feedback, about 0.04 ms apiece."""
MAX_CANDIDATES: Final = 32
"""ICE candidates in the offer: Chromium lists one per interface, transport and m-line (4 on a
machine with two interfaces); each costs aiortc about 0.1 ms to pair and check."""

MIN_PORT: Final = 1
MAX_PORT: Final = 65535
"""The range a UDP or TCP port can take."""
CANDIDATE_TRANSPORTS: Final = frozenset({"udp", "tcp"})

_SDP_LINE = re.compile(r"^[a-z]=[^\x00-\x08\x0a-\x1f\x7f]*$")

_AIORTC_PARSE_ERRORS: Final = (
    ValueError,
    AssertionError,
    AttributeError,
    IndexError,
    KeyError,
    StopIteration,
    TypeError,
)
"""What aiortc's SDP parser raises on malformed lines (found by mutating real offers)."""


@dataclass(frozen=True, slots=True)
class OfferSummary:
    """What the server needs to know about an accepted offer."""

    video_receivable: bool
    """The client's video transceiver also receives, so annotated video can be sent back."""
    video_codecs: tuple[str, ...]
    has_audio: bool


def _invalid(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.INVALID_SDP, message)


def _check_bounds(sdp: str) -> None:
    """Refuse an offer beyond the caps, by counting alone (nothing parsed yet)."""
    size_bytes = len(sdp.encode("utf-8", errors="replace"))
    if size_bytes > MAX_SDP_BYTES:
        raise _invalid(
            f"the offer has {size_bytes} bytes; at most {MAX_SDP_BYTES} are accepted (a "
            "browser's offer for a camera and a data channel has 3-6 KB)"
        )
    line_count = sdp.count("\n") + (not sdp.endswith("\n"))
    if line_count > MAX_SDP_LINES:
        raise _invalid(f"the offer has {line_count} lines; at most {MAX_SDP_LINES} are accepted")
    candidates = sdp.count("\na=candidate:")
    if candidates > MAX_CANDIDATES:
        raise _invalid(
            f"the offer lists {candidates} ICE candidates; at most {MAX_CANDIDATES} are accepted"
        )
    m_lines = [line for line in sdp.split("\n") if line.startswith("m=")]
    if len(m_lines) > MAX_M_LINES:
        raise _invalid(
            f"the offer has {len(m_lines)} m-lines; at most {MAX_M_LINES} are accepted (a "
            "camera and a data channel need 2)"
        )
    for section in sdp.split("\nm=")[1:]:
        kind, _, rest = section.partition(" ")
        payload_types = len(rest.split("\n", 1)[0].split()) - 2  # after port and protocol
        if payload_types > MAX_PAYLOAD_TYPES:
            raise _invalid(
                f"the {kind[:20]!r} m-line offers {payload_types} payload types; at most "
                f"{MAX_PAYLOAD_TYPES} are accepted"
            )
        # a=rtcp-fb:* applies to every payload type of its m-line.
        feedback = section.count("\na=rtcp-fb:") + section.count("\na=rtcp-fb:*") * (
            max(payload_types, 1) - 1
        )
        if feedback > MAX_RTCP_FEEDBACK:
            raise _invalid(
                f"the {kind[:20]!r} m-line's a=rtcp-fb lines name {feedback} feedback entries; "
                f"at most {MAX_RTCP_FEEDBACK} are accepted"
            )


def _check_bundle(description: SessionDescription) -> None:
    """Every m-line's mid is unique, and a BUNDLE group names only existing mids."""
    mids = [media.rtp.muxId for media in description.media if media.rtp.muxId]
    if len(set(mids)) != len(mids):
        raise _invalid(f"two m-lines share a mid (a=mid): {', '.join(mids)}")
    for group in description.group:
        missing = [item for item in group.items if item not in mids]
        if missing:
            raise _invalid(
                f"the {group.semantic} group names mid {missing[0]!r}, which no m-line has "
                f"(the m-lines' mids: {', '.join(mids) or 'none'})"
            )


def check_offer(sdp: str) -> OfferSummary:
    """Check that ``sdp`` is a complete, non-trickle offer the server can serve.

    Needed: one video m-line that sends (VP8 or H264), a data channel (``m=application`` over
    SCTP), ICE credentials and a DTLS fingerprint for every active m-line, mids that groups can
    name; and no more than :data:`MAX_SDP_BYTES`, :data:`MAX_SDP_LINES`, :data:`MAX_M_LINES`,
    :data:`MAX_PAYLOAD_TYPES`, :data:`MAX_RTCP_FEEDBACK` and :data:`MAX_CANDIDATES` (checked
    before parsing).

    Raises:
        ProtocolError: code ``invalid_sdp``, saying what is missing or malformed.
    """
    _check_bounds(sdp)
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0] != "v=0":
        raise _invalid("an SDP offer starts with the line 'v=0'")
    for number, line in enumerate(lines, start=1):
        if not _SDP_LINE.match(line):
            raise _invalid(
                f"SDP line {number} is not of the form '<letter>=<value>': {line[:60]!r}"
            )
    try:
        description = SessionDescription.parse(sdp)
    except _AIORTC_PARSE_ERRORS as exc:
        raise _invalid(f"the SDP could not be parsed ({type(exc).__name__}: {exc})") from exc

    active = [media for media in description.media if media.port != 0]
    videos = [media for media in active if media.kind == "video"]
    if not videos:
        raise _invalid("the offer has no video m-line: add the webcam track before createOffer")
    if len(videos) > 1:
        raise _invalid(f"the offer has {len(videos)} video m-lines; one camera per session")
    video = videos[0]
    direction = video.direction or "sendrecv"
    if direction not in SENDING_DIRECTIONS:
        raise _invalid(f"the video m-line is {direction}; it must send (sendrecv or sendonly)")
    codecs = tuple(codec.mimeType for codec in video.rtp.codecs)
    if not DECODABLE_VIDEO_CODECS.intersection(codecs):
        raise _invalid(
            f"no video codec the server decodes: offered {', '.join(sorted(set(codecs))) or 'none'}"
            f"; need one of {', '.join(sorted(DECODABLE_VIDEO_CODECS))}"
        )
    if not any(
        media.kind == "application" and (media.sctp_port is not None or media.sctpmap)
        for media in active
    ):
        raise _invalid(
            "the offer has no data channel (m=application over SCTP): create one before "
            "createOffer; samples and messages travel on it"
        )
    _check_bundle(description)
    for media in active:
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise _invalid(f"the {media.kind} m-line has no ICE credentials (a=ice-ufrag/ice-pwd)")
        if media.dtls is None or not media.dtls.fingerprints:
            raise _invalid(f"the {media.kind} m-line has no DTLS fingerprint (a=fingerprint)")
        for candidate in media.ice_candidates:
            # aioice would fail later, deep in its retry timer, on a port it cannot send to.
            if not MIN_PORT <= candidate.port <= MAX_PORT:
                raise _invalid(
                    f"an ICE candidate of the {media.kind} m-line has port {candidate.port}; "
                    f"ports are {MIN_PORT}-{MAX_PORT}"
                )
            if candidate.protocol.lower() not in CANDIDATE_TRANSPORTS:
                raise _invalid(
                    f"an ICE candidate of the {media.kind} m-line uses transport "
                    f"{candidate.protocol[:16]!r}; expected udp or tcp"
                )
    return OfferSummary(
        video_receivable=direction in RECEIVING_DIRECTIONS,
        video_codecs=codecs,
        has_audio=any(media.kind == "audio" for media in active),
    )
