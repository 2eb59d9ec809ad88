"""The client's own records and errors (units in the names, times in ns since the Unix epoch
on the server's clock unless a name says otherwise).

The records that travel on the wire (samples, status, events, recordings, fixations and
saccades) live in :mod:`gazertc.records` and :mod:`gazertc.vision.types`, each with its own
``from_dict``; this module holds only what exists on the client side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gazertc.errors import GazertcError

__all__ = ["ClientError", "ServerError", "TimeOffsetEstimate", "VideoFrame"]


class ClientError(GazertcError):
    """The client could not do what was asked (not connected, timed out, closed, ...)."""


class ServerError(ClientError):
    """The server answered with an ``error`` message; ``code`` is its error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class TimeOffsetEstimate:
    """Server clock minus client clock, from the ping with the shortest round trip.

    Subtract ``offset_ns`` from a server time to get client time; add it to a client time
    (e.g. an event's) to get server time.
    """

    offset_ns: int
    round_trip_ms: float
    pings: int


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """An annotated frame sent back by the server.

    ``bgr_pixels``: ``(height, width, 3)`` uint8, BGR. ``pts_90khz``: its RTP time, counted
    from the first frame the client received back. ``received_unix_ns``: arrival, client clock.
    """

    bgr_pixels: npt.NDArray[np.uint8]
    pts_90khz: int
    received_unix_ns: int
