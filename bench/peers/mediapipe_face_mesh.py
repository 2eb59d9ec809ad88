"""MediaPipe's face mesh with iris, timed on frames that ``bench/pipeline.py`` hands over.

Run by ``bench/pipeline.py`` with the peers environment's Python (``make peers``: MediaPipe
0.10.21 needs numpy<2, so it never enters gazertc's own environment)::

    .venv-peers/bin/python bench/peers/mediapipe_face_mesh.py FRAMES.npy CPU

``FRAMES.npy`` is an ``(n, height, width, 3)`` uint8 BGR array; ``CPU`` the one core to run on.
Prints one JSON object: ``{"mediapipe_version", "cpu_ms": [per frame], "faces": n, "iris_px",
"eye_corners_px"}``. The time is process CPU time around ``FaceMesh.process`` alone
(refine_landmarks=True: 478 points with the iris, tracking mode); the BGR to RGB conversion
MediaPipe's API needs is left out, which favours the peer. ``iris_px`` holds per frame the two
iris centres and ``eye_corners_px`` the four eye corners, in pixels, each ordered left to right
in the image (``null`` where no face was found); reading them is not timed. Standard library,
numpy and MediaPipe only: gazertc is not importable here.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

IRIS_CENTRES = (468, 473)
"""The face mesh's two iris centres (refine_landmarks=True)."""
EYE_CORNERS = (33, 133, 362, 263)
"""The face mesh's four eye corners (outer and inner of each eye)."""


def _points_px(landmarks: Any, indices: tuple[int, ...], width: int, height: int) -> list[Any]:
    """The landmarks' pixel positions, ordered left to right in the image."""
    return sorted([landmarks[i].x * width, landmarks[i].y * height] for i in indices)


def main() -> int:
    frames_path, cpu = sys.argv[1], int(sys.argv[2])
    # One core for every thread MediaPipe starts: set before the library loads.
    os.sched_setaffinity(0, {cpu})
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"

    import cv2  # noqa: PLC0415  (after the affinity and thread settings)
    import mediapipe as mp  # type: ignore[import-not-found]  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    cv2.setNumThreads(1)
    frames = np.load(frames_path, mmap_mode="r")
    cpu_ms: list[float] = []
    faces = 0
    iris_px: list[Any] = []
    eye_corners_px: list[Any] = []
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False,
        max_num_faces=1,
        refine_landmarks=True,
        min_detection_confidence=0.5,
        min_tracking_confidence=0.5,
    ) as mesh:
        for frame in frames:
            rgb = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_BGR2RGB)
            started = time.process_time()
            result = mesh.process(rgb)
            cpu_ms.append((time.process_time() - started) * 1000.0)
            found = result.multi_face_landmarks
            faces += found is not None
            height, width = frame.shape[:2]
            landmarks = None if found is None else found[0].landmark
            for points, indices in ((iris_px, IRIS_CENTRES), (eye_corners_px, EYE_CORNERS)):
                points.append(
                    None if landmarks is None else _points_px(landmarks, indices, width, height)
                )
    json.dump(
        {
            "mediapipe_version": mp.__version__,
            "cpu_ms": cpu_ms,
            "faces": faces,
            "iris_px": iris_px,
            "eye_corners_px": eye_corners_px,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
