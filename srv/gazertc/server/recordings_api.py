"""The recordings API: events and recording control of a live session, and the stored recordings.

Routes, with the credential each needs (``Authorization: Bearer``; see
:mod:`gazertc.server.access`)::

    POST /api/sessions/{session_id}/events     session secret or host token
                                               event_request -> stored_event
    POST /api/sessions/{session_id}/recording  session secret or host token
                                               recording_request -> recording_info
    GET  /api/recordings                       host token: recording_list
    GET  /api/recordings/{recording_id}        host token: recording_info
    GET  /api/recordings/{recording_id}/export?format=csv|bids   host token: a zip of the
                                               exported files
    GET  /api/recordings/{recording_id}/summary   host token: recording_summary
    GET  /api/recordings/{recording_id}/replay    host token: recording_replay
    GET  /api/recordings/{recording_id}/video  host token: the camera video (WebM), for a
                                               recording started with video, once it ended

``{recording_id}`` is the full id or, when no other recording's id begins with it, the short
id the monitor shows (:mod:`gazertc.recording.ids`); an id several recordings begin with is
answered 400 ``invalid_request`` naming them.

A recording started with the session's secret is the participant's, one started with the host
token the host's (``started_by``); so is its end (``stopped_by``). A server without a data
directory answers ``/api/recordings`` with 409 ``recording_unavailable``.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Final

from aiohttp import web

from gazertc.protocol import ErrorCode, ProtocolError
from gazertc.recording.backend import DATABASE_ERRORS, Connection, DatabaseUnavailableError
from gazertc.recording.export import export_bids, export_csv
from gazertc.recording.gaze_columns import load_gaze_columns
from gazertc.recording.ids import (
    AmbiguousRecordingIdError,
    UnknownRecordingIdError,
    resolve_recording_id,
)
from gazertc.recording.replay import build_replay
from gazertc.recording.store import RecordingError, RecordingStore
from gazertc.recording.summary import build_summary
from gazertc.recording.tables import load_info
from gazertc.recording.video import VIDEO_CONTENT_TYPE, video_path
from gazertc.records import RecordingInfo, RecordingState
from gazertc.server.access import AccessControl
from gazertc.server.http_bodies import read_json_body
from gazertc.server.session_recording import store_answer

__all__ = ["EXPORT_FORMATS", "add_routes"]

EXPORT_FORMATS: Final = ("csv", "bids")
VIEWS: Final = ("summary", "replay")
MAX_CONCURRENT_VIEWS: Final = 2
"""Summaries and replays built at once: each reads a whole recording (seconds of a core for a
long one); more requests wait their turn instead of starving the sessions' workers."""


def _read_only(store: RecordingStore) -> Connection:
    """A reader's connection to the store's database (SQLite file or PostgreSQL).

    Raises:
        ProtocolError: ``internal_error`` when the database cannot be reached.
    """
    try:
        return store.database.connect(read_only=True)
    except DatabaseUnavailableError as exc:
        raise ProtocolError(
            ErrorCode.INTERNAL_ERROR, "the recordings database cannot be reached"
        ) from exc


def _view_json(store: RecordingStore, recording_id: str, view: str) -> str:
    """The recording's ``recording_summary`` or ``recording_replay`` as JSON text (runs in a
    thread: it reads every sample).

    Raises:
        ProtocolError: ``not_found`` (deleted meanwhile), ``internal_error`` (unreadable).
    """
    data_dir = store.data_dir
    try:
        connection = _read_only(store)
        try:
            info = load_info(connection, recording_id)
            columns = load_gaze_columns(connection, info)
            if view == "summary":
                record = build_summary(connection, info, columns).to_dict()
            else:
                # As GET .../video would serve it: stored, finished, and the file still there.
                video = (
                    info.video
                    and info.state is not RecordingState.RECORDING
                    and video_path(data_dir, recording_id).is_file()
                )
                record = build_replay(connection, info, video=video, columns=columns).to_dict()
        finally:
            connection.close()
    except RecordingError as exc:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no recording {recording_id}") from exc
    except DATABASE_ERRORS as exc:
        raise ProtocolError(
            ErrorCode.INTERNAL_ERROR, f"the recording {recording_id} could not be read"
        ) from exc
    return json.dumps(record, separators=(",", ":"), allow_nan=False)


def _export_zip(store: RecordingStore, recording_id: str, export_format: str) -> bytes:
    """The recording exported as ``export_format`` into a zip, in memory (runs in a thread)."""
    with tempfile.TemporaryDirectory(prefix="gazertc-export-") as scratch:
        out_dir = Path(scratch) / f"{recording_id}-{export_format}"
        connection = _read_only(store)
        try:
            if export_format == "csv":
                paths = export_csv(connection, recording_id, out_dir)
            else:
                paths = export_bids(connection, recording_id, out_dir)
        finally:
            connection.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, f"{out_dir.name}/{path.relative_to(out_dir).as_posix()}")
    return buffer.getvalue()


