"""The records that travel on the wire, shared by the server, the recording store and the client.

Each record owns its codec: ``to_dict()`` gives the JSON-ready dict of its schema definition
(``srv/gazertc/protocol/schema.json``), ``from_dict()`` takes one back. Both are written by hand
(no ``dataclasses.asdict``: it deep-copies and costs a sample about 0.6 ms). ``from_dict``
expects a dict that is valid against the schema (validate first); it raises ``KeyError``,
``TypeError`` or ``ValueError`` otherwise.

Times are ns since the Unix epoch on the server's clock unless a name says otherwise; angles
are degrees with the sign conventions of :mod:`gazertc.vision.types`.

This package imports nothing from :mod:`gazertc.server` or :mod:`gazertc.recording`, so a client
install does not drag in server storage.

Modules: ``events`` (stored events and recordings), ``oculomotor`` (fixations and saccades),
``samples`` (the ``sample`` message), ``columns`` (a sample's columns in exports and LSL),
``status`` (the ``status`` message). Import the records from here.
"""

from __future__ import annotations

from gazertc.records.columns import SAMPLE_COLUMNS, Column, sample_columns
from gazertc.records.columns import ColumnValue as ColumnValue
from gazertc.records.events import (
    EventSource,
    RecordingActor,
    RecordingInfo,
    RecordingState,
    StoredEvent,
)
from gazertc.records.oculomotor import (
    DetectionMethod,
    FixationEvent,
    FixationPhase,
    OculomotorEvent,
    OculomotorKind,
    SaccadeEvent,
    oculomotor_from_dict,
)
from gazertc.records.samples import (
    GazeTrackingFields,
    SampleMessage,
    SampleTiming,
    ScreenGaze,
)
from gazertc.records.status import StatusReport, VideoState

__all__ = [
    "SAMPLE_COLUMNS",
    "Column",
    "DetectionMethod",
    "EventSource",
    "FixationEvent",
    "FixationPhase",
    "GazeTrackingFields",
    "OculomotorEvent",
    "OculomotorKind",
    "RecordingActor",
    "RecordingInfo",
    "RecordingState",
    "SaccadeEvent",
    "SampleMessage",
    "SampleTiming",
    "ScreenGaze",
    "StatusReport",
    "StoredEvent",
    "VideoState",
    "oculomotor_from_dict",
    "sample_columns",
]
