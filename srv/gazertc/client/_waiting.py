"""What the async client's callers wait on: the newest item of a stream, every item of a stream
in order, and requests answered in the order they were sent. Everything here runs on the
client's event loop."""

from __future__ import annotations

import asyncio
import collections
from typing import Final, Generic, TypeVar

__all__ = ["DEFAULT_SAMPLE_BACKLOG", "Newest", "Stream", "fail_first", "resolve_first"]

T = TypeVar("T")

DEFAULT_SAMPLE_BACKLOG: Final = 1800
"""Samples kept for a reader of every sample: one minute at 30 fps, about 13 MB (a typed sample
takes about 7.3 KB, measured with tracemalloc)."""


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


class Stream(Generic[T]):
    """Every item of a stream from the moment this object was made, in order: ``async for``
    over it, or ``await`` :meth:`next`.

    Up to ``capacity`` items wait for the reader; when one more arrives, the oldest waiting
    item is dropped and counted in :attr:`dropped`, so a reader that falls behind gets the
    newest ``capacity`` items and can tell how many it lost. Iteration ends when the stream is
    closed (:meth:`close`, or the client closing); items still waiting then are discarded.

    Raises:
        ValueError: ``capacity`` is below 1.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a stream keeps at least 1 item, not {capacity}")
        self.capacity = capacity
        self.dropped = 0
        self._items: collections.deque[T] = collections.deque()
        self._changed = asyncio.Event()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def waiting(self) -> int:
        """Items received and not yet read."""
        return len(self._items)

    def put(self, item: T) -> None:
        if self._closed:
            return
        if len(self._items) >= self.capacity:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)
        self._changed.set()

    def close(self) -> None:
        """End the stream: waiting items are discarded and every reader wakes (idempotent)."""
        self._closed = True
        self._items.clear()
        self._changed.set()

    async def next(self, timeout_seconds: float | None = None) -> T | None:
        """The oldest item not yet read, waiting up to ``timeout_seconds`` (``None``: forever)
        for one; ``None`` on timeout or once the stream is closed."""
        try:
            async with asyncio.timeout(timeout_seconds):
                while not self._items and not self._closed:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return None
        return None if self._closed else self._items.popleft()

    def __aiter__(self) -> Stream[T]:
        return self

    async def __anext__(self) -> T:
        item = await self.next()
        if item is None:
            raise StopAsyncIteration
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
