"""The recordings' backends: tests taking ``database_url`` run once on SQLite in the data
directory (``None``) and once on a new PostgreSQL database (skipped, saying why, without
PostgreSQL's binaries)."""

from __future__ import annotations

import pytest

from tests.postgres_fixture import postgres_database_dsn, postgres_dsn

__all__ = ["database_url", "postgres_database_dsn", "postgres_dsn"]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    dsn: str = request.getfixturevalue("postgres_database_dsn")
    return dsn
