"""``GET /ws``: a session over one WebSocket, for networks that block WebRTC's UDP.

The contract (``docs/websocket.md``): after the upgrade the server sends a ``session`` message
(id, secret, transport) and the ``config`` a data channel gets; text messages both ways are the
data-channel protocol, handled by the same :class:`~gazertc.server.session.Session`; binary
messages are frames (8 bytes of capture time, then a JPEG: :mod:`gazertc.server.jpeg_frames`).
No video goes back (``video_available`` is false).

Limits: the edge checks (Host, Origin, the per-address rate shared with ``/offer``) run before
the route; the server's ``max_sessions`` counts both transports; a draining node (see
:mod:`gazertc.server.node`) refuses the upgrade with 503 ``node_draining``. Text messages are
bounded as on the data channel (``message_too_large``), frames by ``max_frame_bytes`` and
``max_frame_pixels`` (``frame_too_large``): both answered with an ``error``, the session goes
on. A message beyond :data:`MAX_MESSAGE_FACTOR` times the frame limit is not even read: the
WebSocket closes with code 1009 (message too big), and with it the session. aiohttp's heartbeat
closes a socket whose peer stopped answering pings; a client that stops reading is closed once
:data:`MAX_QUEUED_FACTOR` times the send-buffer limit waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from aiohttp import WSCloseCode, WSMsgType, web

from gazertc import protocol
from gazertc.protocol import ErrorCode, ProtocolError
from gazertc.server.guards import CLIENT_ADDRESS_KEY, CONNECTION_LOG_KEY
from gazertc.server.jpeg_frames import JpegFrames, parse_frame_message
from gazertc.server.node import NODE_KEY
from gazertc.server.pool import FrameRejectedError, FrameTooLargeError
from gazertc.server.registry import SessionRegistry
from gazertc.server.session import Session
from gazertc.server.session_settings import SessionLimits
from gazertc.server.transport import Transport, TransportEvents, TransportKind

__all__ = [
    "HEARTBEAT_S",
    "MAX_MESSAGE_FACTOR",
    "MAX_QUEUED_FACTOR",
    "WS_PATH",
    "WebSocketMessages",
    "WebSocketTransport",
    "add_route",
]

logger = logging.getLogger(__name__)

WS_PATH: Final = "/ws"
HEARTBEAT_S: Final = 10.0
"""aiohttp pings this often and closes a socket whose pong is not back within half of it: a
vanished client is noticed within 15 s, before the session's idle timeout (20 s)."""
CLOSE_TIMEOUT_S: Final = 1.0
"""How long closing waits for the client's close frame (aiohttp's default is 10 s)."""
MAX_MESSAGE_FACTOR: Final = 2
"""aiohttp reads messages up to this many times the frame limit (then refused with an error,
the session goes on); a larger one ends the connection. Bounds a session's read buffer."""
MAX_QUEUED_FACTOR: Final = 4
"""A client that leaves this many times ``max_buffered_bytes`` unread is not reading at all
(samples stop being queued at 1 times): its session is closed rather than left to grow."""

SessionFactory = Callable[[Transport], Session]
"""Makes and registers a session for a transport (the app's, shared with ``/offer``)."""


