"""The ``gazertc export`` command: a stored recording as CSV or BIDS-style files.

Everything that can go wrong on the way is a one-line message naming the file and what to do
(exit status 2): a data directory without a database, a database that is damaged or locked by
another program, an unknown recording id, an output path that already exists or cannot be written.
A folder this run created is removed again when the export fails, so no half export is left.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any, Final

from gazertc.errors import InputError
from gazertc.progress import Progress
from gazertc.recording.export import export_bids, export_csv
from gazertc.recording.private import private_directory
from gazertc.recording.store import (
    DATABASE_NAME,
    RecordingError,
    connect_read_only,
    list_recording_infos,
    read_recording_info,
)
from gazertc.records import RecordingInfo

__all__ = [
    "DEFAULT_DATA_DIR",
    "LOCK_WAIT_S",
    "add_arguments",
    "count_sample_rows",
    "run",
]

DEFAULT_DATA_DIR = Path("gazertc-data")

LOCK_WAIT_S: Final = 2.0
"""How long the export waits for a database another program has locked before it says so. The
server keeps its database in WAL mode, where a writer never blocks a reader; a lock therefore
comes from another program (a database browser, a copy in rollback mode), and waiting longer
than a moment would only delay the message."""

_SQLITE_PRIMARY_CODE_MASK: Final = 0xFF
"""SQLite's extended result codes keep the primary code (``SQLITE_BUSY`` ...) in the low byte."""

