"""Client peers for ``bench/server.py``, run in a process of their own (so that their CPU is
counted apart from the server's and from the bench's).

``python -m bench.server_clients BASE_URL OUTPUT SESSIONS VIDEO [PACKETS]`` connects ``SESSIONS``
peers that each send the first frames of ``VIDEO`` at 30 fps from memory, encoding them live
(stamping each frame's capture time as it hands it to the encoder), or, given ``PACKETS`` (an
IVF file from :func:`bench.server_video.encode_vp8`), sending those pre-encoded frames
(stamping each as it hands it to the packetizer), and prints ``connected``. Then it follows its
standard input: ``measure`` starts counting samples, ``stop`` ends the window, prints one JSON
line of :class:`SessionStats` per session, closes the peers and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.stats import RTCOutboundRtpStreamStats
from tests.server.peer import PacedTrack, i420_frames

from bench.report import percentile
from bench.server_video import PacedPacketTrack, read_vp8

SEND_FPS: Final = 30
SUSTAINED_FPS: Final = 25.0
SUSTAINED_P95_MS: Final = 100.0
"""A step is sustained when every session gets >= 25 samples/s with p95 latency < 100 ms."""
PTS_STEP_90KHZ: Final = 90_000 // SEND_FPS
FRAMES: Final = 300
CONNECT_TIMEOUT_S: Final = 30.0


@dataclass(frozen=True, slots=True)
class SessionStats:
    """One session's measurement window, as the client saw it."""

    samples: int
    latencies_ms: list[float]
    """Glass-to-sample: arrival of each matched sample - capture stamp of its frame."""
    ids_received: int
    ids_spanned: int
    """``frame_id`` range of the samples received (the server's drops show as gaps)."""
    pts_matched: int
    """Samples whose frame reached the server within a frame interval of its capture."""
    returned_frames: int
    sample_bytes: int
    """Total size of the sample messages received (text)."""
    video_bytes_sent: int
    """RTP bytes of the client's video sent in the window."""
    processed_frames: list[int]
    """The client frame index (``pts_90khz`` over the frame step) of every sample received
    since the session connected, in order: which of its frames the server tracked."""
    measured_from: int
    """Position in ``processed_frames`` of the window's first sample."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SessionStats:
        return cls(
            samples=int(raw["samples"]),
            latencies_ms=[float(value) for value in raw["latencies_ms"]],
            ids_received=int(raw["ids_received"]),
            ids_spanned=int(raw["ids_spanned"]),
            pts_matched=int(raw["pts_matched"]),
            returned_frames=int(raw["returned_frames"]),
            sample_bytes=int(raw["sample_bytes"]),
            video_bytes_sent=int(raw["video_bytes_sent"]),
            processed_frames=[int(value) for value in raw["processed_frames"]],
            measured_from=int(raw["measured_from"]),
        )


def sessions_fps(stats: list[SessionStats], elapsed_s: float) -> list[float]:
    """Samples per second of each session over a window of ``elapsed_s``."""
    return [one.samples / elapsed_s for one in stats]


def pooled_latencies_ms(stats: list[SessionStats]) -> list[float]:
    """Every session's glass-to-sample latencies in one list."""
    return [value for one in stats for value in one.latencies_ms]


def sustained(stats: list[SessionStats], elapsed_s: float) -> bool:
    """Every session at >= :data:`SUSTAINED_FPS`, pooled p95 < :data:`SUSTAINED_P95_MS`."""
    return (
        bool(stats)
        and min(sessions_fps(stats, elapsed_s)) >= SUSTAINED_FPS
        and percentile(pooled_latencies_ms(stats), 0.95) < SUSTAINED_P95_MS
    )


async def _bytes_sent(pc: RTCPeerConnection) -> int:
    """RTP bytes sent so far by the peer's senders."""
    total = 0
    for sender in pc.getSenders():
        for stats in (await sender.getStats()).values():
            if isinstance(stats, RTCOutboundRtpStreamStats):
                total += stats.bytesSent
    return total


