"""A client that streams until it is killed: run as a subprocess, then SIGKILLed by a test.

Usage: python -m tests.server.vanishing_client <server URL> <video path>
Prints "streaming" once the first sample arrived, then waits forever.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.server.peer import GazeClient, video_track


async def _stream(base_url: str, video: Path) -> None:
    client = GazeClient(base_url, video_track(video))
    await client.connect()
    await client.wait_for(lambda: bool(client.of_type("sample")), what="the first sample")
    print("streaming", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_stream(sys.argv[1], Path(sys.argv[2])))
