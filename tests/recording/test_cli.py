"""``gazertc export`` run as a command, in its own process: every failure is one line on stderr
naming the file and what to do, with exit status 2, and never a traceback.

The inputs are made here: a data directory written by the real store, a database of random bytes
and one cut short, one locked by another connection, output paths that exist or cannot be made.
"""

from __future__ import annotations

import os
import random
import shlex
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gazertc.recording.cli import LOCK_WAIT_S
from gazertc.recording.private import PRIVATE_DIR_MODE
from gazertc.recording.store import DATABASE_NAME, RecordingStore
from gazertc.records import RecordingState

SESSION_ID = "0123456789abcdef0123456789abcdef"
CLI_TIMEOUT_S = 120
"""A generous bound for one command: starting Python and importing OpenCV takes a second or two
on a busy machine; an export of an empty recording adds milliseconds."""

CSV_FILES = ("samples", "events", "blinks", "fixations", "saccades")


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


def _private_folder(path: Path) -> Path:
    """A folder as the export makes one (0700): in one others may list, the export adds a
    warning that its files are private all the same."""
    path.mkdir()
    path.chmod(PRIVATE_DIR_MODE)
    return path


@pytest.fixture
def recording(tmp_path: Path) -> str:
    """``tmp_path/data``: a data directory holding one saved recording; returns its id."""
    store = RecordingStore(tmp_path / "data", commit_interval_s=0.01)
    store.open()
    try:
        recording_id, started = store.start(SESSION_ID, name="participant 1", metadata={})
        started.result(timeout=5)
        store.finish(recording_id, RecordingState.SAVED).result(timeout=5)
    finally:
        store.close()
    return recording_id


def test_export_writes_the_files_and_lists_them(tmp_path: Path, recording: str) -> None:
    result = _gazertc(tmp_path, "export", recording, "--data-dir", "data")
    assert (result.returncode, result.stderr) == (0, "")
    folder = f"{recording}-csv"
    names = [*(f"{name}.csv" for name in CSV_FILES), "recording.json"]
    assert result.stdout.splitlines() == [f"{folder}/{name}" for name in names]
    assert all((tmp_path / folder / name).is_file() for name in names)
    assert (tmp_path / folder).stat().st_mode & 0o777 == PRIVATE_DIR_MODE


@pytest.mark.parametrize("damage", ["random bytes", "cut short"])
def test_damaged_database(damage: str, tmp_path: Path, recording: str) -> None:
    database = tmp_path / "data" / DATABASE_NAME
    if damage == "random bytes":
        database.write_bytes(random.Random(11).randbytes(8192))
        reason = "file is not a database"
    else:  # the header still promises every page; the recordings table's are gone
        database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
        reason = "database disk image is malformed"
    result = _gazertc(tmp_path, "export", recording, "--data-dir", "data")
    _assert_fails(
        result,
        f"data/{DATABASE_NAME} is damaged or not a gazertc recordings database (sqlite: {reason});"
        " restore it from a backup, or check that --data-dir names the server's data directory",
    )
    assert not (tmp_path / f"{recording}-csv").exists()


def test_locked_database(tmp_path: Path, recording: str) -> None:
    # The server's WAL mode never blocks a reader; another program's exclusive transaction on a
    # database in rollback-journal mode does.
    holder = sqlite3.connect(tmp_path / "data" / DATABASE_NAME, isolation_level=None)
    try:
        assert holder.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        result = _gazertc(tmp_path, "export", recording, "--data-dir", "data")
        waited_s = time.monotonic() - started
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    _assert_fails(
        result,
        f"data/{DATABASE_NAME} is locked by another program (sqlite: database is locked; waited "
        f"{LOCK_WAIT_S:g} s); close that program or let it finish, then export again",
    )
    assert waited_s >= LOCK_WAIT_S
    assert not (tmp_path / f"{recording}-csv").exists()


def test_unknown_id_says_how_to_see_the_ids_and_that_works(tmp_path: Path, recording: str) -> None:
    result = _gazertc(tmp_path, "export", "0000", "--data-dir", "data")
    command = "gazertc export --list --data-dir data"
    _assert_fails(
        result,
        f"no recording '0000' in data/{DATABASE_NAME} (it holds 1); `{command}` shows the ids",
    )
    listed = _gazertc(tmp_path, *shlex.split(command)[1:])
    assert (listed.returncode, listed.stderr) == (0, "")
    (line,) = listed.stdout.splitlines()
    assert line.startswith(f"{recording}  saved  ")
    assert line.endswith("        0 samples  participant 1")


