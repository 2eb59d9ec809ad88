"""The ``gazertc`` command: argument parsing only; the work happens in the package.

Optional parts (the extras) are imported when their command runs, or guarded at import, so that
a base install without them still starts and says which extra a command needs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np

import gazertc
from gazertc import doctor, extras, models
from gazertc.cluster import command as cluster_command
from gazertc.errors import GazertcError, InputError
from gazertc.progress import Progress, is_terminal
from gazertc.recording import cli as recording_cli
from gazertc.recording import report_cli
from gazertc.server import cli as server_cli
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.tracker import GazeTracker, PipelineModels, estimate
from gazertc.vision.types import BgrImage, GazeSample

__all__ = ["EXIT_NOTHING_DECODED", "EXIT_UNUSABLE_INPUT", "UndecodableVideoError", "main"]

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp"}
)

EXIT_UNUSABLE_INPUT: Final = 2
"""The errors gazertc raises on purpose (a wrong argument, a missing or unusable file), all but
:data:`EXIT_NOTHING_DECODED`; argparse's own usage errors use 2 as well."""

EXIT_NOTHING_DECODED: Final = 1
"""``process`` on a video that opens but of which not one frame decodes (truncated or damaged
before its first frame). Apart from 2 so that a script can tell a damaged recording from a wrong
command; a video that breaks off later exits 0 with a warning, since its samples are usable."""

FFMPEG_LOG_LEVEL_VARIABLE: Final = "OPENCV_FFMPEG_LOGLEVEL"
FFMPEG_QUIET: Final = "-8"
"""FFmpeg's ``AV_LOG_QUIET``. OpenCV's video reader lets FFmpeg print its complaints about a
damaged file (``Invalid NAL unit size``, ``partial file``) straight to stderr, over the progress
line and again at each open of the file; ``process`` reports once, on its own line, where
decoding stopped instead. ``gazertc -v``, or the variable set by hand, keeps FFmpeg's lines."""


class UndecodableVideoError(InputError):
    """A video that opens but of which no frame decodes (exit status 1, not 2)."""


@dataclass(slots=True)
class _Decoding:
    """What reading a video found: frames decoded, against the count its container lists."""

    path: Path
    listed_frames: int | None
    fps: float = 0.0
    frames_read: int = 0
    read_error: str | None = None

    def _cause(self, place: str) -> str:
        if self.read_error is not None:
            return f"read error: {self.read_error}"
        return f"the file is truncated or damaged{place}"

    def warning(self) -> str | None:
        """The one-line warning for a video that broke off after some frames, else ``None``."""
        short = self.listed_frames is not None and self.frames_read < self.listed_frames
        if self.frames_read == 0 or not (short or self.read_error is not None):
            return None
        where = f"frame {self.frames_read}"
        if self.fps > 0.0:
            where += f" ({self.frames_read / self.fps:.2f} s)"
        if self.listed_frames is not None:
            where += f" of the {self.listed_frames} the container lists"
        cause = self._cause(" there")
        return (
            f"{self.path}: decoding stopped at {where} ({cause}); "
            f"the output holds frames 0-{self.frames_read - 1} only"
        )

    def failure(self) -> str:
        """The message for a video of which no frame decoded."""
        listed = (
            ""
            if self.listed_frames is None
            else f", though the container lists {self.listed_frames}"
        )
        cause = self._cause("")
        return f"{self.path}: no frame could be decoded{listed} ({cause})"


def _frames(path: Path, decoding: _Decoding) -> Iterator[tuple[BgrImage, int]]:
    """Frames of a video file with their time from the start of the video, in ns.

    Counts the frames and records a read error in ``decoding``; the caller compares them with
    the container's count once the frames run out.

    Raises:
        InputError: the file cannot be opened as a video.
        UndecodableVideoError: it opens, but no frame decodes.
    """
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError(
            f"{path}: not a readable image or video (an unknown format, or a damaged header)"
        )
    fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    decoding.fps = fps
    try:
        while True:
            try:
                ok, frame = capture.read()
            except cv2.error as exc:
                # OpenCV's message is several lines (file, line, function); the last says what.
                decoding.read_error = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
                break
            if not ok:
                break
            index = decoding.frames_read
            position_ms = capture.get(cv2.CAP_PROP_POS_MSEC)
            if position_ms <= 0.0 and index > 0 and fps > 0.0:
                position_ms = 1000.0 * index / fps
            decoding.frames_read += 1
            yield np.asarray(frame, np.uint8), round(position_ms * 1e6)
    finally:
        capture.release()
    if decoding.frames_read == 0:
        raise UndecodableVideoError(decoding.failure())


