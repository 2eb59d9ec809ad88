"""``gazertc recordings`` and short ids on the command line, run as the command in its own
process: the table and the JSON list what the store holds, and ``gazertc export`` takes the
short id the table shows."""

from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from gazertc.recording.store import (
    DATABASE_NAME,
    RecordingStore,
    connect_read_only,
    list_recording_infos,
)
from gazertc.records import RecordingState, SampleMessage

SESSION_ID = "0123456789abcdef0123456789abcdef"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "messages"
RECORDING_TABLES = ("recordings", "samples", "events", "blinks", "oculomotor")

SHARED_START_A = "abcd1234" + "0" * 24
SHARED_START_B = "abcd1234" + "1" * 24
"""Two ids with the same short id: only a longer start tells them apart."""
ALONE = "5e7f9a0b" + "2" * 24


def store_recordings(
    data_dir: Path, recording_ids: Sequence[str], *, samples: int = 0
) -> list[str]:
    """Write one saved recording per id into ``data_dir`` (each with ``samples`` copies of the
    fixture sample), then give each its id; returns the ids."""
    face = json.loads((FIXTURES / "sample.face.json").read_text(encoding="utf-8"))
    message = SampleMessage.from_dict(face)
    text = json.dumps(face, separators=(",", ":"))
    store = RecordingStore(data_dir, commit_interval_s=0.01)
    store.open()
    made = []
    try:
        for index, _ in enumerate(recording_ids):
            recording_id, started = store.start(
                SESSION_ID, name=f"participant {index + 1}", metadata={}
            )
            started.result(timeout=5)
            for _ in range(samples):
                store.add_sample(recording_id, message, text)
            store.finish(recording_id, RecordingState.SAVED).result(timeout=5)
            made.append(recording_id)
    finally:
        store.close()
    connection = sqlite3.connect(data_dir / DATABASE_NAME)
    try:
        with connection:
            for old, new in zip(made, recording_ids, strict=True):
                for table in RECORDING_TABLES:
                    connection.execute(
                        f"UPDATE {table} SET recording_id = ? WHERE recording_id = ?", (new, old)
                    )
    finally:
        connection.close()
    return list(recording_ids)


CLI_TIMEOUT_S = 120
"""A generous bound for one command: starting Python and importing OpenCV takes a second or two
on a busy machine."""
SAMPLES = 4
IDS = (ALONE, SHARED_START_A, SHARED_START_B)


def _gazertc(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gazertc", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def _assert_fails(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"gazertc: error: {message}\n"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """``tmp_path/data`` with three saved recordings, two sharing a short id."""
    store_recordings(tmp_path / "data", IDS, samples=SAMPLES)
    return tmp_path / "data"


def _utc(unix_ns: int) -> str:
    return datetime.datetime.fromtimestamp(unix_ns / 1e9, datetime.UTC).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


def test_the_table_lists_each_recording_oldest_first(tmp_path: Path, data_dir: Path) -> None:
    result = _gazertc(tmp_path, "recordings", "--data-dir", "data")
    assert (result.returncode, result.stderr) == (0, "")
    header, *lines = result.stdout.splitlines()
    assert header.split() == [
        "ID", "STATE", "STARTED", "(UTC)", "ENDED", "(UTC)", "DURATION", "SAMPLES", "EVENTS",
        "SESSION", "NAME",
    ]  # fmt: skip
    with connect_read_only(data_dir) as connection:
        infos = list_recording_infos(connection)
    assert len(lines) == len(infos) == len(IDS)
    for line, info in zip(lines, infos, strict=True):
        assert info.stopped_unix_ns is not None
        assert line.split() == [
            info.recording_id[:8],
            "saved",
            *_utc(info.started_unix_ns).split(),
            *_utc(info.stopped_unix_ns).split(),
            "0:00:00",
            str(SAMPLES),
            "0",
            info.session_id[:8],
            *(info.name or "").split(),
        ]
    assert [line.split()[0] for line in lines] == [recording_id[:8] for recording_id in IDS]


def test_json_lists_the_full_summaries_with_short_ids(tmp_path: Path, data_dir: Path) -> None:
    result = _gazertc(tmp_path, "recordings", "--json", "--data-dir", "data")
    assert (result.returncode, result.stderr) == (0, "")
    listed = json.loads(result.stdout)["recordings"]
    with connect_read_only(data_dir) as connection:
        infos = list_recording_infos(connection)
    assert [entry["recording_id"] for entry in listed] == list(IDS)
    for entry, info in zip(listed, infos, strict=True):
        assert entry["short_id"] == info.recording_id[:8]
        assert info.stopped_unix_ns is not None
        duration_s = (info.stopped_unix_ns - info.started_unix_ns) / 1e9
        assert entry["duration_s"] == pytest.approx(duration_s)
        assert {k: v for k, v in entry.items() if k not in {"short_id", "duration_s"}} == (
            info.to_dict()
        )
        assert entry["sample_count"] == SAMPLES


def test_an_empty_data_directory_says_so(tmp_path: Path) -> None:
    store_recordings(tmp_path / "data", ())
    table = _gazertc(tmp_path, "recordings", "--data-dir", "data")
    assert (table.returncode, table.stdout, table.stderr) == (0, "no recordings yet\n", "")
    listed = _gazertc(tmp_path, "recordings", "--json", "--data-dir", "data")
    assert json.loads(listed.stdout) == {"recordings": []}


def test_no_database_is_one_line(tmp_path: Path) -> None:
    _assert_fails(
        _gazertc(tmp_path, "recordings", "--data-dir", "nowhere"),
        f"nowhere: no recordings here ({DATABASE_NAME} is missing)",
    )


def test_export_takes_the_short_id_and_names_the_folder_after_the_full_id(
    tmp_path: Path, data_dir: Path
) -> None:
    result = _gazertc(tmp_path, "export", ALONE[:8], "--data-dir", "data")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == f"{ALONE}-csv/samples.csv"
    rows = (tmp_path / f"{ALONE}-csv" / "samples.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + SAMPLES


def test_export_refuses_an_ambiguous_short_id_naming_the_candidates(
    tmp_path: Path, data_dir: Path
) -> None:
    _assert_fails(
        _gazertc(tmp_path, "export", SHARED_START_A[:8], "--data-dir", "data"),
        f"recording id '{SHARED_START_A[:8]}' is ambiguous: 2 recordings begin with it "
        f"({SHARED_START_A}, {SHARED_START_B}); give more of the id; "
        "`gazertc recordings --data-dir data` lists them",
    )
    assert not list(tmp_path.glob("*-csv"))
    longer = _gazertc(tmp_path, "export", SHARED_START_B[:9], "--data-dir", "data")
    assert (longer.returncode, longer.stderr) == (0, "")
    assert (tmp_path / f"{SHARED_START_B}-csv").is_dir()


def test_export_of_an_unknown_or_too_short_id(tmp_path: Path, data_dir: Path) -> None:
    listing = "`gazertc export --list --data-dir data` shows the ids"
    _assert_fails(
        _gazertc(tmp_path, "export", "ffffffff", "--data-dir", "data"),
        f"no recording 'ffffffff' in data/{DATABASE_NAME} (it holds 3); {listing}",
    )
    _assert_fails(
        _gazertc(tmp_path, "export", ALONE[:3], "--data-dir", "data"),
        f"no recording '{ALONE[:3]}' in data/{DATABASE_NAME} (it holds 3; a short id needs at "
        f"least 4 characters); {listing}",
    )
