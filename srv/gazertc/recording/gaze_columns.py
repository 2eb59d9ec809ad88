"""A stored recording's samples as numpy columns, for the summary, the replay and the report.

Only the few fields those need are read: capture time, face found, blinking, gaze angles (their
own columns of the ``samples`` table) and the screen point (read out of the stored sample text by
the database's JSON functions, so no sample is decoded in Python). Samples captured before the
recording started are left out (as in the exports); rows come in capture-time order.

Times are seconds since the recording's start (``started_unix_ns``); a missing value is NaN.
The screen point is the calibrated mapping of each frame (``screen_point.x_px``/``y_px``, CSS px
of the participant's screen, y down), not the smoothed one meant for display: fixations and
heatmaps are computed from what was measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gazertc.recording.backend import Connection, Dialect
from gazertc.records import RecordingInfo

__all__ = ["FloatColumn", "GazeColumns", "load_gaze_columns"]

FloatColumn = npt.NDArray[np.float64]
BoolColumn = npt.NDArray[np.bool_]

_NS_PER_S: Final = 1e9

_QUERY: Final = """
SELECT timestamp_unix_ns, face_found, blinking, gaze_yaw_deg, gaze_pitch_deg, {x_px}, {y_px}
FROM samples WHERE recording_id = ? AND timestamp_unix_ns >= ?
ORDER BY timestamp_unix_ns, sample_id
"""
_SCREEN_POINT_FIELDS: Final = {
    Dialect.SQLITE: (
        "json_extract(sample_json, '$.screen_point.x_px')",
        "json_extract(sample_json, '$.screen_point.y_px')",
    ),
    Dialect.POSTGRESQL: (
        "(sample_json::jsonb #>> '{screen_point,x_px}')::double precision",
        "(sample_json::jsonb #>> '{screen_point,y_px}')::double precision",
    ),
}


@dataclass(frozen=True, slots=True, eq=False)
class GazeColumns:
    """One value per sample, all columns the same length, in time order.

    ``t_s``: seconds since the recording started; ``x_px``/``y_px``: screen point (CSS px, NaN
    where the sample has none); ``yaw_deg``/``pitch_deg``: gaze direction (NaN without one);
    ``face_found``/``blinking``: the sample's flags.
    """

    t_s: FloatColumn
    x_px: FloatColumn
    y_px: FloatColumn
    yaw_deg: FloatColumn
    pitch_deg: FloatColumn
    face_found: BoolColumn
    blinking: BoolColumn

    @property
    def size(self) -> int:
        return int(self.t_s.size)

    @property
    def has_screen_gaze(self) -> BoolColumn:
        return np.isfinite(self.x_px) & np.isfinite(self.y_px)

    @property
    def has_gaze_angles(self) -> BoolColumn:
        return np.isfinite(self.yaw_deg) & np.isfinite(self.pitch_deg)

    @property
    def calibrated(self) -> bool:
        """Whether any sample has a screen point (then gaze is shown in screen px)."""
        return bool(self.has_screen_gaze.any())

    def taking(self, indices: npt.NDArray[np.intp]) -> GazeColumns:
        """The samples at ``indices`` (in that order)."""
        return GazeColumns(
            self.t_s[indices],
            self.x_px[indices],
            self.y_px[indices],
            self.yaw_deg[indices],
            self.pitch_deg[indices],
            self.face_found[indices],
            self.blinking[indices],
        )


def _floats(values: list[object]) -> FloatColumn:
    return np.array([np.nan if value is None else value for value in values], dtype=np.float64)


def load_gaze_columns(connection: Connection, info: RecordingInfo) -> GazeColumns:
    """The recording's samples from its start on (blocks on the disk: call it off the loop)."""
    x_px_field, y_px_field = _SCREEN_POINT_FIELDS[connection.dialect]
    query = _QUERY.format(x_px=x_px_field, y_px=y_px_field)
    rows = connection.execute(query, (info.recording_id, info.started_unix_ns)).fetchall()
    if not rows:
        empty = np.zeros(0, dtype=np.float64)
        flags = np.zeros(0, dtype=np.bool_)
        return GazeColumns(empty, empty, empty, empty, empty, flags, flags)
    timestamps, face, blink, yaw, pitch, x_px, y_px = (
        list(column) for column in zip(*rows, strict=True)
    )
    start = info.started_unix_ns
    return GazeColumns(
        t_s=np.array([(ns - start) / _NS_PER_S for ns in timestamps], dtype=np.float64),
        x_px=_floats(x_px),
        y_px=_floats(y_px),
        yaw_deg=_floats(yaw),
        pitch_deg=_floats(pitch),
        face_found=np.array(face, dtype=np.bool_),
        blinking=np.array(blink, dtype=np.bool_),
    )
