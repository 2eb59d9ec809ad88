"""A participant of a cluster: an aiortc peer that sends paced real video through the balancer,
with the ICE servers and policy it is told (relay-only for the TURN test), and the node that
answered its offer. Shared by the cluster tests and ``bench/cluster.py``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np
import numpy.typing as npt
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)

from tests.server.peer import PacedTrack, wait_until

CHANNEL_OPEN_TIMEOUT_S = 20.0
"""ICE through TURN on a loaded machine takes a few seconds more than host candidates."""


async def relay_only_configuration(base_url: str) -> RTCConfiguration:
    """The ICE servers of ``GET /api/ice-servers`` (TURN REST credentials) with relay-only
    ICE, as a browser's ``iceTransportPolicy: 'relay'``."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url}/api/ice-servers") as response,
    ):
        assert response.status == 200, await response.text()
        body = await response.json()
    servers = [
        RTCIceServer(entry["urls"], entry.get("username"), entry.get("credential"))
        for entry in body["ice_servers"]
    ]
    assert any(url.startswith("turn:") for s in servers for url in s.urls), body
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=RTCIceTransportPolicy.RELAY)


@dataclass
class Participant:
    """One participant: paced frames in, data-channel messages out.

    Args:
        base_url: the balancer's (or a node's) address.
        frames_i420: the video, looped.
        fps: the send rate.
        options: the offer's ``options``.
        configuration: the peer connection's ICE servers and policy (none: host candidates).
    """

    base_url: str
    frames_i420: list[npt.NDArray[np.uint8]]
    fps: int = 15
    options: dict[str, Any] = field(default_factory=dict)
    configuration: RTCConfiguration = field(default_factory=lambda: RTCConfiguration([]))
    messages: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    node: str | None = None
    offer_sdp: str = ""

    def __post_init__(self) -> None:
        self.track = PacedTrack(self.frames_i420, self.fps)
        self.pc = RTCPeerConnection(self.configuration)
        self.channel = self.pc.createDataChannel("gaze")
        self._open = asyncio.Event()
        self._new_message = asyncio.Event()
        self.channel.on("open", self._open.set)
        self.channel.on("message", self._on_message)
        self.pc.addTransceiver(self.track, direction="sendonly")

    def _on_message(self, data: str | bytes) -> None:
        assert isinstance(data, str)
        self.messages.append((json.loads(data), time.time_ns()))
        self._new_message.set()

    async def connect(self) -> None:
        """Offer through ``base_url``; note the answering node; wait for the data channel."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self.offer_sdp = self.pc.localDescription.sdp
        body: dict[str, Any] = {"sdp": self.offer_sdp, "type": "offer"}
        if self.options:
            body["options"] = self.options
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base_url}/offer", json=body) as response,
        ):
            answer = await response.json()
            if response.status != 200:
                raise AssertionError(f"offer refused with {response.status}: {answer}")
        self.node = answer["node"]
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        await asyncio.wait_for(self._open.wait(), CHANNEL_OPEN_TIMEOUT_S)

    def send(self, message: dict[str, Any]) -> None:
        self.channel.send(json.dumps(message))

    def of_type(self, message_type: str) -> list[dict[str, Any]]:
        return [message for message, _ in self.messages if message.get("type") == message_type]

    def gaze_samples(self) -> list[dict[str, Any]]:
        """Samples that carry a gaze direction."""
        return [sample for sample in self.of_type("sample") if sample.get("gaze") is not None]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout_s: float = 30.0, what: str = "condition"
    ) -> None:
        await wait_until(self._new_message, predicate, timeout_s, what)

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # a peer whose node was killed fails to close
            await self.pc.close()


def candidate_types(sdp: str) -> set[str]:
    """The ``typ`` of every ICE candidate line of an SDP."""
    types: set[str] = set()
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            types.add(parts[parts.index("typ") + 1])
    return types
