"""Recording ids as people type them: the full id, or the short id the monitor shows.

A recording id is 32 lowercase hex digits (a random UUID). The host's monitor and
``gazertc recordings`` show its first :data:`SHORT_ID_LENGTH`; every command and route that
takes a recording id accepts the full id, or any start of one of at least
:data:`MIN_PREFIX_LENGTH` characters (in either case) that exactly one recording's id begins
with. Errors, all :class:`~gazertc.recording.store.RecordingError`::

    RecordingError
    ├── UnknownRecordingIdError     no recording's id is or begins with what was given
    └── AmbiguousRecordingIdError   several do; ``candidates`` lists their ids
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from gazertc.recording.store import RecordingError

__all__ = [
    "CANDIDATES_SHOWN",
    "MIN_PREFIX_LENGTH",
    "SHORT_ID_LENGTH",
    "AmbiguousRecordingIdError",
    "UnknownRecordingIdError",
    "resolve_recording_id",
    "short_id",
]

SHORT_ID_LENGTH: Final = 8
"""What the monitor shows (``shortId`` in ``app/src/monitor/controller.ts``). 32 random bits:
two recordings of one data directory share a short id with a chance of about 1 % once it holds
ten thousand, and then the commands say so and list both."""
MIN_PREFIX_LENGTH: Final = 4
"""Shorter starts would name a recording only by luck once a data directory holds a few
hundred."""
CANDIDATES_SHOWN: Final = 10
"""An ambiguous id's message lists at most this many recordings: it is a message to read, not a
listing (``gazertc recordings`` is)."""


class UnknownRecordingIdError(RecordingError):
    """No recording's id is, or begins with, the id given."""

    def __init__(self, given: str) -> None:
        hint = ""
        if len(given) < MIN_PREFIX_LENGTH:
            hint = f" (give the full id, or at least its first {MIN_PREFIX_LENGTH} characters)"
        super().__init__(f"no recording {given!r}{hint}")
        self.given = given


class AmbiguousRecordingIdError(RecordingError):
    """Several recordings' ids begin with the id given; ``candidates`` are their full ids."""

    def __init__(self, given: str, candidates: Iterable[str]) -> None:
        self.given = given
        self.candidates = tuple(sorted(candidates))
        # Whole ids: the short ids of the candidates may all be the same.
        shown = ", ".join(self.candidates[:CANDIDATES_SHOWN])
        more = len(self.candidates) - CANDIDATES_SHOWN
        if more > 0:
            shown += f" and {more} more"
        super().__init__(
            f"recording id {given!r} is ambiguous: {len(self.candidates)} recordings begin with "
            f"it ({shown}); give more of the id"
        )


def short_id(recording_id: str) -> str:
    """The id as the monitor shows it: its first :data:`SHORT_ID_LENGTH` characters."""
    return recording_id[:SHORT_ID_LENGTH]


def resolve_recording_id(given: str, known_ids: Iterable[str]) -> str:
    """The full id of the one recording among ``known_ids`` that ``given`` names: its full
    id, or a start of it at least :data:`MIN_PREFIX_LENGTH` long (case does not matter).

    Raises:
        UnknownRecordingIdError: none is named (also for a start shorter than
            :data:`MIN_PREFIX_LENGTH` that is not a whole id).
        AmbiguousRecordingIdError: several begin with ``given``.
    """
    ids = list(known_ids)
    if given in ids:
        return given
    prefix = given.lower()
    if len(prefix) < MIN_PREFIX_LENGTH:
        raise UnknownRecordingIdError(given)
    matches = [recording_id for recording_id in ids if recording_id.lower().startswith(prefix)]
    if not matches:
        raise UnknownRecordingIdError(given)
    if len(matches) > 1:
        raise AmbiguousRecordingIdError(given, matches)
    return matches[0]
