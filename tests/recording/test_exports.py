"""The CSV export a researcher opens: the screen point in px and degrees, validity per eye,
calibration and validation results in the metadata, and times that can be trusted."""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gazertc.recording.export import export_csv
from gazertc.recording.store import RecordingStore
from gazertc.recording.tables import GAP_FACTOR
from tests.recording.backends import new_store
from tests.recording.recorded import (
    FRAME_NS,
    calibration_message,
    record_session,
    validation_message,
)

INTEGER = re.compile(r"[0-9]+")
SCREEN = calibration_message()["model"]["screen"]
"""1536x864 CSS px, 344x194 mm: the calibration's screen."""


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[RecordingStore]:
    opened = new_store(tmp_path / "data", database_url)
    opened.open()
    yield opened
    opened.close()


def _export(store: RecordingStore, recording_id: str, out: Path, **geometry: Any) -> Path:
    with store.database.connect(read_only=True) as connection:
        export_csv(connection, recording_id, out, **geometry)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _distance_at(timestamp_unix_ns: int, reports: list[dict[str, Any]]) -> float:
    """The viewing distance of the latest report sent before the sample, computed here from
    the reports in the metadata."""
    before = [r for r in reports if r["sent_unix_ns"] <= timestamp_unix_ns]
    return float(before[-1]["message"]["viewing_distance_mm"])


async def test_the_screen_point_and_validity_match_the_stored_samples(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store)
    out = _export(store, session.info.recording_id, tmp_path / "csv")
    rows = _rows(out / "samples.csv")
    metadata = json.loads((out / "recording.json").read_text())
    assert len(rows) == len(session.stored) == session.info.sample_count
    reports = metadata["calibration_reports"]
    mm_per_px = (SCREEN["width_mm"] / SCREEN["width_px"], SCREEN["height_mm"] / SCREEN["height_px"])
    for row, message in zip(rows, session.stored, strict=True):
        assert int(row["timestamp_unix_ns"]) == message.sample.timestamp_unix_ns
        for side, eye in (("right", message.sample.right_eye), ("left", message.sample.left_eye)):
            valid = eye is not None and eye.is_open and eye.centre_px is not None
            assert row[f"{side}_eye_valid"] == str(int(valid))
        point = message.screen_point
        if point is None:
            assert [row[f"screen_{axis}"] for axis in ("x_css_px", "y_css_px", "x_deg")] == [""] * 3
            continue
        assert float(row["screen_x_css_px"]) == pytest.approx(point.x_css_px, abs=0.05)
        assert float(row["screen_y_css_px"]) == pytest.approx(point.y_css_px, abs=0.05)
        assert float(row["screen_smoothed_x_css_px"]) == pytest.approx(point.smoothed_x_css_px)
        assert float(row["screen_smoothed_y_css_px"]) == pytest.approx(point.smoothed_y_css_px)
        distance = _distance_at(message.sample.timestamp_unix_ns, reports)
        right_mm = (round(point.x_css_px, 1) - SCREEN["width_px"] / 2) * mm_per_px[0]
        up_mm = (SCREEN["height_px"] / 2 - round(point.y_css_px, 1)) * mm_per_px[1]
        assert float(row["screen_x_deg"]) == pytest.approx(
            math.degrees(math.atan(right_mm / distance)), abs=1e-3
        )
        assert float(row["screen_y_deg"]) == pytest.approx(
            math.degrees(math.atan(up_mm / distance)), abs=1e-3
        )
    assert metadata["visual_angle"]["computed"] is True
    assert metadata["visual_angle"]["screen_size_source"] == "reported by the client"
    assert "estimated by the server" in metadata["visual_angle"]["viewing_distance_source"]


async def test_degrees_stay_empty_without_a_screen_size_and_say_why(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store, calibrated=False)
    out = _export(store, session.info.recording_id, tmp_path / "csv")
    rows = _rows(out / "samples.csv")
    assert {row["screen_x_deg"] for row in rows} == {""}
    assert {row["screen_x_css_px"] for row in rows} == {""}
    angle = json.loads((out / "recording.json").read_text())["visual_angle"]
    assert angle["computed"] is False
    assert angle["empty_because"] == ("the screen's physical size and the viewing distance unknown")


