"""The ``gazertc export`` command: a stored recording as CSV or BIDS-style files."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

from gazertc.errors import InputError
from gazertc.progress import Progress
from gazertc.recording.export import export_bids, export_csv
from gazertc.recording.store import RecordingError, connect_read_only

__all__ = ["DEFAULT_DATA_DIR", "add_arguments", "count_sample_rows", "run", "sample_count"]

DEFAULT_DATA_DIR = Path("gazertc-data")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``export`` arguments to ``parser``."""
    parser.add_argument("recording_id", help="the recording's id (GET /api/recordings lists them)")
    parser.add_argument("--format", choices=["csv", "bids"], default="csv", help="file format")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"the server's data directory (default ./{DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="folder to write into (default ./<recording id>-<format>)",
    )
    parser.add_argument("--subject", default="01", help="BIDS subject label (bids only)")
    parser.add_argument("--task", default="gazertc", help="BIDS task label (bids only)")


def sample_count(connection: sqlite3.Connection, recording_id: str) -> int | None:
    """How many samples the recording holds (the progress total), ``None`` if unknown."""
    try:
        row = connection.execute(
            "SELECT COUNT(*) FROM samples WHERE recording_id = ?", (recording_id,)
        ).fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


def count_sample_rows(connection: sqlite3.Connection, progress: Progress) -> None:
    """Advance ``progress`` for each ``sample_json`` row the export reads on ``connection``.

    The export functions take a connection and nothing else; counting through its row factory
    reports their progress without threading a callback through them. Other queries (events,
    timestamps for the sampling rate) are not counted.
    """

    previous = connection.row_factory

    def row_factory(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Any:
        if cursor.description and cursor.description[0][0] == "sample_json":
            progress.advance()
        return row if previous is None else previous(cursor, row)

    connection.row_factory = row_factory


def run(args: argparse.Namespace) -> int:
    """Export one recording; prints the files written. Returns the exit status.

    Raises:
        InputError: no database, no such recording, or bad BIDS labels.
    """
    output: Path = args.output or Path(f"{args.recording_id}-{args.format}")
    try:
        connection = connect_read_only(args.data_dir)
        total = sample_count(connection, args.recording_id)
        label = f"export {args.recording_id}"
        try:
            with Progress(label, total, "samples") as progress:
                count_sample_rows(connection, progress)
                if args.format == "csv":
                    paths = export_csv(connection, args.recording_id, output)
                else:
                    paths = export_bids(
                        connection, args.recording_id, output, subject=args.subject, task=args.task
                    )
        finally:
            connection.close()
    except (RecordingError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    for path in paths:
        print(path, file=sys.stdout)
    return 0
