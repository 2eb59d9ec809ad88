"""The blocking client: the nouns of :class:`gazertc.client.Client` as plain calls.

One background thread runs one event loop for the client's whole life; every call hands a
coroutine to it (``asyncio.run_coroutine_threadsafe``) and waits. Incoming data lands in one
slot per stream holding only the newest item, so ``receive_*`` never returns stale data::

    with Client("http://127.0.0.1:3000", video="/dev/video0", video_format="v4l2") as client:
        client.recording_start()
        client.send_event("stimulus_onset")
        sample = client.receive_gaze_sample(timeout_seconds=1.0)
        client.recording_stop_and_save()

Samples also land, in order, in a bounded backlog that :meth:`Client.receive_gaze_samples`
empties: every sample since the previous call, for a caller that must not miss any::

    while running:
        for message in client.receive_gaze_samples(timeout_seconds=1.0):
            log(message.timing.frame_id, message.sample.gaze, message.screen_point)

:meth:`Client.close` may be called from any thread and wakes every other thread waiting on the
client at once: ``receive_*`` returns ``None``; calls waiting for the server's answer raise
``ClientError("the client is closed")``, as do calls made after it.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Generic, TypeVar

from aiortc.mediastreams import MediaStreamTrack

from gazertc.client._core import CLOSED_MESSAGE, ServerRecord
from gazertc.client._core import Client as AsyncClient
from gazertc.client._waiting import DEFAULT_SAMPLE_BACKLOG
from gazertc.client.records import ClientError, TimeOffsetEstimate, VideoFrame
from gazertc.protocol import OutputMode
from gazertc.records import (
    FixationEvent,
    RecordingInfo,
    SaccadeEvent,
    SampleMessage,
    StatusReport,
    StoredEvent,
)
from gazertc.vision.types import GazeSample

__all__ = ["Client"]

T = TypeVar("T")
DEFAULT_TIMEOUT_S: Final = 10.0


class _Latest(Generic[T]):
    """The newest item of a stream, handed to one reader once (thread-safe)."""

    def __init__(self) -> None:
        self._item: T | None = None
        self._closed = False
        self._changed = threading.Condition()

    def put(self, item: T) -> None:
        with self._changed:
            if not self._closed:
                self._item = item
                self._changed.notify_all()

    def close(self) -> None:
        """Wake every reader; from now on :meth:`take` returns ``None`` at once."""
        with self._changed:
            self._closed = True
            self._item = None
            self._changed.notify_all()

    def take(self, timeout_seconds: float | None) -> T | None:
        with self._changed:
            self._changed.wait_for(lambda: self._item is not None or self._closed, timeout_seconds)
            item, self._item = self._item, None
        return item


class _Backlog(Generic[T]):
    """Every item of a stream in order, up to ``capacity`` waiting (thread-safe); beyond that
    the oldest are dropped and counted in :attr:`dropped`."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a backlog keeps at least 1 item, not {capacity}")
        self._items: collections.deque[T] = collections.deque(maxlen=capacity)
        self._dropped = 0
        self._closed = False
        self._changed = threading.Condition()

    @property
    def dropped(self) -> int:
        with self._changed:
            return self._dropped

    def put(self, item: T) -> None:
        with self._changed:
            if self._closed:
                return
            if len(self._items) == self._items.maxlen:
                self._dropped += 1  # the deque drops its oldest item on append
            self._items.append(item)
            self._changed.notify_all()

    def close(self) -> None:
        """Wake every reader; from now on :meth:`take_all` returns ``[]`` at once."""
        with self._changed:
            self._closed = True
            self._items.clear()
            self._changed.notify_all()

    def take_all(self, timeout_seconds: float | None) -> list[T]:
        with self._changed:
            self._changed.wait_for(lambda: bool(self._items) or self._closed, timeout_seconds)
            items = list(self._items)
            self._items.clear()
        return items


