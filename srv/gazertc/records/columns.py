"""The columns of exported samples and of the LSL gaze outlet, and one sample's values in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gazertc.records._precision import SCREEN_DIGITS
from gazertc.records.samples import SampleMessage
from gazertc.vision.types import WIRE_DIGITS


@dataclass(frozen=True, slots=True)
class Column:
    """One column of exported samples (CSV, BIDS) and one channel of the LSL gaze outlet."""

    name: str
    description: str
    units: str | None


SAMPLE_COLUMNS: Final = (
    Column("timestamp_unix_ns", "capture time of the frame, server clock", "ns"),
    Column("frame_id", "frames received in the session, counted from 0", None),
    Column("face_found", "1 when a face was found", None),
    Column("gaze_yaw_deg", "gaze direction yaw, positive towards the image's right", "deg"),
    Column("gaze_pitch_deg", "gaze direction pitch, positive up", "deg"),
    Column("head_yaw_deg", "head yaw, positive towards the image's right", "deg"),
    Column("head_pitch_deg", "head pitch, positive up", "deg"),
    Column("head_roll_deg", "head roll, positive clockwise in the image", "deg"),
    Column("right_iris_x_px", "subject's right iris centre, x in frame pixels", "pixel"),
    Column("right_iris_y_px", "subject's right iris centre, y in frame pixels (down)", "pixel"),
    Column("left_iris_x_px", "subject's left iris centre, x in frame pixels", "pixel"),
    Column("left_iris_y_px", "subject's left iris centre, y in frame pixels (down)", "pixel"),
    Column("right_eye_openness", "right lid gap over eye width (open 0.25-0.4)", None),
    Column("left_eye_openness", "left lid gap over eye width (open 0.25-0.4)", None),
    Column("blinking", "1 during a blink", None),
    Column("screen_x_css_px", "calibrated screen point, x in CSS pixels from the left", "pixel"),
    Column("screen_y_css_px", "calibrated screen point, y in CSS pixels from the top", "pixel"),
    Column("screen_smoothed_x_css_px", "screen point after the One Euro filter, x", "pixel"),
    Column("screen_smoothed_y_css_px", "screen point after the One Euro filter, y", "pixel"),
    Column("right_eye_valid", "1 when the subject's right eye is open with an iris centre", None),
    Column("left_eye_valid", "1 when the subject's left eye is open with an iris centre", None),
)
"""The columns :func:`sample_columns` gives, in order. Exports put ``time_s`` (seconds since the
recording started) after the first; the LSL outlet drops the first (its timestamp carries it).
The screen point is empty until the session is calibrated and on frames that give none."""

ColumnValue = int | float | None


def sample_columns(message: SampleMessage) -> tuple[ColumnValue, ...]:
    """One sample's values in :data:`SAMPLE_COLUMNS` order (``None`` where a value is missing;
    booleans as 0/1; floats at the wire's precision, so a live stream and an export of the
    stored messages give the same numbers)."""
    sample = message.sample
    gaze, head = sample.gaze, sample.head_pose
    eyes: list[float | None] = []
    for eye in (sample.right_eye, sample.left_eye):
        centre = None if eye is None else eye.centre_px
        eyes += (None, None) if centre is None else (centre[0], centre[1])
    right, left = sample.right_eye, sample.left_eye
    angles_and_points = (
        None if gaze is None else gaze.yaw_deg,
        None if gaze is None else gaze.pitch_deg,
        None if head is None else head.yaw_deg,
        None if head is None else head.pitch_deg,
        None if head is None else head.roll_deg,
        *eyes,
        None if right is None else right.openness,
        None if left is None else left.openness,
    )
    point = message.screen_point
    screen: tuple[float | None, ...] = (
        (None, None, None, None)
        if point is None
        else tuple(
            round(value, SCREEN_DIGITS)
            for value in (
                point.x_css_px,
                point.y_css_px,
                point.smoothed_x_css_px,
                point.smoothed_y_css_px,
            )
        )
    )
    return (
        sample.timestamp_unix_ns,
        message.timing.frame_id,
        int(sample.face_found),
        *(None if value is None else round(value, WIRE_DIGITS) for value in angles_and_points),
        int(sample.blinking),
        *screen,
        *(
            int(eye is not None and eye.is_open and eye.centre_px is not None)
            for eye in (right, left)
        ),
    )
