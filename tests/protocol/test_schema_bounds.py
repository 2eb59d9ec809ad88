"""Every integer the protocol carries is bounded: no value can overflow a 64-bit integer where
it is stored, and none loses precision in a JavaScript number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gazertc import protocol

INT64_MAX = 2**63 - 1
SAFE_INTEGER = 2**53 - 1
UNIX_NS_2000 = 946_684_800_000_000_000
UNIX_NS_2100 = 4_102_444_800_000_000_000


def _integer_schemas(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            yield path, node
        for key, value in node.items():
            yield from _integer_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integer_schemas(value, f"{path}/{index}")


def test_every_integer_has_a_minimum_and_a_maximum_within_a_javascript_number() -> None:
    integers = list(_integer_schemas(protocol.load_schema()))
    assert len(integers) > 30
    unbounded = [path for path, node in integers if "minimum" not in node or "maximum" not in node]
    assert not unbounded, f"integers without bounds: {unbounded}"
    for path, node in integers:
        assert -SAFE_INTEGER <= node["minimum"] <= node["maximum"], path
        assert node["maximum"] <= max(SAFE_INTEGER, UNIX_NS_2100) < INT64_MAX, path


def test_times_lie_between_2000_and_2100() -> None:
    unix_ns = protocol.load_schema()["$defs"]["unix_ns"]
    assert (unix_ns["minimum"], unix_ns["maximum"]) == (UNIX_NS_2000, UNIX_NS_2100)
    # Both ends are exact in a double: a browser compares the same numbers.
    assert float(UNIX_NS_2000) == UNIX_NS_2000
    assert float(UNIX_NS_2100) == UNIX_NS_2100
