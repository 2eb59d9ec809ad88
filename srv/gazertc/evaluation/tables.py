"""Markdown tables: how gazertc prints its measurements (`gazertc evaluate`, `make bench`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from gazertc.errors import InputError

__all__ = ["Cell", "format_table"]

Cell = str | float | int | None


def _cell(value: Cell) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and not math.isinf(value):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def format_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """A Markdown table under a ``###`` title. Floats get three decimals below 10 and one above;
    ``None`` and NaN print as "-".

    Raises:
        InputError: a row does not have one cell per header.
    """
    text = [[_cell(value) for value in row] for row in rows]
    for row in text:
        if len(row) != len(headers):
            raise InputError(f"a table row has {len(row)} cells for {len(headers)} headers")
    widths = [
        max([len(header)] + [len(row[i]) for row in text]) for i, header in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([f"### {title}", "", line(headers), separator, *map(line, text)])
