"""Keep native libraries' chatter off stderr without losing their real messages.

LiteRT's C++ runtime prints ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` straight
to file descriptor 2 the first time an interpreter allocates its tensors. Python's logging and
``warnings`` cannot reach it, and on a ``gazertc process`` run it is the one stray line among the
output. :func:`filtered_stderr` points descriptor 2 at a temporary file around such a call, then
writes back every captured line except the known noise, so an actual error still shows.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

__all__ = ["LITERT_NOISE", "filtered_stderr"]

LITERT_NOISE = re.compile(r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.\s*$")
"""The line LiteRT prints once per process when it applies its default CPU delegate."""

_STDERR_FD = 2
_lock = threading.Lock()  # two threads swapping descriptor 2 at once would restore the wrong one


@contextlib.contextmanager
def filtered_stderr(noise: re.Pattern[str] = LITERT_NOISE) -> Iterator[None]:
    """Capture descriptor 2 during the block; afterwards re-emit the lines ``noise`` does not match.

    Anything another thread writes to stderr meanwhile is delayed until the block ends, not lost.
    Where descriptor 2 cannot be duplicated (closed), the block runs unfiltered.
    """
    with _lock:
        try:
            saved = os.dup(_STDERR_FD)
        except OSError:
            yield
            return
        with tempfile.TemporaryFile() as capture:
            _flush_stderr()
            os.dup2(capture.fileno(), _STDERR_FD)
            try:
                yield
            finally:
                _flush_stderr()
                os.dup2(saved, _STDERR_FD)
                os.close(saved)
                capture.seek(0)
                text = capture.read().decode("utf-8", errors="replace")
                kept = [line for line in text.splitlines(True) if not noise.match(line)]
                if kept:
                    os.write(_STDERR_FD, "".join(kept).encode("utf-8", errors="replace"))


def _flush_stderr() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
