"""GET /api/recordings/{id}/summary and /replay on a real server over a data directory holding a
recording written through the real store: the host token gets answers that pass the schema and
carry the recording's numbers; anyone else, and an unknown id, gets a JSON error."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from gazertc.protocol import ErrorCode, ProtocolError, validate
from gazertc.recording.ids import short_id
from gazertc.recording.store import DATABASE_NAME, RecordingStore
from gazertc.server.app import ServerConfig
from gazertc.server.recordings_api import _view_json
from tests.recording.generated import EVENT_NAMES, Generated, record_generated
from tests.server.peer import RunningServer, running_server

pytestmark = pytest.mark.timeout(120)

HOST_TOKEN = "views-test-host-token-0123456789"
VIEWS = ("summary", "replay")


@dataclass
class Site:
    server: RunningServer
    generated: Generated


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    data_dir = tmp_path_factory.mktemp("views-data")
    generated = record_generated(data_dir)
    config = ServerConfig(static_dir=None, worker_count=1, data_dir=data_dir, host_token=HOST_TOKEN)
    async with running_server(config) as server:
        yield Site(server, generated)


async def _get(site: Site, path: str, token: str | None) -> tuple[int, str, Any]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{site.server.base_url}{path}", headers=headers) as response,
    ):
        return response.status, response.content_type, json.loads(await response.read())


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("view", VIEWS)
async def test_the_host_gets_a_valid_answer_by_full_or_short_id(site: Site, view: str) -> None:
    recording_id = site.generated.recording_id
    for given in (recording_id, short_id(recording_id)):
        status, content_type, body = await _get(site, f"/api/recordings/{given}/{view}", HOST_TOKEN)
        assert (status, content_type) == (200, "application/json"), body
        validate(body, f"recording_{view}")
        if view == "summary":
            assert body["recording"]["recording_id"] == recording_id
            assert body["data_quality"]["samples"] == len(site.generated.times_s)
            assert body["data_quality"]["gap_count"] == 1
            assert [event["name"] for event in body["events"]] == list(EVENT_NAMES)
        else:
            assert len(body["t_s"]) == len(site.generated.times_s)
            assert body["x_px"] is not None and body["video"] is False
            assert [item["start_s"] for item in body["fixations"]] == [
                start for start, _ in site.generated.fixations_s
            ]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(
    ("token", "status", "code"),
    [(None, 401, "unauthorized"), ("not-the-host-token-0123456789", 403, "forbidden")],
)
async def test_others_are_refused_with_a_json_error(
    site: Site, view: str, token: str | None, status: int, code: str
) -> None:
    answer = await _get(site, f"/api/recordings/{site.generated.recording_id}/{view}", token)
    assert answer[:2] == (status, "application/json")
    validate(answer[2], "error")
    assert answer[2]["code"] == code
    assert "recording" not in answer[2] and "t_s" not in answer[2]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("given", ["f" * 32, "ffffffff", "not-an-id<script>"])
async def test_an_unknown_recording_is_a_json_404(site: Site, view: str, given: str) -> None:
    status, content_type, body = await _get(site, f"/api/recordings/{given}/{view}", HOST_TOKEN)
    assert (status, content_type) == (404, "application/json")
    validate(body, "error")
    assert body["code"] == "not_found"


async def test_a_server_without_recordings_says_so(tmp_path: Path) -> None:
    config = ServerConfig(static_dir=None, worker_count=1, host_token=HOST_TOKEN)
    async with running_server(config) as server:
        site = Site(server, record_generated(tmp_path))
        status, _, body = await _get(site, f"/api/recordings/{'a' * 32}/summary", HOST_TOKEN)
    assert (status, body["code"]) == (409, "recording_unavailable")


@pytest.mark.parametrize("view", VIEWS)
def test_an_unreadable_database_is_an_internal_error_without_details(
    tmp_path: Path, view: str
) -> None:
    (tmp_path / DATABASE_NAME).write_bytes(b"not a database, /secret/path inside" * 100)
    with pytest.raises(ProtocolError) as caught:
        _view_json(RecordingStore(tmp_path), "a" * 32, view)
    assert caught.value.code is ErrorCode.INTERNAL_ERROR
    assert "secret" not in caught.value.message and "sqlite" not in caught.value.message
