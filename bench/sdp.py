"""What answering an offer costs the server's event loop: a browser's offer, offers at the caps of
``gazertc.server.signalling`` (each built to cost aiortc the most in one way), and an offer like
the one that held the loop for about 245 ms before the caps (now refused before parsing).

For each: the loop thread's CPU time to check the offer and answer it (``check_offer``,
``setRemoteDescription``, ``createAnswer``, ``setLocalDescription``), and the longest the loop
went without running anything else meanwhile (a ticker measures the gaps between its turns).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from aiortc import RTCPeerConnection, RTCSessionDescription
from tests.server.sdp_offers import AT_CAPS_KINDS, chromium_offer, issue_offer, offer_at_caps

from bench.report import median, print_table
from gazertc.protocol import ProtocolError
from gazertc.server.signalling import check_offer

REPEATS = 15


async def _apply(offer: str) -> None:
    pc = RTCPeerConnection()
    with contextlib.suppress(ProtocolError):
        check_offer(offer)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
    await pc.close()


async def _loop_cpu_ms(offer: str) -> float:
    """The loop thread's CPU time for checking and answering ``offer`` (closing excluded)."""
    pc = RTCPeerConnection()
    started_s = time.thread_time()
    with contextlib.suppress(ProtocolError):
        check_offer(offer)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
    cpu_ms = (time.thread_time() - started_s) * 1000.0
    await pc.close()
    return cpu_ms


async def _longest_stall_ms(offer: str) -> float:
    """The longest gap between the turns of a task that yields at every turn, while ``offer``
    is checked and answered (a separate run: the ticker's own turns cost CPU too)."""
    gaps_ms: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last_s = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0)
            now_s = time.perf_counter()
            gaps_ms.append((now_s - last_s) * 1000.0)
            last_s = now_s

    ticking = asyncio.get_running_loop().create_task(ticker())
    await asyncio.sleep(0)
    await _apply(offer)
    stop.set()
    await ticking
    return max(gaps_ms, default=0.0)


async def _measure() -> list[tuple[str, int, int, list[float], list[float]]]:
    offers = [("Chromium 156 (camera + data channel)", chromium_offer())]
    offers += [(f"at the caps: {kind}", offer_at_caps(kind)) for kind in AT_CAPS_KINDS]
    offers.append(("200 m-lines (refused)", issue_offer()))
    await _apply(chromium_offer())  # aiortc's first peer connection pays one-time costs
    rows = []
    for name, offer in offers:
        cpu_ms = [await _loop_cpu_ms(offer) for _ in range(REPEATS)]
        stall_ms = [await _longest_stall_ms(offer) for _ in range(REPEATS)]
        rows.append((name, len(offer), offer.count("\n"), cpu_ms, stall_ms))
    return rows


def run(_: Path) -> None:
    rows = asyncio.run(_measure())
    print_table(
        f"Answering an offer: the event loop's share (fastest and median of {REPEATS}; the "
        "fastest is the figure of a quiet machine)",
        ["offer", "bytes", "lines", "loop CPU (ms)", "longest stall (ms)"],
        [
            [name, size, lines, _fastest_and_median(cpu), _fastest_and_median(stall)]
            for name, size, lines, cpu, stall in rows
        ],
    )


def _fastest_and_median(values_ms: list[float]) -> str:
    return f"{min(values_ms):.1f} / {median(values_ms):.1f}"
