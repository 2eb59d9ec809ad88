"""The ``gazertc export`` and ``gazertc recordings`` commands: a stored recording as CSV or
BIDS-style files, and the list of a data directory's recordings.

Both read the database of ``--data-dir`` read-only, safe while a server writes it, or with
``--database postgresql://...`` the PostgreSQL database of a cluster (the URL's password is
never shown). A recording id may be given whole or as the short id the monitor shows
(:mod:`gazertc.recording.ids`).

Everything that can go wrong on the way is a one-line message naming the file and what to do
(exit status 2): a data directory without a database, a database that is damaged or locked by
another program, an unknown recording id, an output path that already exists or cannot be written.
A folder this run created is removed again when the export fails, so no half export is left.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypedDict

from gazertc.errors import InputError
from gazertc.progress import Progress
from gazertc.recording.backend import (
    DATABASE_ERRORS,
    DATABASE_NAME,
    Connection,
    DatabaseUnavailableError,
    Dialect,
    open_database,
)
from gazertc.recording.export import export_bids, export_csv
from gazertc.recording.ids import (
    MIN_PREFIX_LENGTH,
    AmbiguousRecordingIdError,
    UnknownRecordingIdError,
    resolve_recording_id,
    short_id,
)
from gazertc.recording.private import private_directory
from gazertc.recording.store import (
    RecordingError,
    list_recording_infos,
    read_recording_info,
)
from gazertc.records import RecordingInfo

__all__ = [
    "DEFAULT_DATA_DIR",
    "LOCK_WAIT_S",
    "RecordingsSource",
    "add_arguments",
    "add_database_argument",
    "add_recordings_arguments",
    "count_sample_rows",
    "find_recording",
    "recordings_json",
    "run",
    "run_recordings",
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


@dataclass(frozen=True, slots=True)
class RecordingsSource:
    """Where a command reads recordings: the data directory's SQLite database, or the
    PostgreSQL database ``database_url`` names."""

    data_dir: Path
    database_url: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RecordingsSource:
        return cls(args.data_dir, args.database)

    def describe(self) -> str:
        """For messages: the file, or the URL without its password."""
        return open_database(self.data_dir, self.database_url).description

    def connect(self) -> Connection:
        """A read-only connection.

        Raises:
            InputError: no database, or one that cannot be opened or reached.
        """
        try:
            connection = open_database(self.data_dir, self.database_url).connect(read_only=True)
        except (DatabaseUnavailableError, ValueError) as exc:
            raise InputError(str(exc)) from exc
        except OSError as exc:  # looking for the database in a folder this user may not read
            raise InputError(f"cannot read {self.data_dir} ({exc.strerror or exc})") from exc
        if connection.dialect is Dialect.SQLITE:
            # Not a read: it only sets how long a query waits for a lock held by another
            # program.
            connection.execute(f"PRAGMA busy_timeout = {round(LOCK_WAIT_S * 1000)}")
        return connection

    def shown_command(self, command: str) -> str:
        """``command`` for this source, quoted for a message (a URL is not repeated)."""
        if self.database_url is not None:
            command += " --database URL"
        elif self.data_dir != DEFAULT_DATA_DIR:
            command += f" --data-dir {shlex.quote(str(self.data_dir))}"
        return f"`{command}`"

    def error_message(self, exc: Exception) -> str:
        """A one-line message for a failed read."""
        if isinstance(exc, sqlite3.Error):
            return _database_message(self.data_dir / DATABASE_NAME, exc)
        return (
            f"cannot read the recordings database {self.describe()} (postgresql: "
            f"{str(exc).strip()}); check that it is a gazertc recordings database"
        )


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--database`` (a cluster's PostgreSQL) to a command reading recordings."""
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="read the recordings from this PostgreSQL database (postgresql://user:password@"
        "host:port/name, as given to `gazertc serve --database`) instead of --data-dir's",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``export`` arguments to ``parser``."""
    parser.add_argument(
        "recording_id",
        nargs="?",
        help="the recording's id, or the short id the monitor shows (`gazertc recordings` "
        "lists them; so does GET /api/recordings on the server)",
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
    add_database_argument(parser)
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
    parser.add_argument("--session", help="BIDS session label (bids only; default: none)")
    parser.add_argument("--run", type=int, help="BIDS run index (bids only; default: none)")
    parser.add_argument(
        "--screen-size-mm",
        type=float,
        nargs=2,
        metavar=("WIDTH", "HEIGHT"),
        help="the participant's viewport size in mm, when known better than the recording "
        "knows it (for gaze in degrees)",
    )
    parser.add_argument(
        "--viewing-distance-mm",
        type=float,
        help="eye-to-screen distance in mm, when measured (for gaze in degrees)",
    )


class _Geometry(TypedDict):
    screen_size_mm: tuple[float, float] | None
    viewing_distance_mm: float | None


def _geometry(args: argparse.Namespace) -> _Geometry:
    """What the researcher says about the screen and distance (checked by the exporters)."""
    size = args.screen_size_mm
    return {
        "screen_size_mm": None if size is None else (size[0], size[1]),
        "viewing_distance_mm": args.viewing_distance_mm,
    }


def add_recordings_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``recordings`` arguments to ``parser``."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"the server's data directory (default ./{DEFAULT_DATA_DIR})",
    )
    add_database_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object, {"recordings": [...]}: each recording\'s full summary '
        "with its short_id and duration_s",
    )


def run_recordings(args: argparse.Namespace) -> int:
    """List the data directory's recordings, oldest first, as a table or (``--json``) JSON.

    Returns:
        The exit status, 0 (also for a data directory without recordings).

    Raises:
        InputError: no or an unreadable database; the message names the fix.
    """
    source = RecordingsSource.from_args(args)
    connection = source.connect()
    try:
        infos = list_recording_infos(connection)
    except DATABASE_ERRORS as exc:
        raise InputError(source.error_message(exc)) from exc
    finally:
        connection.close()
    if args.json:
        print(json.dumps(recordings_json(infos), indent=2), file=sys.stdout)
    else:
        for line in _recordings_table(infos):
            print(line, file=sys.stdout)
    return 0


def recordings_json(infos: list[RecordingInfo]) -> dict[str, Any]:
    """What ``gazertc recordings --json`` prints: ``GET /api/recordings``'s shape, each
    recording with its ``short_id`` and ``duration_s`` (``None`` while it has no end)."""
    return {
        "recordings": [
            {"short_id": short_id(info.recording_id), "duration_s": _duration_s(info)}
            | info.to_dict()
            for info in infos
        ]
    }


_TABLE_HEADER: Final = (
    "ID", "STATE", "STARTED (UTC)", "ENDED (UTC)", "DURATION", "SAMPLES", "EVENTS", "SESSION",
    "NAME",
)  # fmt: skip
_RIGHT_ALIGNED: Final = frozenset({"DURATION", "SAMPLES", "EVENTS"})


def _recordings_table(infos: list[RecordingInfo]) -> list[str]:
    if not infos:
        return ["no recordings yet"]
    rows = [_TABLE_HEADER] + [
        (
            short_id(info.recording_id),
            info.state.value,
            _utc_text(info.started_unix_ns),
            "-" if info.stopped_unix_ns is None else _utc_text(info.stopped_unix_ns),
            _duration_text(_duration_s(info)),
            str(info.sample_count),
            str(info.event_count),
            short_id(info.session_id),
            info.name or "",
        )
        for info in infos
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_TABLE_HEADER))]
    return [
        "  ".join(
            text.rjust(width) if title in _RIGHT_ALIGNED else text.ljust(width)
            for text, width, title in zip(row, widths, _TABLE_HEADER, strict=True)
        ).rstrip()
        for row in rows
    ]


def _utc_text(unix_ns: int) -> str:
    return datetime.datetime.fromtimestamp(unix_ns / 1e9, datetime.UTC).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


def _duration_s(info: RecordingInfo) -> float | None:
    if info.stopped_unix_ns is None:
        return None
    return (info.stopped_unix_ns - info.started_unix_ns) / 1e9


def _duration_text(duration_s: float | None) -> str:
    if duration_s is None:
        return "-"
    minutes, seconds = divmod(round(duration_s), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def count_sample_rows(connection: Connection, progress: Progress) -> None:
    """Advance ``progress`` for each ``sample_json`` row the export reads on ``connection``.

    The export functions take a connection and nothing else; counting through its row listener
    reports their progress without threading a callback through them. Other queries (events,
    timestamps for the sampling rate) are not counted.
    """

    def listener(first_column: str) -> None:
        if first_column == "sample_json":
            progress.advance()

    connection.row_listener = listener


def run(args: argparse.Namespace) -> int:
    """Export one recording (or, with ``--list``, list them); prints the files written.

    Returns:
        The exit status, 0.

    Raises:
        InputError: no or an unreadable database, no such recording, an output path that
            exists or cannot be written, bad BIDS labels; the message names the fix.
    """
    source = RecordingsSource.from_args(args)
    if args.list:
        if args.recording_id is not None:
            raise InputError("give a recording id to export it, or --list, not both")
        return _list(source)
    if args.recording_id is None:
        raise InputError(
            f"give the id of the recording to export; {_list_command(source)} shows the ids"
        )
    output: Path = args.output or Path(f"{args.recording_id}-{args.format}")
    connection = source.connect()
    try:
        info = find_recording(connection, args.recording_id, source)
        recording_id = info.recording_id
        if args.output is None:  # named after the full id, whichever id was given
            output = Path(f"{recording_id}-{args.format}")
        created = _prepare_output(output, force=args.force)
        try:
            with Progress(f"export {recording_id}", info.sample_count, "samples") as progress:
                count_sample_rows(connection, progress)
                geometry = _geometry(args)
                if args.format == "csv":
                    paths = export_csv(connection, recording_id, output, **geometry)
                else:
                    paths = export_bids(
                        connection,
                        recording_id,
                        output,
                        subject=args.subject,
                        task=args.task,
                        session=args.session,
                        run=args.run,
                        **geometry,
                    )
        except BaseException:
            if created:  # no half export left behind (also after Ctrl-C)
                shutil.rmtree(output, ignore_errors=True)
            raise
    except DATABASE_ERRORS as exc:
        raise InputError(source.error_message(exc)) from exc
    except (RecordingError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    except OSError as exc:
        raise InputError(_output_message(output, exc)) from exc
    finally:
        connection.close()
    for path in paths:
        print(path, file=sys.stdout)
    return 0


def _list(source: RecordingsSource) -> int:
    """Print one line per recording, oldest first: id, state, start (UTC), samples, name."""
    connection = source.connect()
    try:
        infos = list_recording_infos(connection)
    except DATABASE_ERRORS as exc:
        raise InputError(source.error_message(exc)) from exc
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


def _list_command(source: RecordingsSource) -> str:
    return source.shown_command("gazertc export --list")


def _recordings_command(source: RecordingsSource) -> str:
    return source.shown_command("gazertc recordings")


def find_recording(connection: Connection, given: str, source: RecordingsSource) -> RecordingInfo:
    """The recording ``given`` names: its full id, or a start of it such as the short id the
    monitor shows (:func:`~gazertc.recording.ids.resolve_recording_id`).

    Raises:
        InputError: no recording, or several, match; the message says how to see the ids.
        sqlite3.Error | psycopg.Error: the database cannot be read.
    """
    info = read_recording_info(connection, given)
    if info is not None:
        return info
    infos = list_recording_infos(connection)
    try:
        recording_id = resolve_recording_id(given, [known.recording_id for known in infos])
    except UnknownRecordingIdError as exc:
        raise InputError(_unknown_id_message(len(infos), given, source)) from exc
    except AmbiguousRecordingIdError as exc:
        raise InputError(f"{exc}; {_recordings_command(source)} lists them") from exc
    return next(known for known in infos if known.recording_id == recording_id)


def _unknown_id_message(count: int, recording_id: str, source: RecordingsSource) -> str:
    holds = "holds no recording yet" if count == 0 else f"holds {count}"
    if len(recording_id) < MIN_PREFIX_LENGTH:
        holds += f"; a short id needs at least {MIN_PREFIX_LENGTH} characters"
    return (
        f"no recording {recording_id!r} in {source.describe()} (it {holds}); "
        f"{_list_command(source)} shows the ids"
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
