"""The ``gazertc report`` command: a stored recording as one self-contained HTML file
(:mod:`gazertc.recording.report_html`).

It reads the database of ``--data-dir`` (or ``--database postgresql://...``) read-only (safe
while a server writes it); the recording
id may be given whole or as the short id the monitor shows. The file is written 0600 (it holds
personal data) and an existing one is replaced only with ``--force``. Errors are one-line
messages (exit status 2), as for ``gazertc export``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gazertc.errors import InputError
from gazertc.recording.backend import DATABASE_ERRORS
from gazertc.recording.cli import (
    DEFAULT_DATA_DIR,
    RecordingsSource,
    add_database_argument,
    find_recording,
)
from gazertc.recording.private import open_private
from gazertc.recording.report_html import build_report

__all__ = ["add_report_arguments", "run_report"]


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``report`` arguments to ``parser``."""
    parser.add_argument(
        "recording_id",
        help="the recording's id, or the short id the monitor shows (`gazertc recordings` "
        "lists them)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="the HTML file to write (default ./<recording id>-report.html)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"the server's data directory (default ./{DEFAULT_DATA_DIR})",
    )
    add_database_argument(parser)
    parser.add_argument("--force", action="store_true", help="replace an existing file")


def run_report(args: argparse.Namespace) -> int:
    """Write the report of one recording; prints the file's path.

    Returns:
        The exit status, 0.

    Raises:
        InputError: no or an unreadable database, no such recording, an output path that
            exists (without ``--force``) or cannot be written.
    """
    source = RecordingsSource.from_args(args)
    connection = source.connect()
    try:
        info = find_recording(connection, args.recording_id, source)
        page = build_report(connection, info)
    except DATABASE_ERRORS as exc:
        raise InputError(source.error_message(exc)) from exc
    finally:
        connection.close()
    output: Path = args.output or Path(f"{info.recording_id}-report.html")
    if output.is_dir():
        raise InputError(f"{output} is a folder; --output names the HTML file to write")
    if output.exists() and not args.force:
        raise InputError(f"{output} already exists; pass --force to replace it")
    try:
        with open_private(output) as file:
            file.write(page)
    except OSError as exc:
        raise InputError(
            f"cannot write the report to {output} ({exc.strerror or exc}); choose another --output"
        ) from exc
    print(output, file=sys.stdout)
    return 0
