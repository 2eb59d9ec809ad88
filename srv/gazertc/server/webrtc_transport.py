"""A session's WebRTC connection: an aiortc peer connection with one data channel for the
messages, the client's video track for the frames and, when the client's transceiver
receives, annotated video sent back on it."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final

import av
from aiortc import RTCDataChannel, RTCPeerConnection
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from gazertc.server.datachannel import guard_text_frames
from gazertc.server.tracks import (
    AnnotatedVideoTrack,
    RelayedTrackFrames,
    install_marker_jitter_buffer,
)
from gazertc.server.transport import Transport, TransportEvents, TransportKind

__all__ = ["PEER_CLOSE_TIMEOUT_S", "DataChannelMessages", "WebRtcTransport"]

logger = logging.getLogger(__name__)

PEER_CLOSE_TIMEOUT_S: Final = 1.0
"""Closing a peer connection (SCTP, DTLS, ICE) takes milliseconds; one that takes longer is
abandoned, so that a closing session (and a server shutdown) never waits on it."""


class DataChannelMessages:
    """A data channel as a :class:`~gazertc.server.transport.MessageChannel`."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self.data_channel = channel

    @property
    def is_open(self) -> bool:
        return self.data_channel.readyState == "open"

    @property
    def buffered_bytes(self) -> int:
        return self.data_channel.bufferedAmount

    def send_text(self, text: str) -> None:
        self.data_channel.send(text)


class WebRtcTransport(Transport):
    """One peer connection, before ``setRemoteDescription`` (it listens to it from
    :meth:`start`).

    Args:
        pc: the peer connection.
        relay: the relay that gives latest-frame semantics.
        video_available: the client's video transceiver receives, so annotated video can go
            back on it.
        connect_timeout_s: the client must connect (ICE and DTLS) within this time of the
            answer being ready.
    """

    kind = TransportKind.WEBRTC
    video_unavailable_reason = (
        "this session's offer had no video transceiver that receives (use sendrecv)"
    )

    def __init__(
        self,
        pc: RTCPeerConnection,
        relay: MediaRelay,
        *,
        video_available: bool,
        connect_timeout_s: float,
    ) -> None:
        self.video_available = video_available
        self.output_track = AnnotatedVideoTrack()
        self._pc = pc
        self._relay = relay
        self._connect_timeout_s = connect_timeout_s
        self._events: TransportEvents | None = None
        self._channel: DataChannelMessages | None = None
        self._frames: RelayedTrackFrames | None = None
        self._connected = False
        self._connect_deadline_s: float | None = None

    @property
    def channel(self) -> DataChannelMessages | None:
        return self._channel

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def connect_deadline_s(self) -> float | None:
        return self._connect_deadline_s

    def start(self, events: TransportEvents) -> None:
        self._events = events
        pc = self._pc
        pc.on("datachannel", self._on_datachannel)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_connection_state_change)
        pc.on("icegatheringstatechange", self._on_gathering_state_change)

    def push_video(self, frame: av.VideoFrame) -> None:
        self.output_track.push(frame)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self._events is None:
            return
        if track.kind != "video":
            # Nothing here uses audio: answer "inactive" so the client does not send it.
            for transceiver in self._pc.getTransceivers():
                if transceiver.receiver.track is track:
                    transceiver.direction = "inactive"
            return
        if self._frames is not None:
            return  # check_offer admits one video m-line
        for transceiver in self._pc.getTransceivers():
            if transceiver.receiver.track is track:
                install_marker_jitter_buffer(transceiver.receiver)
        if self.video_available:
            self._pc.addTrack(self.output_track)
        self._frames = RelayedTrackFrames(track, self._relay)
        self._events.on_frames(self._frames)

    def _on_connection_state_change(self) -> None:
        state = self._pc.connectionState
        logger.debug("peer connection %s", state)
        if state == "connected":
            self._connected = True
        elif state in {"failed", "closed"} and self._events is not None:
            self._events.on_transport_closed(f"connection {state}")

    def _on_gathering_state_change(self) -> None:
        # Gathering completes as the answer is made: the peer's time to connect starts.
        if self._pc.iceGatheringState == "complete" and self._connect_deadline_s is None:
            self._connect_deadline_s = time.monotonic() + self._connect_timeout_s

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        events = self._events
        if events is None:
            return
        if self._channel is not None:
            logger.info("ignoring extra data channel %r", channel.label)
            return
        self._channel = DataChannelMessages(channel)
        guard_text_frames(channel, self._on_invalid_text)
        channel.on("message", events.on_message)
        channel.on("close", lambda: events.on_transport_closed("data channel closed"))
        events.on_channel_open()

    def _on_invalid_text(self, stream_id: int) -> None:
        channel = self._channel
        if channel is not None and stream_id == channel.data_channel.id and self._events:
            self._events.on_invalid_text()

    async def close(self) -> None:
        self._events = None
        self.output_track.stop()
        try:
            await asyncio.wait_for(self._pc.close(), PEER_CLOSE_TIMEOUT_S)
        except TimeoutError:
            logger.warning("a peer connection did not close")
        finally:
            self._pc.remove_all_listeners()
            if self._channel is not None:
                self._channel.data_channel.remove_all_listeners()
