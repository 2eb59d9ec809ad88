"""Once after a burst of session closes, Python's garbage is collected and the C heap trimmed
(real ``malloc_trim``)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from gazertc.server.memory import MemoryTrimmer

pytestmark = pytest.mark.timeout(30)


async def test_a_burst_of_closes_costs_one_trim_after_the_last() -> None:
    trimmer = MemoryTrimmer(delay_s=0.2)
    assert trimmer.available  # glibc here
    for _ in range(3):
        trimmer.session_closed()
        await asyncio.sleep(0.05)
    assert trimmer.trims == 0
    await asyncio.sleep(0.5)
    assert trimmer.trims == 1
    assert trimmer.last_trim_ms is not None
    assert trimmer.last_trim_ms < 200.0
    await trimmer.close()


async def test_close_cancels_a_pending_trim() -> None:
    trimmer = MemoryTrimmer(delay_s=0.1)
    trimmer.session_closed()
    await trimmer.close()
    await asyncio.sleep(0.3)
    assert trimmer.trims == 0
    await trimmer.close()  # idempotent


class _Cycle:
    """Like a closed session's peer connection and its transports: freed only by a collection."""

    def __init__(self) -> None:
        self.itself = self


async def test_a_burst_of_closes_collects_what_sessions_left_in_cycles() -> None:
    trimmer = MemoryTrimmer(delay_s=0.1)
    gc.disable()  # no automatic collection may free it first
    try:
        garbage = _Cycle()
        left = weakref.ref(garbage)
        del garbage
        assert left() is not None  # reference counting alone cannot free a cycle
        trimmer.session_closed()
        await asyncio.sleep(0.4)
        assert left() is None
        assert trimmer.collections == 1
        assert trimmer.last_collect_ms is not None
    finally:
        gc.enable()
        await trimmer.close()
