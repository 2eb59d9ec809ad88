"""Read a CSV export back as typed tables: ``gazertc.read_recording(path_or_zip)``.

Each table is a dict of columns, name to list of values, which ``pandas.DataFrame(table)``
takes as it is (gazertc itself does not need pandas). Values are typed by column:
``timestamp_unix_ns`` and the other ``*_unix_ns`` columns, ids, counts and 0/1 flags are Python
``int`` (exact: a float64 cannot hold a time in ns since 1970 to the nanosecond), names and
methods ``str``, everything else ``float``; an empty cell is ``None``.

The source is the folder ``gazertc export`` wrote, or a zip of it (the server's
``/api/recordings/<id>/export`` download: the files inside one folder, or at the top).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Final

from gazertc.errors import InputError

__all__ = ["Column", "RecordingTables", "Table", "read_recording"]

Column = list[Any]
Table = dict[str, Column]

_TABLES: Final = ("samples", "events", "blinks", "fixations", "saccades")
_INTEGER_COLUMNS: Final = frozenset(
    {
        "frame_id",
        "face_found",
        "blinking",
        "right_eye_valid",
        "left_eye_valid",
        "starts_before_recording",
    }
)
_TEXT_COLUMNS: Final = frozenset({"name", "source", "phase", "method"})


@dataclass(frozen=True, slots=True)
class RecordingTables:
    """One exported recording: ``samples``, ``events``, ``blinks``, ``fixations`` and
    ``saccades`` as column dicts, and ``metadata`` (``recording.json``)."""

    samples: Table
    events: Table
    blinks: Table
    fixations: Table
    saccades: Table
    metadata: dict[str, Any]


def _parser(name: str) -> Callable[[str], Any]:
    if name.endswith("_unix_ns") or name in _INTEGER_COLUMNS:
        return int
    if name in _TEXT_COLUMNS:
        return str
    return float


def _table(file: IO[str], what: str) -> Table:
    reader = csv.reader(file)
    header = next(reader, None)
    if header is None:
        raise InputError(f"{what} is empty: not a gazertc export")
    parsers = [_parser(name) for name in header]
    columns: list[Column] = [[] for _ in header]
    for line, row in enumerate(reader, start=2):
        if len(row) != len(header):
            raise InputError(f"{what}, line {line}: {len(row)} cells, expected {len(header)}")
        try:
            for column, parse, text in zip(columns, parsers, row, strict=True):
                column.append(None if text == "" else parse(text))
        except ValueError as exc:
            raise InputError(f"{what}, line {line}: {exc}") from exc
    return dict(zip(header, columns, strict=True))


@contextmanager
def _opener(source: Path) -> Iterator[Callable[[str], IO[str]]]:
    """A function opening one export file by name, from a folder or a zip."""
    if source.is_dir():
        yield lambda name: (source / name).open(encoding="utf-8", newline="")
        return
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{source}: not an export folder or zip ({exc})") from exc
    with archive:
        members = {PurePosixPath(name).name: name for name in archive.namelist()}

        def open_member(name: str) -> IO[str]:
            if name not in members:
                raise FileNotFoundError(f"{source} holds no {name}")
            return io.TextIOWrapper(archive.open(members[name]), encoding="utf-8", newline="")

        yield open_member


def read_recording(path_or_zip: str | Path) -> RecordingTables:
    """Read an exported recording (the CSV folder, or a zip of it).

    Raises:
        InputError: the path is not a CSV export (a file missing, a malformed row).
    """
    source = Path(path_or_zip)
    tables: dict[str, Table] = {}
    try:
        with _opener(source) as open_file:
            for name in _TABLES:
                with open_file(f"{name}.csv") as file:
                    tables[name] = _table(file, f"{source}: {name}.csv")
            with open_file("recording.json") as file:
                metadata = json.load(file)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not a gazertc CSV export ({exc})") from exc
    return RecordingTables(**tables, metadata=metadata)
