"""A session's ``status`` reports: its pipeline's counters turned into rates over windows.

Plain bookkeeping with no network code; each call of :meth:`StatusWindow.take_status_window`
closes one measurement window and opens the next.
"""

from __future__ import annotations

import time

from gazertc import protocol
from gazertc.records import StatusReport, VideoState
from gazertc.server.tracks import VideoPipeline
from gazertc.vision.types import QualityFlag, TrackingState

__all__ = ["StatusWindow"]

MIN_WINDOW_S = 1e-3
"""Rates over a shorter window would divide by almost nothing (two reports in one tick)."""


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 3)


class StatusWindow:
    """The measurement window of one session's status reports."""

    def __init__(self) -> None:
        self.opened_s = time.monotonic()
        self._frames_at_open = (0, 0)

    def take_status_window(self, pipeline: VideoPipeline | None, video: VideoState) -> StatusReport:
        """The report for the time since the previous call; a new window starts now."""
        now_s = time.monotonic()
        interval_s = max(now_s - self.opened_s, MIN_WINDOW_S)
        self.opened_s = now_s
        received = processed = dropped = restarts = 0
        processing_ms: list[float] = []
        latency_ms: list[float] = []
        face_found, tracking = False, TrackingState.LOST
        flags: tuple[QualityFlag, ...] = ()
        if pipeline is not None:
            counters = pipeline.counters
            received, processed = pipeline.frames_received, counters.frames_processed
            dropped = pipeline.frames_dropped
            processing_ms, latency_ms = counters.take_window()
            face_found, tracking = counters.face_found, counters.tracking
            flags = counters.quality_flags
            restarts = counters.pipeline_restarts
        previous_received, previous_processed = self._frames_at_open
        self._frames_at_open = (received, processed)
        return StatusReport(
            video=video,
            face_found=face_found,
            tracking=tracking,
            quality_flags=flags,
            advice=tuple(protocol.advice_for(flags)),
            input_fps=round((received - previous_received) / interval_s, 2),
            processed_fps=round((processed - previous_processed) / interval_s, 2),
            frames_received=received,
            frames_processed=processed,
            frames_dropped=dropped,
            processing_ms_p50=_percentile(processing_ms, 0.5),
            server_latency_ms_p95=_percentile(latency_ms, 0.95),
            pipeline_restarts=restarts,
        )
