"""Where recordings are kept: SQLite in the data directory (the embedded default) or PostgreSQL
(``--database postgresql://...``, one database shared by the nodes of a cluster).

One interface for both: a :class:`Database` gives :class:`Connection` objects, DB-API-like,
with ``?`` placeholders on both backends (PostgreSQL's are translated), rows as tuples, and the
few questions whose SQL differs (:meth:`Connection.has_table`, :meth:`Connection.column_names`).
The writer and every reader take a :class:`Connection` and never ask which backend it is,
except for DDL (:attr:`Connection.dialect`, see :mod:`gazertc.recording.database`).

The two behave alike where the writer relies on it: a value a column cannot hold (an integer
beyond 64 bits, a NUL character in text) fails its own statement only, with ``OverflowError``
or ``ValueError`` raised before anything reaches the server; a statement that fails on the
server rolls the open transaction back (PostgreSQL aborts it; the connection rolls back so it
is usable again), as a full disk does in SQLite.

A PostgreSQL URL may hold a password: it is never logged nor put in a message
(:func:`redact_url`). Video files stay on the node's disk whichever database holds the rows.
"""

from __future__ import annotations

import abc
import contextlib
import itertools
import re
import sqlite3
import urllib.parse
from collections.abc import Callable, Generator, Iterator, Sequence
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Protocol

import psycopg
from psycopg.pq import TransactionStatus

from gazertc.errors import GazertcError

__all__ = [
    "DATABASE_ERRORS",
    "DATABASE_NAME",
    "STREAM_BATCH_ROWS",
    "Connection",
    "Database",
    "DatabaseUnavailableError",
    "Dialect",
    "PostgresDatabase",
    "SqliteDatabase",
    "open_database",
    "redact_url",
]

DATABASE_NAME: Final = "recordings.sqlite3"
POSTGRES_SCHEMES: Final = ("postgresql", "postgres")
CONNECT_TIMEOUT_S: Final = 5
"""A database that does not answer a connection within 5 s is down or unreachable; saying so
beats hanging the server's start or a command."""
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
DATABASE_ERRORS: Final = (sqlite3.Error, psycopg.Error)
"""What a database call may raise besides the value errors above (both backends)."""


class DatabaseUnavailableError(GazertcError):
    """The recordings database cannot be reached or opened (the message names it, no
    password)."""


