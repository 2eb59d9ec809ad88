"""Fixations and saccades: the oculomotor events a session detects and reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Final

from gazertc.records._precision import round_optional

_OCULOMOTOR_DIGITS: Final = 3
"""Fixation and saccade fields are sent to a thousandth of a degree or millisecond: finer than
webcam gaze can resolve."""


class DetectionMethod(StrEnum):
    VELOCITY = "velocity"
    DISPERSION = "dispersion"


class FixationPhase(StrEnum):
    START = "start"
    END = "end"


class OculomotorKind(StrEnum):
    """The kinds of stored oculomotor events (and the ``type`` of their messages)."""

    FIXATION = "fixation"
    SACCADE = "saccade"


@dataclass(frozen=True, slots=True)
class FixationEvent:
    """A fixation starting (reported once it has lasted the minimum duration, so the report
    comes later than ``start_unix_ns``) or ending (the schema's ``fixation`` message).

    ``yaw_deg``/``pitch_deg`` are the mean gaze angles of the fixation so far;
    ``dispersion_deg`` the yaw range plus pitch range. ``end_unix_ns`` and ``duration_ms`` are
    set on ``end`` (time of its last sample) and ``None`` on ``start``.
    """

    phase: FixationPhase
    start_unix_ns: int
    end_unix_ns: int | None
    duration_ms: float | None
    yaw_deg: float
    pitch_deg: float
    dispersion_deg: float
    method: DetectionMethod

    kind: ClassVar[OculomotorKind] = OculomotorKind.FIXATION

    def to_dict(self) -> dict[str, Any]:
        """The fields of the ``fixation`` message (without ``v`` and ``type``)."""
        return {
            "phase": self.phase.value,
            "start_unix_ns": self.start_unix_ns,
            "end_unix_ns": self.end_unix_ns,
            "duration_ms": round_optional(self.duration_ms, _OCULOMOTOR_DIGITS),
            "yaw_deg": round(self.yaw_deg, _OCULOMOTOR_DIGITS),
            "pitch_deg": round(self.pitch_deg, _OCULOMOTOR_DIGITS),
            "dispersion_deg": round(self.dispersion_deg, _OCULOMOTOR_DIGITS),
            "method": self.method.value,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FixationEvent:
        return cls(
            phase=FixationPhase(raw["phase"]),
            start_unix_ns=int(raw["start_unix_ns"]),
            end_unix_ns=None if raw["end_unix_ns"] is None else int(raw["end_unix_ns"]),
            duration_ms=None if raw["duration_ms"] is None else float(raw["duration_ms"]),
            yaw_deg=float(raw["yaw_deg"]),
            pitch_deg=float(raw["pitch_deg"]),
            dispersion_deg=float(raw["dispersion_deg"]),
            method=DetectionMethod(raw["method"]),
        )


@dataclass(frozen=True, slots=True)
class SaccadeEvent:
    """A saccade between two fixations, reported when the eye has settled (the schema's
    ``saccade`` message).

    ``start_unix_ns`` is the last fixation sample before it, ``end_unix_ns`` the first settled
    sample after it. ``amplitude_deg`` is the angle between those two gaze directions;
    ``peak_velocity_deg_s`` the largest sample-to-sample velocity (``None`` with the
    dispersion method, where samples are too far apart to measure it).
    """

    start_unix_ns: int
    end_unix_ns: int
    duration_ms: float
    amplitude_deg: float
    peak_velocity_deg_s: float | None
    start_yaw_deg: float
    start_pitch_deg: float
    end_yaw_deg: float
    end_pitch_deg: float
    method: DetectionMethod

    kind: ClassVar[OculomotorKind] = OculomotorKind.SACCADE

    def to_dict(self) -> dict[str, Any]:
        """The fields of the ``saccade`` message (without ``v`` and ``type``)."""
        digits = _OCULOMOTOR_DIGITS
        return {
            "start_unix_ns": self.start_unix_ns,
            "end_unix_ns": self.end_unix_ns,
            "duration_ms": round(self.duration_ms, digits),
            "amplitude_deg": round(self.amplitude_deg, digits),
            "peak_velocity_deg_s": round_optional(self.peak_velocity_deg_s, digits),
            "start_yaw_deg": round(self.start_yaw_deg, digits),
            "start_pitch_deg": round(self.start_pitch_deg, digits),
            "end_yaw_deg": round(self.end_yaw_deg, digits),
            "end_pitch_deg": round(self.end_pitch_deg, digits),
            "method": self.method.value,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SaccadeEvent:
        peak = raw["peak_velocity_deg_s"]
        return cls(
            start_unix_ns=int(raw["start_unix_ns"]),
            end_unix_ns=int(raw["end_unix_ns"]),
            duration_ms=float(raw["duration_ms"]),
            amplitude_deg=float(raw["amplitude_deg"]),
            peak_velocity_deg_s=None if peak is None else float(peak),
            start_yaw_deg=float(raw["start_yaw_deg"]),
            start_pitch_deg=float(raw["start_pitch_deg"]),
            end_yaw_deg=float(raw["end_yaw_deg"]),
            end_pitch_deg=float(raw["end_pitch_deg"]),
            method=DetectionMethod(raw["method"]),
        )


OculomotorEvent = FixationEvent | SaccadeEvent


def oculomotor_from_dict(raw: Mapping[str, Any]) -> OculomotorEvent:
    """A fixation or saccade from its message (``type`` says which)."""
    kind = OculomotorKind(raw["type"])
    if kind is OculomotorKind.FIXATION:
        return FixationEvent.from_dict(raw)
    return SaccadeEvent.from_dict(raw)
