"""The BIDS export checked against the BIDS schema itself (bidsschematools, pinned): file names
by its validator, sidecar fields and table columns by the schema's rules and definitions."""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from bidsschematools import schema, validator

from gazertc.recording.bids import bids_stem, export_bids
from gazertc.recording.store import RecordingStore
from tests.recording.backends import new_store
from tests.recording.recorded import (
    Session,
    calibration_message,
    record_session,
    validation_message,
)

STEM = "sub-p07_ses-2_task-reading_run-3"
LABELS = {"subject": "p07", "session": "2", "task": "reading", "run": 3}


@functools.cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = schema.load_schema().to_dict()
    return loaded


def _required(group: str, rule: str, section: str = "sidecars") -> set[str]:
    fields = _schema()["rules"][section][group][rule]["fields"]
    return {
        name
        for name, level in fields.items()
        if (level if isinstance(level, str) else level["level"]) == "required"
    }


def _column_names(rule: dict[str, Any], key: str) -> list[str]:
    columns = _schema()["objects"]["columns"]
    return [columns[name]["name"] for name in rule.get(key, [])]


def _check_values(sidecar: dict[str, Any]) -> None:
    """Every field the schema defines has a value its definition allows."""
    definitions = _schema()["objects"]["metadata"]
    for name, value in sidecar.items():
        if name in definitions:
            jsonschema.validate(value, definitions[name])


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[RecordingStore]:
    opened = new_store(tmp_path / "data", database_url)
    opened.open()
    yield opened
    opened.close()


def _export(store: RecordingStore, session: Session, out: Path) -> dict[str, Path]:
    with store.database.connect(read_only=True) as connection:
        paths = export_bids(connection, session.info.recording_id, out, **LABELS)  # type: ignore[arg-type]
    return {str(path.relative_to(out)): path for path in paths}


def _json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _tsv_gz(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in gzip.decompress(path.read_bytes()).decode().splitlines()]


async def test_the_file_names_pass_the_schemas_validator(
    store: RecordingStore, tmp_path: Path
) -> None:
    files = _export(store, await record_session(store), tmp_path / "dataset")
    folder = "sub-p07/ses-2/beh"
    assert sorted(files) == sorted(
        [
            "dataset_description.json",
            f"{folder}/{STEM}_events.json",
            f"{folder}/{STEM}_events.tsv",
            *(
                f"{folder}/{STEM}_recording-eye1_{suffix}"
                for suffix in ("physio.json", "physio.tsv.gz", "physioevents.json",
                               "physioevents.tsv.gz")
            ),
        ]
    )  # fmt: skip
    result = validator.validate_bids([str(tmp_path / "dataset")])  # type: ignore[no-untyped-call]
    assert result["path_tracking"] == []  # every file matches a file rule
    unmatched_mandatory = [rule for rule in result["schema_tracking"] if rule.get("mandatory")]
    assert unmatched_mandatory == []