class Dialect(Enum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class _Cursor(Protocol):
    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


RowListener = Callable[[str], None]
"""Called with a query's first column name for each row read (progress counting)."""


class Rows:
    """The rows of one statement: iterate, or ``fetchone``/``fetchall``; each row a tuple."""

    def __init__(self, cursor: _Cursor, listener: RowListener | None) -> None:
        self._cursor = cursor
        self._listener = listener
        description = cursor.description
        self._first_column = str(description[0][0]) if description else ""

    def _seen(self, row: Any) -> Any:
        if row is not None and self._listener is not None:
            self._listener(self._first_column)
        return row

    def fetchone(self) -> Any:
        return self._seen(self._cursor.fetchone())

    def fetchall(self) -> list[Any]:
        return [self._seen(row) for row in self._cursor.fetchall()]

    def __iter__(self) -> Iterator[Any]:
        for row in self._cursor:
            yield self._seen(row)


class Connection:
    """A connection to either backend; close it (or use it as a context manager)."""

    def __init__(self, raw: sqlite3.Connection | psycopg.Connection[Any], dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect
        self.row_listener: RowListener | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run one statement with ``?`` placeholders.

        Raises:
            OverflowError: an integer beyond 64 bits (nothing was sent).
            ValueError: text with a NUL character for PostgreSQL (nothing was sent).
            sqlite3.Error | psycopg.Error: the database refused it.
        """
        if isinstance(self.raw, sqlite3.Connection):
            return Rows(self.raw.execute(sql, tuple(params)), self.row_listener)
        _check_postgres_values(params)
        try:
            cursor = self.raw.execute(_postgres_query(sql, params), tuple(params) or None)
        except psycopg.Error:
            if self.raw.info.transaction_status == TransactionStatus.INERROR:
                self.raw.rollback()  # as SQLite after a failed commit: usable again
            raise
        return Rows(cursor, self.row_listener)

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Generator[Any, None, None]:
        """The rows of one query, read a batch at a time: a long recording's samples never sit
        in memory all at once (PostgreSQL sends a whole result at once unless the query runs
        in a server-side cursor; SQLite already steps through its rows).

        Raises: as :meth:`execute`.
        """
        if isinstance(self.raw, sqlite3.Connection):
            yield from self.execute(sql, params)
            return
        _check_postgres_values(params)
        # A server-side cursor lives only inside a transaction; readers are in autocommit.
        with self.raw.transaction(), self.raw.cursor(name=_next_cursor_name()) as cursor:
            cursor.itersize = STREAM_BATCH_ROWS
            cursor.execute(_postgres_query(sql, params), tuple(params) or None)
            yield from Rows(cursor, self.row_listener)

    @property
    def batches_rows(self) -> bool:
        """Whether a writer should send its rows in batches (:meth:`execute_together`): a
        PostgreSQL round trip costs more than the row; SQLite runs in our process."""
        return self.dialect is Dialect.POSTGRESQL

    def check_values(self, params: Sequence[Any]) -> None:
        """Raise what :meth:`execute` would for a value the database cannot hold, without
        running anything (OverflowError, ValueError)."""
        if self.dialect is Dialect.POSTGRESQL:
            _check_postgres_values(params)

    def execute_together(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """PostgreSQL: run the statements in one round trip, all or none (in a savepoint of the
        open transaction, or a transaction of their own, committed).

        Raises:
            psycopg.Error: one failed; none of them took effect.
        """
        raw = self._postgres()
        with raw.transaction(), raw.pipeline():
            for sql, params in statements:
                _check_postgres_values(params)
                raw.execute(_postgres_query(sql, params), tuple(params) or None)

    def _postgres(self) -> psycopg.Connection[Any]:
        if not isinstance(self.raw, psycopg.Connection):
            raise TypeError("only a PostgreSQL connection runs statements together")
        return self.raw

    @property
    def in_transaction(self) -> bool:
        """Whether uncommitted writes are pending (False after a rollback)."""
        if isinstance(self.raw, sqlite3.Connection):
            return self.raw.in_transaction
        return self.raw.info.transaction_status == TransactionStatus.INTRANS

    @property
    def broken(self) -> bool:
        """Whether the connection is lost (a PostgreSQL server restarted or unreachable); a
        SQLite file's connection never is."""
        return isinstance(self.raw, psycopg.Connection) and (self.raw.broken or self.raw.closed)

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        self.raw.close()

    def has_table(self, table: str) -> bool:
        if self.dialect is Dialect.SQLITE:
            query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        else:
            query = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
        return self.execute(query, (table,)).fetchone() is not None

    def column_names(self, table: str) -> set[str]:
        if self.dialect is Dialect.SQLITE:
            return {row[1] for row in self.execute(f"PRAGMA table_info({table})")}
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
        return {row[0] for row in rows}

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


STREAM_BATCH_ROWS: Final = 2000
"""Rows per round trip of :meth:`Connection.stream`: a sample row is ~3 KB, so a batch is
~6 MB at most, and 2000 rows make the round trips' cost negligible against decoding them."""

_cursor_numbers = itertools.count()


def _next_cursor_name() -> str:
    return f"gazertc_stream_{next(_cursor_numbers)}"


def _postgres_query(sql: str, params: Sequence[Any]) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s") if params else sql


def _check_postgres_values(params: Sequence[Any]) -> None:
    for value in params:
        if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise OverflowError(f"Python int too large for a PostgreSQL BIGINT: {value}")
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("PostgreSQL text cannot contain NUL characters")


class Database(abc.ABC):
    """Where the recordings' rows are: :meth:`connect` gives connections."""

    dialect: Dialect

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """For people and logs (a PostgreSQL URL without its password)."""

    @abc.abstractmethod
    def connect(self, *, read_only: bool = False) -> Connection:
        """A new connection; ``read_only`` for readers (safe while a server writes).

        Raises:
            DatabaseUnavailableError: the database is missing or cannot be reached.
        """


class SqliteDatabase(Database):
    """``recordings.sqlite3`` in ``data_dir`` (WAL mode: readers never wait for the writer)."""

    dialect = Dialect.SQLITE

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    @property
    def path(self) -> Path:
        return self.data_dir / DATABASE_NAME

    @property
    def description(self) -> str:
        return str(self.path)

    def connect(self, *, read_only: bool = False) -> Connection:
        path = self.path
        if read_only and not path.is_file():
            raise DatabaseUnavailableError(
                f"{self.data_dir}: no recordings here ({DATABASE_NAME} is missing)"
            )
        try:
            if read_only:
                raw = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            else:  # the writer's, handed to its thread
                raw = sqlite3.connect(path, check_same_thread=False)
        except sqlite3.Error as exc:
            raise DatabaseUnavailableError(f"cannot open {path}: {exc}") from exc
        return Connection(raw, Dialect.SQLITE)


class PostgresDatabase(Database):
    """A PostgreSQL database given by URL (``postgresql://user:password@host:port/name``)."""

    dialect = Dialect.POSTGRESQL

    def __init__(self, url: str) -> None:
        self._url = url

    @property
    def description(self) -> str:
        return redact_url(self._url)

    def connect(self, *, read_only: bool = False) -> Connection:
        try:
            # Readers in autocommit: no transaction left open between their queries.
            raw = psycopg.connect(
                self._url,
                autocommit=read_only,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="gazertc",
            )
        except psycopg.Error as exc:
            raise DatabaseUnavailableError(
                f"cannot connect to the recordings database {self.description}: "
                f"{_without_password(' '.join(str(exc).split()), self._url)}"
            ) from None  # the driver's error may repeat the URL
        if read_only:
            raw.execute("SET default_transaction_read_only = on")
        return Connection(raw, Dialect.POSTGRESQL)


def open_database(data_dir: Path, url: str | None) -> Database:
    """SQLite in ``data_dir`` when ``url`` is None, else the PostgreSQL database it names.

    Raises:
        ValueError: ``url`` is not a ``postgresql://`` URL (the message hides any password).
    """
    if url is None:
        return SqliteDatabase(data_dir)
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in POSTGRES_SCHEMES:
        raise ValueError(
            f"the database must be a postgresql:// URL, got {redact_url(url)!r} "
            "(without --database recordings are kept in SQLite in the data directory)"
        )
    return PostgresDatabase(url)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (in the user part and in the query)."""
    try:
        parts = urllib.parse.urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:***@{host}"
    except ValueError:
        return "(an unreadable database URL)"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _without_password(text: str, url: str) -> str:
    with contextlib.suppress(ValueError):
        password = urllib.parse.urlsplit(url).password
        if password:
            text = text.replace(password, "***")
            text = text.replace(urllib.parse.unquote(password), "***")
    return text.replace(url, redact_url(url))
