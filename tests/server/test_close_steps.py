"""A session's close steps: bounded in time, and silent when the close itself is cancelled."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from gazertc.server.bounded_wait import finish_within


async def _forever() -> None:
    await asyncio.Event().wait()


async def test_a_step_that_ends_in_time_counts_as_finished() -> None:
    assert await finish_within(asyncio.sleep(0), 1.0)


async def test_a_step_that_takes_too_long_is_cancelled_and_reported() -> None:
    step = asyncio.ensure_future(_forever())
    assert not await finish_within(step, 0.01)
    assert step.cancelled()


async def test_a_cancelled_close_leaves_no_unread_exception_for_asyncio_to_log() -> None:
    """The server's shutdown cancels a session's close that takes too long; when that close was
    waiting for its tasks (a gather), asyncio used to log the gather's unread CancelledError."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        child = asyncio.ensure_future(_forever())
        closing = asyncio.ensure_future(
            finish_within(asyncio.gather(child, return_exceptions=True), 10.0)
        )
        await asyncio.sleep(0.01)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        await asyncio.sleep(0.01)
        del closing, child
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []
