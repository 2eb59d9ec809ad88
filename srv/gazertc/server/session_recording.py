"""One session's recording: starting, stopping and cancelling it, stamping events, and the rows
that a running recording takes (samples with their blinks, fixations and saccades).

Plain bookkeeping between a session and :class:`~gazertc.recording.store.RecordingStore`; the
store's writer thread does the disk work, so everything here except :meth:`command` returns at
once on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from gazertc.protocol import ErrorCode, ProtocolError
from gazertc.recording.store import RecordingError, RecordingStore
from gazertc.records import (
    EventSource,
    FixationEvent,
    FixationPhase,
    OculomotorEvent,
    RecordingInfo,
    RecordingState,
    SampleMessage,
    StoredEvent,
)

__all__ = ["RecordingAction", "SessionRecorder"]

RecordingAction = str
"""``"start"``, ``"stop"`` (save) or ``"cancel"`` (discard), as in the ``recording`` message."""


class SessionRecorder:
    """The recording of one session, if any runs.

    Args:
        session_id: the session's id (stored with each recording and event).
        store: where recordings are kept; ``None``: this server keeps none.
    """

    def __init__(self, session_id: str, store: RecordingStore | None) -> None:
        self.session_id = session_id
        self.recording_id: str | None = None
        self._store = store

    @property
    def available(self) -> bool:
        """Whether this server keeps recordings (it has a data directory)."""
        return self._store is not None

    def stamp_event(
        self, name: str, timestamp_unix_ns: int | None, received_unix_ns: int
    ) -> StoredEvent:
        """Stamp an event (the client's time, else its arrival) and store it in the running
        recording, if any. Returns the event as stored."""
        event = StoredEvent(
            name=name,
            timestamp_unix_ns=received_unix_ns if timestamp_unix_ns is None else timestamp_unix_ns,
            received_unix_ns=received_unix_ns,
            source=EventSource.ARRIVAL if timestamp_unix_ns is None else EventSource.CLIENT,
            session_id=self.session_id,
            recording_id=self.recording_id,
        )
        if self._store is not None and self.recording_id is not None:
            self._store.add_event(event)
        return event

    async def command(
        self, action: RecordingAction, name: str | None, metadata: Mapping[str, Any]
    ) -> RecordingInfo:
        """Start (with ``name`` and ``metadata``), stop (and save) or cancel the recording.

        Raises:
            ProtocolError: ``recording_unavailable`` (the server keeps no recordings),
                ``recording_in_progress`` (start while recording), ``not_recording`` (stop or
                cancel without one), ``internal_error`` (the store failed).
        """
        store = self._store
        if store is None:
            raise ProtocolError(
                ErrorCode.RECORDING_UNAVAILABLE,
                "this server keeps no recordings (start it with --data-dir)",
                ref_type="recording",
            )
        if action == "start":
            if self.recording_id is not None:
                raise ProtocolError(
                    ErrorCode.RECORDING_IN_PROGRESS,
                    f"recording {self.recording_id} is already running; stop it first",
                    ref_type="recording",
                )
            self.recording_id, future = store.start(self.session_id, name=name, metadata=metadata)
        else:
            recording_id = self.recording_id
            if recording_id is None:
                raise ProtocolError(
                    ErrorCode.NOT_RECORDING,
                    f"cannot {action}: no recording is running in this session",
                    ref_type="recording",
                )
            self.recording_id = None
            state = RecordingState.SAVED if action == "stop" else RecordingState.CANCELLED
            future = store.finish(recording_id, state)
        try:
            return await asyncio.wrap_future(future)
        except RecordingError as exc:
            raise ProtocolError(
                ErrorCode.INTERNAL_ERROR, f"the recording store failed: {exc}", ref_type="recording"
            ) from exc

    # -- sinks ----------------------------------------------------------------------------------

    def on_sample(self, message: SampleMessage, text: str) -> None:
        """Queue a sample (and its blink events) while a recording runs."""
        if self._store is not None and self.recording_id is not None:
            self._store.add_sample(self.recording_id, message, text)

    def on_oculomotor(self, event: OculomotorEvent) -> None:
        """Queue a finished fixation (its ``end``) or a saccade while a recording runs."""
        if self._store is None or self.recording_id is None:
            return
        if isinstance(event, FixationEvent) and event.phase is not FixationPhase.END:
            return
        self._store.add_oculomotor(self.recording_id, event)
