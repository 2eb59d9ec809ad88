"""The pipeline workers share one copy of the landmark model (real models, real processes)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from gazertc import models
from gazertc.server.fork_server import SHARED_MODELS_MODULE
from gazertc.server.pool import WorkerPool

pytestmark = pytest.mark.timeout(120)

MODEL_HEAP_MB = 80
"""dlib's 68-point model takes ~88 MB of heap once loaded (measured); a worker holding its own
copy has at least this much private memory written."""


def _rollup_mb(pid: int) -> dict[str, float]:
    """``/proc/PID/smaps_rollup`` in MB, by field."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024.0
    return fields


@pytest.fixture
def needs_models() -> None:
    missing = models.problems()
    if missing:  # make installs them: a missing one is a broken set-up, not a reason to skip
        pytest.fail(f"model files missing ({'; '.join(missing)}): run `gazertc models fetch`")


@pytest.mark.usefixtures("needs_models")
@pytest.mark.parametrize("share_models", [True, False], ids=["shared", "own-copy"])
async def test_workers_hold_one_copy_of_the_landmark_model_between_them(
    share_models: bool,
) -> None:
    pool = WorkerPool(2, share_models=share_models)
    await pool.start()
    try:
        pids = pool.worker_pids()
        assert len(pids) == 2
        rollups = [_rollup_mb(pid) for pid in pids]
    finally:
        await pool.close()
    for rollup in rollups:
        if share_models:
            # The model's pages were written by the fork server, and are only read here.
            assert rollup["Private_Dirty"] < MODEL_HEAP_MB / 2, rollup
            assert rollup["Shared_Dirty"] >= MODEL_HEAP_MB, rollup
            assert rollup["Pss"] < rollup["Rss"] - MODEL_HEAP_MB / 2, rollup
        else:
            # The control: a spawned worker loads its own copy, so the test can tell.
            assert rollup["Private_Dirty"] >= MODEL_HEAP_MB, rollup


def test_the_main_process_does_not_load_the_model() -> None:
    # Importing the server must not import the module whose import loads the model.
    code = f"import sys, gazertc.server.app; print({SHARED_MODELS_MODULE!r} in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
    assert importlib.util.find_spec(SHARED_MODELS_MODULE) is not None
