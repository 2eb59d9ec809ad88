"""What a session needs from the connection to its client, whatever carries it.

A :class:`~gazertc.server.session.Session` speaks the data-channel protocol and feeds frames to
its worker; a :class:`Transport` carries both::

    Transport
    ├── WebRtcTransport      (webrtc_transport.py) a peer connection: a data channel for the
    │                        messages, a video track for the frames, annotated video sent back
    └── WebSocketTransport   (websocket.py) one WebSocket: text messages both ways, JPEG frames
                             as binary messages; no video back

The transport tells its session what happens through :class:`TransportEvents` (the session
implements them): the message channel opened, a message arrived, the frames are ready to be
read, the connection ended. The session calls the transport back to send text
(:class:`MessageChannel`), to push annotated video (where there is a way back) and to close.
"""

from __future__ import annotations

import abc
from enum import StrEnum
from typing import Protocol

import av

from gazertc.protocol import ErrorCode
from gazertc.server.tracks import FrameSource

__all__ = ["MessageChannel", "Transport", "TransportEvents", "TransportKind"]


class TransportKind(StrEnum):
    """How a session reaches its client (the ``transport`` of the ``session`` message)."""

    WEBRTC = "webrtc"
    WEBSOCKET = "websocket"


class MessageChannel(Protocol):
    """Where a session's text messages go: a data channel or a WebSocket."""

    @property
    def is_open(self) -> bool:
        """Whether text can be sent now."""

    @property
    def buffered_bytes(self) -> int:
        """Bytes accepted by :meth:`send_text` and not yet handed to the network."""

    def send_text(self, text: str) -> None:
        """Queue one message (never blocks; call only while :attr:`is_open`)."""


class TransportEvents(Protocol):
    """What a transport tells its session (all on the event loop, none may raise)."""

    def on_channel_open(self) -> None:
        """The message channel opened: the session sends its ``config``."""

    def on_message(self, data: str | bytes) -> None:
        """A client message arrived on the message channel."""

    def on_invalid_text(self) -> None:
        """A text message that is not UTF-8 arrived (and was dropped)."""

    def on_frames(self, frames: FrameSource) -> None:
        """The client's frames can be read from ``frames`` (called at most once)."""

    def on_frame_error(self, code: ErrorCode, message: str) -> None:
        """A frame was refused as it arrived (malformed, too large); the session goes on."""

    def on_transport_closed(self, reason: str) -> None:
        """The connection ended or failed: the session closes."""


class Transport(abc.ABC):
    """One session's connection to its client.

    Attributes:
        video_available: annotated video can be sent back (``output`` ``video``/``both``).
        video_unavailable_reason: why not, for the client's error message.
    """

    kind: TransportKind
    video_available: bool = False
    video_unavailable_reason: str = "this session has no video going back to the client"

    @property
    @abc.abstractmethod
    def channel(self) -> MessageChannel | None:
        """The message channel, once the client opened it."""

    @property
    def connected(self) -> bool:
        """Whether the client's connection is up (a WebSocket is from the start)."""
        return True

    @property
    def connect_deadline_s(self) -> float | None:
        """``time.monotonic()`` by which the client must have connected; ``None``: no deadline
        (yet)."""
        return None

    @abc.abstractmethod
    def start(self, events: TransportEvents) -> None:
        """Start telling ``events`` what happens (once, from the session's constructor)."""

    def push_video(self, frame: av.VideoFrame) -> None:  # noqa: B027  (nothing to do by default)
        """Send an annotated frame back, where the transport has a way back."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the connection and stop telling the session anything. Bounded in time;
        called once, by the closing session."""
