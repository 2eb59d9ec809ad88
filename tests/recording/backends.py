"""Recording stores on either backend, for the tests parametrized by ``database_url`` (see
``conftest.py``: ``None`` is SQLite in the data directory)."""

from __future__ import annotations

from pathlib import Path

from gazertc.recording.backend import open_database
from gazertc.recording.store import RecordingStore

__all__ = ["new_store"]


def new_store(
    data_dir: Path, database_url: str | None, *, commit_interval_s: float = 0.01
) -> RecordingStore:
    """A store (not yet opened) of ``data_dir`` keeping its rows where ``database_url`` says."""
    database = open_database(data_dir, database_url)
    return RecordingStore(data_dir, commit_interval_s=commit_interval_s, database=database)