class _Client:
    def __init__(self, base_url: str, track: PacedTrack | PacedPacketTrack, output: str) -> None:
        self.base_url = base_url
        self.track = track
        self.output = output
        self.bytes_sent_at_start = 0
        self.bytes_sent_at_stop = 0
        self.capture_unix_ns: dict[int, int] = {}
        self.samples: list[tuple[int, dict[str, Any]]] = []
        self.sample_bytes = 0
        self.returned_frames = 0
        self.processed_frames: list[int] = []
        self.measured_from = 0
        self.measuring = False
        self.stopped = False
        self._readers: list[asyncio.Task[None]] = []
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

    async def connect(self) -> None:
        channel = self.pc.createDataChannel("gaze")
        opened = asyncio.Event()
        channel.on("open", opened.set)
        channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)
        self.capture_unix_ns = self.track.capture_unix_ns
        self.pc.addTransceiver(self.track, "sendrecv")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {
            "sdp": self.pc.localDescription.sdp,
            "type": "offer",
            # Like a page that draws no face mesh: samples without landmarks (half the bytes).
            "options": {"output": self.output, "landmarks": False},
        }
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base_url}/offer", json=offer) as response,
        ):
            answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"offer refused: {answer}")
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        await asyncio.wait_for(opened.wait(), CONNECT_TIMEOUT_S)

    def start_measuring(self) -> None:
        self.measured_from = len(self.processed_frames)
        self.measuring = True

    def stop_measuring(self) -> None:
        self.measuring = False
        self.stopped = True

    def _on_message(self, data: str | bytes) -> None:
        arrived_unix_ns = time.time_ns()
        if self.stopped or not isinstance(data, str):
            return
        message = json.loads(data)
        if message["type"] != "sample":
            return
        self.processed_frames.append(round(message["pts_90khz"] / PTS_STEP_90KHZ))
        if self.measuring:
            self.samples.append((arrived_unix_ns, message))
            self.sample_bytes += len(data.encode())

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._readers.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                if self.measuring:
                    self.returned_frames += 1

    def stats(self) -> SessionStats:
        ids = [message["frame_id"] for _, message in self.samples]
        latencies_ms: list[float] = []
        matched = 0
        for arrived_unix_ns, message in self.samples:
            # The decoder may round the RTP timestamp by a tick: match the nearest frame.
            pts = round(message["pts_90khz"] / PTS_STEP_90KHZ) * PTS_STEP_90KHZ
            capture_unix_ns = self.capture_unix_ns.get(pts)
            if capture_unix_ns is None:
                continue
            # Same machine, same clock: the server got the frame after it was captured and
            # within a frame interval, unless the pts mapping is off by whole frames.
            transit_ms = (message["received_unix_ns"] - capture_unix_ns) / 1e6
            matched += 0 <= transit_ms < 1000 / SEND_FPS
            latencies_ms.append((arrived_unix_ns - capture_unix_ns) / 1e6)
        return SessionStats(
            samples=len(self.samples),
            latencies_ms=latencies_ms,
            ids_received=len(ids),
            ids_spanned=ids[-1] - ids[0] + 1 if ids else 0,
            pts_matched=matched,
            returned_frames=self.returned_frames,
            sample_bytes=self.sample_bytes,
            video_bytes_sent=self.bytes_sent_at_stop - self.bytes_sent_at_start,
            processed_frames=self.processed_frames,
            measured_from=self.measured_from,
        )

    async def close(self) -> None:
        await self.pc.close()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


async def _read_command(reader: asyncio.StreamReader) -> str:
    return (await reader.readline()).decode().strip()


def _tracks(
    video: Path, packets_path: Path | None, count: int
) -> list[PacedTrack | PacedPacketTrack]:
    """One track per session: live-encoded frames of ``video``, or pre-encoded packets."""
    if packets_path is None:
        frames = i420_frames(video, FRAMES)
        return [PacedTrack(frames, SEND_FPS) for _ in range(count)]
    packets = [data for data, _ in read_vp8(packets_path)]
    return [PacedPacketTrack(packets, SEND_FPS) for _ in range(count)]


async def _main(
    base_url: str, output: str, sessions: int, video: Path, packets: Path | None
) -> None:
    tracks = _tracks(video, packets, sessions)
    clients = [_Client(base_url, track, output) for track in tracks]
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        await asyncio.gather(*(client.connect() for client in clients))
        print("connected", flush=True)
        if await _read_command(reader) != "measure":
            return
        for client in clients:
            client.start_measuring()
            client.bytes_sent_at_start = await _bytes_sent(client.pc)
        await _read_command(reader)  # "stop", or the bench went away
        for client in clients:
            client.stop_measuring()
            client.bytes_sent_at_stop = await _bytes_sent(client.pc)
        print(json.dumps([client.stats().to_dict() for client in clients]), flush=True)
    finally:
        await asyncio.gather(*(client.close() for client in clients))


if __name__ == "__main__":
    url, output_mode, count, video_path = sys.argv[1:5]
    packets_path = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    asyncio.run(_main(url, output_mode, int(count), Path(video_path), packets_path))
