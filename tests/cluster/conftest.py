"""The throwaway PostgreSQL fixtures (``tests/postgres_fixture.py``) for the cluster's tests."""

from tests.postgres_fixture import postgres_database_dsn, postgres_dsn

__all__ = ["postgres_database_dsn", "postgres_dsn"]
