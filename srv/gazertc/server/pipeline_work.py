"""What the pipeline did: counts of the work the trackers ran or skipped, per frame and summed.

The tracker skips work while the face and the eyes hold still: the iris network locates one eye
per frame while the eyes fixate (:mod:`gazertc.vision.iris_schedule`), a landmark fit may stand
for a frame whose eye region has not changed (:mod:`gazertc.vision.landmark_reuse`), and the
detector searches the whole frame only when no face is tracked, checking a tracked face near its
landmarks every ``verify_interval_frames``. How much is skipped depends on the frames, so the
server reports it: a worker reads each frame's :class:`PipelineWork` from its tracker's counters
(:func:`counter_reading` before the frame, :func:`frame_work` after), sends it with the frame's
result, and the pool sums the frames of every session into the server's totals, which
``GET /health`` reports as ``pipeline_work``. Counts only: nothing about whom the frames showed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from gazertc.vision.types import TrackingState

if TYPE_CHECKING:
    from gazertc.vision.types import TrackedFrame

__all__ = [
    "MAX_COUNT",
    "CountingTracker",
    "FitReuseCounts",
    "IrisScheduleCounts",
    "PipelineWork",
    "counter_reading",
    "frame_work",
]

MAX_COUNT: Final = 2**53 - 1
"""Largest count on the wire: JSON numbers are exact up to here in every client (the schema's
bound for counters); a server would need three centuries at 1000 frames per second to reach it."""


MAX_NAMED_KEYS: Final = 5
"""Unknown keys named in an error, at most (a hostile object can have thousands)."""
MAX_NAMED_CHARS: Final = 40
"""Characters of an unknown key named in an error, at most."""


class IrisScheduleCounts(Protocol):
    """The counters of :class:`gazertc.vision.iris_schedule.IrisSchedule` read here."""

    @property
    def eyes_located(self) -> int: ...

    @property
    def single_eye_frames(self) -> int: ...


class FitReuseCounts(Protocol):
    """The counter of :class:`gazertc.vision.landmark_reuse.FitReuse` read here."""

    @property
    def reuses(self) -> int: ...


class CountingTracker(Protocol):
    """The cumulative counters of :class:`gazertc.vision.tracker.GazeTracker` that a frame's work
    is read from."""

    @property
    def iris_schedule(self) -> IrisScheduleCounts: ...

    @property
    def fit_reuse(self) -> FitReuseCounts: ...

    @property
    def detector_calls(self) -> int: ...

    @property
    def frames_since_detector_check(self) -> int: ...


@dataclass(frozen=True, slots=True)
class PipelineWork:
    """Counts of pipeline work, for one frame or summed over many (``+``, ``-``).

    Raises:
        ValueError: a count is not an integer in ``[0, MAX_COUNT]`` (also for a difference
            of totals that went backwards: a server restarted between two readings).
    """

    frames_tracked: int = 0
    """Frames a tracker ran on (frames it refused are not counted)."""
    face_searches: int = 0
    """Frames with no face tracked, in which the detector searched the whole frame."""
    detector_checks: int = 0
    """Frames in which the detector checked a tracked face near its landmarks and found it (a
    check that does not find it is followed by a face search, counted as one)."""
    landmark_fits_skipped: int = 0
    """Frames whose landmarks were the last fit, reused because the eye region had not changed."""
    iris_eyes_located: int = 0
    """Eyes the iris network located (0, 1 or 2 per frame)."""
    single_eye_iris_frames: int = 0
    """Frames in which the iris network located one eye and the other was carried over."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if type(value) is not int or not 0 <= value <= MAX_COUNT:
                raise ValueError(
                    f"{field.name} must be an integer in [0, {MAX_COUNT}], got {_brief(value)}"
                )

    def __add__(self, other: PipelineWork) -> PipelineWork:
        return PipelineWork(*(a + b for a, b in zip(self._counts(), other._counts(), strict=True)))

    def __sub__(self, other: PipelineWork) -> PipelineWork:
        return PipelineWork(*(a - b for a, b in zip(self._counts(), other._counts(), strict=True)))

    def _counts(self) -> tuple[int, ...]:
        return tuple(getattr(self, field.name) for field in dataclasses.fields(self))

    @property
    def single_eye_iris_share(self) -> float | None:
        """Share of the tracked frames in which the iris network located one eye only; ``None``
        without any tracked frame."""
        return self.single_eye_iris_frames / self.frames_tracked if self.frames_tracked else None

    @property
    def landmark_fits_skipped_share(self) -> float | None:
        """Share of the tracked frames whose landmark fit was reused; ``None`` without any
        tracked frame."""
        return self.landmark_fits_skipped / self.frames_tracked if self.frames_tracked else None

    def to_dict(self) -> dict[str, int]:
        """The ``pipeline_work`` object of ``GET /health``."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, raw: object) -> PipelineWork:
        """Read a ``pipeline_work`` object (e.g. from another server's ``/health``).

        Raises:
            ValueError: ``raw`` is not an object with exactly these counts, each an integer in
                ``[0, MAX_COUNT]`` (booleans and floats are refused).
        """
        if not isinstance(raw, Mapping):
            raise ValueError(f"pipeline_work must be an object, got {type(raw).__name__}")
        names = {field.name for field in dataclasses.fields(cls)}
        if set(raw) != names:
            unexpected = sorted(_brief(key) for key in set(raw) - names)[:MAX_NAMED_KEYS]
            missing = sorted(names - set(raw))
            raise ValueError(f"pipeline_work: unexpected {unexpected}, missing {missing}")
        return cls(**{name: raw[name] for name in names})


def _brief(value: object) -> str:
    """An offending value, short whatever it is (hostile input can be huge)."""
    if type(value) is int and value.bit_length() <= 64:
        return str(value)
    if isinstance(value, str):
        return repr(value[:MAX_NAMED_CHARS])
    return type(value).__name__


def counter_reading(tracker: CountingTracker) -> PipelineWork:
    """The tracker's cumulative counters, to subtract from the reading after a frame (frames,
    and the detector checks, which the tracker does not count, are left at 0)."""
    schedule = tracker.iris_schedule
    return PipelineWork(
        face_searches=tracker.detector_calls,
        landmark_fits_skipped=tracker.fit_reuse.reuses,
        iris_eyes_located=schedule.eyes_located,
        single_eye_iris_frames=schedule.single_eye_frames,
    )


def frame_work(
    before: PipelineWork, tracker: CountingTracker, tracked: TrackedFrame
) -> PipelineWork:
    """The work of the frame the tracker just tracked, from its counters ``before`` it.

    A detector check is read from the tracker's state: a frame of a tracked face after which
    the frames since the last check start again from 0.
    """
    checked = (
        tracked.sample.tracking is TrackingState.TRACKED
        and tracker.frames_since_detector_check == 0
    )
    return (
        counter_reading(tracker)
        - before
        + PipelineWork(frames_tracked=1, detector_checks=int(checked))
    )
