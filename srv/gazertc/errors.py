"""Exceptions raised by gazertc.

GazertcError
├── ModelFileError          a model file is missing, unreadable or fails its checksum
├── InputError              an image, video or argument that the pipeline cannot use
├── CalibrationError        (vision.calibration) too few or unusable calibration samples
│   └── ScreenMismatchError a saved calibration applied to another screen
├── ProtocolError           (protocol) a message that breaks the wire protocol
├── PoolError               (server.pool) the worker pool cannot process a frame
├── RecordingError          (recording.store) a recording cannot be started, saved or read
├── LslError                (server.lsl) Lab Streaming Layer cannot be loaded or used
└── ClientError             (client) the Python client's failures
    └── ServerError         an error message from the server

The base classes live here; each subclass lives with the code that raises it.
"""

from __future__ import annotations


class GazertcError(Exception):
    """Base class of every error gazertc raises on purpose."""


class ModelFileError(GazertcError):
    """A model file is missing or corrupt; the message names the fix."""


class InputError(GazertcError):
    """The caller handed over something the pipeline cannot use (the message says what)."""
