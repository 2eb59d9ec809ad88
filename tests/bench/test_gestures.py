"""The gesture benchmark's counting: synthetic frame sequences with known runs."""

from __future__ import annotations

from dataclasses import replace

from bench.gestures import (
    Candidate,
    FrameState,
    choose,
    count_triggers,
    longest_run_s,
    looked_away,
)

from gazertc.vision.types import (
    EyeObservation,
    EyeSide,
    GazeDirection,
    GazeSample,
    TrackingState,
)

FRAME_S = 0.04


def _states(closed_pattern: str) -> list[FrameState]:
    """One frame per character, 25 fps: ``#`` both lids closed, ``.`` open, ``-`` no face."""
    return [
        FrameState(
            time_s=index * FRAME_S,
            face_found=mark != "-",
            blinking=False,
            both_lids_closed=mark == "#",
            gaze_off_axis_deg=None if mark != "." else 5.0,
        )
        for index, mark in enumerate(closed_pattern)
    ]


def _closed(state: FrameState) -> bool:
    return state.both_lids_closed


def test_a_long_closure_fires_once_however_long_it_is_held() -> None:
    # 60 closed frames = 2.36 s from first to last: one trigger at 0.5 s, none after.
    states = _states("." * 10 + "#" * 60 + "." * 10)
    assert count_triggers(states, _closed, 0.5) == 1
    assert count_triggers(states, _closed, 2.0) == 1
    assert count_triggers(states, _closed, 2.5) == 0


def test_blinks_shorter_than_the_hold_never_fire() -> None:
    # Ten blinks of 6 frames (0.2 s first to last) with open eyes between them.
    states = _states(("." * 20 + "#" * 6) * 10)
    assert count_triggers(states, _closed, 0.5) == 0
    assert abs(longest_run_s(states, _closed) - 5 * FRAME_S) < 1e-9


def test_each_separate_run_fires_and_an_open_frame_breaks_a_run() -> None:
    states = _states("#" * 20 + "." + "#" * 20 + "." * 5 + "#" * 5)
    assert count_triggers(states, _closed, 0.5) == 2
    assert count_triggers(states, _closed, 0.9) == 0


def test_looked_away_counts_lost_faces_lost_gaze_and_far_gaze() -> None:
    near, far = 10.0, 35.0
    frames = [
        FrameState(0.0, True, False, False, near),
        FrameState(0.04, True, False, False, far),
        FrameState(0.08, True, False, False, None),
        FrameState(0.12, False, False, False, None),
    ]
    assert [looked_away(None)(f) for f in frames] == [False, False, True, True]
    assert [looked_away(30.0)(f) for f in frames] == [False, True, True, True]


def test_the_choice_is_the_shortest_hold_without_false_triggers_and_with_the_margin() -> None:
    short = Candidate("a", _closed, 0.5)
    longer = Candidate("a", _closed, 1.0)
    other = Candidate("b", _closed, 0.5)
    candidates = [short, longer, other]
    assert choose(candidates, [0, 0, 1], [0.46, 0.46, 0.8], 1.0) is short
    assert choose(candidates, [0, 0, 1], [0.46, 0.46, 0.8], 2.0) is longer
    assert choose(candidates, [1, 1, 1], [0.46, 0.46, 0.8], 1.0) is None


def _eye(side: EyeSide, is_open: bool) -> EyeObservation:
    return EyeObservation(
        side=side,
        centre_px=None,
        iris_radius_px=None,
        confidence=0.0,
        openness=0.3 if is_open else 0.05,
        is_open=is_open,
        inner_corner_px=(0.0, 0.0),
        outer_corner_px=(10.0, 0.0),
    )


def test_frame_state_reads_what_a_client_sees_in_a_sample() -> None:
    gaze = GazeDirection(3.0, 4.0, (0.0, 0.0, 600.0), (0.0, 0.0, -1.0), (EyeSide.RIGHT,))
    sample = GazeSample(
        timestamp_unix_ns=0,
        frame_index=0,
        frame_width_px=640,
        frame_height_px=480,
        face_found=True,
        tracking=TrackingState.TRACKED,
        right_eye=_eye(EyeSide.RIGHT, False),
        left_eye=_eye(EyeSide.LEFT, False),
        gaze=gaze,
        blinking=True,
    )
    state = FrameState.from_sample(sample, 1.5)
    assert state.both_lids_closed and state.blinking and state.face_found
    assert state.gaze_off_axis_deg == 5.0
    one_open = FrameState.from_sample(replace(sample, left_eye=_eye(EyeSide.LEFT, True)), 1.5)
    assert not one_open.both_lids_closed
    lost = GazeSample(0, 1, 640, 480, face_found=False, tracking=TrackingState.LOST)
    assert FrameState.from_sample(lost, 0.0) == FrameState(0.0, False, False, False, None)
