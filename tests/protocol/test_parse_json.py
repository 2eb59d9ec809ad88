"""parse_json: bounded in size and depth before anything recurses, strict about what JSON is."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from gazertc import protocol
from gazertc.protocol import MAX_JSON_DEPTH, ErrorCode, ProtocolError
from tests.server.fuzz_inputs import RAW_JSON_ATTACKS, SEED, Fuzzer, deep_text, json_depth

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "messages"
ALL_FIXTURES = sorted(FIXTURES_DIR.glob("*.json")) + sorted(FIXTURES_DIR.glob("invalid/*.json"))
LIMIT = 64 * 1024


def _refused(data: str | bytes, code: ErrorCode = ErrorCode.INVALID_JSON, **kwargs: Any) -> str:
    with pytest.raises(ProtocolError) as caught:
        protocol.parse_json(data, max_bytes=kwargs.pop("max_bytes", LIMIT), **kwargs)
    assert caught.value.code is code
    return caught.value.message


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda path: path.name)
def test_every_fixture_parses_as_json_loads_does(path: Path) -> None:
    text = path.read_text("utf-8")
    assert protocol.parse_json(text, max_bytes=LIMIT) == json.loads(text)
    assert protocol.parse_json(text.encode(), max_bytes=LIMIT) == json.loads(text)


def test_the_deepest_fixture_is_far_below_the_limit() -> None:
    deepest = max(json_depth(json.loads(path.read_text("utf-8"))) for path in ALL_FIXTURES)
    assert deepest <= 5 < MAX_JSON_DEPTH


@pytest.mark.parametrize("kind", ["[", "{", "[{"])
def test_depth_up_to_the_limit_is_accepted_and_deeper_is_not(kind: str) -> None:
    accepted = protocol.parse_json(deep_text(MAX_JSON_DEPTH, kind=kind), max_bytes=LIMIT)
    assert json_depth(accepted) == MAX_JSON_DEPTH
    deeper = MAX_JSON_DEPTH + (2 if kind == "[{" else 1)  # "[{" nests in pairs
    message = _refused(deep_text(deeper, kind=kind))
    assert f"nested more than {MAX_JSON_DEPTH} levels deep" in message


def test_the_limit_can_be_chosen() -> None:
    assert protocol.parse_json("[[[1]]]", max_bytes=LIMIT, max_depth=3) == [[[1]]]
    _refused("[[[[1]]]]", max_depth=3)


@pytest.mark.parametrize("depth", [1000, 30_000, 100_000])
def test_the_issue_s_deep_documents_are_refused_quickly_without_recursion(depth: int) -> None:
    """The issue: a data-channel message nested about 1000 levels deep (2 KB) raised
    RecursionError in aiortc's receive loop."""
    for text in (deep_text(depth), "[" * depth, '{"a":' * depth):
        started = time.perf_counter()
        _refused(text, max_bytes=10 * depth)
        assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "[" * 40 + '"' + '\\"' * 30_000,
        "[" * 40 + '"' + '\\"' * 30_000 + "]" * 40,
        "{" * 33 + '"\\' * 30_000,
        "[" * 33 + '"' * 60_000,
    ],
    ids=["escaped_quotes", "escaped_quotes_closed", "trailing_backslashes", "empty_strings"],
)
def test_strings_that_never_end_cost_linear_time(text: str) -> None:
    """A string pattern that restarts at every quote would take seconds here (quadratic)."""
    started = time.perf_counter()
    _refused(text)
    assert time.perf_counter() - started < 0.2


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"name": "[" * 5000 + "{" * 5000, "escaped": '\\"[[[[', "quote": '"]]]'})
    assert protocol.parse_json(text, max_bytes=LIMIT)["name"].startswith("[[[")


def _comb(depth: int) -> str:
    """Nested ``depth`` levels with a subtree beside every level as deep as what remains below
    it: no long run of opening brackets, so the depth check needs every pass."""
    if depth == 0:
        return "0"
    return f"[{deep_text(depth - 1)}, {_comb(depth - 1)}]"


def test_a_document_shaped_to_need_every_pass_is_still_cheap() -> None:
    assert json_depth(json.loads(_comb(MAX_JSON_DEPTH))) == MAX_JSON_DEPTH
    assert protocol.parse_json(_comb(MAX_JSON_DEPTH), max_bytes=LIMIT)
    text = _comb(MAX_JSON_DEPTH + 1)
    started = time.perf_counter()
    for _ in range(10):
        _refused(text)
    assert (time.perf_counter() - started) / 10 < 0.05


def test_unbalanced_brackets_are_invalid_json() -> None:
    assert "do not balance" in _refused("[]" * 40 + "]]")
    assert "nested more than" in _refused("[" * 50)
    _refused("[" * 50 + "}" * 50)  # balanced in number, mismatched: the parser refuses it
    _refused("[1, 2")
    _refused("[" * 40 + "]" * 39)


@pytest.mark.parametrize(
    "literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400 + ".0"]
)
def test_numbers_json_cannot_carry_are_refused(literal: str) -> None:
    """Python's parser takes these; JSON.parse in a browser refuses what the server would send
    back (NaN, Infinity)."""
    _refused(f'{{"x_px": {literal}}}')


