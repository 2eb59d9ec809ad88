"""Short recording ids: resolved when one recording's id begins with them, refused naming the
candidates when several do, and accepted the same way by the server's recordings routes.

The recordings are written by the real store; their ids are then set by hand in the database so
that several can share a start (random ids would share one only once in billions of runs).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import aiohttp
import pytest

from gazertc.recording.ids import (
    CANDIDATES_SHOWN,
    MIN_PREFIX_LENGTH,
    SHORT_ID_LENGTH,
    AmbiguousRecordingIdError,
    UnknownRecordingIdError,
    resolve_recording_id,
    short_id,
)
from gazertc.server.app import ServerConfig
from tests.recording.test_recordings_cli import (
    ALONE,
    SHARED_START_A,
    SHARED_START_B,
    store_recordings,
)
from tests.server.peer import running_server

pytestmark = pytest.mark.timeout(60)

HOST_TOKEN = "short-ids-test-host-token-0123456789"
MONITOR_CONTROLLER = (
    Path(__file__).resolve().parents[2] / "app" / "src" / "monitor" / "controller.ts"
)


# -- resolving ------------------------------------------------------------------------------------

IDS = (SHARED_START_A, SHARED_START_B, ALONE)


def test_the_short_id_is_what_the_monitor_shows() -> None:
    monitor = MONITOR_CONTROLLER.read_text(encoding="utf-8")
    shown = re.search(
        r"function shortId\(id: string\): string \{\s*return id\.slice\(0, (\d+)\);", monitor
    )
    assert shown is not None, f"{MONITOR_CONTROLLER} no longer has shortId: check SHORT_ID_LENGTH"
    assert int(shown.group(1)) == SHORT_ID_LENGTH
    assert short_id(ALONE) == ALONE[:SHORT_ID_LENGTH] == "5e7f9a0b"


@pytest.mark.parametrize(
    "given",
    [ALONE, "5e7f9a0b", "5e7f", "5E7F9A0B", ALONE[:20]],
    ids=["full", "short", "shortest", "upper case", "longer start"],
)
def test_a_start_one_recording_has_names_it(given: str) -> None:
    assert resolve_recording_id(given, IDS) == ALONE


def test_a_full_id_wins_even_where_it_starts_another() -> None:
    longer = SHARED_START_A[:-1] + "9"
    assert resolve_recording_id(SHARED_START_A, [longer, SHARED_START_A]) == SHARED_START_A


def test_a_start_several_have_is_refused_naming_them() -> None:
    with pytest.raises(AmbiguousRecordingIdError) as raised:
        resolve_recording_id("abcd1234", IDS)
    assert raised.value.candidates == (SHARED_START_A, SHARED_START_B)
    assert str(raised.value) == (
        "recording id 'abcd1234' is ambiguous: 2 recordings begin with it "
        f"({SHARED_START_A}, {SHARED_START_B}); give more of the id"
    )
    assert resolve_recording_id("abcd12341", IDS) == SHARED_START_B


def test_an_ambiguous_message_lists_a_bounded_number_of_candidates() -> None:
    many = [f"{index:04x}" + "f" * 28 for index in range(CANDIDATES_SHOWN + 5)]
    many = ["ffff" + recording_id[4:] for recording_id in many]
    with pytest.raises(AmbiguousRecordingIdError) as raised:
        resolve_recording_id("ffff", many)
    assert len(raised.value.candidates) == CANDIDATES_SHOWN + 5
    assert str(raised.value).count("f" * 28) == CANDIDATES_SHOWN
    assert "and 5 more" in str(raised.value)


@pytest.mark.parametrize("given", ["5e7f9a0c", "0" * 32, "", "5e7f9a0b" + "x", ALONE + "0"])
def test_an_id_no_recording_has_is_unknown(given: str) -> None:
    with pytest.raises(UnknownRecordingIdError, match="no recording"):
        resolve_recording_id(given, IDS)


def test_too_short_a_start_is_not_looked_up_and_says_so() -> None:
    given = ALONE[: MIN_PREFIX_LENGTH - 1]
    with pytest.raises(UnknownRecordingIdError) as raised:
        resolve_recording_id(given, IDS)
    assert f"at least its first {MIN_PREFIX_LENGTH} characters" in str(raised.value)


# -- the server's routes --------------------------------------------------------------------------


async def _get(url: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {HOST_TOKEN}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.read()


async def test_the_recordings_routes_take_short_ids(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store_recordings(data_dir, IDS, samples=3)
    config = ServerConfig(static_dir=None, worker_count=1, data_dir=data_dir, host_token=HOST_TOKEN)
    async with running_server(config) as server:
        base = f"{server.base_url}/api/recordings"
        by_short_id = await _get(f"{base}/{short_id(ALONE)}")
        by_full_id = await _get(f"{base}/{ALONE}")
        export_status, export_body = await _get(f"{base}/{short_id(ALONE)}/export")
        ambiguous = await _get(f"{base}/{short_id(SHARED_START_A)}")
        ambiguous_export = await _get(f"{base}/{short_id(SHARED_START_A)}/export")
        longer = await _get(f"{base}/{SHARED_START_B[:9]}")
        unknown = await _get(f"{base}/ffffffff")
    assert by_short_id == by_full_id
    assert by_short_id[0] == 200
    info = json.loads(by_short_id[1])
    assert (info["recording_id"], info["sample_count"]) == (ALONE, 3)
    assert export_status == 200
    with zipfile.ZipFile(io.BytesIO(export_body)) as archive:
        names = archive.namelist()
        samples_csv = archive.read(f"{ALONE}-csv/samples.csv").decode("utf-8")
    assert names and all(name.startswith(f"{ALONE}-csv/") for name in names)
    assert len(samples_csv.splitlines()) == 1 + 3  # header and this recording's samples
    for status, body in (ambiguous, ambiguous_export):
        error = json.loads(body)
        assert (status, error["code"]) == (400, "invalid_request")
        assert "ambiguous" in error["message"]
        assert "2 recordings" in error["message"]
    assert longer[0] == 200
    assert json.loads(longer[1])["recording_id"] == SHARED_START_B
    assert unknown[0] == 404
    assert json.loads(unknown[1])["code"] == "not_found"
