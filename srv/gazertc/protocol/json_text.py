"""JSON from outside, bounded before it is decoded: size, nesting depth and values that would
not survive a round trip are refused with a :class:`~gazertc.protocol.ProtocolError`."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from gazertc.protocol.errors import ErrorCode, ProtocolError

__all__ = ["MAX_JSON_DEPTH", "parse_json"]


MAX_JSON_DEPTH: Final = 32
"""Deepest nesting of arrays and objects accepted in JSON from outside (messages, request bodies,
saved calibrations). The deepest document the schema describes has 5 levels (a recording_list's
recording metadata.screen); clients send at most 4 (calibration_load: model.coefficients[i]).
json.loads and jsonschema recurse once per level and raise RecursionError near 1000."""

_JSON_STRING: Final = re.compile(rb'"(?:[^"\\]+|\\.?)*+(?:"|\Z)', re.DOTALL)
"""A JSON string, or one that never ends (it runs to the end: the parser stops there too).
Every match succeeds where it starts and nothing backtracks: linear on any input."""
_AS_PARENTHESES: Final = bytes.maketrans(b"[{]}", b"(())")
_NOT_A_BRACKET: Final = bytes(byte for byte in range(256) if byte not in b"[]{}")
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


def _check_nesting(utf8: bytes, max_depth: int) -> None:
    """Reject a document (its UTF-8 bytes) when its arrays and objects nest deeper than
    ``max_depth`` or do not balance, before anything recurses into it.

    Linear and in C: strings are cut out; every other byte but a bracket is deleted (no byte of
    a multi-byte UTF-8 character is one) and the brackets become parentheses (a mismatch such
    as ``[}`` is left to the JSON parser: it cannot make the nesting deeper); each pass then
    removes the innermost pairs, one level, at most ``max_depth`` passes; a run of more than
    ``max_depth`` opening brackets ends the search at once. Measured: 0.2 ms for a 16 KB
    message, 0.4 ms for the issue's 1000 levels; a document shaped to need every pass costs
    about 3 ms per 16 KB.
    """
    if utf8.count(b"[") + utf8.count(b"{") <= max_depth:
        return  # too few brackets to nest deeper (the common, small message)
    if b'"' in utf8:
        utf8 = _JSON_STRING.sub(b"", utf8)
    skeleton = utf8.translate(_AS_PARENTHESES, _NOT_A_BRACKET)
    too_deep = b"(" * (max_depth + 1)
    for _ in range(max_depth):
        if not skeleton:
            return
        if too_deep in skeleton:
            break
        reduced = skeleton.replace(b"()", b"")  # one scan: a pair it uncovers stays for the next
        if reduced == skeleton:
            raise ProtocolError(ErrorCode.INVALID_JSON, "not valid JSON: brackets do not balance")
        skeleton = reduced
    if skeleton:
        raise ProtocolError(
            ErrorCode.INVALID_JSON,
            f"arrays and objects are nested more than {max_depth} levels deep",
        )


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"number {literal[:40]} is out of range")
    return value


def _no_constant(literal: str) -> float:
    raise ValueError(f"{literal} is not a JSON number")


def _has_lone_surrogate(value: object) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def parse_json(data: str | bytes, *, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode one JSON document from outside, bounded before it is decoded.

    Stricter than :func:`json.loads`: bytes must be UTF-8; ``NaN``, ``Infinity`` and numbers
    beyond the float range are refused (they would come back out as invalid JSON); so are
    escaped lone surrogates (``"\\ud800"``: no UTF-8 encoder accepts them) and integers of more
    than 4300 digits (Python's own limit).

    Args:
        data: the document; text, or UTF-8 bytes.
        max_bytes: the largest accepted document, in UTF-8 bytes.
        max_depth: the deepest accepted nesting of arrays and objects.

    Returns:
        The decoded value (any JSON type).

    Raises:
        ProtocolError: ``message_too_large`` (larger than ``max_bytes``) or ``invalid_json``
            (not JSON, not UTF-8, nested deeper than ``max_depth``, or a refused value).
    """
    if isinstance(data, str):
        text = data
        try:
            utf8 = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ProtocolError(ErrorCode.INVALID_JSON, f"not valid Unicode text: {exc}") from exc
    else:
        utf8 = data
    if len(utf8) > max_bytes:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"{len(utf8)} bytes exceed the limit of {max_bytes} bytes",
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(
                ErrorCode.INVALID_JSON, f"not valid JSON: not UTF-8 text ({exc})"
            ) from exc
    _check_nesting(utf8, max_depth)
    try:
        value = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ProtocolError(ErrorCode.INVALID_JSON, f"not valid JSON: {exc}") from exc
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise ProtocolError(
            ErrorCode.INVALID_JSON, "not valid JSON text: a string holds a lone UTF-16 surrogate"
        )
    return value