async def test_a_researchers_geometry_takes_the_place_of_the_estimates(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store)
    out = _export(
        store,
        session.info.recording_id,
        tmp_path / "csv",
        screen_size_mm=(300.0, 200.0),
        viewing_distance_mm=700.0,
    )
    row = next(row for row in _rows(out / "samples.csv") if row["screen_x_css_px"])
    right_mm = (float(row["screen_x_css_px"]) - SCREEN["width_px"] / 2) * 300.0 / 1536
    assert float(row["screen_x_deg"]) == pytest.approx(
        math.degrees(math.atan(right_mm / 700.0)), abs=1e-3
    )
    angle = json.loads((out / "recording.json").read_text())["visual_angle"]
    assert (angle["screen_size_source"], angle["viewing_distance_source"]) == (
        "given at export",
        "given at export",
    )
    with store.database.connect(read_only=True) as connection, pytest.raises(ValueError):
        export_csv(connection, session.info.recording_id, tmp_path / "x", viewing_distance_mm=0)


async def test_calibration_and_validation_results_are_in_the_metadata(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store)
    metadata = json.loads(
        (_export(store, session.info.recording_id, tmp_path / "csv") / "recording.json").read_text()
    )
    reports = metadata["calibration_reports"]
    assert [report["type"] for report in reports] == [
        "calibration_result",
        "validation_result",
        "validation_result",
    ]
    assert reports[0]["message"] == calibration_message()
    assert reports[1]["message"] == validation_message()
    assert reports[0]["sent_unix_ns"] < session.info.started_unix_ns < reports[2]["sent_unix_ns"]
    targets = reports[1]["message"]["targets"]
    assert {"accuracy_deg", "precision_deg", "accuracy_px", "precision_px"} <= set(targets[0])
    # The latest validation is the one measured while recording.
    assert metadata["calibration_quality"]["accuracy_deg"] == 1.5
    assert metadata["calibration_quality"]["precision_deg"] == validation_message()["precision_deg"]
    # The recording's own metadata keeps those from before its start.
    assert [r["type"] for r in session.info.metadata["calibration_reports"]] == [
        "calibration_result",
        "validation_result",
    ]


async def test_times_are_exact_never_negative_and_gaps_stay_visible(
    store: RecordingStore, tmp_path: Path
) -> None:
    dropped = frozenset({7, 8, 20})
    session = await record_session(store, skip=dropped)
    out = _export(store, session.info.recording_id, tmp_path / "csv")
    started = session.info.started_unix_ns
    samples = _rows(out / "samples.csv")
    # The frame captured before the start was not recorded; no row was invented for the gaps.
    assert len(samples) == 40 - len(dropped)
    for table in ("samples", "events", "blinks", "fixations", "saccades"):
        for row in _rows(out / f"{table}.csv"):
            for name, text in row.items():
                if name.endswith("_unix_ns"):
                    assert INTEGER.fullmatch(text), (table, name, text)
                if name.endswith("time_s") and text:
                    assert float(text) >= 0.0, (table, name, text)
    steps = [
        int(b["timestamp_unix_ns"]) - int(a["timestamp_unix_ns"])
        for a, b in itertools.pairwise(samples)
    ]
    assert sorted(set(steps)) == [FRAME_NS, 2 * FRAME_NS, 3 * FRAME_NS]
    timing = json.loads((out / "recording.json").read_text())["timing"]
    assert timing["sampling_rate_hz"] == pytest.approx(1e9 / FRAME_NS, rel=1e-6)
    assert timing["effective_rate_hz"] == pytest.approx(
        (len(samples) - 1) * 1e9 / (39 * FRAME_NS), abs=1e-3
    )
    assert timing["gap_count"] == sum(step > GAP_FACTOR * FRAME_NS for step in steps) == 2
    assert timing["frames_not_processed"] == len(dropped)
    events = {row["name"]: row for row in _rows(out / "events.csv")}
    assert int(events["before_start"]["timestamp_unix_ns"]) == session.early_event_unix_ns
    assert events["before_start"]["time_s"] == ""
    fixations = _rows(out / "fixations.csv")
    assert [int(row["start_unix_ns"]) >= started for row in fixations] == [True, True]
    early = fixations[0]
    assert (int(early["start_unix_ns"]), early["starts_before_recording"]) == (started, "1")
    assert float(early["duration_ms"]) == pytest.approx((int(early["end_unix_ns"]) - started) / 1e6)
    assert fixations[1]["starts_before_recording"] == "0"
