"""The fork server the pool's workers are forked from, holding the shared landmark model.

:mod:`gazertc.server.pool` forks its workers from a ``forkserver`` that has imported
:mod:`gazertc.server.shared_models` (which loads the landmark model), so that all of them share
one copy of its ~100 MB. It runs with one OpenBLAS thread, so that it forks with no other thread
alive (the workers fill the cores on their own anyway).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
from typing import Final

__all__ = ["FORK_SERVER_ENVIRONMENT", "SHARED_MODELS_MODULE", "start_fork_server"]

SHARED_MODELS_MODULE: Final = "gazertc.server.shared_models"
"""Imported by the fork server only (importing it loads the model), so named, not imported."""
FORK_SERVER_ENVIRONMENT: Final = {"OPENBLAS_NUM_THREADS": "1"}
"""numpy's OpenBLAS starts a thread pool at import; with one thread it starts none, and the
fork server forks with no other thread alive (a fork copies only the calling thread)."""


def start_fork_server() -> None:
    """Start the fork server (once per process; again if it died) with the shared models
    preloaded and :data:`FORK_SERVER_ENVIRONMENT`."""
    multiprocessing.set_forkserver_preload([SHARED_MODELS_MODULE])
    saved = {name: os.environ.get(name) for name in FORK_SERVER_ENVIRONMENT}
    os.environ.update(FORK_SERVER_ENVIRONMENT)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
