"""The ``gazertc export`` command: a stored recording as CSV or BIDS-style files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gazertc.errors import InputError
from gazertc.recording.export import export_bids, export_csv
from gazertc.recording.store import RecordingError, connect_read_only

__all__ = ["DEFAULT_DATA_DIR", "add_arguments", "run"]

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


def run(args: argparse.Namespace) -> int:
    """Export one recording; prints the files written. Returns the exit status.

    Raises:
        InputError: no database, no such recording, or bad BIDS labels.
    """
    output: Path = args.output or Path(f"{args.recording_id}-{args.format}")
    try:
        connection = connect_read_only(args.data_dir)
        try:
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
