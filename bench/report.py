"""Plain-text tables and the statistics every benchmark reports."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from gazertc.evaluation.tables import Cell, format_table

__all__ = ["Cell", "median", "percentile", "print_table"]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile, ``fraction`` in [0, 1]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return float(ordered[rank])


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """Print a Markdown table, so the output pastes straight into notes and the README."""
    print()
    print(format_table(title, headers, rows))
