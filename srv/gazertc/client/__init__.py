"""The Python client of a gazertc server.

The package root is asynchronous (asyncio, one aiortc peer connection per :class:`Client`);
:mod:`gazertc.client.simple` offers the same nouns as blocking calls. Do not mix the two in one
thread.
"""

from gazertc.client._core import Client, MessageListener
from gazertc.client.discovery import discover_one_server, discover_one_server_async
from gazertc.client.records import (
    ClientError,
    ServerError,
    TimeOffsetEstimate,
    VideoFrame,
    gaze_sample_from_dict,
    recording_info_from_dict,
    stored_event_from_dict,
)
from gazertc.protocol import OutputMode
from gazertc.recording.store import RecordingInfo, RecordingState, StoredEvent

__all__ = [
    "Client",
    "ClientError",
    "MessageListener",
    "OutputMode",
    "RecordingInfo",
    "RecordingState",
    "ServerError",
    "StoredEvent",
    "TimeOffsetEstimate",
    "VideoFrame",
    "discover_one_server",
    "discover_one_server_async",
    "gaze_sample_from_dict",
    "recording_info_from_dict",
    "stored_event_from_dict",
]
