"""Where a session's samples go besides the client: the consumers that take typed records.

A session hands every sample to its :class:`SampleSink` objects (the monitor's
:class:`~gazertc.server.trace.GazeTrace`, the LSL outlets, the recorder and the
:class:`FixationSink`), and every fixation or saccade that the detector finds to its
:class:`OculomotorSink` objects. Sinks run on the event loop and must return at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from gazertc.analysis.fixations import DetectorSettings, FixationDetector, GazePoint
from gazertc.records import OculomotorEvent, SampleMessage

__all__ = ["FixationSink", "OculomotorSink", "SampleSink"]

logger = logging.getLogger(__name__)


class SampleSink(Protocol):
    def on_sample(self, message: SampleMessage, text: str) -> None:
        """Take one sample: the typed message and its full text (what the client gets, except
        that a client that asked for no landmarks gets them left out)."""


class OculomotorSink(Protocol):
    def on_oculomotor(self, event: OculomotorEvent) -> None:
        """Take one fixation (start or end) or saccade."""


class FixationSink:
    """Runs the fixation detector on one session's gaze and hands each event on.

    Args:
        session_id: for log lines.
        sinks: take the events, in this order.
        settings: the detector's thresholds.
    """

    def __init__(
        self,
        session_id: str,
        sinks: Sequence[OculomotorSink],
        settings: DetectorSettings | None = None,
    ) -> None:
        self._session_id = session_id
        self._sinks = tuple(sinks)
        self._detector = FixationDetector(settings)

    @property
    def settings(self) -> DetectorSettings:
        return self._detector.settings

    def on_sample(self, message: SampleMessage, text: str) -> None:
        sample = message.sample
        gaze = sample.gaze
        point = GazePoint(
            sample.timestamp_unix_ns,
            None if gaze is None else gaze.yaw_deg,
            None if gaze is None else gaze.pitch_deg,
        )
        try:
            events = self._detector.update(point)
        except ValueError:
            logger.warning("session %s: sample time went backwards", self._session_id)
            return
        for event in events:
            for sink in self._sinks:
                sink.on_oculomotor(event)
