"""``python -m bench [NAME ...]``: print the benchmark tables (all of them by default)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path

SUITES = (
    "pipeline",
    "sample_path",
    "eye_centre",
    "calibration",
    "rendered_eyes",
    "server",
    "recording",
    "sdp",
    "soak",
    "gestures",
    "cluster_registry",
    "cluster",
)
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"any of {', '.join(SUITES)}")
    args = parser.parse_args()
    unknown = set(args.suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite(s) {sorted(unknown)}; choose from {', '.join(SUITES)}")
    logging.basicConfig(level=logging.WARNING)
    data_dir = Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR))
    if not data_dir.is_dir():
        print(f"benchmarks need the real data: {data_dir} is absent (set GAZERTC_DATA)")
        return 1
    print(f"# gazertc benchmarks (data: {data_dir}; medians unless stated; one core per process)")
    for name in args.suites or SUITES:
        importlib.import_module(f"bench.{name}").run(data_dir)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