def _describe(sample: GazeSample) -> str:
    head = f"frame {sample.frame_index:5d}"
    if not sample.face_found:
        return f"{head}  no face found"
    parts = [head, f"{sample.tracking.value:8s}"]
    if sample.head_pose is not None:
        pose = sample.head_pose
        parts.append(f"head yaw {pose.yaw_deg:+6.1f} pitch {pose.pitch_deg:+6.1f} deg")
    if sample.gaze is not None:
        parts.append(
            f"gaze yaw {sample.gaze.yaw_deg:+6.1f} pitch {sample.gaze.pitch_deg:+6.1f} deg"
        )
    else:
        parts.append("gaze unknown (eyes closed)")
    if sample.blinking:
        parts.append("blinking")
    if sample.quality.flags:
        parts.append("advice: " + ", ".join(flag.value for flag in sample.quality.flags))
    return "  ".join(parts)


def _process(args: argparse.Namespace) -> int:
    path: Path = args.path
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give an image or a video file")
    if not args.verbose:
        os.environ.setdefault(FFMPEG_LOG_LEVEL_VARIABLE, FFMPEG_QUIET)  # read at the first open
    intrinsics = None
    if args.focal_px is not None:
        intrinsics = _intrinsics_from(args.focal_px, path)
    shared = PipelineModels()

    def emit(sample: GazeSample) -> None:
        line = json.dumps(sample.to_dict()) if args.json else _describe(sample)
        print(line, flush=True)

    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f"{path}: not a readable image")
        emit(
            estimate(
                np.asarray(image, np.uint8),
                intrinsics=intrinsics,
                models=shared,
                timestamp_unix_ns=args.start_unix_ns,
            )
        )
        return 0
    tracker = GazeTracker(intrinsics=intrinsics, models=shared)
    decoding = _Decoding(path, _listed_frame_count(path))
    # Per-frame lines on the terminal are their own progress; a bar is for output sent elsewhere.
    show = is_terminal(sys.stderr) and not is_terminal(sys.stdout)
    total = decoding.listed_frames or _frame_count(path)
    with Progress(f"process {path.name}", total, "frames", enabled=show) as progress:
        for frame, offset_ns in _frames(path, decoding):
            emit(tracker.process(frame, args.start_unix_ns + offset_ns))
            progress.advance()
    # After the progress line is closed, so that the warning stands on a line of its own.
    warning = decoding.warning()
    if warning is not None:
        print(f"gazertc: warning: {warning}", file=sys.stderr, flush=True)
    return 0


def _listed_frame_count(path: Path) -> int | None:
    """The frame count the container stores, ``None`` where it stores none (Matroska, WebM) or
    cannot be read.

    From PyAV rather than OpenCV: ``CAP_PROP_FRAME_COUNT`` falls back to duration times frame
    rate, an estimate that would call a healthy variable-rate video cut short.
    """
    import av  # noqa: PLC0415  (a tenth of a second to import; only videos need it)

    try:
        with av.open(str(path)) as container:
            streams = container.streams.video
            count = int(streams[0].frames) if streams else 0
    except (av.FFmpegError, OSError, ValueError):
        return None
    return count if count > 0 else None


def _frame_count(path: Path) -> int | None:
    """The container's frame count (an estimate for some formats), ``None`` when unknown."""
    capture = cv2.VideoCapture(str(path))
    try:
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    finally:
        capture.release()
    return count if count > 0 else None


def _intrinsics_from(focal_px: float, path: Path) -> CameraIntrinsics:
    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise InputError(f"{path}: not a readable image")
        height, width = image.shape[:2]
    else:
        capture = cv2.VideoCapture(str(path))
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        capture.release()
        if width <= 0 or height <= 0:
            raise InputError(f"{path}: not a readable video")
    return CameraIntrinsics(focal_px, focal_px, width / 2.0, height / 2.0)


