"""Giving memory back to the OS after sessions close (Python's collector and glibc's allocator
keep it otherwise).

A closed session's objects sit in reference cycles (aiortc's peer connection, its transports
and the callbacks between them), which only Python's full collection frees, with the codec
contexts and buffers they hold; that collection comes rarely on its own. After bursts of four
sessions the main process kept 3 MB more a burst with annotated video (1.5 MB with samples only)
until one came, after seven or eight bursts: a sawtooth up to +21 MB over 15 bursts. So the
trimmer first collects (``gc.collect()``), then trims: 74.0-74.2 MB after each of ten bursts of
four sessions with annotated video, against 73.8 MB warmed up. The collection holds the event
loop once for a burst of closes: 8-15 ms in a test server whose client peers live in the same
process, about 4.5 ms in a server with 8 sessions live (what start-up loaded is frozen out of
the collector's sight: :mod:`gazertc.server.app`).

A session allocates and frees many buffers on several threads (aiortc's decoder thread, the
executor); glibc keeps what is freed in its arenas for reuse instead of returning it, so the main
process grew by ~15 MB per 100 sessions that came and went, and kept growing (the issue measured 157
to 370 MB over 500). Python's own allocations were not most of it: the traced Python heap stayed
within 0.2 MB over 80 cycles (``tracemalloc``), while glibc's arenas held 55 MB free and
``malloc_trim(0)`` gave 42 MB of them back at once. With the trim, ``bench/soak.py`` measures 169.8
MB warmed up and 184.9 MB after 500 cycles (+8.8%), flat from the 200th cycle on.
``MALLOC_ARENA_MAX=2`` on top made no difference worth having (177.0 against 179.2 MB after 100
cycles), so it is not set.

Measured before the collection was added, and read then as fragmentation, not a leak (seven bursts
of 2-6 sessions, json and annotated video, clients in another process): the C heap in use
(``mallinfo2``) stays at 18.7-18.9 MB and Python's allocated blocks and objects stay flat, while the
arenas' span grows (84 to 157 MB, mostly free and trimmed) as frame-sized buffers (~180 KB at
400x300) land between live ones; the pages those live chunks pin add 2-12 MB of anonymous memory
over the seven bursts, against +60 MB untrimmed. A fixed ``M_MMAP_THRESHOLD`` of 128 KB (frame
buffers mapped and unmapped) kept that to +2.1 MB but cost 0.4-0.5 ms more CPU per frame decoded and
copied, so it is not set either. ``MALLOC_ARENA_MAX=2`` kept it to +2.4 and +3.0 MB (default: +5.6
to +12.4 MB over four runs) at no CPU cost measurable on a busy machine (decode and copy in six
threads: 0.97-1.04 against 0.90-1.01 ms a frame), but in ``bench server`` on a quiet machine (peak 6
sessions) it left +16.8 MB against +14.3 MB without, so it is not set. A trim takes 1.5-20 ms on its
thread.

:class:`MemoryTrimmer` collects, then calls ``malloc_trim(0)`` on a thread, shortly after sessions
close (once for a burst of closes). On a C library without ``malloc_trim`` (musl, macOS) it only
collects.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable
from typing import Final

__all__ = ["TRIM_DELAY_S", "MemoryTrimmer"]

logger = logging.getLogger(__name__)

TRIM_DELAY_S: Final = 1.0
"""Wait after the last session closed before trimming: a burst of closes (a class ending, a
server draining) costs one trim, and a closing session's last buffers are freed by then."""


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    function: Callable[[int], int] = trim
    return function


class MemoryTrimmer:
    """Collects Python's garbage, then trims the C heap on a thread, ``TRIM_DELAY_S`` after the
    last of a burst of session closes (see the module docstring). Use from the event loop.

    Attributes:
        collections: full collections done so far.
        last_collect_ms: how long the last one held the event loop.
        trims: trims done so far.
        last_trim_ms: how long the last trim took (on its thread).
    """

    def __init__(self, delay_s: float = TRIM_DELAY_S) -> None:
        self._trim = _malloc_trim()
        self._delay_s = delay_s
        self._pending: asyncio.TimerHandle | None = None
        self._running: asyncio.Task[None] | None = None
        self.collections = 0
        self.last_collect_ms: float | None = None
        self.trims = 0
        self.last_trim_ms: float | None = None

    @property
    def available(self) -> bool:
        """Whether this C library can trim (glibc)."""
        return self._trim is not None

    def session_closed(self) -> None:
        """Note a closed session: a collection and a trim follow once no other closes for
        ``delay_s``."""
        if self._pending is not None:
            self._pending.cancel()
        loop = asyncio.get_running_loop()
        self._pending = loop.call_later(self._delay_s, self._start)

    def _start(self) -> None:
        self._pending = None
        if self._running is not None and not self._running.done():
            self.session_closed()  # one at a time: try again a little later
            return
        self._running = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        started = time.perf_counter()
        gc.collect()  # on the loop: a collection holds the GIL whichever thread runs it
        self.collections += 1
        self.last_collect_ms = (time.perf_counter() - started) * 1000.0
        trim = self._trim
        if trim is None:
            return
        started = time.perf_counter()
        await asyncio.to_thread(trim, 0)
        self.trims += 1
        self.last_trim_ms = (time.perf_counter() - started) * 1000.0
        logger.debug(
            "collection took %.1f ms, malloc_trim %.1f ms", self.last_collect_ms, self.last_trim_ms
        )

    async def close(self) -> None:
        """Cancel a pending trim and wait for a running one. Idempotent."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        running, self._running = self._running, None
        if running is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await running
