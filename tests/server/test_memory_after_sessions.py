"""The process gives its memory back after sessions close (real ``malloc_trim``, real sessions).

Measured as the process's anonymous memory (``/proc/self/smaps_rollup``), not PSS: PSS also
holds a share of library pages that moves with whatever other processes map the same libraries.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import sys
from pathlib import Path
from typing import Final

import pytest

from gazertc.server.app import TRIMMER_KEY
from gazertc.server.memory import MemoryTrimmer
from tests.server.conftest import E2E_MAX_SESSIONS
from tests.server.peer import RunningServer

pytestmark = pytest.mark.timeout(120)

MB: Final = 1024 * 1024
FRAGMENT_BLOCK_BYTES: Final = 1024
"""Above Python's small-object limit (512 B): these come from the C heap, as codec buffers do."""
FRAGMENT_BLOCKS: Final = 40_000
KEEP_EVERY: Final = 50
"""One block kept in 50 pins the heap: the C library cannot shrink it, only trim can release
the free pages between the kept blocks."""
BURSTS: Final = 3
STREAM_S: Final = 2.0
CLIENTS_CONNECT_TIMEOUT_S: Final = 60.0
AFTER_CLOSE_BOUND_MB: Final = 10.0
"""Allowed growth of this process over three bursts after a first (warm-up) one: measured +6.6
MB with the trim (twice), +20.7 MB with the trim made a no-op."""
REPO_ROOT: Final = Path(__file__).resolve().parents[2]


def _anonymous_mb() -> float:
    for line in Path(f"/proc/{os.getpid()}/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) / 1024.0
    raise AssertionError("no Anonymous line in smaps_rollup")


async def _trimmed(trimmer: MemoryTrimmer, trims_before: int, timeout_s: float = 10.0) -> None:
    """Wait for the trimmer's next trim."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while trimmer.trims == trims_before:
        assert asyncio.get_running_loop().time() < deadline, "no trim after sessions closed"
        await asyncio.sleep(0.05)


async def test_a_trim_after_a_close_gives_back_a_fragmented_heap() -> None:
    trimmer = MemoryTrimmer(delay_s=0.1)
    assert trimmer.available, "glibc's malloc_trim is expected on this platform"
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(FRAGMENT_BLOCK_BYTES) for _ in range(FRAGMENT_BLOCKS)]
    for block in blocks:
        ctypes.memset(block, 1, FRAGMENT_BLOCK_BYTES)  # resident, not just reserved
    kept = blocks[::KEEP_EVERY]
    for index, block in enumerate(blocks):
        if index % KEEP_EVERY:
            libc.free(block)
    freed_mb = (FRAGMENT_BLOCKS - len(kept)) * FRAGMENT_BLOCK_BYTES / MB
    try:
        before_mb = _anonymous_mb()
        trimmer.session_closed()
        await _trimmed(trimmer, 0)
        released_mb = before_mb - _anonymous_mb()
    finally:
        for block in kept:
            libc.free(block)
        await trimmer.close()
    assert released_mb > 0.5 * freed_mb, f"trim released {released_mb:.1f} of {freed_mb:.1f} MB"


async def _burst(server: RunningServer, video: Path) -> None:
    """``E2E_MAX_SESSIONS`` sessions with annotated video for a while, then closed. The client
    peers run in a process of their own, so that only the server's memory is measured here."""
    clients = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.server_clients", server.base_url, "both",
        str(E2E_MAX_SESSIONS), str(video),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=REPO_ROOT,
    )  # fmt: skip
    assert clients.stdin is not None and clients.stdout is not None
    try:
        connected = await asyncio.wait_for(clients.stdout.readline(), CLIENTS_CONNECT_TIMEOUT_S)
        assert connected.strip() == b"connected"
        clients.stdin.write(b"measure\n")
        await asyncio.sleep(STREAM_S)
        clients.stdin.write(b"stop\n")
        await asyncio.wait_for(clients.stdout.readline(), CLIENTS_CONNECT_TIMEOUT_S)
    finally:
        clients.stdin.close()  # the clients close their peers at end of input
        await clients.wait()
    await server.wait_for_sessions(0, timeout_s=15.0)


@pytest.mark.asyncio(loop_scope="module")
async def test_memory_returns_near_warmed_after_sessions_close(
    server: RunningServer, cap12_path: Path
) -> None:
    trimmer = server.app[TRIMMER_KEY]
    await server.wait_for_sessions(0, timeout_s=15.0)  # earlier tests' sessions

    trims = trimmer.trims
    await _burst(server, cap12_path)  # warm-up: first-use allocations of every layer
    await _trimmed(trimmer, trims)
    warmed_mb = _anonymous_mb()
    for _ in range(BURSTS):
        trims = trimmer.trims
        await _burst(server, cap12_path)
        await _trimmed(trimmer, trims)
    after_mb = _anonymous_mb()
    assert after_mb - warmed_mb < AFTER_CLOSE_BOUND_MB, (
        f"anonymous memory {warmed_mb:.1f} MB warmed, {after_mb:.1f} MB after {BURSTS} bursts"
    )
