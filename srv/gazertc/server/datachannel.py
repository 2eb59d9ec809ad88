"""A guard on aiortc's data-channel receive path: a text frame that is not UTF-8 must not end a
session.

aiortc decodes every text frame with ``bytes.decode("utf8")`` inside its SCTP receive loop
(``RTCSctpTransport._data_channel_receive``). Invalid UTF-8 raises there, the exception ends
the DTLS transport's loop, and with it the session (aiortc 1.16 logs it as a WARNING with a
traceback). Browsers never send such a frame; any other peer can. :func:`guard_text_frames`
checks text frames first and hands an invalid one to a callback instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from aiortc import RTCDataChannel

__all__ = ["guard_text_frames"]

logger = logging.getLogger(__name__)

WEBRTC_STRING_PPID: Final = 51
"""The SCTP payload protocol identifier of a text frame (RFC 8831, "WebRTC String")."""
_RECEIVE: Final = "_data_channel_receive"
"""The transport's method that decodes and dispatches a received frame (aiortc 1.16)."""
_GUARDED: Final = "_gazertc_text_guard"


def guard_text_frames(channel: RTCDataChannel, on_invalid: Callable[[int], None]) -> bool:
    """Check the text frames of every data channel on ``channel``'s transport before aiortc
    decodes them: one that is not UTF-8 is dropped and ``on_invalid(stream_id)`` called.

    Returns ``False``, changing nothing, when this aiortc version dispatches elsewhere (then an
    invalid frame ends its session, as before).
    """
    transport = channel.transport
    receive: Callable[[int, int, bytes], Awaitable[None]] | None = getattr(
        transport, _RECEIVE, None
    )
    if receive is None:
        logger.warning("aiortc's data-channel receive path was not found; left unguarded")
        return False
    if getattr(transport, _GUARDED, False):
        return True

    async def checked(stream_id: int, pp_id: int, data: bytes) -> None:
        if pp_id == WEBRTC_STRING_PPID:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                on_invalid(stream_id)
                return
        await receive(stream_id, pp_id, data)

    setattr(transport, _RECEIVE, checked)
    setattr(transport, _GUARDED, True)
    return True
