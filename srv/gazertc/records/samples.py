"""The ``sample`` message: the pipeline's sample with its frame bookkeeping, screen point and
GazeTracking fields."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gazertc.records._precision import SCREEN_DIGITS, round_optional
from gazertc.vision.types import (
    WIRE_DIGITS,
    EyeObservation,
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


_FIXED_POINT_LIMIT: Final = 1e10
"""Below this magnitude ``%.4f`` with its trailing zeros dropped is ``repr(round(value, 4))``
(at most 15 significant digits); above it repr may drop digits or switch to an exponent."""

_LANDMARKS: Final = "[[" + "],[".join(["%.4f,%.4f"] * 68) + "]]"
_BOOL: Final = {False: "false", True: "true"}


_NUMBER_ENDS: Final = (",", "]", "}")
"""What follows a number in the templates below."""


def _trim_zeros(text: str) -> str:
    """Drop the trailing zeros of every fixed-point number (of up to 4 decimals) in ``text``,
    keeping one digit after the point: "3.0000," -> "3.0,", "1.2300]" -> "1.23]". ``text``
    holds no integers (their zeros would go too), and each number ends at one of
    :data:`_NUMBER_ENDS`. Plain replacements: a regular expression cost twice the whole rest."""
    for end in _NUMBER_ENDS:
        zero_end = "0" + end
        if zero_end in text:
            for _ in range(4):
                text = text.replace(zero_end, end)
            text = text.replace("." + end, ".0" + end)
    return text


def _trim_number(text: str) -> str:
    """:func:`_trim_zeros` for one number."""
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


class _Draft:
    """A message's JSON text with every float in fixed point, and the largest magnitude in it."""

    __slots__ = ("largest", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.largest = 0.0

    def add(self, template: str, values: tuple[float, ...]) -> None:
        """``template % values``: the template has no integers and ends each float with one of
        :data:`_NUMBER_ENDS`; every value is a float."""
        self.parts.append(_trim_zeros(template % values))
        self.largest = max(self.largest, *values, -min(values))

    def number(self, value: float, template: str = "%.4f") -> str:
        self.largest = max(self.largest, abs(value))
        return _trim_number(template % value)

    def optional(self, value: float | None) -> str:
        return "null" if value is None else self.number(value)

    def text(self) -> str | None:
        """The finished text, or ``None`` when a number needs ``json.dumps``."""
        text = "".join(self.parts)
        # %.4f writes "nan" and "inf" (which no key or enum value contains); json.dumps writes
        # NaN and Infinity. max() and min() may pass over a NaN, the text never does.
        if self.largest >= _FIXED_POINT_LIMIT or "nan" in text or "inf" in text:
            return None
        return text


def _add_sample(draft: _Draft, sample: GazeSample) -> None:
    """The fields of :meth:`GazeSample.to_dict`."""
    draft.parts.append(
        f',"timestamp_unix_ns":{sample.timestamp_unix_ns:d},'
        f'"frame_index":{sample.frame_index:d},"frame_width_px":{sample.frame_width_px:d},'
        f'"frame_height_px":{sample.frame_height_px:d},'
        f'"face_found":{_BOOL[sample.face_found]},"tracking":"{sample.tracking.value}"'
    )
    box = sample.face_box
    if box is None:
        draft.parts.append(',"face_box":null')
    else:
        draft.add(
            ',"face_box":{"left_px":%.4f,"top_px":%.4f,"right_px":%.4f,"bottom_px":%.4f}',
            (box.left_px, box.top_px, box.right_px, box.bottom_px),
        )
    landmarks = sample.landmarks_px
    if landmarks is None:
        draft.parts.append(',"landmarks_px":null')
    else:
        flat = tuple(itertools.chain.from_iterable(landmarks))
        template = _LANDMARKS if len(landmarks) == 68 else _points_template(len(landmarks))
        draft.add(',"landmarks_px":' + template, flat)
    draft.parts.append(',"right_eye":')
    _add_eye(draft, sample.right_eye)
    draft.parts.append(',"left_eye":')
    _add_eye(draft, sample.left_eye)
    pose = sample.head_pose
    if pose is None:
        draft.parts.append(',"head_pose":null')
    else:
        draft.add(
            ',"head_pose":{"yaw_deg":%.4f,"pitch_deg":%.4f,"roll_deg":%.4f,'
            '"translation_mm":[%.4f,%.4f,%.4f],"rotation_vector":[%.4f,%.4f,%.4f],'
            '"reprojection_error_px":%.4f}',
            (pose.yaw_deg, pose.pitch_deg, pose.roll_deg, *pose.translation_mm,
             *pose.rotation_vector, pose.reprojection_error_px),
        )  # fmt: skip
    gaze = sample.gaze
    if gaze is None:
        draft.parts.append(',"gaze":null')
    else:
        eyes_used = ",".join(f'"{side.value}"' for side in gaze.eyes_used)
        draft.add(
            ',"gaze":{"yaw_deg":%.4f,"pitch_deg":%.4f,"origin_mm":[%.4f,%.4f,%.4f],'
            '"direction":[%.4f,%.4f,%.4f],"eyes_used":[' + eyes_used + "]}",
            (gaze.yaw_deg, gaze.pitch_deg, *gaze.origin_mm, *gaze.direction),
        )
    events = ",".join(
        f'{{"phase":"{event.phase.value}","timestamp_unix_ns":{event.timestamp_unix_ns:d},'
        f'"duration_ms":{draft.optional(event.duration_ms)}}}'
        for event in sample.blink_events
    )
    quality = sample.quality
    flags = ",".join(f'"{flag.value}"' for flag in quality.flags)
    draft.parts.append(
        f',"blinking":{_BOOL[sample.blinking]},"blink_events":[{events}],'
        f'"quality":{{"face_brightness":{draft.optional(quality.face_brightness)},'
        f'"face_contrast":{draft.optional(quality.face_contrast)},'
        f'"face_width_px":{draft.optional(quality.face_width_px)},"flags":[{flags}]}}'
    )


def _add_eye(draft: _Draft, eye: EyeObservation | None) -> None:
    if eye is None:
        draft.parts.append("null")
        return
    centre = eye.centre_px
    centre_text = (
        "null" if centre is None else f"[{draft.optional(centre[0])},{draft.optional(centre[1])}]"
    )
    draft.parts.append(
        f'{{"side":"{eye.side.value}","centre_px":{centre_text},'
        f'"iris_radius_px":{draft.optional(eye.iris_radius_px)},'
    )
    draft.add(
        '"confidence":%.4f,"openness":%.4f,"is_open":' + _BOOL[eye.is_open]
        + ',"inner_corner_px":[%.4f,%.4f],"outer_corner_px":[%.4f,%.4f],',
        (eye.confidence, eye.openness, *eye.inner_corner_px, *eye.outer_corner_px),
    )  # fmt: skip
    draft.parts.append(
        f'"gaze_yaw_deg":{draft.optional(eye.gaze_yaw_deg)},'
        f'"gaze_pitch_deg":{draft.optional(eye.gaze_pitch_deg)}}}'
    )


def _points_template(count: int) -> str:
    return "[" + ",".join(["[%.4f,%.4f]"] * count) + "]"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


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

    def to_json(self) -> str:
        """``json.dumps(self.to_dict(), separators=(",", ":"))``, the same text, written directly
        (the worker encodes every sample; see ``bench/sample_path.py`` for the saving).

        Floats are written in fixed point with their wire digits, trailing zeros dropped: what
        ``repr(round(value, digits))`` gives below 1e10. A message holding a larger or a
        non-finite number takes the generic path.
        """
        timing, stages = self.timing, self.timing.stages
        draft = _Draft()
        draft.parts.append(
            f'{{"v":1,"type":"sample","frame_id":{timing.frame_id:d},'
            f'"pts_90khz":{timing.pts_90khz:d},"received_unix_ns":{timing.received_unix_ns:d},'
            f'"processed_unix_ns":{timing.processed_unix_ns:d},'
            f'"processing_ms":{draft.number(timing.processing_ms, "%.3f")}'
        )
        if stages is not None:
            draft.add(
                ',"stage_ms":{"detect":%.3f,"landmarks":%.3f,"iris":%.3f,"pose":%.3f,'
                '"gaze":%.3f,"total":%.3f}',
                (stages.detect_ms, stages.landmarks_ms, stages.iris_ms, stages.pose_ms,
                 stages.gaze_ms, stages.total_ms),
            )  # fmt: skip
        _add_sample(draft, self.sample)
        if self.calibrated:
            point = self.screen_point
            point_text = "null" if point is None else _compact(point.to_dict())
            draft.parts.append(f',"screen_point":{point_text}')
        if self.gaze_tracking is not None:
            draft.parts.append(f',"gaze_tracking":{_compact(self.gaze_tracking.to_dict())}')
        draft.parts.append("}")
        text = draft.text()
        return _compact(self.to_dict()) if text is None else text

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


_LANDMARKS_FIELD: Final = ',"landmarks_px":'
_FIELD_AFTER_LANDMARKS: Final = ',"right_eye":'
"""Both encodings of a sample (``to_json`` and ``json.dumps`` of ``to_dict``) write
``landmarks_px`` right before ``right_eye``, and only numbers between them."""


def sample_text_without_landmarks(message_json: str) -> str:
    """A ``sample`` message's text (as encoded by :meth:`SampleMessage.to_json`, with or without
    the fields :mod:`gazertc.protocol` appends) with ``landmarks_px`` null: the encoding of the
    same message whose sample has no landmarks. A splice, not a new encoding: the event loop
    does it per sample for a client that asked for no landmarks (config ``landmarks``).

    Raises:
        ValueError: ``message_json`` is not an encoded ``sample`` message.
    """
    start = message_json.find(_LANDMARKS_FIELD)
    end = message_json.find(_FIELD_AFTER_LANDMARKS, start)
    if start < 0 or end < 0:
        raise ValueError("message_json is not an encoded sample message")
    return f"{message_json[:start]}{_LANDMARKS_FIELD}null{message_json[end:]}"
