"""A WebSocket client for the tests of ``GET /ws``: real aiohttp, real JPEG frames."""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import av
import cv2

from tests.server.peer import wait_until

JPEG_QUALITY = 80
"""What a browser's canvas.toBlob('image/jpeg', 0.8) gives, roughly."""


def jpeg_frames(path: Path, count: int) -> list[bytes]:
    """The first ``count`` frames of a video, JPEG-encoded."""
    frames: list[bytes] = []
    with av.open(str(path)) as container:
        for _, frame in zip(range(count), container.decode(video=0), strict=False):
            image = frame.to_ndarray(format="bgr24")
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            assert ok
            frames.append(bytes(encoded.tobytes()))
    return frames


def frame_message(jpeg: bytes, capture_unix_us: int | None = None) -> bytes:
    """A binary frame message: 8 bytes of capture time (µs, big-endian), then the JPEG."""
    if capture_unix_us is None:
        capture_unix_us = time.time_ns() // 1000
    return struct.pack(">Q", capture_unix_us) + jpeg


@dataclass
class WsClient:
    """One connection to ``/ws``, collecting the server's messages."""

    http: aiohttp.ClientSession
    ws: aiohttp.ClientWebSocketResponse
    messages: list[dict[str, Any]] = field(default_factory=list)
    non_json: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._new_message = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(message.data))
            else:
                self.non_json.append(message.type.name)
            self._new_message.set()
        self._new_message.set()

    @property
    def session(self) -> dict[str, Any]:
        assert self.messages and self.messages[0]["type"] == "session", self.messages[:1]
        return self.messages[0]

    def of_type(self, message_type: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message.get("type") == message_type]

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def wait_for(
        self, predicate: Callable[[], bool], timeout_s: float = 20.0, what: str = "condition"
    ) -> None:
        await wait_until(self._new_message, predicate, timeout_s, what)

    async def stream(self, jpegs: list[bytes], fps: float) -> None:
        """Send the frames at ``fps``, stamped like a camera's frames: at regular capture times
        from the first send (a busy send loop's lateness does not change them)."""
        started = time.monotonic()
        started_unix_us = time.time_ns() // 1000
        for index, jpeg in enumerate(jpegs):
            delay_s = started + index / fps - time.monotonic()
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            capture_unix_us = started_unix_us + round(index * 1_000_000 / fps)
            await self.ws.send_bytes(frame_message(jpeg, capture_unix_us))

    async def closed(self, timeout_s: float = 10.0) -> None:
        """Wait until the server has closed the socket."""
        await asyncio.wait_for(asyncio.shield(self._reader), timeout_s)

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self.http.close()


async def connect(
    base_url: str, *, headers: dict[str, str] | None = None, **options: Any
) -> WsClient:
    """Open ``/ws`` and wait for the ``session`` and ``config`` messages.

    Raises:
        aiohttp.WSServerHandshakeError: the server refused the upgrade (its status says why).
    """
    http = aiohttp.ClientSession()
    try:
        ws = await http.ws_connect(f"{base_url}/ws", headers=headers, **options)
    except BaseException:
        await http.close()
        raise
    client = WsClient(http, ws)
    await client.wait_for(lambda: len(client.messages) >= 2, what="session and config")
    return client
