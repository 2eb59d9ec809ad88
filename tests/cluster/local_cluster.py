"""A local cluster for the tests (HAProxy, coturn, two nodes of one worker each)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gazertc.cluster.local import ClusterConfig, LocalCluster, free_port
from tests.system_programs import require_postgres, require_programs

TEST_HOST_TOKEN = "cluster-test-host-token-0123456789"
TEST_OFFER_RATE = 1000
"""Per 10 s and node: every test client has the address 127.0.0.1."""


@contextmanager
def local_cluster(*, database: bool = False) -> Iterator[LocalCluster]:
    """Two nodes of one pipeline worker each behind HAProxy, with coturn, on free ports, and
    with ``database`` a throwaway PostgreSQL that they share."""
    require_programs("haproxy", "turnserver")
    if database:
        require_postgres()
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