async def test_the_sidecars_and_tables_follow_the_schemas_rules(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store)
    files = _export(store, session, tmp_path / "dataset")
    base = f"sub-p07/ses-2/beh/{STEM}"
    physio = _json(files[f"{base}_recording-eye1_physio.json"])
    assert physio["PhysioType"] == "eyetrack"
    required = _required("continuous", "Continuous") | _required("continuous", "EyeTrack")
    assert required <= set(physio)
    _check_values(physio)
    tabular = _schema()["rules"]["tabular_data"]["physio"]
    eyetrack = tabular["PhysioEyeTracking"]
    initial = _column_names(eyetrack, "initial_columns")
    assert (
        physio["Columns"][: len(initial)]
        == initial
        == ["timestamp", "x_coordinate", "y_coordinate"]
    )
    required_columns = {
        _schema()["objects"]["columns"][key]["name"]
        for key, level in eyetrack["columns"].items()
        if level == "required"
    }
    assert required_columns <= set(physio["Columns"])
    assert all(physio[name]["Units"] for name in ("x_coordinate", "y_coordinate"))

    rows = _tsv_gz(files[f"{base}_recording-eye1_physio.tsv.gz"])
    assert len(rows) == len(session.stored)  # no header line, no row invented
    assert all(len(row) == len(physio["Columns"]) for row in rows)
    assert [int(row[0]) for row in rows] == [m.sample.timestamp_unix_ns for m in session.stored]
    for row, message in zip(rows, session.stored, strict=True):
        point = message.screen_point
        expected = (
            ["n/a", "n/a"]
            if point is None
            else [str(round(point.x_css_px, 1)), str(round(point.y_css_px, 1))]
        )
        assert row[1:3] == expected  # fmt: skip
    assert not any(cell in {"", "None", "nan"} for row in rows for cell in row)

    events_sidecar = _json(files[f"{base}_recording-eye1_physioevents.json"])
    assert _required("continuous", "PhysioEvents") <= set(events_sidecar)
    _check_values(events_sidecar)
    events_rule = tabular["PhysioEventsColumns"]
    initial = _column_names(events_rule, "initial_columns")
    assert events_sidecar["Columns"][: len(initial)] == initial
    assert events_sidecar["OnsetSource"] in physio["Columns"]  # the schema's consistency check
    physio_events = _tsv_gz(files[f"{base}_recording-eye1_physioevents.tsv.gz"])
    onsets = [int(row[0]) for row in physio_events]
    assert onsets == sorted(onsets)
    assert min(onsets) == session.early_event_unix_ns  # kept, with its exact time
    durations = [float(row[1]) for row in physio_events if row[1] != "n/a"]
    assert durations and min(durations) >= 0.0
    kinds = [row[2] for row in physio_events]
    assert kinds.count("fixation") == 2
    fixation_onsets = [int(row[0]) for row in physio_events if row[2] == "fixation"]
    assert min(fixation_onsets) == session.info.started_unix_ns

    task_events = (files[f"{base}_events.tsv"]).read_text().splitlines()
    header = task_events[0].split("\t")
    assert header[:2] == ["onset", "duration"]  # the schema's initial columns for events
    task_rows = [dict(zip(header, line.split("\t"), strict=True)) for line in task_events[1:]]
    assert [row["trial_type"] for row in task_rows] == ["stimulus"]  # not the one before start
    assert all(float(row["onset"]) >= 0.0 for row in task_rows)
    stimulus = _json(files[f"{base}_events.json"])["StimulusPresentation"]
    _check_values(stimulus)
    # The schema's check for gaze-on-screen recordings: these four, none "n/a".
    assert physio["SampleCoordinateSystem"] == "gaze-on-screen"
    for name in ("ScreenDistance", "ScreenOrigin", "ScreenResolution", "ScreenSize"):
        assert stimulus.get(name, "n/a") != "n/a", name

    description = _json(files["dataset_description.json"])
    assert _required("dataset", "dataset_description", section="json") <= set(description)
    _check_values(description)


async def test_screen_and_calibration_fields_come_from_the_recording(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store)
    files = _export(store, session, tmp_path / "dataset")
    physio = _json(files[f"sub-p07/ses-2/beh/{STEM}_recording-eye1_physio.json"])
    screen = calibration_message()["model"]["screen"]
    assert physio["ScreenResolution"] == [screen["width_px"], screen["height_px"]]
    assert physio["ScreenSize"] == [screen["width_mm"] / 1000, screen["height_mm"] / 1000]
    assert physio["ScreenSizeEstimated"] is False
    assert physio["ScreenDistance"] == physio["EyeTrackerDistance"] == 0.6  # the latest estimate
    assert physio["CalibrationCount"] == 1
    assert physio["CalibrationType"] == "HV9"
    assert len(physio["CalibrationPosition"]) == 9
    assert physio["AverageCalibrationError"] == 1.5  # the validation run while recording
    assert physio["CalibrationErrorSource"].startswith("validation")
    assert physio["MaximalCalibrationError"] == max(
        target["accuracy_deg"] for target in validation_message()["targets"]
    )
    assert physio["SamplingFrequency"] == pytest.approx(30.0, abs=1e-3)
    assert physio["StartTime"] >= 0.0


async def test_an_uncalibrated_recording_uses_a_described_custom_system(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store, calibrated=False)
    files = _export(store, session, tmp_path / "dataset")
    physio = _json(files[f"sub-p07/ses-2/beh/{STEM}_recording-eye1_physio.json"])
    assert physio["SampleCoordinateSystem"] == "custom"
    assert "yaw and pitch in degrees" in physio["SampleCoordinateSystemDescription"]
    assert physio["x_coordinate"]["Units"] == "deg"
    assert physio["CalibrationCount"] == 0
    assert "AverageCalibrationError" not in physio
    _check_values(physio)


async def test_the_same_recording_exports_the_same_bytes(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store)
    first = _export(store, session, tmp_path / "one")
    second = _export(store, session, tmp_path / "two")
    assert {name: path.read_bytes() for name, path in first.items()} == {
        name: path.read_bytes() for name, path in second.items()
    }


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"subject": "a-b", "task": "t"}, "subject label must be alphanumeric"),
        ({"subject": "01", "task": "t", "session": "ü"}, "session label must be alphanumeric"),
        ({"subject": "01", "task": "t_1"}, "task label must be alphanumeric"),
        ({"subject": "01", "task": "t", "run": -1}, "run index"),
    ],
)
def test_bids_labels_are_checked(labels: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bids_stem(**labels)


def test_the_stem_has_the_optional_entities_only_when_given() -> None:
    assert bids_stem("01", "gazertc") == "sub-01_task-gazertc"
    assert bids_stem("01", "x", session="a", run=0) == "sub-01_ses-a_task-x_run-0"