def test_no_id_and_no_database(tmp_path: Path) -> None:
    _assert_fails(
        _gazertc(tmp_path, "export"),
        "give the id of the recording to export; `gazertc export --list` shows the ids",
    )
    _assert_fails(
        _gazertc(tmp_path, "export", "0000", "--data-dir", "nowhere"),
        f"nowhere: no recordings here ({DATABASE_NAME} is missing)",
    )


@pytest.mark.parametrize("flag", ["--force", "--overwrite"])
def test_existing_output_folder_only_with_force(flag: str, tmp_path: Path, recording: str) -> None:
    output = _private_folder(tmp_path / "out")
    (output / "notes.txt").write_text("mine\n")
    (output / "samples.csv").write_text("an older export\n")
    _assert_fails(
        _gazertc(tmp_path, "export", recording, "--data-dir", "data", "--output", "out"),
        "out already exists and is not empty; pass --force to write into it (the export's files "
        "are replaced, others kept), or choose another --output",
    )
    assert (output / "samples.csv").read_text() == "an older export\n"
    result = _gazertc(tmp_path, "export", recording, "--data-dir", "data", "--output", "out", flag)
    assert (result.returncode, result.stderr) == (0, "")
    assert (output / "samples.csv").read_text().startswith("timestamp_unix_ns,time_s,")
    assert (output / "notes.txt").read_text() == "mine\n"


def test_an_empty_output_folder_is_used(tmp_path: Path, recording: str) -> None:
    _private_folder(tmp_path / "out")
    result = _gazertc(tmp_path, "export", recording, "--data-dir", "data", "--output", "out")
    assert (result.returncode, result.stderr) == (0, "")
    assert (tmp_path / "out" / "recording.json").is_file()


def test_output_naming_a_file(tmp_path: Path, recording: str) -> None:
    (tmp_path / "out.csv").write_text("keep me\n")
    _assert_fails(
        _gazertc(tmp_path, "export", recording, "--data-dir", "data", "--output", "out.csv"),
        "out.csv exists and is not a folder; --output names the folder the export is written "
        "into: choose another path",
    )
    forced = _gazertc(
        tmp_path, "export", recording, "--data-dir", "data", "--output", "out.csv", "--force"
    )
    assert forced.returncode == 2 and "exists and is not a folder" in forced.stderr
    assert (tmp_path / "out.csv").read_text() == "keep me\n"


def test_output_below_a_file(tmp_path: Path, recording: str) -> None:
    (tmp_path / "out.csv").write_text("keep me\n")
    _assert_fails(
        _gazertc(tmp_path, "export", recording, "--data-dir", "data", "--output", "out.csv/a"),
        "cannot write the export to out.csv/a (out.csv is a file, not a folder); "
        "choose a folder you can write to with --output",
    )


def _unwritable_folder(tmp_path: Path) -> tuple[Path, str]:
    """A folder this process cannot create entries in, and the reason the system gives."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o500)
        return folder, "Permission denied"
    # Root ignores folder permissions; sysfs refuses new entries to everyone.
    if not Path("/sys/kernel").is_dir():
        pytest.skip("running as root without sysfs: no folder here is unwritable to root")
    return Path("/sys"), "Operation not permitted"


def test_unwritable_output_folder(tmp_path: Path, recording: str) -> None:
    folder, reason = _unwritable_folder(tmp_path)
    output = folder / "gazertc-export"
    _assert_fails(
        _gazertc(tmp_path, "export", recording, "--data-dir", "data", "--output", str(output)),
        f"cannot write the export to {output} ({reason}); "
        "choose a folder you can write to with --output",
    )


def test_a_failed_export_leaves_no_folder(tmp_path: Path, recording: str) -> None:
    result = _gazertc(
        tmp_path, "export", recording, "--data-dir", "data", "--format", "bids",
        "--output", "out", "--subject", "a-b",
    )  # fmt: skip
    _assert_fails(result, "the BIDS subject label must be alphanumeric, got 'a-b'")
    assert not (tmp_path / "out").exists()
