"""The recording store on its own (no server): what goes in comes out, in the database and in
both exports, through the one column function that LSL uses too."""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from gazertc.recording.export import EXPORT_SAMPLE_COLUMNS, export_bids, export_csv
from gazertc.recording.store import (
    RecordingError,
    RecordingStore,
    connect_read_only,
)
from gazertc.records import (
    DetectionMethod,
    EventSource,
    FixationEvent,
    FixationPhase,
    RecordingState,
    SaccadeEvent,
    SampleMessage,
    StoredEvent,
    sample_columns,
)
from gazertc.server.lsl import GAZE_CHANNELS, gaze_channel_values
from tests.real_samples import real_sample_messages
from tests.recording.backends import new_store
from tests.recording.recorded import retimed, with_screen_points

SESSION_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[RecordingStore]:
    opened = new_store(tmp_path, database_url)
    opened.open()
    yield opened
    opened.close()


def _text(message: SampleMessage) -> str:
    return json.dumps(message.to_dict(), separators=(",", ":"))


def _record(store: RecordingStore, messages: tuple[SampleMessage, ...]) -> str:
    recording_id, started = store.start(SESSION_ID, name="participant 1", metadata={"k": 1})
    assert started.result(timeout=5).state is RecordingState.RECORDING
    for message in messages:
        store.add_sample(recording_id, message, _text(message))
    first_ns = messages[0].sample.timestamp_unix_ns
    store.add_event(
        StoredEvent("stimulus", first_ns + 5, first_ns + 9, EventSource.CLIENT, SESSION_ID,
                    recording_id)
    )  # fmt: skip
    store.add_oculomotor(
        recording_id,
        FixationEvent(FixationPhase.END, first_ns, first_ns + 200_000_000, 200.0, 1.5, -2.0, 0.8,
                      DetectionMethod.VELOCITY),
    )  # fmt: skip
    store.add_oculomotor(
        recording_id,
        SaccadeEvent(first_ns + 200_000_000, first_ns + 240_000_000, 40.0, 6.0, 310.0, 1.5,
                     -2.0, 7.0, -1.0, DetectionMethod.VELOCITY),
    )  # fmt: skip
    return recording_id


def test_a_saved_recording_keeps_every_row(store: RecordingStore) -> None:
    messages = real_sample_messages()
    recording_id = _record(store, messages)
    info = store.finish(recording_id, RecordingState.SAVED).result(timeout=5)
    blinks = sum(
        1 for m in messages for blink in m.sample.blink_events if blink.phase.value == "start"
    )
    assert (info.sample_count, info.event_count, info.blink_count) == (len(messages), 1, blinks)
    assert (info.fixation_count, info.saccade_count) == (1, 1)
    assert (info.frame_width_px, info.frame_height_px) == (
        messages[0].sample.frame_width_px,
        messages[0].sample.frame_height_px,
    )
    assert info.name == "participant 1" and info.metadata == {"k": 1}
    with store.database.connect(read_only=True) as connection:
        texts = [
            row[0]
            for row in connection.execute("SELECT sample_json FROM samples ORDER BY sample_id")
        ]
    assert [SampleMessage.from_dict(json.loads(text)) for text in texts] == [
        SampleMessage.from_dict(message.to_dict()) for message in messages
    ]


def test_a_cancelled_recording_keeps_no_data(store: RecordingStore) -> None:
    recording_id = _record(store, real_sample_messages(10))
    info = store.finish(recording_id, RecordingState.CANCELLED).result(timeout=5)
    assert info.state is RecordingState.CANCELLED
    assert (info.sample_count, info.event_count, info.fixation_count) == (0, 0, 0)


def test_a_recording_left_running_is_incomplete_after_a_restart(
    tmp_path: Path, database_url: str | None
) -> None:
    first = new_store(tmp_path, database_url)
    first.open()
    recording_id = _record(first, real_sample_messages(10))
    first.close()  # the server went away without stopping the recording
    second = new_store(tmp_path, database_url)
    assert second.open() == [recording_id]
    try:
        (info,) = second.list().result(timeout=5)
        assert info.state is RecordingState.INCOMPLETE and info.sample_count == 10
    finally:
        second.close()


