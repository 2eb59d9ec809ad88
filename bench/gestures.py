"""How often would a hands-free pause gesture fire by accident? Measured on the real videos.

The tracker runs over every clip in ``videos/`` (people talking, turning their heads, blinking,
and not trying to make any gesture), and each candidate gesture is replayed on the samples it
produced, exactly as a client would see them. Every time a candidate would fire there is a false
trigger: nobody in these clips is making a gesture.

Candidates, each held for ``T`` in :data:`HOLD_DURATIONS_S`:

* *eyes closed (blink state)*: the sample's ``blinking`` is true (the openness has fallen below
  60 % of this person's open-eye level, the server's blink detector) on a frame with a face;
* *eyes closed (both lids)*: both eyes report ``is_open`` false on a frame with a face;
* *looked away*: no face, or no gaze estimate (no iris found, which includes closed eyes), or
  gaze more than ``N`` degrees off the camera axis, for ``N`` in :data:`OFF_CENTRE_LIMITS_DEG`
  (``None``: face or gaze lost only).

A gesture fires once when its condition has held for ``T`` and not again until the condition
ends (holding it does not repeat it). The choice: no false trigger and the shortest hold; printed
again with the hold also at least :data:`HOLD_MARGIN` times the longest accidental run. The
sample is small: three clips of a few people, so zero false triggers here is evidence, not
proof. How reliably a *deliberate* gesture fires is not measured: none of the clips has one.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from bench.report import Cell, print_table
from gazertc.vision.tracker import GazeTracker, PipelineModels
from gazertc.vision.types import GazeSample

VIDEO_DIR = "videos"
HOLD_DURATIONS_S = (0.5, 1.0, 1.5, 2.0)
OFF_CENTRE_LIMITS_DEG: tuple[float | None, ...] = (None, 40.0, 30.0, 20.0)
"""Gaze off the camera axis (yaw and pitch combined) that counts as looking away; ``None``: only
a lost face or gaze counts."""

HOLD_MARGIN = 2.0
"""The chosen hold must also be at least this many times the longest accidental run of its
condition in the clips: a hold just above the longest natural closure seen in 4 minutes of a few
people would fire on the next person's slightly slower blink."""


@dataclass(frozen=True, slots=True)
class FrameState:
    """What a client can read from one sample that matters to the gesture candidates."""

    time_s: float
    face_found: bool
    blinking: bool
    both_lids_closed: bool
    gaze_off_axis_deg: float | None
    """``None`` when the sample has no gaze (no face, or no iris located)."""

    @classmethod
    def from_sample(cls, sample: GazeSample, time_s: float) -> FrameState:
        eyes = (sample.right_eye, sample.left_eye)
        gaze = sample.gaze
        return cls(
            time_s=time_s,
            face_found=sample.face_found,
            blinking=sample.face_found and sample.blinking,
            both_lids_closed=sample.face_found
            and all(eye is not None and not eye.is_open for eye in eyes),
            gaze_off_axis_deg=None if gaze is None else math.hypot(gaze.yaw_deg, gaze.pitch_deg),
        )


Condition = Callable[[FrameState], bool]


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str
    condition: Condition
    hold_s: float


def _blink_closed(state: FrameState) -> bool:
    return state.blinking


def _lids_closed(state: FrameState) -> bool:
    return state.both_lids_closed


def looked_away(limit_deg: float | None) -> Condition:
    def condition(state: FrameState) -> bool:
        if not state.face_found or state.gaze_off_axis_deg is None:
            return True
        return limit_deg is not None and state.gaze_off_axis_deg > limit_deg

    return condition


def candidates() -> list[Candidate]:
    """Every candidate gesture, shortest hold first within each kind."""
    kinds: list[tuple[str, Condition]] = [
        ("eyes closed (blink state)", _blink_closed),
        ("eyes closed (both lids)", _lids_closed),
    ]
    kinds += [
        (
            "looked away (face/gaze lost)"
            if limit is None
            else f"looked away (lost or > {limit:g} deg)",
            looked_away(limit),
        )
        for limit in OFF_CENTRE_LIMITS_DEG
    ]
    return [
        Candidate(name, condition, hold) for name, condition in kinds for hold in HOLD_DURATIONS_S
    ]


def count_triggers(states: Sequence[FrameState], condition: Condition, hold_s: float) -> int:
    """Times the gesture fires: once per unbroken run of ``condition`` lasting ``hold_s`` (from
    its first frame's time to a later frame's time)."""
    fired = 0
    run_start_s: float | None = None
    fired_in_run = False
    for state in states:
        if not condition(state):
            run_start_s, fired_in_run = None, False
            continue
        if run_start_s is None:
            run_start_s = state.time_s
        if not fired_in_run and state.time_s - run_start_s >= hold_s:
            fired += 1
            fired_in_run = True
    return fired


