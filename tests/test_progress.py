"""The progress reporter: ETA from the rate after start-up, silent off a terminal, and the
commands that use it (``process`` through a real pseudo-terminal, ``export``'s row counting)."""

from __future__ import annotations

import io
import json
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazertc.progress import Progress, counting, format_duration, is_terminal
from gazertc.recording.backend import Connection, Dialect
from gazertc.recording.cli import count_sample_rows


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _frames(text: str) -> list[str]:
    """What a terminal would show after each redraw (``\\r`` starts one, ``ESC[K`` ends it)."""
    return [part.removesuffix("\x1b[K") for part in text.split("\r") if part]


def test_eta_counts_from_the_first_item_so_start_up_does_not_inflate_it() -> None:
    clock, stream = FakeClock(), Terminal()
    progress = Progress("process a.mp4", 11, "frames", stream=stream, clock=clock, interval_s=0)
    clock.now += 30.0  # loading the models: the first frame takes 30 s
    progress.advance()
    assert progress.eta_s() is None  # one item says nothing about the rate
    for _ in range(5):
        clock.now += 1.0
        progress.advance()
    assert progress.rate() == pytest.approx(1.0)
    assert progress.eta_s() == pytest.approx(5.0)
    assert _frames(stream.getvalue())[-1] == (
        "process a.mp4: 6/11 frames  54%  1.0 frames/s  ETA 0:05"
    )


def test_nothing_is_written_off_a_terminal() -> None:
    stream = io.StringIO()  # a pipe or a file: isatty() is False
    with Progress("export x", 3, "samples", stream=stream) as progress:
        for _ in range(3):
            progress.advance()
    assert stream.getvalue() == ""


def test_redraws_are_rate_limited_and_the_summary_ends_the_line() -> None:
    clock, stream = FakeClock(), Terminal()
    with Progress("job", 1000, "items", stream=stream, clock=clock, interval_s=0.25) as progress:
        for _ in range(1000):
            clock.now += 0.001  # 1000 items in 1 s: at most 5 redraws
            progress.advance()
    frames = _frames(stream.getvalue())
    assert 2 <= len(frames) <= 6
    assert frames[-1] == "job: 1000 items in 0:01 (1000.0 items/s)\x1b[K\n"
    assert stream.getvalue().count("\n") == 1


def test_unknown_total_shows_count_and_rate_only() -> None:
    clock, stream = FakeClock(), Terminal()
    progress = Progress("job", None, "frames", stream=stream, clock=clock, interval_s=0)
    progress.advance()
    clock.now += 2.0
    progress.advance(4)
    assert _frames(stream.getvalue())[-1] == "job: 5 frames  2.0 frames/s"


def test_close_is_written_once_even_after_an_error() -> None:
    stream = Terminal()
    with pytest.raises(KeyboardInterrupt), Progress("job", 2, "items", stream=stream) as progress:
        progress.advance()
        raise KeyboardInterrupt
    progress.close()
    assert stream.getvalue().count("\n") == 1
    assert stream.getvalue().endswith("\n")


def test_counting_advances_per_returned_call_only() -> None:
    progress = Progress("job", 3, "calls", enabled=False)
    double = counting(lambda x: 2 * x, progress)
    assert [double(1), double(2)] == [2, 4]
    assert progress.done == 2

    def fail() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        counting(fail, progress)()
    assert progress.done == 2


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (59.6, "1:00"), (61, "1:01"), (3661, "1:01:01")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_dumb_terminal_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert not is_terminal(Terminal())
    monkeypatch.setenv("TERM", "xterm-256color")
    assert is_terminal(Terminal())


def test_export_counts_sample_rows_only() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE samples (recording_id TEXT, sample_json TEXT)")
    connection.execute("CREATE TABLE events (recording_id TEXT, name TEXT)")
    connection.executemany("INSERT INTO samples VALUES ('r', ?)", [("{}",)] * 7)
    connection.executemany("INSERT INTO events VALUES ('r', ?)", [("e",)] * 3)
    progress = Progress("export r", 7, "samples", enabled=False)
    wrapped = Connection(connection, Dialect.SQLITE)
    count_sample_rows(wrapped, progress)
    rows = wrapped.execute("SELECT sample_json FROM samples WHERE recording_id = 'r'").fetchall()
    assert rows == [("{}",)] * 7  # rows pass through unchanged
    wrapped.execute("SELECT name FROM events").fetchall()
    assert progress.done == 7
    wrapped.close()


def _blank_clip(path: Path, frames: int) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (160, 120))
    for index in range(frames):
        writer.write(np.full((120, 160, 3), 8 * index, np.uint8))
    writer.release()


def test_process_shows_progress_on_a_terminal_and_keeps_stdout_clean(tmp_path: Path) -> None:
    clip = tmp_path / "clip.avi"
    _blank_clip(clip, 12)
    controller, terminal = pty.openpty()
    environment = {**os.environ, "TERM": "xterm"}
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gazertc", "process", str(clip), "--json"],
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=environment,
            timeout=120,
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
    assert result.returncode == 0
    samples = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [sample["frame_index"] for sample in samples] == list(range(12))
    text = shown.decode()
    assert "process clip.avi: 12 frames in" in text
    assert "/12 frames" in text
    assert "ETA" in text