def _models(args: argparse.Namespace) -> int:
    return models.main([args.action])


def _needs_extra(error: extras.MissingExtraError) -> Callable[[argparse.Namespace], int]:
    def handler(_: argparse.Namespace) -> int:
        raise error

    return handler


def _add_evaluate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_text = "score the pipeline on MPIIFaceGaze, Columbia Gaze or GazeCapture (your own copy)"
    try:
        from gazertc.evaluation import cli as evaluation_cli  # noqa: PLC0415  (needs an extra)
    except ModuleNotFoundError as exc:
        error = extras.missing_extra_error(exc)
        if error is None:
            raise
        # Takes any arguments (no option prefix), so that the message, not a usage error, shows.
        stub = commands.add_parser("evaluate", help=help_text, prefix_chars="\0", add_help=False)
        stub.add_argument("arguments", nargs="*")
        stub.set_defaults(handler=_needs_extra(error))
        return
    evaluate = commands.add_parser("evaluate", help=help_text)
    evaluation_cli.add_arguments(evaluate)
    evaluate.set_defaults(handler=evaluation_cli.run)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gazertc", description="Webcam gaze estimation: offline processing and the server."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--version", action="version", version=f"gazertc {gazertc.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    process = commands.add_parser(
        "process",
        help="print gaze samples for an image or a video file",
        description="Run the pipeline on an image (one sample) or a video (one sample per frame).",
        epilog="Exit status: 0 when the samples were printed, also for a video that breaks off "
        "early (truncated or damaged: a warning on stderr names the frame where decoding "
        "stopped); 1 when a video opens but not one frame decodes; 2 for an unusable argument "
        "or file (missing, a folder, not an image or video). `gazertc -v process ...` also "
        "shows FFmpeg's own messages about a damaged video.",
    )
    process.add_argument("path", type=Path, help="image or video file")
    process.add_argument("--json", action="store_true", help="one JSON object per line")
    process.add_argument(
        "--start-unix-ns",
        type=int,
        default=0,
        help="wall-clock time of the first frame; sample timestamps add the video time to it",
    )
    process.add_argument(
        "--focal-px", type=float, default=None, help="camera focal length in pixels, if known"
    )
    process.set_defaults(handler=_process)

    model_files = commands.add_parser("models", help="prepare or verify the model files")
    model_files.add_argument("action", choices=["fetch", "check"])
    model_files.set_defaults(handler=_models)

    serve = commands.add_parser("serve", help="run the WebRTC gaze server")
    server_cli.add_arguments(serve)
    serve.set_defaults(handler=server_cli.run)

    cluster = commands.add_parser(
        "cluster",
        help="run a local cluster on loopback: PostgreSQL, coturn, gazertc nodes, HAProxy",
    )
    cluster_command.add_arguments(cluster)
    cluster.set_defaults(handler=cluster_command.run)

    export = commands.add_parser("export", help="write a stored recording as CSV or BIDS files")
    recording_cli.add_arguments(export)
    export.set_defaults(handler=recording_cli.run)

    recordings = commands.add_parser(
        "recordings", help="list the recordings of a data directory (ids, names, times, counts)"
    )
    recording_cli.add_recordings_arguments(recordings)
    recordings.set_defaults(handler=recording_cli.run_recordings)

    report = commands.add_parser(
        "report", help="write a stored recording's summary, plots and events as one HTML file"
    )
    report_cli.add_report_arguments(report)
    report.set_defaults(handler=report_cli.run_report)

    _add_evaluate(commands)

    check = commands.add_parser(
        "doctor",
        help="check the installation and this machine, and say how to fix what is wrong",
    )
    doctor.add_arguments(check)
    check.set_defaults(handler=doctor.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gazertc`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args))
    except GazertcError as exc:
        print(f"gazertc: error: {exc}", file=sys.stderr)
        if isinstance(exc, UndecodableVideoError):
            return EXIT_NOTHING_DECODED
        return EXIT_UNUSABLE_INPUT
    except ModuleNotFoundError as exc:
        missing = extras.missing_extra_error(exc)  # an extra's module imported on first use
        if missing is None:
            raise
        print(f"gazertc: error: {missing}", file=sys.stderr)
        return EXIT_UNUSABLE_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
