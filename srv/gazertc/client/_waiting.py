"""What the async client's callers wait on: the newest item of a stream, and requests answered
in the order they were sent. Everything here runs on the client's event loop."""

from __future__ import annotations

import asyncio
import collections
from typing import Generic, TypeVar

__all__ = ["Newest", "fail_first", "resolve_first"]

T = TypeVar("T")


class Newest(Generic[T]):
    """The newest item of a stream, handed to one reader once."""

    def __init__(self) -> None:
        self._item: T | None = None
        self._changed = asyncio.Event()
        self._closed = False

    def put(self, item: T) -> None:
        if not self._closed:
            self._item = item
            self._changed.set()

    def close(self) -> None:
        """Wake every reader; from now on :meth:`take` returns ``None`` at once."""
        self._closed = True
        self._item = None
        self._changed.set()

    async def take(self, timeout_seconds: float | None) -> T | None:
        try:
            async with asyncio.timeout(timeout_seconds):
                while self._item is None and not self._closed:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return None
        item, self._item = self._item, None
        return item


def resolve_first(pending: collections.deque[asyncio.Future[T]], answer: T) -> None:
    """Answer the oldest request still waiting, if any."""
    while pending:
        future = pending.popleft()
        if not future.done():
            future.set_result(answer)
            return


def fail_first(pending: collections.deque[asyncio.Future[T]], failure: BaseException) -> bool:
    """Fail the oldest request still waiting; whether there was one."""
    while pending:
        future = pending.popleft()
        if not future.done():
            future.set_exception(failure)
            return True
    return False
