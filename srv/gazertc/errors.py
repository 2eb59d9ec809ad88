"""Exceptions raised by gazertc.

GazertcError
├── ModelFileError      a model file is missing, unreadable or fails its checksum
└── InputError          an image, video or argument that the pipeline cannot use
"""

from __future__ import annotations


class GazertcError(Exception):
    """Base class of every error gazertc raises on purpose."""


class ModelFileError(GazertcError):
    """A model file is missing or corrupt; the message names the fix."""


class InputError(GazertcError):
    """The caller handed over something the pipeline cannot use (the message says what)."""
