"""Progress of long-running commands: one line with an ETA on a terminal, nothing elsewhere.

``process`` on a video, ``evaluate`` and ``export`` can run for minutes; a person at a terminal
wants to know how long, while a script reading their output wants nothing but the output. So the
report goes to stderr, only when stderr is a terminal, redrawn in place at most a few times a
second; stdout (the samples, ``--json`` lines, tables, file names) is never touched.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, TextIO, TypeVar

__all__ = ["Progress", "counting", "format_duration", "is_terminal"]

P = ParamSpec("P")
R = TypeVar("R")

REDRAW_INTERVAL_S = 0.25
"""Redraws are rate-limited: a line per frame would cost more than the frames on fast input."""

_CLEAR_TO_END = "\x1b[K"


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal that can redraw a line."""
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except ValueError:  # a closed stream
        return False


def format_duration(seconds: float) -> str:
    """``M:SS`` under an hour, ``H:MM:SS`` above (rounded to whole seconds)."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts finished items and shows ``label: done/total unit  pct  rate  ETA`` on a terminal.

    Use as a context manager: leaving it writes the final line (count, time, rate) and a newline,
    also after an error or Ctrl-C, so the shell prompt never lands on the progress line.

    Args:
        label: what is running, e.g. ``process cap12.mp4``.
        total: items expected, or ``None`` (or 0) when unknown: then no percentage and no ETA.
        unit: the items' name, plural (``frames``).
        stream: where to draw; stderr by default.
        enabled: draw or not; by default only when ``stream`` is a terminal.
        clock: seconds, monotonic (tests pass a fake one).
        interval_s: least time between two redraws.
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        unit: str,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval_s: float = REDRAW_INTERVAL_S,
    ) -> None:
        self.label = label
        self.total = total if total else None
        self.unit = unit
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = is_terminal(self._stream) if enabled is None else enabled
        self._clock = clock
        self._interval_s = interval_s
        self._started = clock()
        self._first_done: float | None = None
        self._last_draw: float | None = None
        self._closed = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def elapsed_s(self) -> float:
        return self._clock() - self._started

    def rate(self) -> float | None:
        """Items per second since the first item finished, ``None`` until a second one has.

        The first item carries the start-up (models loading, files opening), so counting from
        its end keeps the early ETAs from being minutes too long.
        """
        if self._first_done is None or self.done < 2:
            return None
        seconds = self._clock() - self._first_done
        return (self.done - 1) / seconds if seconds > 0 else None

    def eta_s(self) -> float | None:
        """Seconds left at :meth:`rate`; ``None`` while unknown or without a total."""
        rate = self.rate()
        if self.total is None or rate is None:
            return None
        return max(0, self.total - self.done) / rate

    def line(self) -> str:
        """The current report, e.g. ``process a.mp4: 120/1337 frames  9%  25.3 frames/s  ETA 0:48``.

        Percentage and ETA only with a known total; rate and ETA once two items are done.
        """
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        parts = [f"{self.label}: {count} {self.unit}"]
        if self.total is not None:
            parts.append(f"{min(100, 100 * self.done // self.total)}%")
        rate = self.rate()
        if rate is not None:
            parts.append(f"{rate:.1f} {self.unit}/s")
        eta = self.eta_s()
        if self.total is not None:
            parts.append("ETA " + ("--" if eta is None else format_duration(eta)))
        return "  ".join(parts)

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more finished items; redraw if the last redraw is old enough."""
        self.done += count
        if self._first_done is None:
            self._first_done = self._clock()
        if not self.enabled:
            return
        now = self._clock()
        if self._last_draw is None or now - self._last_draw >= self._interval_s:
            self._draw(self.line())
            self._last_draw = now

    def close(self) -> None:
        """Replace the line by the summary (``done`` items in how long) and end it."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        elapsed = self.elapsed_s()
        summary = f"{self.label}: {self.done} {self.unit} in {format_duration(elapsed)}"
        if self.done and elapsed > 0:
            summary += f" ({self.done / elapsed:.1f} {self.unit}/s)"
        self._draw(summary, end="\n")

    def _draw(self, text: str, end: str = "") -> None:
        self._stream.write(f"\r{text}{_CLEAR_TO_END}{end}")
        self._stream.flush()


def counting(function: Callable[P, R], progress: Progress) -> Callable[P, R]:
    """``function``, advancing ``progress`` by one after each call that returns.

    For work done inside library code that takes a callable (the evaluation's estimator): the
    count comes from the calls, without a progress parameter in the library.
    """

    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        result = function(*args, **kwargs)
        progress.advance()
        return result

    return counted
