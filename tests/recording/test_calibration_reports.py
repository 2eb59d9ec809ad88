"""Calibration and validation results: what a session keeps before recording, what a recording
stores, what the exports make of them, and degrees from a known geometry."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from gazertc.recording.calibration_reports import (
    CalibrationReport,
    ReportKind,
    bids_calibration_fields,
)
from gazertc.recording.store import RecordingStore
from gazertc.recording.visual_angle import VisualAngle
from gazertc.records import RecordingActor
from gazertc.server.session_recording import SessionRecorder
from tests.recording.backends import new_store
from tests.recording.recorded import SESSION_ID, calibration_message, validation_message


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[RecordingStore]:
    opened = new_store(tmp_path, database_url)
    opened.open()
    yield opened
    opened.close()


def _stored_reports(store: RecordingStore) -> list[tuple[str, str]]:
    store.list().result(timeout=5)  # everything queued before is committed
    with store.database.connect(read_only=True) as connection:
        rows = connection.execute(
            "SELECT recording_id, type FROM calibration_reports ORDER BY report_id"
        )
        return [(recording_id, kind) for recording_id, kind in rows]


async def test_results_wait_for_a_recording_and_a_new_calibration_drops_the_old_validation(
    store: RecordingStore,
) -> None:
    recorder = SessionRecorder(SESSION_ID, store, host_recording=True)
    recorder.on_calibration_message(calibration_message())
    recorder.on_calibration_message(validation_message())
    recorder.on_calibration_message({"v": 1, "type": "status"})  # not a result: ignored
    assert _stored_reports(store) == []  # nothing is stored without a recording
    refit = calibration_message() | {"mean_offset_deg": 0.5}
    recorder.on_calibration_message(refit)  # the validation measured the previous model
    info = await recorder.command("start", None, {"k": 1}, by=RecordingActor.PARTICIPANT)
    kept = info.metadata["calibration_reports"]
    assert info.metadata["k"] == 1
    assert [(r["type"], r["message"]) for r in kept] == [("calibration_result", refit)]
    recorder.on_calibration_message(validation_message())
    await recorder.command("stop", None, {}, by=RecordingActor.PARTICIPANT)
    recorder.on_calibration_message(validation_message())  # after the stop: kept, not stored
    assert _stored_reports(store) == [(info.recording_id, "validation_result")]


async def test_a_server_without_recordings_only_keeps_them() -> None:
    recorder = SessionRecorder(SESSION_ID, None, host_recording=True)
    recorder.on_calibration_message(calibration_message())  # no store: nothing to do, no error


def _report(message: dict[str, object], sent_unix_ns: int) -> CalibrationReport:
    report = CalibrationReport.from_message(message, sent_unix_ns)
    assert report is not None
    return report


def test_without_a_validation_the_error_is_the_fits_and_says_so() -> None:
    calibration = calibration_message()
    fields = bids_calibration_fields([_report(calibration, 1)])
    assert fields["AverageCalibrationError"] == calibration["mean_offset_deg"]
    assert fields["MaximalCalibrationError"] == max(t["offset_deg"] for t in calibration["targets"])
    assert "not an accuracy" in fields["CalibrationErrorSource"]
    # A validation older than the calibration in use measured another model.
    stale = bids_calibration_fields([_report(validation_message(), 1), _report(calibration, 2)])
    assert stale["AverageCalibrationError"] == calibration["mean_offset_deg"]


async def test_a_poor_fit_not_applied_is_stored_but_is_not_the_calibration_in_use(
    store: RecordingStore,
) -> None:
    calibration, validation = calibration_message(), validation_message()
    poor = calibration | {"applied": False, "quality": "poor", "mean_offset_deg": 9.0}
    recorder = SessionRecorder(SESSION_ID, store, host_recording=True)
    recorder.on_calibration_message(calibration)
    recorder.on_calibration_message(validation)
    recorder.on_calibration_message(poor)  # not in use: the validation still measures the model
    info = await recorder.command("start", None, {}, by=RecordingActor.PARTICIPANT)
    kept = [(r["type"], r["message"]) for r in info.metadata["calibration_reports"]]
    assert kept == [("calibration_result", calibration), ("validation_result", validation)]
    recorder.on_calibration_message(poor)
    await recorder.command("stop", None, {}, by=RecordingActor.PARTICIPANT)
    assert _stored_reports(store) == [(info.recording_id, "calibration_result")]
    fields = bids_calibration_fields(
        [_report(calibration, 1), _report(validation, 2), _report(poor, 3)]
    )
    assert fields["CalibrationCount"] == 1
    assert fields["AverageCalibrationError"] == validation["accuracy_deg"]


def test_reports_round_trip_and_reject_other_messages() -> None:
    report = _report(validation_message(), 42)
    assert report.kind is ReportKind.VALIDATION
    assert CalibrationReport.from_dict(report.to_dict()) == report
    assert CalibrationReport.from_message({"type": "sample"}, 1) is None
    assert CalibrationReport.from_message({}, 1) is None


def test_degrees_from_a_known_geometry() -> None:
    screen = {"width_px": 1000, "height_px": 500, "width_mm": 500.0, "height_mm": 250.0}
    angle = VisualAngle([], screen, viewing_distance_mm=500.0)
    # Top-right corner: 250 mm right and 125 mm up of the centre, seen from 500 mm.
    x_deg, y_deg = angle.degrees(10, 1000.0, 0.0)
    assert x_deg == pytest.approx(math.degrees(math.atan(0.5)), abs=1e-3)  # 26.565
    assert y_deg == pytest.approx(math.degrees(math.atan(0.25)), abs=1e-3)  # 14.036
    assert angle.degrees(10, 500.0, 250.0) == (0.0, 0.0)
    assert angle.degrees(10, None, 3.0) == (None, None)
    no_size = VisualAngle([], {"width_px": 1000, "height_px": 500}, viewing_distance_mm=500.0)
    assert no_size.degrees(10, 1000.0, 0.0) == (None, None)
    assert no_size.describe()["empty_because"] == "the screen's physical size unknown"