class Client:
    """A blocking session with a gazertc server (see :class:`gazertc.client.Client` for the
    arguments). Connects on construction; use it as a context manager, or call :meth:`close`.

    ``sample_backlog``: how many samples :meth:`receive_gaze_samples` keeps for a caller that
    falls behind (the default is one minute at 30 fps, about 13 MB).

    Raises:
        ClientError: the connection could not be made (the background thread is stopped).
        ValueError: ``sample_backlog`` is below 1.
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
        sample_backlog: int = DEFAULT_SAMPLE_BACKLOG,
        landmarks: bool = True,
    ) -> None:
        # Before the loop thread starts: a refused argument leaves nothing running.
        self._sample_backlog: _Backlog[SampleMessage] = _Backlog(sample_backlog)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="gazertc-client", daemon=True
        )
        self._thread.start()
        self._gaze_samples: _Latest[GazeSample] = _Latest()
        self._sample_messages: _Latest[SampleMessage] = _Latest()
        self._status: _Latest[StatusReport] = _Latest()
        self._oculomotor: _Latest[FixationEvent | SaccadeEvent] = _Latest()
        self._recording_statuses: _Latest[RecordingInfo] = _Latest()
        self._matched: _Latest[tuple[VideoFrame, GazeSample]] = _Latest()
        self._closed = False
        self._calls_lock = threading.Lock()
        self._calls: set[concurrent.futures.Future[Any]] = set()

        async def create() -> AsyncClient:
            client = AsyncClient(
                url,
                video=video,
                output=output,
                video_format=video_format,
                video_options=video_options,
                loop_video=loop_video,
                landmarks=landmarks,
            )
            client.add_record_listener(self._on_record)
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

    @property
    def session_secret(self) -> str | None:
        """This session's credential for ``/api/sessions/{session_id}/...`` (see
        :attr:`gazertc.client.Client.session_secret`)."""
        return self._client.session_secret

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

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
        """Close the session and stop the background thread (idempotent; any thread).

        Threads blocked in ``receive_*`` return ``None`` at once; threads waiting for an
        answer (``send_event``, ``recording_*``, ``estimate_time_offset``) raise
        ``ClientError("the client is closed")``.
        """
        with self._calls_lock:
            if self._closed:
                return
            self._closed = True
        for stream in (
            self._sample_backlog,
            self._gaze_samples,
            self._sample_messages,
            self._status,
            self._oculomotor,
            self._recording_statuses,
            self._matched,
        ):
            stream.close()
        try:
            closing = asyncio.run_coroutine_threadsafe(self._client.close(), self._loop)
            try:
                closing.result(DEFAULT_TIMEOUT_S)
            except concurrent.futures.TimeoutError as exc:
                closing.cancel()
                raise ClientError(f"closing took over {DEFAULT_TIMEOUT_S} s") from exc
        finally:
            self._stop_loop()
            # Calls whose coroutine never ran (the loop stopped first) would wait for their
            # timeout: fail them now.
            with self._calls_lock:
                calls = list(self._calls)
            for call in calls:
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    call.set_exception(ClientError(CLOSED_MESSAGE))

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout_seconds: float) -> T:
        with self._calls_lock:
            if self._closed or self._loop.is_closed():
                coroutine.close()
                raise ClientError(CLOSED_MESSAGE)
            future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
            self._calls.add(future)
        try:
            return future.result(timeout_seconds)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise ClientError(f"no result within {timeout_seconds} s") from exc
        except concurrent.futures.CancelledError as exc:
            raise ClientError(CLOSED_MESSAGE) from exc
        finally:
            with self._calls_lock:
                self._calls.discard(future)

    # -- on the loop thread -------------------------------------------------------------------

    def _on_record(self, record: ServerRecord) -> None:
        if isinstance(record, SampleMessage):
            self._gaze_samples.put(record.sample)
            self._sample_messages.put(record)
            self._sample_backlog.put(record)
        elif isinstance(record, StatusReport):
            self._status.put(record)
        elif isinstance(record, RecordingInfo):
            self._recording_statuses.put(record)
        else:
            self._oculomotor.put(record)

    def _on_frame(self, frame: VideoFrame, sample: GazeSample | None) -> None:
        if sample is not None:
            self._matched.put((frame, sample))

    # -- blocking API ---------------------------------------------------------------------------

    def receive_gaze_sample(self, timeout_seconds: float | None = None) -> GazeSample | None:
        """The newest sample not yet received, waiting up to ``timeout_seconds`` (``None``:
        forever) for one; ``None`` on timeout or once the client is closed."""
        return self._gaze_samples.take(timeout_seconds)

    def receive_sample_message(self, timeout_seconds: float | None = None) -> SampleMessage | None:
        """Like :meth:`receive_gaze_sample`, with the whole ``sample`` message: the sample, its
        frame's timing and, once the session is calibrated, its point on the screen. (A stream
        of its own: it does not consume what :meth:`receive_gaze_sample` returns.)"""
        return self._sample_messages.take(timeout_seconds)

    def receive_gaze_samples(self, timeout_seconds: float | None = None) -> list[SampleMessage]:
        """Every ``sample`` message received since the previous call (since the connection, at
        the first), oldest first; waits up to ``timeout_seconds`` (``None``: forever) while there
        is none. ``[]`` on timeout or once the client is closed.

        Independent of :meth:`receive_gaze_sample` and :meth:`receive_sample_message` (they do
        not take samples from it, nor it from them). It keeps up to ``sample_backlog`` samples;
        a caller that falls further behind loses the oldest, counted in
        :attr:`dropped_gaze_samples` (a ``frame_id`` that jumps also shows frames the server
        itself dropped).
        """
        return self._sample_backlog.take_all(timeout_seconds)

    @property
    def dropped_gaze_samples(self) -> int:
        """Samples :meth:`receive_gaze_samples` lost because the caller fell more than
        ``sample_backlog`` samples behind, since the connection."""
        return self._sample_backlog.dropped

    def receive_status(self, timeout_seconds: float | None = None) -> StatusReport | None:
        """The newest ``status`` report not yet received, or ``None`` on timeout or once the
        client is closed."""
        return self._status.take(timeout_seconds)

    def receive_fixation_or_saccade(
        self, timeout_seconds: float | None = None
    ) -> FixationEvent | SaccadeEvent | None:
        """The newest fixation or saccade not yet received, or ``None`` on timeout or once the
        client is closed."""
        return self._oculomotor.take(timeout_seconds)

    def receive_recording_status(
        self, timeout_seconds: float | None = None
    ) -> RecordingInfo | None:
        """The newest change to this session's recording not yet received, whoever made it
        (this client, the host or the server; see ``started_by``/``stopped_by``), or ``None``
        on timeout or once the client is closed."""
        return self._recording_statuses.take(timeout_seconds)

    def receive_matched_video_frame_and_gaze(
        self, timeout_seconds: float | None = None
    ) -> tuple[VideoFrame, GazeSample] | None:
        """The newest annotated frame with the sample of the same source frame (matched by RTP
        timestamp), or ``None`` on timeout or once the client is closed. Needs ``output``
        ``video`` or ``both``.

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

    def set_landmarks(self, wanted: bool) -> None:
        """Whether the samples from now on carry the 68 landmarks."""
        self._call(self._client.set_landmarks(wanted), DEFAULT_TIMEOUT_S)

    def estimate_time_offset(
        self, pings: int = 10, *, timeout_seconds: float = DEFAULT_TIMEOUT_S
    ) -> TimeOffsetEstimate:
        """Server clock minus client clock (see the async client's method of that name)."""
        return self._call(
            self._client.estimate_time_offset(pings, timeout_seconds=timeout_seconds),
            timeout_seconds * max(1, pings) + 1.0,
        )