async def _find_recording(store: RecordingStore, given: str) -> RecordingInfo:
    """The recording ``given`` (a full or short id) names.

    Raises:
        ProtocolError: ``not_found``; ``invalid_request`` when several recordings match;
            ``internal_error`` when the store fails.
    """
    info = await store_answer(store.get(given), "get")
    if info is not None:
        return info
    infos = await store_answer(store.list(), "list")
    try:
        recording_id = resolve_recording_id(given, [known.recording_id for known in infos])
    except UnknownRecordingIdError as exc:
        raise ProtocolError(ErrorCode.NOT_FOUND, str(exc)) from exc
    except AmbiguousRecordingIdError as exc:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, str(exc)) from exc
    return next(known for known in infos if known.recording_id == recording_id)


def add_routes(app: web.Application, store: RecordingStore | None, access: AccessControl) -> None:
    """Register the recordings routes on ``app``: ``store`` holds the server's recordings
    (``None`` when it keeps none), ``access`` checks the credentials."""

    def store_or_error() -> RecordingStore:
        if store is None:
            raise ProtocolError(
                ErrorCode.RECORDING_UNAVAILABLE,
                "this server keeps no recordings (start it with --data-dir)",
            )
        return store

    async def post_event(request: web.Request) -> web.Response:
        received_unix_ns = time.time_ns()
        session, _ = access.session_of(request)
        body = await read_json_body(request, "event_request")
        event = session.record_event(body["name"], body.get("timestamp_unix_ns"), received_unix_ns)
        return web.json_response(event.to_dict())

    async def post_recording(request: web.Request) -> web.Response:
        session, asking = access.session_of(request)
        body = await read_json_body(request, "recording_request")
        info = await session.recording_command(
            body["action"], body.get("name"), by=asking, video=body.get("video", False)
        )
        return web.json_response(info.to_dict())

    async def list_recordings(request: web.Request) -> web.Response:
        access.require_host(request)
        infos = await store_answer(store_or_error().list(), "list")
        return web.json_response({"recordings": [info.to_dict() for info in infos]})

    async def get_recording(request: web.Request) -> web.Response:
        access.require_host(request)
        info = await _find_recording(store_or_error(), request.match_info["recording_id"])
        return web.json_response(info.to_dict())

    async def export_recording(request: web.Request) -> web.Response:
        """A zip of the recording's CSV or BIDS files (``?format=csv``, the default, or
        ``bids``)."""
        access.require_host(request)
        recordings = store_or_error()
        export_format = request.query.get("format", "csv")
        if export_format not in EXPORT_FORMATS:
            raise ProtocolError(
                ErrorCode.INVALID_REQUEST,
                f"format must be one of {', '.join(EXPORT_FORMATS)}, got {export_format!r}",
            )
        recording_id = (
            await _find_recording(recordings, request.match_info["recording_id"])
        ).recording_id
        body = await asyncio.to_thread(_export_zip, recordings, recording_id, export_format)
        return web.Response(
            body=body,
            content_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{recording_id}-{export_format}.zip"'
            },
        )

    async def get_video(request: web.Request) -> web.FileResponse:
        """The recording's video file (range requests work, so a player can seek)."""
        access.require_host(request)
        recordings = store_or_error()
        info = await _find_recording(recordings, request.match_info["recording_id"])
        path = video_path(recordings.data_dir, info.recording_id)
        if info.state is RecordingState.RECORDING:
            raise ProtocolError(
                ErrorCode.NOT_FOUND,
                f"recording {info.recording_id} is still running; its video is served once it "
                "stops",
            )
        if not info.video or not await asyncio.to_thread(path.is_file):
            raise ProtocolError(
                ErrorCode.NOT_FOUND,
                f"recording {info.recording_id} has no video (it was not started with video, "
                "or its video was lost)",
            )
        return web.FileResponse(
            path, headers={"Content-Type": VIDEO_CONTENT_TYPE, "Cache-Control": "no-store"}
        )

    app.router.add_post("/api/sessions/{session_id}/events", post_event)
    app.router.add_post("/api/sessions/{session_id}/recording", post_recording)
    app.router.add_get("/api/recordings", list_recordings)
    app.router.add_get("/api/recordings/{recording_id}", get_recording)
    app.router.add_get("/api/recordings/{recording_id}/export", export_recording)

    views_running = asyncio.Semaphore(MAX_CONCURRENT_VIEWS)

    async def view_recording(request: web.Request, view: str) -> web.Response:
        """The recording's summary or replay."""
        access.require_host(request)
        recordings = store_or_error()
        recording_id = (
            await _find_recording(recordings, request.match_info["recording_id"])
        ).recording_id
        async with views_running:
            text = await asyncio.to_thread(_view_json, recordings, recording_id, view)
        return web.Response(text=text, content_type="application/json")

    for view in VIEWS:
        app.router.add_get(
            f"/api/recordings/{{recording_id}}/{view}", functools.partial(view_recording, view=view)
        )
    app.router.add_get("/api/recordings/{recording_id}/video", get_video)
