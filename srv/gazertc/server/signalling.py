"""Checks on a client's SDP offer before it reaches aiortc, with errors a person can act on.

aiortc accepts an offer without media and fails on malformed lines with whatever exception the
failing operation raises (assertions, index errors, ...); a client deserves to hear which line
is wrong and what the server needs instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from aiortc.sdp import SessionDescription

from gazertc.protocol import ErrorCode, ProtocolError

__all__ = ["DECODABLE_VIDEO_CODECS", "OfferSummary", "check_offer"]

DECODABLE_VIDEO_CODECS: Final = frozenset({"video/VP8", "video/H264"})
"""What aiortc decodes; every browser offers at least one of them."""

SENDING_DIRECTIONS: Final = frozenset({"sendrecv", "sendonly"})
RECEIVING_DIRECTIONS: Final = frozenset({"sendrecv", "recvonly"})

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


def check_offer(sdp: str) -> OfferSummary:
    """Check that ``sdp`` is a complete, non-trickle offer the server can serve.

    Needed: one video m-line that sends (VP8 or H264), a data channel (``m=application`` over
    SCTP), ICE credentials and a DTLS fingerprint for every active m-line.

    Raises:
        ProtocolError: code ``invalid_sdp``, saying what is missing or malformed.
    """
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
    for media in active:
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise _invalid(f"the {media.kind} m-line has no ICE credentials (a=ice-ufrag/ice-pwd)")
        if media.dtls is None or not media.dtls.fingerprints:
            raise _invalid(f"the {media.kind} m-line has no DTLS fingerprint (a=fingerprint)")
    return OfferSummary(
        video_receivable=direction in RECEIVING_DIRECTIONS,
        video_codecs=codecs,
        has_audio=any(media.kind == "audio" for media in active),
    )
