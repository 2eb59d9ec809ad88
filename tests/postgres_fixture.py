"""pytest fixtures for a throwaway PostgreSQL server (``gazertc.cluster.postgres_local``).

Re-export them from a test directory's ``conftest.py`` (then tests just name them)::

    from tests.postgres_fixture import postgres_database_dsn, postgres_dsn

    __all__ = ["postgres_database_dsn", "postgres_dsn"]

``postgres_dsn`` (session scope): one server for the whole run, its database ``gazertc``.
``postgres_database_dsn`` (function scope): a new, empty database on that server for one test,
dropped afterwards, so tests never see each other's tables. Both fail the test, saying why,
when this machine has no PostgreSQL binaries (``make postgresql`` installs them).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import psycopg
import pytest

from gazertc.cluster.postgres_local import LocalPostgres
from tests.system_programs import require_postgres

__all__ = ["postgres_database_dsn", "postgres_dsn"]

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The DSN of a throwaway PostgreSQL server's ``gazertc`` database, for the whole run."""
    require_postgres()
    with LocalPostgres(tmp_path_factory.mktemp("postgres")) as server:
        yield server.dsn


@pytest.fixture
def postgres_database_dsn(postgres_dsn: str) -> Iterator[str]:
    """The DSN of a new, empty database on the session's server, dropped after the test."""
    name = f"test_{next(_database_numbers)}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    base, _, _ = postgres_dsn.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
