"""MediaPipe's face mesh with iris on still faces, for ``bench/eye_centre.py``.

Run by ``bench/eye_centre.py`` with the peers environment's Python (``make peers``)::

    .venv-peers/bin/python bench/peers/mediapipe_pupils.py FACES.json

``FACES.json`` is a list of ``{"image": path, "mirrored": bool, "box": [left, top, right,
bottom]}``: the face box in the (mirrored, when asked) image's pixels. Each face is handed to
MediaPipe as a square crop around its box, three box sides wide (a group photo holds other
faces, and MediaPipe's short-range detector looks for faces that fill much of the picture):
gazertc gets no such help, it finds the faces itself. Prints one JSON object:
``{"mediapipe_version", "iris_px": [per face: the two iris centres in the image's pixels, left
to right, or null when no face was found]}``. Standard library, numpy, OpenCV and MediaPipe
only: gazertc is not importable here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CROP_SIDES = 3.0
"""The crop's side, in box sides: the whole head and some background, one face only."""
IRIS_CENTRES = (468, 473)
"""The face mesh's two iris centres (refine_landmarks=True)."""


def main() -> int:
    import cv2  # noqa: PLC0415  (the peers environment has them; gazertc's does not)
    import mediapipe as mp  # type: ignore[import-not-found]  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    faces = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    found: list[Any] = []
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=1, refine_landmarks=True
    ) as mesh:
        for face in faces:
            image = cv2.imread(face["image"])
            if image is None:
                raise SystemExit(f"cannot read {face['image']}")
            if face["mirrored"]:
                image = np.ascontiguousarray(image[:, ::-1])
            left, top, right, bottom = face["box"]
            half = CROP_SIDES * max(right - left, bottom - top) / 2.0
            centre_x, centre_y = (left + right) / 2.0, (top + bottom) / 2.0
            height, width = image.shape[:2]
            x0, y0 = max(0, int(centre_x - half)), max(0, int(centre_y - half))
            x1, y1 = min(width, int(centre_x + half)), min(height, int(centre_y + half))
            crop = np.ascontiguousarray(image[y0:y1, x0:x1])
            result = mesh.process(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))
            if result.multi_face_landmarks is None:
                found.append(None)
                continue
            landmarks = result.multi_face_landmarks[0].landmark
            crop_height, crop_width = crop.shape[:2]
            found.append(
                sorted(
                    [landmarks[i].x * crop_width + x0, landmarks[i].y * crop_height + y0]
                    for i in IRIS_CENTRES
                )
            )
    json.dump({"mediapipe_version": mp.__version__, "iris_px": found}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
