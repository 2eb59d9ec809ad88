"""``gazertc.read_recording``: a CSV export, folder or zip, back as typed column tables."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import gazertc
from gazertc.recording.export import EXPORT_SAMPLE_COLUMNS, export_csv
from gazertc.recording.store import RecordingStore
from tests.recording.backends import new_store
from tests.recording.recorded import Session, record_session


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[RecordingStore]:
    opened = new_store(tmp_path / "data", database_url)
    opened.open()
    yield opened
    opened.close()


def _export(store: RecordingStore, session: Session, out: Path) -> list[Path]:
    with store.database.connect(read_only=True) as connection:
        return export_csv(connection, session.info.recording_id, out)


async def test_a_folder_reads_back_typed_and_exact(store: RecordingStore, tmp_path: Path) -> None:
    session = await record_session(store)
    _export(store, session, tmp_path / "csv")
    tables = gazertc.read_recording(tmp_path / "csv")
    samples = tables.samples
    assert list(samples) == [column.name for column in EXPORT_SAMPLE_COLUMNS]
    assert len({len(column) for column in samples.values()}) == 1
    # Exact integers, not floats: a float64 would round these ns times.
    assert samples["timestamp_unix_ns"] == [m.sample.timestamp_unix_ns for m in session.stored]
    assert all(type(value) is int for value in samples["timestamp_unix_ns"])
    assert all(type(value) is int for value in samples["right_eye_valid"])
    points = [m.screen_point for m in session.stored]
    assert samples["screen_x_css_px"] == [
        None if point is None else round(point.x_css_px, 1) for point in points
    ]
    assert {type(value) for value in samples["screen_x_deg"]} == {float, type(None)}
    assert set(tables.events["name"]) == {"before_start", "stimulus"}
    assert tables.events["time_s"][tables.events["name"].index("before_start")] is None
    assert tables.fixations["starts_before_recording"] == [1, 0]
    assert tables.fixations["method"] == ["velocity", "velocity"]
    assert tables.metadata["recording_id"] == session.info.recording_id
    assert tables.metadata["started_unix_ns"] == session.info.started_unix_ns


async def test_a_zip_reads_the_same_with_or_without_a_folder(
    store: RecordingStore, tmp_path: Path
) -> None:
    session = await record_session(store, calibrated=False)
    paths = _export(store, session, tmp_path / "csv")
    from_folder = gazertc.read_recording(tmp_path / "csv")
    for prefix in ("", f"{session.info.recording_id}-csv/"):
        archive_path = tmp_path / f"export{len(prefix)}.zip"
        with zipfile.ZipFile(archive_path, "w") as archive:
            for path in paths:
                archive.write(path, prefix + path.name)
        assert gazertc.read_recording(str(archive_path)) == from_folder


def test_what_is_not_an_export_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(gazertc.InputError, match="not a gazertc CSV export"):
        gazertc.read_recording(tmp_path)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(gazertc.InputError, match="not an export folder or zip"):
        gazertc.read_recording(tmp_path / "junk.zip")
    for name in ("samples", "events", "blinks", "fixations", "saccades"):
        (tmp_path / f"{name}.csv").write_text("timestamp_unix_ns,time_s\n")
    (tmp_path / "recording.json").write_text("{}")
    with (tmp_path / "samples.csv").open("a", newline="") as file:
        csv.writer(file).writerow(["1.5e18", "0.1"])
    with pytest.raises(gazertc.InputError, match=r"samples\.csv, line 2"):
        gazertc.read_recording(tmp_path)
