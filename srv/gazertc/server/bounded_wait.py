"""Awaiting a step for a bounded time without leaving its outcome for asyncio to complain about.

``asyncio.wait_for`` cancels its awaitable when the caller is cancelled, but does not read the
outcome: a cancelled ``gather`` then keeps an unread CancelledError, which asyncio logs with a
traceback when the future is collected. The server's shutdown cancels session closes that take
too long, and a close waiting for its tasks' ``gather`` did exactly this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

__all__ = ["finish_within"]


async def finish_within(step: Awaitable[Any], timeout_s: float) -> bool:
    """Await ``step`` for at most ``timeout_s``; ``False`` when it timed out (it is cancelled).

    Its outcome is read whatever happens, also when the caller is cancelled meanwhile. An
    exception raised by ``step`` propagates.
    """
    future = asyncio.ensure_future(step)
    future.add_done_callback(_read_outcome)
    try:
        await asyncio.wait_for(future, timeout_s)
    except TimeoutError:
        return False
    return True


def _read_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
