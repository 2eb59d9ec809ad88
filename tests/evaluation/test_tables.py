from __future__ import annotations

import math

import pytest

from gazertc.errors import InputError
from gazertc.evaluation.tables import Cell, format_table


def test_format_table_is_markdown() -> None:
    rows: list[list[Cell]] = [["x", 1.2345], [2, None], [3, math.nan], [4, 123.45], [5, math.inf]]
    text = format_table("T", ["a", "bb"], rows)
    assert text.splitlines() == [
        "### T",
        "",
        "| a | bb    |",
        "|---|-------|",
        "| x | 1.234 |",
        "| 2 | -     |",
        "| 3 | -     |",
        "| 4 | 123.5 |",
        "| 5 | inf   |",
    ]


def test_rows_must_match_the_headers() -> None:
    with pytest.raises(InputError, match="2 cells for 1 headers"):
        format_table("T", ["a"], [[1, 2]])
