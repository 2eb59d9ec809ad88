"""Returned video frames meet the samples of their source frames.

Returned frames count their RTP time (``pts``, 90 kHz) from the first frame returned; samples
count theirs from the first frame sent. A frame's own sample arrives just before it, so the most
common (latest sample pts - frame pts) is the shift between the two counts.
"""

from __future__ import annotations

import collections
from typing import Final

from gazertc.records import SampleMessage
from gazertc.vision.types import GazeSample

__all__ = ["MATCH_HISTORY", "FrameSampleMatcher"]

MATCH_HISTORY: Final = 300
"""Samples kept for matching returned video frames: ten seconds at 30 fps."""


class FrameSampleMatcher:
    """The recent samples by pts, and the pts shift between samples and returned frames."""

    def __init__(self) -> None:
        self._samples_by_pts: collections.OrderedDict[int, GazeSample] = collections.OrderedDict()
        self._shift_votes: collections.Counter[int] = collections.Counter()
        self._last_sample_pts: int | None = None

    def add_sample(self, message: SampleMessage) -> None:
        """Keep a sample (the oldest beyond :data:`MATCH_HISTORY` are forgotten)."""
        pts = message.timing.pts_90khz
        self._samples_by_pts[pts] = message.sample
        self._last_sample_pts = pts
        while len(self._samples_by_pts) > MATCH_HISTORY:
            self._samples_by_pts.popitem(last=False)

    def match_frame(self, frame_pts: int) -> GazeSample | None:
        """The sample of the source frame of a returned frame with ``frame_pts`` (``None``
        when it is not known, or no longer kept)."""
        if self._last_sample_pts is not None:
            self._shift_votes[self._last_sample_pts - frame_pts] += 1
        if not self._shift_votes:
            return None
        shift = self._shift_votes.most_common(1)[0][0]
        return self._samples_by_pts.get(frame_pts + shift)
