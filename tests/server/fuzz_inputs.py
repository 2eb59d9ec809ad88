"""Seeded generators of hostile input for the fuzz suites (``test_fuzz_datachannel.py``; the
HTTP suite's requests are in ``fuzz_http_inputs.py``) and the JSON parser's tests: random JSON,
mutations of valid messages, raw-text attacks.

Everything comes from one ``random.Random``: a failure repeats with its seed. The generators
only build input; what the server must answer is the suites' business.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

T = TypeVar("T")

SEED: Final = 11_0011
"""Issue 11, part D: fixed, so that every run sends the same inputs."""

FIXTURES_DIR: Final = Path(__file__).resolve().parents[1] / "fixtures" / "messages"

SAFE_INTEGER: Final = 2**53 - 1
T0_UNIX_NS: Final = 1_767_225_600_000_000_000
"""2026-01-01, a plausible time for messages that carry one."""

HOSTILE_STRINGS: Final = (
    "",
    " ",
    "\x00",
    "\x00\x01\x02\x1f\x7f",
    "\r\n\r\nHTTP/1.1 200 OK\r\n",
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%00",
    "<script>alert(1)</script>",
    "' OR '1'='1'; DROP TABLE events; --",
    "${jndi:ldap://example.invalid/a}",
    "\u202egnp.exe",
    "\ufeff",
    "😀" * 40,
    "\U0010ffff",
    "Ω≈ç√∫˜µ≤≥÷",
    "NaN",
    "Infinity",
    "null",
    "-0",
    "1e400",
    "\\",
    '"',
    "{}",
    "[[[[[[[[[[",
    "x" * 201,
    "x" * 5000,
)
"""Strings that broke something somewhere: control characters, paths, markup, SQL, bidi
overrides, astral characters, number look-alikes, lengths just past and far past a limit."""

HOSTILE_NUMBERS: Final = (
    0,
    -1,
    1,
    2**31,
    2**32,
    SAFE_INTEGER,
    SAFE_INTEGER + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63),
    -(2**63) - 1,
    10**30,
    1e308,
    -1e308,
    5e-324,
    -0.0,
    0.5,
    1.5,
    T0_UNIX_NS,
    T0_UNIX_NS * 3,
)
"""Integers at every width's edge (int32, uint32, JavaScript's exact range, int64, uint64),
the float range's ends and denormals, and times that are plausible or far out of range."""

RAW_JSON_ATTACKS: Final = (
    "",
    " ",
    "null",
    "1",
    '"a string"',
    "[]",
    "{",
    "}",
    '{"v": 1, "type": "ping",}',
    "{'v': 1}",
    '{"v": 1 /* comment */}',
    '{"v": NaN}',
    '{"v": Infinity}',
    '{"v": -Infinity}',
    '{"v": 1e400}',
    '{"v": -1e400}',
    '{"v": 1, "type": "event", "name": "\\ud800"}',
    '{"v": 1, "type": "event", "name": "\\udc00\\ud800"}',
    '{"v": 1, "type": "event", "name": "\\x41"}',
    '{"v": 1, "type": "event", "name": "\\u00"}',
    '{"v": 1, "type": "ping", "id": ' + "9" * 5000 + ', "sent_unix_ns": 1}',
    '{"v": 1, "type": "ping", "id": 1, "sent_unix_ns": ' + "1" * 4000 + "}",
    '{"v": 1, "v": 2, "type": "ping", "type": "hello"}',
    '\ufeff{"v": 1, "type": "calibration_end"}',
    '{"v": 1, "type": "calibration_end"} trailing',
    '{"v": 1, "type": "calibration_end"}{"v": 1, "type": "calibration_end"}',
    '{"v": 1.0, "type": "calibration_end"}',
    '{"v": true, "type": "calibration_end"}',
    '{"v": 1, "type": ["calibration_end"]}',
    '{"v": 1, "type": null}',
    '{"v": 1, "type": "' + "t" * 3000 + '"}',
    '{"\\u0000": 1}',
)
"""Texts that are not JSON, or JSON that Python's parser alone would accept (NaN, Infinity,
lone surrogates, 5000-digit integers) but nothing else should."""


def deep_text(depth: int, *, kind: str = "[", inner: str = "0") -> str:
    """JSON text nested ``depth`` levels: arrays (``[``), objects (``{``) or both (``[{``)."""
    if kind == "[":
        return "[" * depth + inner + "]" * depth
    if kind == "{":
        return '{"a":' * depth + inner + "}" * depth
    half = depth // 2
    return '[{"a":' * half + inner + "}]" * half


