"""Recordings are personal data: the store's directory is 0700 and its database files 0600,
whatever the umask; so are the files of an export."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gazertc.recording.export import export_bids, export_csv
from gazertc.recording.store import DATABASE_NAME, RecordingStore, connect_read_only
from gazertc.records import RecordingState
from tests.real_samples import real_sample_messages


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: anything private must be made so on purpose."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _record(data_dir: Path) -> str:
    store = RecordingStore(data_dir, commit_interval_s=0.01)
    store.open()
    try:
        recording_id, started = store.start("a" * 32, name=None, metadata={})
        started.result(5)
        for message in real_sample_messages()[:10]:
            text = json.dumps(message.to_dict(), separators=(",", ":"))
            store.add_sample(recording_id, message, text)
        store.finish(recording_id, RecordingState.SAVED).result(5)
        database = data_dir / DATABASE_NAME
        files = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
        assert all(path.exists() for path in files)  # WAL mode, while the store is open
        assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        store.close()
    return recording_id


@pytest.mark.usefixtures("open_umask")
def test_a_new_data_directory_and_its_database_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    _record(data_dir)
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / DATABASE_NAME) == 0o600


@pytest.mark.usefixtures("open_umask")
def test_an_existing_database_is_made_private(tmp_path: Path) -> None:
    _record(tmp_path)
    (tmp_path / DATABASE_NAME).chmod(0o644)  # as an older gazertc left it
    _record(tmp_path)
    assert _mode(tmp_path / DATABASE_NAME) == 0o600


def test_an_existing_shared_directory_keeps_its_mode_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tmp_path.chmod(0o755)
    with caplog.at_level(logging.WARNING):
        _record(tmp_path)
    assert _mode(tmp_path) == 0o755
    assert "can be listed by other users" in caplog.text


@pytest.mark.usefixtures("open_umask")
def test_exports_are_private(tmp_path: Path) -> None:
    recording_id = _record(tmp_path / "data")
    connection = connect_read_only(tmp_path / "data")
    try:
        written = [
            *export_csv(connection, recording_id, tmp_path / "csv"),
            *export_bids(connection, recording_id, tmp_path / "bids"),
        ]
    finally:
        connection.close()
    assert written
    assert {path.name: _mode(path) for path in written} == {path.name: 0o600 for path in written}
    assert _mode(tmp_path / "csv") == 0o700
    folders = [
        tmp_path / "bids",
        *(path for path in (tmp_path / "bids").rglob("*") if path.is_dir()),
    ]
    assert {str(path): _mode(path) for path in folders} == {str(path): 0o700 for path in folders}
    assert len(folders) == 3  # the dataset, sub-01 and beh
