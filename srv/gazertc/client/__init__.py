"""The Python client of a gazertc server.

The package root is asynchronous (asyncio, one aiortc peer connection per :class:`Client`);
:mod:`gazertc.client.simple` offers the same nouns as blocking calls. Do not mix the two in one
thread.

The records the client returns are the wire records of :mod:`gazertc.records` (samples are
:class:`gazertc.GazeSample`); this package imports nothing from the server or the recording
store.
"""

from gazertc.client._core import Client, MessageListener, RecordListener, ServerRecord
from gazertc.client._waiting import Stream
from gazertc.client.discovery import discover_one_server, discover_one_server_async
from gazertc.client.records import ClientError, ServerError, TimeOffsetEstimate, VideoFrame
from gazertc.protocol import OutputMode
from gazertc.records import (
    FixationEvent,
    RecordingActor,
    RecordingInfo,
    RecordingState,
    SaccadeEvent,
    SampleMessage,
    ScreenGaze,
    StatusReport,
    StoredEvent,
)

__all__ = [
    "Client",
    "ClientError",
    "FixationEvent",
    "MessageListener",
    "OutputMode",
    "RecordListener",
    "RecordingActor",
    "RecordingInfo",
    "RecordingState",
    "SaccadeEvent",
    "SampleMessage",
    "ScreenGaze",
    "ServerError",
    "ServerRecord",
    "StatusReport",
    "StoredEvent",
    "Stream",
    "TimeOffsetEstimate",
    "VideoFrame",
    "discover_one_server",
    "discover_one_server_async",
]