def json_depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value (a scalar is 0, ``[]`` is 1); the reference the
    parser's bracket scan is checked against."""
    if isinstance(value, dict):
        return 1 + max((json_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((json_depth(item) for item in value), default=0)
    return 0


@dataclass
class Fuzzer:
    """Random hostile values and mutations, all drawn from ``rng``."""

    rng: random.Random

    def choice(self, options: Iterable[T]) -> T:
        return self.rng.choice(list(options))

    def text(self, max_length: int = 40) -> str:
        alphabet = string.printable + 'äß€😀\u202e\x00\\"'
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(0, max_length)))

    def scalar(self) -> Any:
        kind = self.rng.randrange(6)
        if kind == 0:
            return self.choice(HOSTILE_NUMBERS)
        if kind == 1:
            return self.choice(HOSTILE_STRINGS)
        if kind == 2:
            return self.text()
        if kind == 3:
            return self.choice((True, False, None))
        if kind == 4:
            return self.rng.uniform(-1e6, 1e6)
        return self.rng.randint(-(10**6), 10**6)

    def value(self, depth: int = 3) -> Any:
        """A random JSON value nested at most ``depth`` levels."""
        kind = self.rng.randrange(4) if depth > 0 else 0
        if kind <= 1:
            return self.scalar()
        if kind == 2:
            return [self.value(depth - 1) for _ in range(self.rng.randint(0, 4))]
        return {self.text(12): self.value(depth - 1) for _ in range(self.rng.randint(0, 4))}

    def other_type(self, value: Any) -> Any:
        """A value of another JSON type than ``value``."""
        while True:
            candidate = self.value(2)
            if type(candidate) is not type(value) or isinstance(value, bool):
                return candidate

    def huge(self) -> Any:
        """A value that is large in one way: long string, long array, wide object."""
        kind = self.rng.randrange(4)
        if kind == 0:
            return "x" * self.rng.choice((201, 1000, 3000, 12_000))
        if kind == 1:
            return [self.rng.random() for _ in range(self.rng.choice((101, 500, 1500)))]
        if kind == 2:
            return {f"k{index}": index for index in range(self.rng.choice((50, 800)))}
        return [[index, index] for index in range(700)]

    def mutate(self, message: dict[str, Any]) -> dict[str, Any]:
        """One mutation of a (valid) object: a field dropped, retyped, enlarged, made hostile
        or nested; an extra field; or a nested object mutated in turn."""
        mutated = dict(message)
        keys = list(mutated)
        operation = self.rng.randrange(8)
        if operation == 0 and keys:
            del mutated[self.choice(keys)]
        elif operation == 1 and keys:
            key = self.choice(keys)
            mutated[key] = self.other_type(mutated[key])
        elif operation == 2:
            mutated[self.choice((*HOSTILE_STRINGS[:12], self.text(12), "extra"))] = self.value()
        elif operation == 3 and keys:
            mutated[self.choice(keys)] = self.huge()
        elif operation == 4 and keys:
            mutated[self.choice(keys)] = self.choice(HOSTILE_NUMBERS)
        elif operation == 5 and keys:
            mutated[self.choice(keys)] = self.choice(HOSTILE_STRINGS)
        elif operation == 6 and keys:
            nested = [key for key in keys if isinstance(mutated[key], dict)]
            lists = [key for key in keys if isinstance(mutated[key], list) and mutated[key]]
            if nested:
                key = self.choice(nested)
                mutated[key] = self.mutate(mutated[key])
            elif lists:
                key = self.choice(lists)
                items = list(mutated[key])
                index = self.rng.randrange(len(items))
                item = items[index]
                items[index] = self.mutate(item) if isinstance(item, dict) else self.value()
                mutated[key] = items
            else:
                mutated[self.choice(keys)] = self.value()
        else:
            key = self.choice(keys) if keys else "x"
            mutated[key] = json.loads(deep_text(self.rng.randint(2, 30), kind="["))
        return mutated

    def raw(self, text: str) -> str:
        """A text-level mutation of a JSON document: cut, spliced, deepened, made slow to scan
        or replaced by a known attack."""
        operation = self.rng.randrange(7)
        if operation == 0:
            return text[: self.rng.randrange(max(1, len(text)))]
        if operation == 1:
            at = self.rng.randrange(len(text) + 1)
            return text[:at] + self.choice(('"', "{", "]", "\\", "\x00", ",", "\\u")) + text[at:]
        if operation == 2:
            depth = self.choice((33, 100, 1000, 3000, 8000))
            return deep_text(depth, kind=self.choice(("[", "{", "[{")))
        if operation == 3:
            depth = self.choice((500, 2000))
            return '{"v": 1, "type": "hello", "config": ' + deep_text(depth) + "}"
        if operation == 4:
            return "[" * self.choice((1000, 5000))
        if operation == 5:
            # Strings that never end, in ways that make a naive string scanner quadratic.
            piece = self.choice(('\\"', '"\\', '"', "\\"))
            return "[" * 40 + '"' + piece * (14_000 // len(piece))  # under the 16 KB limit
        return str(self.choice(RAW_JSON_ATTACKS))


# -- data-channel messages -----------------------------------------------------------------


def _fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES_DIR / name).read_text("utf-8"))
    return loaded


SCREEN: Final = {"width_px": 1536, "height_px": 864, "device_pixel_ratio": 1.25}
"""The screen of the saved calibration fixture (so that loading it can succeed)."""