def test_a_fixation_start_is_not_stored(store: RecordingStore) -> None:
    start = FixationEvent(FixationPhase.START, 1, None, None, 0.0, 0.0, 0.1,
                          DetectionMethod.VELOCITY)  # fmt: skip
    with pytest.raises(ValueError, match="fixation's end"):
        store.add_oculomotor("any", start)


def test_commands_on_a_closed_store_fail_clearly(tmp_path: Path) -> None:
    closed = RecordingStore(tmp_path)
    with pytest.raises(RecordingError, match="not open"):
        closed.list().result(timeout=5)
    with pytest.raises(RecordingError, match="no recordings here"):
        connect_read_only(tmp_path / "nowhere")


def _number(text: str) -> float | None:
    return None if text in {"", "n/a"} else float(text)


def test_csv_bids_and_lsl_carry_the_same_columns(store: RecordingStore, tmp_path: Path) -> None:
    recording_id, started = store.start(SESSION_ID, name=None, metadata={})
    started_unix_ns = started.result(timeout=5).started_unix_ns
    messages = with_screen_points(retimed(real_sample_messages(), started_unix_ns + 1_000_000))
    for message in messages:
        store.add_sample(recording_id, message, _text(message))
    store.finish(recording_id, RecordingState.SAVED).result(timeout=5)
    with store.database.connect(read_only=True) as connection:
        csv_files = export_csv(connection, recording_id, tmp_path / "csv")
        bids_files = export_bids(connection, recording_id, tmp_path / "bids")
    expected: list[list[float | None]] = []
    for message in messages:
        values = sample_columns(message)
        time_s = (message.sample.timestamp_unix_ns - started_unix_ns) / 1e9
        # No screen size or distance is known: the degrees stay empty.
        expected.append([values[0], time_s, *values[1:], None, None])
    with csv_files[0].open(encoding="utf-8") as file:
        header, *csv_rows = list(csv.reader(file))
    assert header == [column.name for column in EXPORT_SAMPLE_COLUMNS]
    assert len(csv_rows) == len(expected)
    for cells, want in zip(csv_rows, expected, strict=True):
        assert int(cells[0]) == want[0]  # the capture time, exact
        assert [_number(text) for text in cells] == pytest.approx(want, abs=1e-4)
    # BIDS: the same values, timestamp and gaze first (no calibration: gaze angles as x/y).
    physio = next(path for path in bids_files if path.name.endswith("_physio.tsv.gz"))
    sidecar = json.loads(physio.with_name(physio.name.replace(".tsv.gz", ".json")).read_text())
    renamed = {"timestamp": "timestamp_unix_ns", "x_coordinate": "gaze_yaw_deg",
               "y_coordinate": "gaze_pitch_deg"}  # fmt: skip
    order = [header.index(renamed.get(name, name)) for name in sidecar["Columns"]]
    lines = gzip.decompress(physio.read_bytes()).decode().splitlines()
    assert len(lines) == len(expected)
    for line, want in zip(lines, expected, strict=True):
        cells = line.split("\t")
        assert int(cells[0]) == want[0]
        assert [_number(text) for text in cells] == pytest.approx(
            [want[i] for i in order], abs=1e-4
        )
    # LSL: the same values minus the capture time (the LSL timestamp carries it), NaN for None.
    assert [column.name for column in GAZE_CHANNELS] == header[2:-2]
    for message, want in zip(messages, expected, strict=True):
        channels = gaze_channel_values(SampleMessage.from_dict(message.to_dict()))
        assert [None if math.isnan(v) else v for v in channels] == pytest.approx(want[2:-2])


def test_export_refuses_an_unknown_recording(store: RecordingStore, tmp_path: Path) -> None:
    _record(store, real_sample_messages(5))
    store.list().result(timeout=5)  # everything before it is committed
    with store.database.connect(read_only=True) as connection, pytest.raises(RecordingError):
        export_csv(connection, "f" * 32, tmp_path / "out")
