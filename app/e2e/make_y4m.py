"""Convert a video to YUV4MPEG2 (.y4m), the format of Chromium's fake camera.

Chromium's fake camera reads only .y4m or .mjpeg, and ffmpeg may not be installed, so the browser
test writes the file with OpenCV at test time. y4m is a one-line text header followed by frames,
each a ``FRAME`` line and the raw I420 planes (Y, then U and V at half resolution).

Usage: python make_y4m.py SOURCE DESTINATION [--first-frame N] [--max-frames N]
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

DEFAULT_FPS = Fraction(25)
"""Used when the container does not say (Chromium plays the file at the header's rate)."""


def convert(source: Path, destination: Path, max_frames: int | None, first_frame: int = 0) -> int:
    """Write ``source`` as y4m to ``destination``, from its frame ``first_frame`` (0-based);
    returns the number of frames written.

    Raises:
        ValueError: the source cannot be read, has no frame from ``first_frame`` on, or has an
            odd width or height (I420 needs even dimensions).
    """
    if first_frame < 0:
        raise ValueError(f"the first frame must be 0 or more, got {first_frame}")
    capture = cv2.VideoCapture(str(source))
    if not capture.isOpened():
        raise ValueError(f"{source}: not a readable video")
    for _ in range(first_frame):
        if not capture.grab():
            break
    fps = Fraction(capture.get(cv2.CAP_PROP_FPS)).limit_denominator(1001) or DEFAULT_FPS
    written = 0
    try:
        with destination.open("wb") as out:
            while max_frames is None or written < max_frames:
                ok, frame = capture.read()
                if not ok:
                    break
                height, width = frame.shape[:2]
                if written == 0:
                    if width % 2 or height % 2:
                        raise ValueError(f"{source}: {width}x{height} is not even in both axes")
                    header = (
                        f"YUV4MPEG2 W{width} H{height} F{fps.numerator}:{fps.denominator} "
                        "Ip A1:1 C420jpeg\n"
                    )
                    out.write(header.encode("ascii"))
                out.write(b"FRAME\n")
                planes = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_BGR2YUV_I420)
                out.write(planes.tobytes())
                written += 1
    finally:
        capture.release()
    if written == 0:
        destination.unlink(missing_ok=True)
        raise ValueError(f"{source}: no frame could be decoded")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("destination", type=Path)
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--first-frame", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        frames = convert(args.source, args.destination, args.max_frames, args.first_frame)
    except ValueError as exc:
        print(f"make_y4m: {exc}", file=sys.stderr)
        return 2
    print(f"make_y4m: wrote {frames} frames to {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
