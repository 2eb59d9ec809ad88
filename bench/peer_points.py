"""What the MediaPipe peer reports on the pipeline benchmark's frames, and the jitter of iris
centres and eye corners measured alike for it and for gazertc.

The peer (``bench/peers/mediapipe_face_mesh.py``) prints, per frame, its two iris centres and
four eye corners ordered left to right in the image; :func:`gazertc_points` orders gazertc's the
same way, so the two series compare point by point.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gazertc.vision.landmarks import eye_corners_px
from gazertc.vision.types import EyeSide, GazeSample

__all__ = [
    "PEERS",
    "PeerRun",
    "gazertc_points",
    "point_jitter_px",
    "run_peer",
]

Points = npt.NDArray[np.float64]

REPOSITORY = Path(__file__).resolve().parents[1]
PEERS_PYTHON = REPOSITORY / ".venv-peers" / "bin" / "python"
PEERS = REPOSITORY / "bench" / "peers"
"""The peer scripts, run with the peers environment's Python (``make peers``)."""
PEER_TIMEOUT_S = 600.0
"""MediaPipe takes about 10 ms a frame at 1280x720: 400 frames need well under a minute."""


def _points(raw: Any) -> Points | None:
    return None if raw is None else np.asarray(raw, np.float64)


@dataclass(frozen=True, slots=True)
class PeerRun:
    """The peer's output for one frame size: CPU per frame, faces found, and its points."""

    version: str
    cpu_ms: tuple[float, ...]
    faces: int
    iris_px: tuple[Points | None, ...]
    eye_corners_px: tuple[Points | None, ...]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PeerRun:
        return cls(
            version=str(raw["mediapipe_version"]),
            cpu_ms=tuple(float(ms) for ms in raw["cpu_ms"]),
            faces=int(raw["faces"]),
            iris_px=tuple(_points(frame) for frame in raw["iris_px"]),
            eye_corners_px=tuple(_points(frame) for frame in raw["eye_corners_px"]),
        )


def gazertc_points(
    samples: Sequence[GazeSample],
) -> tuple[list[Points | None], list[Points | None]]:
    """Per sample, the two iris centres (``None`` unless both eyes have one) and the four eye
    corners, each left to right in the image as the peer gives them."""
    irises: list[Points | None] = []
    corners: list[Points | None] = []
    for sample in samples:
        centres = [
            eye.centre_px
            for side in EyeSide
            if (eye := sample.eye(side)) is not None and eye.centre_px is not None
        ]
        irises.append(
            np.array(sorted(centres), np.float64) if len(centres) == len(EyeSide) else None
        )
        landmarks = sample.landmarks_px
        corners.append(None if landmarks is None else eye_corners_px(np.array(landmarks)))
    return irises, corners


def point_jitter_px(series: Sequence[Points | None]) -> float:
    """Median size of the points' second difference (frame-to-frame jitter, steady motion
    aside) over every point of every three consecutive frames that all have them; NaN when
    none do."""
    sizes = [
        np.linalg.norm(a - 2.0 * b + c, axis=1)
        for a, b, c in zip(series, series[1:], series[2:], strict=False)
        if a is not None and b is not None and c is not None
    ]
    return float(np.median(np.concatenate(sizes))) if sizes else float("nan")


def run_peer(script: str, *arguments: str) -> dict[str, Any] | str:
    """The JSON object a peer script in :data:`PEERS` prints, or why there is none."""
    if not PEERS_PYTHON.exists():
        return f"{PEERS_PYTHON.relative_to(REPOSITORY)} is absent (make peers)"
    try:
        completed = subprocess.run(
            [str(PEERS_PYTHON), str(PEERS / script), *arguments],
            capture_output=True, text=True, timeout=PEER_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"the MediaPipe run took over {PEER_TIMEOUT_S:.0f} s"
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no message"])[-1]
        return f"the MediaPipe run failed ({completed.returncode}): {last_line}"
    result: dict[str, Any] = json.loads(completed.stdout)
    return result
