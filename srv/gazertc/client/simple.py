"""The blocking client: the nouns of :class:`gazertc.client.Client` as plain calls.

One background thread runs one event loop for the client's whole life; every call hands a
coroutine to it (``asyncio.run_coroutine_threadsafe``) and waits. Incoming data lands in one
slot per stream holding only the newest item, so ``receive_*`` never returns stale data::

    with Client("http://127.0.0.1:3000", video="/dev/video0", video_format="v4l2") as client:
        client.recording_start()
        client.send_event("stimulus_onset")
        sample = client.receive_gaze_sample(timeout_seconds=1.0)
        client.recording_stop_and_save()
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import threading
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Generic, TypeVar

from aiortc.mediastreams import MediaStreamTrack

from gazertc.client._core import Client as AsyncClient
from gazertc.client.records import ClientError, TimeOffsetEstimate, VideoFrame
from gazertc.protocol import JsonObject, OutputMode
from gazertc.recording.store import RecordingInfo, StoredEvent
from gazertc.vision.types import GazeSample

__all__ = ["Client"]

T = TypeVar("T")
DEFAULT_TIMEOUT_S: Final = 10.0


class _Latest(Generic[T]):
    """The newest item of a stream, handed to one reader once (thread-safe)."""

    def __init__(self) -> None:
        self._items: collections.deque[T] = collections.deque(maxlen=1)
        self._ready = threading.Event()
        self._lock = threading.Lock()

    def put(self, item: T) -> None:
        with self._lock:
            self._items.append(item)
            self._ready.set()

    def take(self, timeout_seconds: float | None) -> T | None:
        if not self._ready.wait(timeout_seconds):
            return None
        with self._lock:
            item = self._items.popleft() if self._items else None
            self._ready.clear()
        return item


class Client:
    """A blocking session with a gazertc server (see :class:`gazertc.client.Client` for the
    arguments). Connects on construction; use it as a context manager, or call :meth:`close`.

    Raises:
        ClientError: the connection could not be made (the background thread is stopped).
    """

    def __init__(
        self,
        url: str,
        *,
        video: str | Path | MediaStreamTrack,
        output: OutputMode = OutputMode.JSON,
        video_format: str | None = None,
        video_options: dict[str, str] | None = None,
        loop_video: bool = False,
        connect_timeout_seconds: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="gazertc-client", daemon=True
        )
        self._thread.start()
        self._samples: _Latest[GazeSample] = _Latest()
        self._status: _Latest[JsonObject] = _Latest()
        self._oculomotor: _Latest[JsonObject] = _Latest()
        self._matched: _Latest[tuple[VideoFrame, GazeSample]] = _Latest()
        self._closed = False

        async def create() -> AsyncClient:
            client = AsyncClient(
                url,
                video=video,
                output=output,
                video_format=video_format,
                video_options=video_options,
                loop_video=loop_video,
            )
            client.add_listener(lambda message, _: self._on_message(client, message))
            client.add_frame_listener(self._on_frame)
            await client.connect(connect_timeout_seconds)
            return client

        try:
            self._client = self._call(create(), connect_timeout_seconds + 5.0)
        except BaseException:
            self._stop_loop()
            raise

    @property
    def session_id(self) -> str | None:
        return self._client.session_id

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the session and stop the background thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._call(self._client.close(), DEFAULT_TIMEOUT_S)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout_seconds: float) -> T:
        if self._loop.is_closed():
            coroutine.close()
            raise ClientError("the client is closed")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout_seconds)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise ClientError(f"no result within {timeout_seconds} s") from exc

    # -- on the loop thread -------------------------------------------------------------------

    def _on_message(self, client: AsyncClient, message: JsonObject) -> None:
        message_type = message.get("type")
        if message_type == "sample":
            sample = client.latest_gaze_sample  # built once, by the core
            if sample is not None:
                self._samples.put(sample)
        elif message_type == "status":
            self._status.put(message)
        elif message_type in {"fixation", "saccade"}:
            self._oculomotor.put(message)

    def _on_frame(self, frame: VideoFrame, sample: GazeSample | None) -> None:
        if sample is not None:
            self._matched.put((frame, sample))

    # -- blocking API ---------------------------------------------------------------------------

    def receive_gaze_sample(self, timeout_seconds: float | None = None) -> GazeSample | None:
        """The newest sample not yet received, waiting up to ``timeout_seconds`` (``None``:
        forever) for one; ``None`` on timeout."""
        return self._samples.take(timeout_seconds)

    def receive_status(self, timeout_seconds: float | None = None) -> JsonObject | None:
        """The newest ``status`` message not yet received, or ``None`` on timeout."""
        return self._status.take(timeout_seconds)

    def receive_fixation_or_saccade(
        self, timeout_seconds: float | None = None
    ) -> JsonObject | None:
        """The newest ``fixation`` or ``saccade`` message not yet received, or ``None``."""
        return self._oculomotor.take(timeout_seconds)

    def receive_matched_video_frame_and_gaze(
        self, timeout_seconds: float | None = None
    ) -> tuple[VideoFrame, GazeSample] | None:
        """The newest annotated frame with the sample of the same source frame (matched by RTP
        timestamp), or ``None`` on timeout. Needs ``output`` ``video`` or ``both``.

        Raises:
            ClientError: this client does not receive video.
        """
        if not self._client.output.sends_video:
            raise ClientError("no video comes back: create the client with output=BOTH")
        return self._matched.take(timeout_seconds)

    def send_event(
        self,
        name: str,
        event_timestamp_unix_ns: int | None = None,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_S,
    ) -> StoredEvent:
        """Mark an event (see :meth:`gazertc.client.Client.send_event`)."""
        return self._call(
            self._client.send_event(name, event_timestamp_unix_ns, timeout_seconds=timeout_seconds),
            timeout_seconds + 1.0,
        )

    def recording_start(
        self, name: str | None = None, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> RecordingInfo:
        return self._call(
            self._client.recording_start(name, timeout_seconds=timeout_seconds),
            timeout_seconds + 1.0,
        )

    def recording_stop_and_save(
        self, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> RecordingInfo:
        return self._call(
            self._client.recording_stop_and_save(timeout_seconds=timeout_seconds),
            timeout_seconds + 1.0,
        )

    def recording_cancel(self, *, timeout_seconds: float = DEFAULT_TIMEOUT_S) -> RecordingInfo:
        return self._call(
            self._client.recording_cancel(timeout_seconds=timeout_seconds), timeout_seconds + 1.0
        )

    def set_output(self, output: OutputMode) -> None:
        self._call(self._client.set_output(output), DEFAULT_TIMEOUT_S)

    def estimate_time_offset(
        self, pings: int = 10, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> TimeOffsetEstimate:
        """Server clock minus client clock (see the async client's method of that name)."""
        return self._call(
            self._client.estimate_time_offset(pings, timeout_seconds=timeout_seconds),
            timeout_seconds * max(1, pings) + 1.0,
        )