def longest_run_s(states: Sequence[FrameState], condition: Condition) -> float:
    """The longest unbroken run of ``condition``, first to last frame, in seconds."""
    longest, run_start_s = 0.0, None
    for state in states:
        if not condition(state):
            run_start_s = None
            continue
        if run_start_s is None:
            run_start_s = state.time_s
        longest = max(longest, state.time_s - run_start_s)
    return longest


def choose(
    candidate_list: Sequence[Candidate],
    triggers: Sequence[int],
    longest_runs_s: Sequence[float],
    margin: float,
) -> Candidate | None:
    """The candidate with no false trigger, a hold at least ``margin`` times the longest
    accidental run of its condition, and the shortest hold (the list's order breaks ties)."""
    safe = [
        candidate
        for candidate, count, longest_s in zip(
            candidate_list, triggers, longest_runs_s, strict=True
        )
        if count == 0 and candidate.hold_s >= margin * longest_s
    ]
    return min(safe, key=lambda c: c.hold_s) if safe else None


@dataclass(frozen=True, slots=True)
class TrackedVideo:
    name: str
    fps: float
    frame_count: int
    states: list[FrameState]
    blink_count: int

    @property
    def minutes(self) -> float:
        return self.frame_count / self.fps / 60.0


def _frames(path: Path) -> Iterator[npt.NDArray[np.uint8]]:
    capture = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield np.asarray(frame, np.uint8)
    finally:
        capture.release()


def track_video(path: Path, models: PipelineModels, name: str) -> TrackedVideo:
    capture = cv2.VideoCapture(str(path))
    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 25.0
    capture.release()
    tracker = GazeTracker(models=models)
    states: list[FrameState] = []
    blinks = frame_count = 0
    # Every frame: blinks last 3-10 frames, so skipping frames would hide the closures measured.
    for index, frame in enumerate(_frames(path)):
        frame_count += 1
        time_s = index / fps
        sample = tracker.process(frame, round(time_s * 1e9))
        blinks += sum(event.phase.value == "start" for event in sample.blink_events)
        states.append(FrameState.from_sample(sample, time_s))
    return TrackedVideo(name, fps, frame_count, states, blinks)


def _video_table(videos: Sequence[TrackedVideo]) -> None:
    rows: list[list[Cell]] = []
    for video in videos:
        faces = sum(state.face_found for state in video.states)
        rows.append(
            [
                video.name,
                video.minutes,
                len(video.states),
                100.0 * faces / max(1, len(video.states)),
                video.blink_count,
                longest_run_s(video.states, _blink_closed),
                longest_run_s(video.states, _lids_closed),
                longest_run_s(video.states, looked_away(None)),
            ]
        )
    print_table(
        "Gesture bench: the clips (people not making any gesture)",
        ["video", "minutes", "frames tracked", "face %", "blinks", "longest blink-state s",
         "longest both-lids s", "longest face/gaze lost s"],
        rows,
    )  # fmt: skip


def run(data_dir: Path) -> None:
    cv2.setNumThreads(1)
    paths = sorted((data_dir / VIDEO_DIR).glob("**/*.mp4"))
    if not paths:
        print(f"gesture benchmark skipped: no videos under {data_dir / VIDEO_DIR}")
        return
    models = PipelineModels()
    models.warm_up()
    videos = [
        track_video(path, models, str(path.relative_to(data_dir / VIDEO_DIR))) for path in paths
    ]
    _video_table(videos)
    total_minutes = sum(video.minutes for video in videos)
    candidate_list = candidates()
    per_video = [
        [count_triggers(video.states, c.condition, c.hold_s) for video in videos]
        for c in candidate_list
    ]
    totals = [sum(counts) for counts in per_video]
    print_table(
        f"False triggers of each candidate pause gesture on {total_minutes:.1f} min of video "
        "(nobody is making a gesture, so every trigger is false)",
        ["candidate", "hold s", *(video.name for video in videos), "total", "per minute"],
        [
            [c.name, c.hold_s, *counts, total, total / total_minutes]
            for c, counts, total in zip(candidate_list, per_video, totals, strict=True)
        ],
    )
    longest_runs_s = [
        max(longest_run_s(video.states, c.condition) for video in videos) for c in candidate_list
    ]
    print()
    for label, margin in (
        ("no false trigger, shortest hold", 1.0),
        (f"also hold >= {HOLD_MARGIN:g} x the longest accidental run", HOLD_MARGIN),
    ):
        chosen = choose(candidate_list, totals, longest_runs_s, margin)
        if chosen is None:
            print(f"Choice ({label}): none; every candidate fired by accident or lacks the margin.")
            continue
        longest_s = longest_runs_s[candidate_list.index(chosen)]
        print(
            f"Choice ({label}): '{chosen.name}' held for "
            f"{chosen.hold_s:g} s (longest accidental run {longest_s:.2f} s), measured on "
            f"{total_minutes:.1f} min of {len(videos)} videos: a small sample of few people; "
            "deliberate gestures were not measured."
        )


if __name__ == "__main__":
    from bench.__main__ import DEFAULT_DATA_DIR

    run(Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR)))