def test_tiny_and_large_finite_numbers_are_kept() -> None:
    assert protocol.parse_json("[1e-400, 1e308, -0.0, 5e-324]", max_bytes=LIMIT) == [
        0.0,
        1e308,
        -0.0,
        5e-324,
    ]


def test_an_integer_of_thousands_of_digits_is_invalid_json_not_a_crash() -> None:
    _refused("[" + "9" * 5000 + "]")
    assert protocol.parse_json("[" + "9" * 4000 + "]", max_bytes=LIMIT) == [int("9" * 4000)]


def test_lone_surrogates_are_refused_and_pairs_kept() -> None:
    """A string holding a lone surrogate cannot be encoded as UTF-8: SQLite and LSL would fail
    on it later, far from the message that brought it."""
    assert "lone UTF-16 surrogate" in _refused('{"name": "\\ud800"}')
    _refused('{"\\udc00": 1}')
    _refused('["ok", ["\\ud83d x"]]')
    assert protocol.parse_json('["\\ud83d\\ude00"]', max_bytes=LIMIT) == ["😀"]
    assert protocol.parse_json('["\\\\ud800"]', max_bytes=LIMIT) == ["\\ud800"]
    _refused("\ud800")  # text that is not valid Unicode at all


def test_bytes_must_be_utf_8() -> None:
    assert "not UTF-8" in _refused(b'{"name": "\xc3\x28"}')
    _refused('{"a": 1}'.encode("utf-16"))
    _refused(b"\xef\xbb\xbf{}")  # a byte-order mark is not JSON either


def test_the_size_is_counted_in_utf_8_bytes() -> None:
    text = json.dumps(["ä" * 10], ensure_ascii=False)  # 10 characters, 20 bytes
    size = len(text.encode())
    assert protocol.parse_json(text, max_bytes=size) == ["ä" * 10]
    message = _refused(text, ErrorCode.MESSAGE_TOO_LARGE, max_bytes=size - 1)
    assert f"{size} bytes exceed the limit of {size - 1} bytes" in message
    _refused(text.encode(), ErrorCode.MESSAGE_TOO_LARGE, max_bytes=size - 1)


@pytest.mark.parametrize("text", RAW_JSON_ATTACKS)
def test_known_attacks_are_protocol_errors_or_plain_json(text: str) -> None:
    try:
        value = protocol.parse_json(text, max_bytes=LIMIT)
    except ProtocolError as exc:
        assert exc.code is ErrorCode.INVALID_JSON
    else:
        assert value == json.loads(text)


def test_random_documents_parse_as_json_loads_does() -> None:
    fuzzer = Fuzzer(random.Random(SEED))
    for _ in range(2000):
        text = json.dumps(fuzzer.value(6), ensure_ascii=fuzzer.rng.random() < 0.5)
        expected = json.loads(text)
        if json_depth(expected) <= MAX_JSON_DEPTH and "\\ud" not in text.lower():
            assert protocol.parse_json(text, max_bytes=1 << 20) == expected


def test_random_mutations_never_raise_anything_but_protocol_errors() -> None:
    fuzzer = Fuzzer(random.Random(SEED + 1))
    template = {"v": 1, "type": "event", "name": "x", "nested": [[1, {"a": [2]}]]}
    for _ in range(3000):
        text = fuzzer.raw(json.dumps(fuzzer.mutate(template)))
        try:
            value = protocol.parse_json(text, max_bytes=LIMIT)
        except ProtocolError as exc:
            assert exc.code in {ErrorCode.INVALID_JSON, ErrorCode.MESSAGE_TOO_LARGE}
        else:
            assert json_depth(value) <= MAX_JSON_DEPTH
            assert value == json.loads(text)


def test_parse_client_message_answers_the_issue_s_inputs() -> None:
    deep = '{"v": 1, "type": "hello", "config": ' + deep_text(1000) + "}"
    with pytest.raises(ProtocolError) as caught:
        protocol.parse_client_message(deep, max_bytes=16 * 1024)
    assert caught.value.code is ErrorCode.INVALID_JSON
    event = {"v": 1, "type": "event", "name": "onset", "timestamp_unix_ns": 2**63}
    with pytest.raises(ProtocolError, match="timestamp_unix_ns") as caught:
        protocol.parse_client_message(json.dumps(event), max_bytes=16 * 1024)
    assert caught.value.code is ErrorCode.INVALID_MESSAGE


def test_a_16_kb_message_parses_in_well_under_a_millisecond_per_kilobyte() -> None:
    """The bound costs little: a 16 KB message of 100 targets (the largest a client sends)."""
    rng = random.Random(SEED)
    targets = [
        {"id": index, "x_px": rng.uniform(0, 2000), "y_px": rng.uniform(0, 1000)}
        for index in range(100)
    ]
    text = json.dumps({"v": 1, "type": "calibration_start", "targets": targets}, indent=1)
    text += " " * (16 * 1024 - len(text))
    runs = 50
    started = time.perf_counter()
    for _ in range(runs):
        protocol.parse_json(text, max_bytes=16 * 1024)
    per_parse_s = (time.perf_counter() - started) / runs
    assert per_parse_s < 0.016  # generous: about 0.3 ms measured on one core
