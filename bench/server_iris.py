"""How often the server bench's trackers located one eye only: a replay, not a reading.

The iris network locates one eye per frame while the eyes fixate
(:mod:`gazertc.vision.iris_schedule`); how often it does depends on the frames. The server's
workers do not report their trackers' counters, so :class:`IrisReplay` replays what a run's
sessions had tracked: each session's frames, in the order the server tracked them (the frame
index of every sample the client received since it connected, gaps where the server dropped
frames), through a fresh :class:`gazertc.vision.tracker.GazeTracker` on the frames as the server
decoded them, with capture timestamps from the frame indices. The share counts the frames of
the measurement window in which the schedule's ``single_eye_frames`` counter moved.

It differs from the worker's own count where the client missed a sample (one sent before the
data channel opened, or lost) and, for clients that encode live, by their encoder's output
(the replay uses the frames they encode, unencoded).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

import av
import numpy as np
import numpy.typing as npt
from aiortc.codecs.vpx import Vp8Decoder
from aiortc.jitterbuffer import JitterFrame

from bench.server_clients import SEND_FPS, SessionStats
from bench.server_video import read_vp8
from gazertc.vision.frame import CameraFrame
from gazertc.vision.tracker import GazeTracker, PipelineModels

__all__ = ["REPLAYED_SESSIONS_PER_RUN", "IrisReplay", "decoded_vp8"]

REPLAYED_SESSIONS_PER_RUN: Final = 2
"""A session's replay costs ~3 s of CPU (~315 frames): two per run keep the sweeps' replays
within a few minutes. Sessions that had no frame dropped share one replay (cached)."""
FRAME_NS: Final = 1_000_000_000 // SEND_FPS


def decoded_vp8(path: Path) -> list[npt.NDArray[np.uint8]]:
    """The frames of an IVF file from :func:`bench.server_video.encode_vp8` as I420 arrays,
    decoded by aiortc's VP8 decoder, as the server decodes them."""
    decoder = Vp8Decoder()
    frames: list[npt.NDArray[np.uint8]] = []
    for index, (data, _) in enumerate(read_vp8(path)):
        for frame in decoder.decode(JitterFrame(data, index * (90_000 // SEND_FPS))):
            assert isinstance(frame, av.VideoFrame)
            frames.append(np.asarray(frame.to_ndarray(format="yuv420p"), np.uint8))
    return frames


class IrisReplay:
    """Replays sessions' tracked frames (see the module docstring).

    Args:
        frames_i420: the clients' loop, ``(h * 3 / 2, w)`` I420 arrays, as the server decodes it.
        models: shared by the replays' trackers (loaded on first use).
    """

    def __init__(
        self, frames_i420: Sequence[npt.NDArray[np.uint8]], models: PipelineModels | None = None
    ) -> None:
        self._frames = frames_i420
        self._models = models or PipelineModels()
        self._contiguous: dict[int, list[bool]] = {}
        """Replays of uninterrupted frame runs, by first frame index: one-eye flag per frame."""

    def one_eye_flags(self, frame_indices: Sequence[int]) -> list[bool]:
        """Whether the tracker located one eye only, for each frame of a session (client frame
        indices, in order; the loop wraps)."""
        if not frame_indices:
            return []
        first = frame_indices[0]
        if list(frame_indices) != list(range(first, first + len(frame_indices))):
            return self._replay(frame_indices)
        cached = self._contiguous.get(first, [])
        if len(cached) < len(frame_indices):
            cached = self._contiguous[first] = self._replay(
                range(first, first + len(frame_indices))
            )
        return cached[: len(frame_indices)]

    def window_share(self, stats: Sequence[SessionStats]) -> float | None:
        """Share of the window's tracked frames with one eye located, over the first
        :data:`REPLAYED_SESSIONS_PER_RUN` sessions; ``None`` without any."""
        one_eye = frames = 0
        for session in stats[:REPLAYED_SESSIONS_PER_RUN]:
            flags = self.one_eye_flags(session.processed_frames)[session.measured_from :]
            one_eye += sum(flags)
            frames += len(flags)
        return one_eye / frames if frames else None

    def _replay(self, frame_indices: Sequence[int]) -> list[bool]:
        tracker = GazeTracker(models=self._models)
        schedule = tracker.iris_schedule
        height, width = self._frames[0].shape[0] * 2 // 3, self._frames[0].shape[1]
        flags = []
        for index in frame_indices:
            before = schedule.single_eye_frames
            image = self._frames[index % len(self._frames)]
            tracker.track_frame(CameraFrame.from_i420(image, width, height), index * FRAME_NS)
            flags.append(schedule.single_eye_frames > before)
        return flags