_LOCKED_CODES: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_DAMAGED_CODES: Final = frozenset({sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``export`` arguments to ``parser``."""
    parser.add_argument(
        "recording_id",
        nargs="?",
        help="the recording's id (--list shows them; so does GET /api/recordings on the server)",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="list the recordings of the data directory (id, state, start, samples, name)",
    )
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
        help="folder to write into (default ./<recording id>-<format>); it must not exist yet "
        "or be empty, unless --force",
    )
    parser.add_argument(
        "--force",
        "--overwrite",
        action="store_true",
        help="write into an existing, non-empty output folder, replacing the export's files "
        "(other files there are kept)",
    )
    parser.add_argument("--subject", default="01", help="BIDS subject label (bids only)")
    parser.add_argument("--task", default="gazertc", help="BIDS task label (bids only)")


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
    """Export one recording (or, with ``--list``, list them); prints the files written.

    Returns:
        The exit status, 0.

    Raises:
        InputError: no or an unreadable database, no such recording, an output path that
            exists or cannot be written, bad BIDS labels; the message names the fix.
    """
    if args.list:
        if args.recording_id is not None:
            raise InputError("give a recording id to export it, or --list, not both")
        return _list(args.data_dir)
    if args.recording_id is None:
        raise InputError(
            f"give the id of the recording to export; {_list_command(args.data_dir)} shows the ids"
        )
    recording_id: str = args.recording_id
    output: Path = args.output or Path(f"{recording_id}-{args.format}")
    connection = _connect(args.data_dir)
    try:
        info = read_recording_info(connection, recording_id)
        if info is None:
            raise InputError(_unknown_id_message(connection, recording_id, args.data_dir))
        created = _prepare_output(output, force=args.force)
        try:
            with Progress(f"export {recording_id}", info.sample_count, "samples") as progress:
                count_sample_rows(connection, progress)
                if args.format == "csv":
                    paths = export_csv(connection, recording_id, output)
                else:
                    paths = export_bids(
                        connection, recording_id, output, subject=args.subject, task=args.task
                    )
        except BaseException:
            if created:  # no half export left behind (also after Ctrl-C)
                shutil.rmtree(output, ignore_errors=True)
            raise
    except sqlite3.Error as exc:
        raise InputError(_database_message(args.data_dir / DATABASE_NAME, exc)) from exc
    except (RecordingError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    except OSError as exc:
        raise InputError(_output_message(output, exc)) from exc
    finally:
        connection.close()
    for path in paths:
        print(path, file=sys.stdout)
    return 0


def _connect(data_dir: Path) -> sqlite3.Connection:
    try:
        connection = connect_read_only(data_dir)
    except RecordingError as exc:
        raise InputError(str(exc)) from exc
    except OSError as exc:  # looking for the database in a folder this user may not read
        raise InputError(f"cannot read {data_dir} ({exc.strerror or exc})") from exc
    # Not a read: it only sets how long a query waits for a lock held by another program.
    connection.execute(f"PRAGMA busy_timeout = {round(LOCK_WAIT_S * 1000)}")
    return connection


def _list(data_dir: Path) -> int:
    """Print one line per recording, oldest first: id, state, start (UTC), samples, name."""
    connection = _connect(data_dir)
    try:
        infos = list_recording_infos(connection)
    except sqlite3.Error as exc:
        raise InputError(_database_message(data_dir / DATABASE_NAME, exc)) from exc
    finally:
        connection.close()
    for info in infos:
        print(_list_line(info), file=sys.stdout)
    return 0


def _list_line(info: RecordingInfo) -> str:
    started = datetime.datetime.fromtimestamp(info.started_unix_ns / 1e9, datetime.UTC)
    return "  ".join(
        [
            info.recording_id,
            f"{info.state.value:10s}",
            started.strftime("%Y-%m-%d %H:%M:%S UTC"),
            f"{info.sample_count:7d} samples",
            info.name or "",
        ]
    ).rstrip()


def _list_command(data_dir: Path) -> str:
    command = "gazertc export --list"
    if data_dir != DEFAULT_DATA_DIR:
        command += f" --data-dir {shlex.quote(str(data_dir))}"
    return f"`{command}`"


def _unknown_id_message(connection: sqlite3.Connection, recording_id: str, data_dir: Path) -> str:
    count = connection.execute("SELECT COUNT(*) FROM recordings").fetchone()[0]
    holds = "holds no recording yet" if count == 0 else f"holds {count}"
    return (
        f"no recording {recording_id!r} in {data_dir / DATABASE_NAME} (it {holds}); "
        f"{_list_command(data_dir)} shows the ids"
    )


def _database_message(database: Path, exc: sqlite3.Error) -> str:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & _SQLITE_PRIMARY_CODE_MASK
    if primary in _LOCKED_CODES:
        return (
            f"{database} is locked by another program (sqlite: {exc}; waited {LOCK_WAIT_S:g} s); "
            "close that program or let it finish, then export again"
        )
    if primary in _DAMAGED_CODES:
        return (
            f"{database} is damaged or not a gazertc recordings database (sqlite: {exc}); "
            "restore it from a backup, or check that --data-dir names the server's data directory"
        )
    return f"cannot read {database} (sqlite: {exc}); check that it is a gazertc recordings database"


def _prepare_output(output: Path, *, force: bool) -> bool:
    """Make sure ``output`` is a folder the export may write into; returns whether it was
    created by this call.

    Raises:
        InputError: ``output`` is a file, or a non-empty folder without ``force``.
        OSError: the folder cannot be created.
    """
    if output.is_dir():
        if not force and any(output.iterdir()):
            raise InputError(
                f"{output} already exists and is not empty; pass --force to write into it "
                "(the export's files are replaced, others kept), or choose another --output"
            )
        return False
    if output.exists() or output.is_symlink():
        raise InputError(
            f"{output} exists and is not a folder; --output names the folder the export is "
            "written into: choose another path"
        )
    private_directory(output)  # as the export would make it: personal data, owner only
    return True


def _output_message(output: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename is not None and Path(exc.filename) != output:
        reason = f"{exc.filename}: {reason}"
    if isinstance(exc, NotADirectoryError):
        for path in (output, *output.parents):
            if path.exists() and not path.is_dir():
                reason = f"{path} is a file, not a folder"
                break
    return (
        f"cannot write the export to {output} ({reason}); "
        "choose a folder you can write to with --output"
    )
