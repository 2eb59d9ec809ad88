"""A client with a fake data channel and no server: messages are fed in by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from aiortc import RTCDataChannel

from gazertc.client import Client
from gazertc.protocol import JsonObject

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "messages"


def fixture(name: str) -> JsonObject:
    """A message from ``tests/fixtures/messages`` (``name`` without ``.json``)."""
    message: JsonObject = json.loads((FIXTURES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return message


def text(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


class FakeChannel:
    """Stands in for the aiortc data channel: open, and keeps what is sent."""

    readyState = "open"  # noqa: N815 (aiortc's name)

    def __init__(self) -> None:
        self.sent: list[JsonObject] = []

    def send(self, data: str) -> None:
        self.sent.append(json.loads(data))


def offline_client() -> tuple[Client, FakeChannel]:
    """An async client that never connects; feed it with ``client._on_channel_message``."""
    client = Client("http://127.0.0.1:9", video="unused.mp4")
    channel = FakeChannel()
    client._channel = cast(RTCDataChannel, channel)
    return client, channel
