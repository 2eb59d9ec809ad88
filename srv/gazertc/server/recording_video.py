"""The video of one running recording: frames in from the event loop, encoded on a thread.

The session offers every frame its pipeline takes (:meth:`RecordingVideo.offer`, a lock and a
deque append on the event loop); frames closer together than the video's frame rate are
skipped, and when the encoder falls behind, new frames are dropped rather than queued: at most
:data:`MAX_PENDING_FRAMES` wait. A :class:`~gazertc.recording.video.VideoEncoder` on the
recording's own thread writes them.

Nothing the encoder does can end the session or its recording: a failure deletes the video
file, tells the store (the recording's ``video`` becomes false) and the session (which tells
its client), and the recording goes on without video.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Final

import av

from gazertc.recording.store import RecordingStore
from gazertc.recording.video import VIDEO_FRAME_RATE_HZ, VideoEncoder, video_path

__all__ = ["FINISH_TIMEOUT_S", "MAX_PENDING_FRAMES", "RecordingVideo"]

logger = logging.getLogger(__name__)

NS_PER_MS: Final = 1_000_000
MIN_FRAME_INTERVAL_NS: Final = int(1e9 / VIDEO_FRAME_RATE_HZ * 0.9)
"""Frames closer together are skipped; 10 % below the frame interval so that capture jitter
does not skip every other kept frame of a 30 fps camera."""
MAX_PENDING_FRAMES: Final = 8
"""About half a second at 15 fps: an encoder that falls behind loses frames instead of holding
memory (a 1080p frame is 3 MB)."""
FINISH_TIMEOUT_S: Final = 1.0
"""Encoding the few pending frames and closing the file takes about 0.1 s; a stuck encoder (a
dead disk) holds a stop up no longer, so that the gaze data is still saved within a shutdown's
2 s for closing sessions (the video's thread goes on)."""

FailureCallback = Callable[[str], None]


class RecordingVideo:
    """Stores the camera video of one recording, from its start until :meth:`finish`.

    Args:
        store: the recordings' store (told when the video is lost).
        recording_id: the running recording.
        started_unix_ns: when it started: frames captured earlier are not part of it, and
            presentation times count from it.
        on_failure: called on the event loop with a sentence for people when the video was
            lost (the recording goes on without it).
        encoder: writes the file (default: a :class:`VideoEncoder` at :func:`video_path`).
    """

    def __init__(
        self,
        store: RecordingStore,
        recording_id: str,
        started_unix_ns: int,
        on_failure: FailureCallback,
        *,
        encoder: VideoEncoder | None = None,
    ) -> None:
        self.recording_id = recording_id
        self.frames_dropped = 0
        self._store = store
        self._started_unix_ns = started_unix_ns
        self._on_failure = on_failure
        self._loop = asyncio.get_running_loop()
        self._encoder = encoder or VideoEncoder(video_path(store.data_dir, recording_id))
        self._pending: deque[tuple[av.VideoFrame, int]] = deque()
        self._condition = threading.Condition()
        self._keep: bool | None = None
        """Set by :meth:`finish`: ``True`` closes the file, ``False`` deletes it."""
        self._failed = False
        self._last_offered_ns: int | None = None
        self._stored: concurrent.futures.Future[bool] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, name=f"gazertc-video-{recording_id[:8]}", daemon=True
        )
        self._thread.start()

    @property
    def path(self) -> Path:
        return self._encoder.path

    def offer(self, frame: av.VideoFrame, capture_unix_ns: int) -> None:
        """Queue a frame captured at ``capture_unix_ns`` unless it is too early (before the
        start, or within a frame interval of the last one) or the encoder is behind. Never
        blocks, never raises."""
        last_ns = self._last_offered_ns
        if capture_unix_ns < self._started_unix_ns or (
            last_ns is not None and capture_unix_ns - last_ns < MIN_FRAME_INTERVAL_NS
        ):
            return
        pts_ms = (capture_unix_ns - self._started_unix_ns) // NS_PER_MS
        with self._condition:
            if self._keep is not None or self._failed:
                return
            if len(self._pending) >= MAX_PENDING_FRAMES:
                self.frames_dropped += 1
                return
            self._pending.append((frame, pts_ms))
            self._condition.notify()
        self._last_offered_ns = capture_unix_ns

    async def finish(self, *, keep: bool) -> bool:
        """Encode what is pending and close the file (``keep``), or delete it; wait at most
        :data:`FINISH_TIMEOUT_S`. Returns whether the recording has a video file."""
        with self._condition:
            if self._keep is None:
                self._keep = keep
            self._condition.notify()
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self._stored), FINISH_TIMEOUT_S)
        except TimeoutError:
            logger.error(
                "recording %s: the video was not finished within %g s; it goes on in the "
                "background",
                self.recording_id,
                FINISH_TIMEOUT_S,
            )
            return keep and not self._failed

    # -- the recording's video thread -----------------------------------------------------------

    def _run(self) -> None:
        stored = False
        try:
            stored = self._encode_until_finished()
        finally:
            self._stored.set_result(stored)

    def _encode_until_finished(self) -> bool:
        encoder = self._encoder
        while True:
            with self._condition:
                while not self._pending and self._keep is None:
                    self._condition.wait()
                if not self._pending:
                    break
                frame, pts_ms = self._pending.popleft()
            try:
                encoder.add(frame, pts_ms)
            # Whatever the frame or the disk does, only the video is lost (see the module).
            except Exception as exc:
                self._fail(f"frame at {pts_ms} ms: {type(exc).__name__}: {exc}")
                return False
        if not self._keep:
            encoder.discard()
            return False
        try:
            encoder.close()
        except Exception as exc:
            self._fail(f"closing the file: {type(exc).__name__}: {exc}")
            return False
        return encoder.frames_written > 0

    def _fail(self, reason: str) -> None:
        logger.error("recording %s: the video is lost (%s)", self.recording_id, reason)
        with self._condition:
            self._failed = True
            self._pending.clear()
        self._encoder.discard()
        self._store.set_video(self.recording_id, False)
        message = (
            f"recording {self.recording_id}: the video could not be stored ({reason}); the "
            "recording keeps its gaze data, without video"
        )
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is gone
            self._loop.call_soon_threadsafe(self._on_failure, message)
