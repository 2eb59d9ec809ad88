"""The ``status`` message: a session's state and its rates."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gazertc.vision.types import QualityFlag, TrackingState


class VideoState(StrEnum):
    """The ``video`` field of status messages."""

    WAITING = "waiting"
    LIVE = "live"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A ``status`` message: the session's state and its rates over the last interval.

    Counters are cumulative for the session; ``input_fps``/``processed_fps`` cover the
    interval; ``processing_ms_p50`` and ``server_latency_ms_p95`` are ``None`` when no frame
    was processed in it. ``pipeline_restarts`` counts the times the session's worker was lost
    and its frames went on to a fresh tracker (the message carries it only once it is above 0).
    """

    video: VideoState
    face_found: bool
    tracking: TrackingState
    quality_flags: tuple[QualityFlag, ...]
    advice: tuple[str, ...]
    input_fps: float
    processed_fps: float
    frames_received: int
    frames_processed: int
    frames_dropped: int
    processing_ms_p50: float | None
    server_latency_ms_p95: float | None
    pipeline_restarts: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The fields of the ``status`` message (without ``v`` and ``type``)."""
        fields: dict[str, Any] = {
            "video": self.video.value,
            "face_found": self.face_found,
            "tracking": self.tracking.value,
            "quality_flags": [flag.value for flag in self.quality_flags],
            "advice": list(self.advice),
            "input_fps": self.input_fps,
            "processed_fps": self.processed_fps,
            "frames_received": self.frames_received,
            "frames_processed": self.frames_processed,
            "frames_dropped": self.frames_dropped,
            "processing_ms_p50": self.processing_ms_p50,
            "server_latency_ms_p95": self.server_latency_ms_p95,
        }
        if self.pipeline_restarts:
            fields["pipeline_restarts"] = self.pipeline_restarts
        return fields

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> StatusReport:
        return cls(
            video=VideoState(raw["video"]),
            face_found=bool(raw["face_found"]),
            tracking=TrackingState(raw["tracking"]),
            quality_flags=tuple(QualityFlag(flag) for flag in raw["quality_flags"]),
            advice=tuple(str(text) for text in raw["advice"]),
            input_fps=float(raw["input_fps"]),
            processed_fps=float(raw["processed_fps"]),
            frames_received=int(raw["frames_received"]),
            frames_processed=int(raw["frames_processed"]),
            frames_dropped=int(raw["frames_dropped"]),
            processing_ms_p50=_optional_float(raw["processing_ms_p50"]),
            server_latency_ms_p95=_optional_float(raw["server_latency_ms_p95"]),
            pipeline_restarts=int(raw.get("pipeline_restarts", 0)),
        )


def _optional_float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