def client_messages(now_unix_ns: int) -> dict[str, Callable[[random.Random], dict[str, Any]]]:
    """A builder of a valid message per client message type."""
    saved_model = _fixture("calibration_load.saved.json")["model"]

    def targets(rng: random.Random) -> list[dict[str, Any]]:
        ids = rng.sample(range(50), rng.randint(1, 13))
        return [{"id": i, "x_px": rng.uniform(0, 1536), "y_px": rng.uniform(0, 864)} for i in ids]

    return {
        "hello": lambda rng: {
            "v": 1,
            "type": "hello",
            "client": {"name": "fuzz", "version": "1"},
            "capabilities": {"video_receive": True, "protocol_versions": [1]},
            "config": {"output": "json", "screen": dict(SCREEN), "status_interval_ms": 500},
        },
        "config": lambda rng: {
            "v": 1,
            "type": "config",
            "screen": dict(SCREEN) if rng.random() < 0.8 else {"width_px": 800, "height_px": 600},
            "status_interval_ms": rng.choice((200, 1000, 60000)),
        },
        "ping": lambda rng: {
            "v": 1,
            "type": "ping",
            "id": rng.randint(0, SAFE_INTEGER),
            "sent_unix_ns": now_unix_ns,
        },
        "pong": lambda rng: {
            "v": 1,
            "type": "pong",
            "id": rng.randint(0, 100),
            "ping_sent_unix_ns": now_unix_ns,
            "received_unix_ns": now_unix_ns,
            "sent_unix_ns": now_unix_ns,
        },
        "event": lambda rng: {
            "v": 1,
            "type": "event",
            "name": rng.choice(("stimulus_onset", "ü😀", "x" * 200)),
            "timestamp_unix_ns": now_unix_ns + rng.randint(-(10**9), 10**9),
        },
        "recording": lambda rng: {
            "v": 1,
            "type": "recording",
            "action": rng.choice(("start", "stop", "cancel")),
            "name": rng.choice(("block 1", "\u202e", "n" * 200)),
        },
        "calibration_start": lambda rng: {
            "v": 1,
            "type": "calibration_start",
            "targets": targets(rng),
        },
        "validation_start": lambda rng: {
            "v": 1,
            "type": "validation_start",
            "targets": targets(rng),
        },
        "target_shown": lambda rng: {
            "v": 1,
            "type": "target_shown",
            "target_id": rng.randrange(50),
            "shown_unix_ns": now_unix_ns,
        },
        "target_done": lambda rng: {"v": 1, "type": "target_done", "target_id": rng.randrange(50)},
        "calibration_end": lambda rng: {"v": 1, "type": "calibration_end"},
        "calibration_load": lambda rng: {
            "v": 1,
            "type": "calibration_load",
            "model": dict(saved_model),
        },
        "calibration_accept": lambda rng: {"v": 1, "type": "calibration_accept"},
        "dwell_confirmed": lambda rng: {
            "v": 1,
            "type": "dwell_confirmed",
            "x_px": rng.uniform(-100, 2000),
            "y_px": rng.uniform(-100, 1200),
            "start_unix_ns": now_unix_ns - rng.randint(0, 200 * 10**9),
            "end_unix_ns": now_unix_ns + rng.randint(-(10**9), 2 * 10**9),
        },
        "drift_reset": lambda rng: {"v": 1, "type": "drift_reset"},
    }


@dataclass
class DataChannelCase:
    """One payload for the data channel, and why it was made. ``invalid_text``: the bytes go
    out as a text frame although they are not UTF-8 (no browser sends that; a peer can)."""

    payload: str | bytes
    kind: str
    invalid_text: bool = False


def datachannel_cases(
    fuzzer: Fuzzer, count: int, *, now_unix_ns: int, max_message_bytes: int
) -> list[DataChannelCase]:
    """``count`` payloads: valid messages of every type in random (so often out-of-order)
    sequence, their mutations, raw-text attacks, binary frames and oversized messages."""
    builders = client_messages(now_unix_ns)
    rng = fuzzer.rng
    cases: list[DataChannelCase] = []
    while len(cases) < count:
        message_type = fuzzer.choice(builders)
        message = builders[message_type](rng)
        roll = rng.random()
        if roll < 0.30:
            cases.append(DataChannelCase(json.dumps(message), f"valid {message_type}"))
        elif roll < 0.70:
            mutated = message
            for _ in range(rng.randint(1, 3)):
                mutated = fuzzer.mutate(mutated)
            cases.append(DataChannelCase(json.dumps(mutated), f"mutated {message_type}"))
        elif roll < 0.88:
            cases.append(DataChannelCase(fuzzer.raw(json.dumps(message)), "raw text"))
        elif roll < 0.92:
            payload = rng.choice((b"", b"\x00", json.dumps(message).encode(), rng.randbytes(64)))
            cases.append(DataChannelCase(payload, "binary"))
        elif roll < 0.94:
            text = json.dumps(message).encode()
            at = rng.randrange(len(text) + 1)
            payload = text[:at] + rng.choice((b"\xff", b"\xc3\x28", b"\xed\xa0\x80")) + text[at:]
            cases.append(DataChannelCase(payload, "text not UTF-8", invalid_text=True))
        else:
            padding = "x" * (max_message_bytes + rng.choice((1, 100, 40_000)))
            message["pad"] = padding
            cases.append(DataChannelCase(json.dumps(message), "oversized"))
    return cases
