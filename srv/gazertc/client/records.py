"""Typed records the client builds from wire messages (units in the names, times in ns since
the Unix epoch on the server's clock unless a name says otherwise)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gazertc.errors import GazertcError
from gazertc.recording.store import EventSource, RecordingInfo, RecordingState, StoredEvent
from gazertc.vision.types import (
    BlinkEvent,
    BlinkPhase,
    EyeObservation,
    EyeSide,
    FaceBox,
    FrameQuality,
    GazeDirection,
    GazeSample,
    HeadPose,
    QualityFlag,
    TrackingState,
)

__all__ = [
    "ClientError",
    "ServerError",
    "TimeOffsetEstimate",
    "VideoFrame",
    "gaze_sample_from_dict",
    "recording_info_from_dict",
    "stored_event_from_dict",
]


class ClientError(GazertcError):
    """The client could not do what was asked (not connected, timed out, ...)."""


class ServerError(ClientError):
    """The server answered with an ``error`` message; ``code`` is its error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class TimeOffsetEstimate:
    """Server clock minus client clock, from the ping with the shortest round trip.

    Subtract ``offset_ns`` from a server time to get client time; add it to a client time
    (e.g. an event's) to get server time.
    """

    offset_ns: int
    round_trip_ms: float
    pings: int


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """An annotated frame sent back by the server.

    ``bgr_pixels``: ``(height, width, 3)`` uint8, BGR. ``pts_90khz``: its RTP time, counted
    from the first frame the client received back. ``received_unix_ns``: arrival, client clock.
    """

    bgr_pixels: npt.NDArray[np.uint8]
    pts_90khz: int
    received_unix_ns: int


def _point(value: Any) -> tuple[float, float]:
    return (float(value[0]), float(value[1]))


def _vector(value: Any) -> tuple[float, float, float]:
    return (float(value[0]), float(value[1]), float(value[2]))


def _eye(raw: Mapping[str, Any] | None) -> EyeObservation | None:
    if raw is None:
        return None
    centre = raw["centre_px"]
    return EyeObservation(
        side=EyeSide(raw["side"]),
        centre_px=None if centre is None else _point(centre),
        iris_radius_px=raw["iris_radius_px"],
        confidence=raw["confidence"],
        openness=raw["openness"],
        is_open=raw["is_open"],
        inner_corner_px=_point(raw["inner_corner_px"]),
        outer_corner_px=_point(raw["outer_corner_px"]),
        gaze_yaw_deg=raw["gaze_yaw_deg"],
        gaze_pitch_deg=raw["gaze_pitch_deg"],
    )


def gaze_sample_from_dict(raw: Mapping[str, Any]) -> GazeSample:
    """A :class:`GazeSample` from a ``sample`` message (the bookkeeping fields are ignored).

    Raises:
        KeyError, ValueError, TypeError: ``raw`` is not a valid sample (validate it first).
    """
    box = raw["face_box"]
    landmarks = raw["landmarks_px"]
    pose = raw["head_pose"]
    gaze = raw["gaze"]
    quality = raw["quality"]
    return GazeSample(
        timestamp_unix_ns=raw["timestamp_unix_ns"],
        frame_index=raw["frame_index"],
        frame_width_px=raw["frame_width_px"],
        frame_height_px=raw["frame_height_px"],
        face_found=raw["face_found"],
        tracking=TrackingState(raw["tracking"]),
        face_box=None if box is None else FaceBox(**box),
        landmarks_px=None if landmarks is None else tuple(_point(p) for p in landmarks),
        right_eye=_eye(raw["right_eye"]),
        left_eye=_eye(raw["left_eye"]),
        head_pose=None
        if pose is None
        else HeadPose(
            yaw_deg=pose["yaw_deg"],
            pitch_deg=pose["pitch_deg"],
            roll_deg=pose["roll_deg"],
            translation_mm=_vector(pose["translation_mm"]),
            rotation_vector=_vector(pose["rotation_vector"]),
            reprojection_error_px=pose["reprojection_error_px"],
        ),
        gaze=None
        if gaze is None
        else GazeDirection(
            yaw_deg=gaze["yaw_deg"],
            pitch_deg=gaze["pitch_deg"],
            origin_mm=_vector(gaze["origin_mm"]),
            direction=_vector(gaze["direction"]),
            eyes_used=tuple(EyeSide(side) for side in gaze["eyes_used"]),
        ),
        blinking=raw["blinking"],
        blink_events=tuple(
            BlinkEvent(BlinkPhase(e["phase"]), e["timestamp_unix_ns"], e["duration_ms"])
            for e in raw["blink_events"]
        ),
        quality=FrameQuality(
            face_brightness=quality["face_brightness"],
            face_contrast=quality["face_contrast"],
            face_width_px=quality["face_width_px"],
            flags=tuple(QualityFlag(flag) for flag in quality["flags"]),
        ),
    )


def stored_event_from_dict(raw: Mapping[str, Any]) -> StoredEvent:
    """A :class:`StoredEvent` from a ``stored_event`` dict."""
    return StoredEvent(
        name=raw["name"],
        timestamp_unix_ns=raw["timestamp_unix_ns"],
        received_unix_ns=raw["received_unix_ns"],
        source=EventSource(raw["source"]),
        session_id=raw["session_id"],
        recording_id=raw["recording_id"],
    )


def recording_info_from_dict(raw: Mapping[str, Any]) -> RecordingInfo:
    """A :class:`RecordingInfo` from a ``recording_info`` dict."""
    fields = dict(raw)
    fields["state"] = RecordingState(raw["state"])
    fields["metadata"] = dict(raw["metadata"])
    return RecordingInfo(**fields)
