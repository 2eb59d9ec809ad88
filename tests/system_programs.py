"""Debian programs that `make test` installs (make's `postgresql`, `haproxy` and `coturn`
targets): a test that needs one fails, saying how to get it, rather than skipping, since a
missing program means the test set-up is broken, not that there is nothing to test."""

from __future__ import annotations

import shutil

import pytest

from gazertc.cluster.postgres_local import find_postgres_bindir

__all__ = ["require_postgres", "require_programs"]


def require_programs(*programs: str) -> None:
    """Fail the calling test when any of ``programs`` is not on the PATH."""
    missing = [program for program in programs if shutil.which(program) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not installed: `make haproxy coturn` installs Debian's "
            "haproxy and coturn (`make test` does it)"
        )


def require_postgres() -> None:
    """Fail the calling test when no PostgreSQL server binaries are found."""
    if find_postgres_bindir() is None:
        pytest.fail(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres): `make postgresql` "
            "installs Debian's postgresql package (`make test` does it)"
        )
