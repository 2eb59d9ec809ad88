"""The summary, replay, heatmap and scanpath of a recording written through the real store with
generated samples: a gaze that dwells at one screen point, a half-second gap, frames without a
face, events, blinks and fixations whose times and places are known."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gazertc.protocol import validate
from gazertc.recording.backend import Database, open_database
from gazertc.recording.gaze_columns import GazeColumns, load_gaze_columns
from gazertc.recording.heatmap import (
    Area,
    TimedFixation,
    extent_area,
    gaussian_smoothed,
    gaze_heatmap,
    scanpath,
)
from gazertc.recording.replay import RecordingReplay, build_replay
from gazertc.recording.summary import (
    GAP_S,
    MAX_GAPS,
    RecordingSummary,
    build_summary,
    measure_quality,
)
from gazertc.recording.tables import load_info
from tests.recording.generated import (
    DWELL_POINT,
    EVENT_NAMES,
    FRAME_NS,
    SCREEN,
    Generated,
    record_generated,
)


@pytest.fixture
def generated(tmp_path: Path, database_url: str | None) -> Generated:
    return record_generated(tmp_path, database_url)


@pytest.fixture
def database(tmp_path: Path, database_url: str | None) -> Database:
    return open_database(tmp_path, database_url)


def _built(database: Database, recording_id: str) -> tuple[RecordingSummary, RecordingReplay]:
    with database.connect(read_only=True) as connection:
        info = load_info(connection, recording_id)
        return build_summary(connection, info), build_replay(connection, info)


def test_the_summary_counts_samples_gaps_and_shares(
    database: Database, generated: Generated
) -> None:
    summary, _ = _built(database, generated.recording_id)
    quality = summary.data_quality
    assert quality.samples == len(generated.times_s)
    intervals = np.diff([0.0, *generated.times_s])
    expected_gaps = [
        (round(float(a), 3), round(float(b), 3))
        for a, b, step in zip([0.0, *generated.times_s], generated.times_s, intervals, strict=False)
        if step > GAP_S
    ]
    assert len(expected_gaps) == 1  # the generator's half-second loss, not the 133 ms one
    assert [(gap.start_s, gap.end_s) for gap in quality.gaps] == expected_gaps
    assert quality.gap_count == 1
    assert quality.gap_total_s == pytest.approx(expected_gaps[0][1] - expected_gaps[0][0], abs=1e-3)
    assert quality.frame_rate_hz is not None
    assert quality.frame_rate_hz == pytest.approx(1e9 / FRAME_NS, rel=1e-3)
    assert quality.expected_frames == round(quality.frame_rate_hz * summary.duration_s)
    assert quality.face_found_share == pytest.approx(
        sum(generated.faces) / len(generated.faces), abs=1e-4
    )
    with_point = sum(point is not None for point in generated.screen_points)
    assert quality.screen_gaze_share == pytest.approx(
        with_point / len(generated.screen_points), abs=1e-4
    )
    assert summary.duration_s == pytest.approx(generated.times_s[-1], abs=1e-3)
    assert [event.name for event in summary.events] == list(EVENT_NAMES)
    assert [event.t_s for event in summary.events] == [0.5, 2.0]
    assert summary.screen is not None and summary.screen.to_dict() == SCREEN
    record = summary.to_dict()
    validate(json.loads(json.dumps(record)), "recording_summary")
    assert RecordingSummary.from_dict(record) == summary


def test_the_replay_has_columns_intervals_and_fixation_points(
    database: Database, generated: Generated
) -> None:
    _, replay = _built(database, generated.recording_id)
    assert replay.t_s == tuple(round(t, 3) for t in generated.times_s)
    assert replay.x_px is not None and replay.y_px is not None
    assert [
        None if x is None else (x, y) for x, y in zip(replay.x_px, replay.y_px, strict=True)
    ] == generated.screen_points
    assert replay.face_found == tuple(generated.faces)
    assert sum(value is None for value in replay.yaw_deg) == sum(
        not face for face in generated.faces
    )
    assert [(item.start_s, item.end_s) for item in replay.fixations] == generated.fixations_s
    for fixation in replay.fixations:
        inside = [
            point
            for t, point in zip(generated.times_s, generated.screen_points, strict=True)
            if fixation.start_s <= t <= fixation.end_s and point is not None
        ]
        assert fixation.x_px == pytest.approx(np.mean([p[0] for p in inside]), abs=0.05)
        assert fixation.y_px == pytest.approx(np.mean([p[1] for p in inside]), abs=0.05)
    # The blink began at frame 20 and ended at frame 23.
    assert [(blink.start_s, blink.end_s) for blink in replay.blinks] == [
        (round(generated.times_s[20], 3), round(generated.times_s[23], 3))
    ]
    assert [event.name for event in replay.events] == list(EVENT_NAMES)
    assert (replay.samples_total, replay.sample_step, replay.video) == (
        len(generated.times_s),
        1,
        False,
    )
    record = replay.to_dict()
    validate(json.loads(json.dumps(record)), "recording_replay")
    assert RecordingReplay.from_dict(record) == replay


def test_the_heatmap_peaks_where_the_gaze_dwelled(database: Database, generated: Generated) -> None:
    with database.connect(read_only=True) as connection:
        columns = load_gaze_columns(connection, load_info(connection, generated.recording_id))
    area = Area(0.0, SCREEN["width_px"], 0.0, SCREEN["height_px"])
    heatmap = gaze_heatmap(columns.t_s, columns.x_px, columns.y_px, area, sigma=30.0)
    peak_x, peak_y = heatmap.peak()
    assert math.hypot(peak_x - DWELL_POINT[0], peak_y - DWELL_POINT[1]) < 2 * heatmap.cell_width
    assert heatmap.density.max() == pytest.approx(1.0)
    # Only the samples after the gap: the sweep's points before it no longer count.
    later = gaze_heatmap(columns.t_s, columns.x_px, columns.y_px, area, sigma=30.0, from_s=1.6)
    assert 0 < later.points < heatmap.points
    assert later.points == int(((columns.t_s >= 1.6) & columns.has_screen_gaze).sum())


def test_smoothing_spreads_a_single_point_symmetrically() -> None:
    counts = np.zeros((21, 21))
    counts[10, 10] = 1.0
    smoothed = gaussian_smoothed(counts, 2.0, 2.0)
    peak = np.unravel_index(int(np.argmax(smoothed)), smoothed.shape)
    assert (int(peak[0]), int(peak[1])) == (10, 10)
    assert smoothed[10, 12] == pytest.approx(smoothed[10, 8])
    assert smoothed[10, 12] == pytest.approx(smoothed[12, 10])
    assert smoothed[10, 12] / smoothed[10, 10] == pytest.approx(math.exp(-0.5))


def test_the_scanpath_numbers_fixations_in_time_order_sized_by_duration() -> None:
    fixations = [
        TimedFixation(2.0, 2.1, 30.0, 40.0),
        TimedFixation(0.5, 0.9, 10.0, 20.0),
        TimedFixation(5.0, 5.4, 90.0, 90.0),
    ]
    path = scanpath(fixations, from_s=0.0, to_s=3.0)
    assert [(item.number, item.x) for item in path] == [(1, 10.0), (2, 30.0)]
    assert path[0].radius_fraction == pytest.approx(1.0)
    # A quarter of the longest duration: half the radius (area proportional to duration).
    assert path[1].radius_fraction == pytest.approx(0.5)
    assert scanpath(fixations, from_s=6.0) == []


def test_the_angle_extent_has_a_margin_and_a_minimum_span() -> None:
    area = extent_area([1.0, 2.0, float("nan")], [-1.0, 30.0, 5.0])
    assert area.width == pytest.approx(10.0)
    assert (area.y_min, area.y_max) == pytest.approx((-3.0, 32.0))


def test_the_gap_list_is_bounded() -> None:
    count = 3 * MAX_GAPS
    times = np.arange(count, dtype=np.float64) * 0.5  # every interval is a gap
    nan = np.full(count, np.nan)
    flags = np.ones(count, dtype=bool)
    quality = measure_quality(GazeColumns(times, nan, nan, nan, nan, flags, flags), times[-1])
    assert len(quality.gaps) == MAX_GAPS and quality.gap_count == count - 1
    assert list(quality.gaps) == sorted(quality.gaps, key=lambda gap: gap.start_s)
