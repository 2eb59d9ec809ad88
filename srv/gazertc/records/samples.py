"""The ``sample`` message: the pipeline's sample with its frame bookkeeping, screen point and
GazeTracking fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gazertc.records._precision import SCREEN_DIGITS, round_optional
from gazertc.vision.types import (
    WIRE_DIGITS,
    GazeSample,
    PointPx,
    StageTimings,
)

_TIMING_DIGITS: Final = 3
"""Processing times to the microsecond."""


@dataclass(frozen=True, slots=True)
class ScreenGaze:
    """Where on the client's screen the user looks (the schema's ``screen_point``), CSS pixels
    from the top-left of the screen the client described, y down; may lie off the screen.

    ``x_css_px``/``y_css_px``: this frame's calibrated mapping; ``smoothed_*``: the same after
    the One Euro filter, for display.
    """

    x_css_px: float
    y_css_px: float
    smoothed_x_css_px: float
    smoothed_y_css_px: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "x_px": round(self.x_css_px, SCREEN_DIGITS),
            "y_px": round(self.y_css_px, SCREEN_DIGITS),
            "smoothed_x_px": round(self.smoothed_x_css_px, SCREEN_DIGITS),
            "smoothed_y_px": round(self.smoothed_y_css_px, SCREEN_DIGITS),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ScreenGaze:
        return cls(
            float(raw["x_px"]),
            float(raw["y_px"]),
            float(raw["smoothed_x_px"]),
            float(raw["smoothed_y_px"]),
        )


@dataclass(frozen=True, slots=True)
class GazeTrackingFields:
    """The fields of the GazeTracking library, for clients written against it (the schema's
    ``gaze_tracking``; computed by :func:`gazertc.vision.gaze_tracking.gaze_tracking_fields`).

    ``pupil_left``/``pupil_right`` follow GazeTracking's naming: the eye on the image's left
    (the subject's *right* eye) and the one on the image's right, iris centres in frame pixels.
    ``horizontal_ratio``: 0 looking to the subject's right, 0.5 centre, 1 left;
    ``vertical_ratio``: 0 top, 1 bottom (``None`` without a located pupil).
    ``attention_score`` in [0, 1]; ``frame_processed``: a face was found and a pupil located.
    """

    pupil_left: PointPx | None
    pupil_right: PointPx | None
    horizontal_ratio: float | None
    vertical_ratio: float | None
    is_left: bool
    is_right: bool
    is_center: bool
    is_blinking: bool
    attention_score: float
    frame_processed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "pupil_left": _point_or_none(self.pupil_left),
            "pupil_right": _point_or_none(self.pupil_right),
            "horizontal_ratio": round_optional(self.horizontal_ratio, WIRE_DIGITS),
            "vertical_ratio": round_optional(self.vertical_ratio, WIRE_DIGITS),
            "is_left": self.is_left,
            "is_right": self.is_right,
            "is_center": self.is_center,
            "is_blinking": self.is_blinking,
            "attention_score": round(self.attention_score, WIRE_DIGITS),
            "frame_processed": self.frame_processed,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GazeTrackingFields:
        horizontal, vertical = raw["horizontal_ratio"], raw["vertical_ratio"]
        return cls(
            pupil_left=_point_from_raw(raw["pupil_left"]),
            pupil_right=_point_from_raw(raw["pupil_right"]),
            horizontal_ratio=None if horizontal is None else float(horizontal),
            vertical_ratio=None if vertical is None else float(vertical),
            is_left=bool(raw["is_left"]),
            is_right=bool(raw["is_right"]),
            is_center=bool(raw["is_center"]),
            is_blinking=bool(raw["is_blinking"]),
            attention_score=float(raw["attention_score"]),
            frame_processed=bool(raw["frame_processed"]),
        )


def _point_or_none(point: PointPx | None) -> list[float] | None:
    if point is None:
        return None
    return [round(point[0], WIRE_DIGITS), round(point[1], WIRE_DIGITS)]


def _point_from_raw(raw: Any) -> PointPx | None:
    return None if raw is None else (float(raw[0]), float(raw[1]))


@dataclass(frozen=True, slots=True)
class SampleTiming:
    """A sample's frame bookkeeping (the ``sample`` message's fields beside the pipeline's).

    ``frame_id`` counts frames received in the session; ``pts_90khz`` is the frame's RTP time
    relative to the first frame; ``received_unix_ns`` when the decoded frame reached the
    session; ``processed_unix_ns`` when the sample was ready; ``processing_ms`` the pipeline's
    time in the worker, ``stages`` its split by stage.
    """

    frame_id: int
    pts_90khz: int
    received_unix_ns: int
    processed_unix_ns: int
    processing_ms: float
    stages: StageTimings | None = None


@dataclass(frozen=True, slots=True)
class SampleMessage:
    """One ``sample`` message: the pipeline's sample, its bookkeeping and, once the session is
    calibrated (``calibrated``), its point on the screen (``None`` when the frame gives none);
    ``gaze_tracking`` when the client asked for those fields (config ``gaze_tracking``)."""

    sample: GazeSample
    timing: SampleTiming
    calibrated: bool = False
    screen_point: ScreenGaze | None = None
    gaze_tracking: GazeTrackingFields | None = None

    def to_dict(self) -> dict[str, Any]:
        """The complete message, ``v`` and ``type`` included."""
        timing = self.timing
        message: dict[str, Any] = {
            "v": 1,
            "type": "sample",
            "frame_id": timing.frame_id,
            "pts_90khz": timing.pts_90khz,
            "received_unix_ns": timing.received_unix_ns,
            "processed_unix_ns": timing.processed_unix_ns,
            "processing_ms": round(timing.processing_ms, _TIMING_DIGITS),
        }
        if timing.stages is not None:
            message["stage_ms"] = timing.stages.to_dict()
        message.update(self.sample.to_dict())
        if self.calibrated:
            message["screen_point"] = (
                None if self.screen_point is None else self.screen_point.to_dict()
            )
        if self.gaze_tracking is not None:
            message["gaze_tracking"] = self.gaze_tracking.to_dict()
        return message

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SampleMessage:
        stages = raw.get("stage_ms")
        point = raw.get("screen_point")
        gaze_tracking = raw.get("gaze_tracking")
        return cls(
            sample=GazeSample.from_dict(raw),
            timing=SampleTiming(
                frame_id=int(raw["frame_id"]),
                pts_90khz=int(raw["pts_90khz"]),
                received_unix_ns=int(raw["received_unix_ns"]),
                processed_unix_ns=int(raw["processed_unix_ns"]),
                processing_ms=float(raw["processing_ms"]),
                stages=None if stages is None else StageTimings.from_dict(stages),
            ),
            calibrated="screen_point" in raw,
            screen_point=None if point is None else ScreenGaze.from_dict(point),
            gaze_tracking=None
            if gaze_tracking is None
            else GazeTrackingFields.from_dict(gaze_tracking),
        )