class WebSocketMessages:
    """A WebSocket's text direction as a :class:`~gazertc.server.transport.MessageChannel`:
    :meth:`send_text` queues, one writer task sends in order."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        *,
        max_queued_bytes: int,
        on_overflow: Callable[[], None],
    ) -> None:
        self._ws = ws
        self._request = request
        self._max_queued_bytes = max_queued_bytes
        self._on_overflow = on_overflow
        self._queue: deque[str] = deque()
        self._queued_bytes = 0
        self._queued = asyncio.Event()
        self._writer = asyncio.get_running_loop().create_task(self._write())

    @property
    def is_open(self) -> bool:
        return not self._ws.closed and not self._writer.done()

    @property
    def buffered_bytes(self) -> int:
        transport = self._request.transport
        pending = 0 if transport is None else transport.get_write_buffer_size()
        return self._queued_bytes + pending

    def send_text(self, text: str) -> None:
        self._queue.append(text)
        self._queued_bytes += len(text)  # protocol.encode writes ASCII: one byte per character
        self._queued.set()
        if self._queued_bytes > self._max_queued_bytes:
            self._on_overflow()

    async def _write(self) -> None:
        with contextlib.suppress(ConnectionError):  # the socket closed: nothing more to send
            while True:
                await self._queued.wait()
                self._queued.clear()
                while self._queue:
                    text = self._queue[0]
                    await self._ws.send_str(text)
                    self._queue.popleft()
                    self._queued_bytes -= len(text)

    async def close(self) -> None:
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        self._queue.clear()
        self._queued_bytes = 0


class WebSocketTransport(Transport):
    """One upgraded WebSocket carrying a session.

    Args:
        ws: the prepared WebSocket.
        request: its request (for the connection's send buffer).
        limits: the session limits (text message size, send buffer).
        max_frame_bytes, max_frame_pixels: the frame limits.
    """

    kind = TransportKind.WEBSOCKET
    video_unavailable_reason = "no video goes back over the WebSocket transport"

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        *,
        limits: SessionLimits,
        max_frame_bytes: int,
        max_frame_pixels: int,
    ) -> None:
        self._ws = ws
        self._max_frame_bytes = max_frame_bytes
        self._max_frame_pixels = max_frame_pixels
        self._frames = JpegFrames()
        self._events: TransportEvents | None = None
        self._messages = WebSocketMessages(
            ws,
            request,
            max_queued_bytes=MAX_QUEUED_FACTOR * limits.max_buffered_bytes,
            on_overflow=self._on_overflow,
        )

    @property
    def channel(self) -> WebSocketMessages:
        return self._messages

    def start(self, events: TransportEvents) -> None:
        self._events = events

    async def serve(self, first_message: str) -> None:
        """Send ``first_message`` (the ``session`` message), open the session's channel and
        frames, and deliver the client's messages until the socket closes."""
        events = self._events
        if events is None:
            raise RuntimeError("serve() before start(): the session did not take the transport")
        self._messages.send_text(first_message)
        events.on_channel_open()
        events.on_frames(self._frames)
        async for message in self._ws:
            events = self._events
            if events is None:
                break
            if message.type is WSMsgType.TEXT:
                events.on_message(message.data)
            elif message.type is WSMsgType.BINARY:
                self._on_frame(events, message.data)
            elif message.type is WSMsgType.ERROR:
                logger.info("websocket failed: %s", self._ws.exception())
        if self._events is not None:
            code = self._ws.close_code
            self._events.on_transport_closed(f"websocket closed (code {code})")

    def _on_frame(self, events: TransportEvents, data: bytes) -> None:
        received_unix_ns = time.time_ns()
        try:
            message = parse_frame_message(
                data,
                max_frame_bytes=self._max_frame_bytes,
                max_frame_pixels=self._max_frame_pixels,
            )
        except FrameRejectedError as exc:
            code = (
                ErrorCode.FRAME_TOO_LARGE
                if isinstance(exc, FrameTooLargeError)
                else ErrorCode.INVALID_FRAME
            )
            events.on_frame_error(code, str(exc))
            return
        self._frames.push(message, received_unix_ns)

    def _on_overflow(self) -> None:
        if self._events is not None:
            self._events.on_transport_closed("the client stopped reading its messages")

    async def close(self) -> None:
        self._events = None
        self._frames.stop()
        await self._messages.close()
        with contextlib.suppress(ConnectionError):
            await self._ws.close()


def _check_room(sessions: SessionRegistry) -> None:
    """Raises ProtocolError ``too_many_sessions`` when the server is full."""
    if sessions.full:
        raise ProtocolError(
            ErrorCode.TOO_MANY_SESSIONS,
            f"the server is at its limit of {sessions.max_sessions} sessions; try again later",
        )


def add_route(
    app: web.Application,
    sessions: SessionRegistry,
    new_session: SessionFactory,
    *,
    limits: SessionLimits,
    max_frame_bytes: int,
    max_frame_pixels: int,
) -> None:
    """Add ``GET /ws`` to ``app``: sessions made by ``new_session`` (which registers them in
    ``sessions``)."""

    async def websocket(request: web.Request) -> web.StreamResponse:
        request.app[NODE_KEY].refuse_if_draining()
        _check_room(sessions)
        ws = web.WebSocketResponse(
            timeout=CLOSE_TIMEOUT_S,
            heartbeat=HEARTBEAT_S,
            compress=False,  # JPEG does not compress, and samples are small and frequent
            max_msg_size=MAX_MESSAGE_FACTOR * max_frame_bytes,
        )
        if not ws.can_prepare(request).ok:
            raise ProtocolError(
                ErrorCode.INVALID_REQUEST,
                f"GET {WS_PATH} is a WebSocket endpoint: connect with a WebSocket client",
            )
        await ws.prepare(request)
        try:
            _check_room(sessions)  # others may have been accepted while this one upgraded
        except ProtocolError as exc:
            with contextlib.suppress(ConnectionError):
                await ws.send_str(protocol.encode(protocol.error_from(exc, fatal=True)))
                await ws.close(code=WSCloseCode.TRY_AGAIN_LATER)
            return ws
        transport = WebSocketTransport(
            ws,
            request,
            limits=limits,
            max_frame_bytes=max_frame_bytes,
            max_frame_pixels=max_frame_pixels,
        )
        session = new_session(transport)
        address = request.get(CLIENT_ADDRESS_KEY, request.remote or "unknown")
        request.app[CONNECTION_LOG_KEY].offer(
            address, 101, "accepted: websocket", session.session_id
        )
        first = protocol.make_session(
            session_id=session.session_id,
            session_secret=session.secret,
            transport=TransportKind.WEBSOCKET.value,
        )
        try:
            await transport.serve(protocol.encode(first))
        finally:
            await session.close("websocket closed")
        return ws

    app.router.add_get(WS_PATH, websocket)
