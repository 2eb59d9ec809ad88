"""One shared-memory slot per session: how a frame crosses from the event loop to its worker and,
annotated, back (the event-loop side; the worker side is in :mod:`gazertc.server.worker`).

A slot is sized for a BGR frame. The event loop copies a decoded yuv420p frame's planes in as
they are (1.5 bytes per pixel, ~0.1 ms for 640x480); other formats and odd sizes are converted
to BGR first, on a thread. The worker may write the annotated frame back into the same slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory
from typing import Final

import av
import numpy as np

from gazertc.server.worker import FrameLayout

__all__ = ["BYTES_PER_BGR_PIXEL", "FrameSlot", "FrameSlots", "read_frame", "write_frame"]

BYTES_PER_BGR_PIXEL: Final = 3


@dataclass
class FrameSlot:
    memory: SharedMemory
    capacity_bytes: int


class FrameSlots:
    """The slots of the open sessions, by session id."""

    def __init__(self) -> None:
        self._slots: dict[str, FrameSlot] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def slot_for(self, session_id: str, width: int, height: int) -> FrameSlot:
        """The session's slot, (re)allocated when it cannot hold a ``width`` x ``height``
        BGR frame."""
        size_bytes = width * height * BYTES_PER_BGR_PIXEL
        slot = self._slots.get(session_id)
        if slot is not None and slot.capacity_bytes >= size_bytes:
            return slot
        if slot is not None:
            _release(slot.memory)
        slot = FrameSlot(SharedMemory(create=True, size=size_bytes), size_bytes)
        self._slots[session_id] = slot
        return slot

    def release(self, session_id: str) -> None:
        """Free the session's slot, if any (idempotent)."""
        slot = self._slots.pop(session_id, None)
        if slot is not None:
            _release(slot.memory)

    def release_all(self) -> None:
        for slot in self._slots.values():
            _release(slot.memory)
        self._slots.clear()


async def write_frame(frame: av.VideoFrame, slot: FrameSlot) -> FrameLayout:
    """Copy a frame into a slot; returns how it lies there."""
    width, height = frame.width, frame.height
    if frame.format.name == "yuv420p" and width % 2 == 0 and height % 2 == 0:
        planes = frame.to_ndarray()
        np.copyto(
            np.ndarray((height * 3 // 2, width), dtype=np.uint8, buffer=slot.memory.buf), planes
        )
        return FrameLayout.I420
    # Rare (odd sizes, other pixel formats): convert on a thread, not on the event loop.
    convert = functools.partial(frame.to_ndarray, format="bgr24")
    image_bgr = await asyncio.get_running_loop().run_in_executor(None, convert)
    np.copyto(np.ndarray((height, width, 3), dtype=np.uint8, buffer=slot.memory.buf), image_bgr)
    return FrameLayout.BGR


def read_frame(memory: SharedMemory, layout: FrameLayout, width: int, height: int) -> av.VideoFrame:
    """A copy of the frame in a slot, as a video frame."""
    if layout is FrameLayout.I420:
        planes = np.ndarray((height * 3 // 2, width), dtype=np.uint8, buffer=memory.buf)
        return av.VideoFrame.from_ndarray(planes, format="yuv420p")
    image_bgr = np.ndarray((height, width, 3), dtype=np.uint8, buffer=memory.buf)
    return av.VideoFrame.from_ndarray(image_bgr, format="bgr24")


def _release(memory: SharedMemory) -> None:
    memory.close()
    with contextlib.suppress(FileNotFoundError):
        memory.unlink()
