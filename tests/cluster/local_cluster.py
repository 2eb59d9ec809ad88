"""A local cluster for the tests (HAProxy, coturn, two nodes of one worker each), and the skip
that says what is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from gazertc.cluster.local import ClusterConfig, LocalCluster, free_port
from gazertc.cluster.postgres_local import find_postgres_bindir

TEST_HOST_TOKEN = "cluster-test-host-token-0123456789"
TEST_OFFER_RATE = 1000
"""Per 10 s and node: every test client has the address 127.0.0.1."""


def skip_without_balancer_and_turn() -> None:
    """Skip the calling test, saying why, when HAProxy or coturn is not installed."""
    missing = [program for program in ("haproxy", "turnserver") if shutil.which(program) is None]
    if missing:
        pytest.skip(
            f"{' and '.join(missing)} not installed: `make haproxy coturn` installs Debian's "
            "haproxy and coturn"
        )


@contextmanager
def local_cluster(*, database: bool = False) -> Iterator[LocalCluster]:
    """Two nodes of one pipeline worker each behind HAProxy, with coturn, on free ports, and
    with ``database`` a throwaway PostgreSQL that they share."""
    skip_without_balancer_and_turn()
    if database and find_postgres_bindir() is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres); `make postgresql` "
            "installs Debian's postgresql package"
        )
    config = ClusterConfig(
        port=free_port(),
        workers_per_node=1,
        host_token=TEST_HOST_TOKEN,
        offer_rate=TEST_OFFER_RATE,
        database=database,
        static_dir=None,
    )
    with LocalCluster(config) as cluster:
        yield cluster
