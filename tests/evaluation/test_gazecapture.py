"""The GazeCapture loaders (both layouts), its protocol and
``gazertc evaluate --dataset gazecapture``.

The data set is not available here, so each test writes a small copy in its exact formats into
``tmp_path`` (:mod:`tests.evaluation.gazecapture_fixtures`): images either real faces or
uniform frames for the fake pipeline of :mod:`tests.evaluation.gaze_fakes`, whose known gaze
lets the protocol's numbers be checked exactly; the real pipeline runs end to end on the real
faces (made-up labels: structure only, not accuracy).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from gazertc.cli import main
from gazertc.errors import InputError
from gazertc.evaluation.gaze_common import GazeEstimator
from gazertc.evaluation.gazecapture import (
    DEFAULT_MAX_FRAMES_PER_DOT,
    GazeCaptureEvaluation,
    evaluate_gazecapture,
    evaluate_gazecapture_recording,
)
from gazertc.evaluation.gazecapture_layout import (
    FACE_CROP_PADDING,
    GazeCaptureLayout,
    load_gazecapture,
    read_gazecapture_image,
)
from gazertc.vision.tracker import PipelineModels, estimate
from gazertc.vision.types import BgrImage, GazeSample
from tests.evaluation.gaze_fakes import (
    NO_FACE_GREY,
    fake_pipeline,
    gaze_sample,
    real_faces,
    table_rows,
    uniform,
)
from tests.evaluation.gazecapture_fixtures import (
    PreparedFrame,
    WrittenFrame,
    dot_targets_cm,
    write_json,
    write_original_recording,
    write_prepared,
)

DOTS = 12
FRAMES_PER_DOT = 2


def _grey(i: int) -> int:
    return 10 + 8 * i


def _uniform_frames() -> list[WrittenFrame]:
    """12 dots x 2 frames of distinct grey levels, then a face-less frame on dot 11 and a frame
    Apple's detectors missed (not read)."""
    targets = dot_targets_cm(DOTS)
    frames = [
        WrittenFrame(uniform(_grey(i)), i // FRAMES_PER_DOT, targets[i // FRAMES_PER_DOT])
        for i in range(DOTS * FRAMES_PER_DOT)
    ]
    frames.append(WrittenFrame(uniform(NO_FACE_GREY), DOTS - 1, targets[-1]))
    frames.append(WrittenFrame(uniform(_grey(30)), DOTS - 1, targets[-1], valid=False))
    return frames


def _aimed_at(target_cm: tuple[float, float]) -> GazeSample:
    """A gaze ray from 40 cm in front of the camera to the dot in the camera's plane: the
    gaze-ray feature is then the dot's position in mm."""
    origin = (15.0, -20.0, 400.0)
    return gaze_sample(origin, np.subtract((10 * target_cm[0], 10 * target_cm[1], 0.0), origin))


def _perfect_pipeline() -> GazeEstimator:
    targets = dot_targets_cm(DOTS)
    return fake_pipeline(
        {_grey(i): _aimed_at(targets[i // FRAMES_PER_DOT]) for i in range(DOTS * FRAMES_PER_DOT)}
    )


def _prepared_rows(frames: list[WrittenFrame], recording: int) -> list[PreparedFrame]:
    """What prepareDataset.py keeps of a recording: its valid frames, by frame index."""
    return [
        PreparedFrame(recording, index, f.target_cm, "test", f.image)
        for index, f in enumerate(frames)
        if f.valid
    ]


# --- loading the published layout --------------------------------------------------------------


def test_original_layout_reads_what_the_files_hold(tmp_path: Path) -> None:
    frames = _uniform_frames()
    write_original_recording(tmp_path, "00017", frames, split="val")
    write_original_recording(tmp_path, "00003", frames[:4], split="train")
    (tmp_path / "notes").mkdir()  # not a recording: ignored
    dataset = load_gazecapture(tmp_path)
    assert dataset.layout is GazeCaptureLayout.ORIGINAL
    assert [r.recording_id for r in dataset.recordings] == ["00003", "00017"]
    assert dataset.skipped == ()
    recording = dataset.recordings[1]
    assert recording.split == "val"
    assert len(recording.frames) == len(frames) - 1  # the frame Apple missed is not read
    for index, frame in enumerate(recording.frames):
        assert frame.frame_index == index
        assert frame.image_path == tmp_path / "00017" / "frames" / f"{index:05d}.jpg"
        assert frame.dot_id == frames[index].dot_num
        assert frame.target_cm == frames[index].target_cm
    dots = recording.dots()
    assert list(dots) == list(range(DOTS))
    assert len(dots[DOTS - 1]) == FRAMES_PER_DOT + 1
    # One recording folder works too.
    (single,) = load_gazecapture(tmp_path / "00003").recordings
    assert (single.recording_id, single.split, len(single.frames)) == ("00003", "train", 4)


def test_recordings_without_images_or_detections_are_skipped(tmp_path: Path) -> None:
    frames = _uniform_frames()
    write_original_recording(tmp_path, "00001", frames)
    folder = write_original_recording(tmp_path, "00002", frames)
    for image in (folder / "frames").iterdir():
        image.unlink()
    (folder / "frames").rmdir()
    write_original_recording(tmp_path, "00003", [WrittenFrame(uniform(9), 0, (0, -1), False)])
    dataset = load_gazecapture(tmp_path)
    assert [r.recording_id for r in dataset.recordings] == ["00001"]
    assert dataset.skipped == (
        ("00002", "no frames/ folder"),
        ("00003", "no frame with Apple face and eye detections"),
    )


def test_max_recordings_draws_usable_recordings_reproducibly(tmp_path: Path) -> None:
    frames = _uniform_frames()[:2]
    for number in range(1, 7):
        write_original_recording(tmp_path, f"{number:05d}", frames)
    first = load_gazecapture(tmp_path, max_recordings=3, seed=5)
    again = load_gazecapture(tmp_path, max_recordings=3, seed=5)
    other = load_gazecapture(tmp_path, max_recordings=3, seed=6)
    ids = [r.recording_id for r in first.recordings]
    assert len(ids) == 3
    assert ids == [r.recording_id for r in again.recordings]
    assert ids != [r.recording_id for r in other.recordings]
    with pytest.raises(InputError, match="max_recordings must be at least 1"):
        load_gazecapture(tmp_path, max_recordings=0)


def _break_json(key: str, value: object) -> Callable[[Path], None]:
    def breaker(folder: Path) -> None:
        document = json.loads((folder / "dotInfo.json").read_text(encoding="utf-8"))
        if value is None:
            del document[key]
        else:
            document[key] = value
        write_json(folder / "dotInfo.json", document)

    return breaker


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (_break_json("XCam", None), r"dotInfo\.json has no array 'XCam'"),
        (_break_json("YCam", [1.0, 2.0]), r"YCam has 2 elements for 26 frames in frames\.json"),
        (_break_json("XCam", ["a"] * 26), "XCam must hold finite numbers only"),
        (_break_json("DotNum", [-1] * 26), "DotNum must hold integers >= 0"),
        (lambda f: (f / "dotInfo.json").write_text("{not json"), "is not valid JSON"),
        (lambda f: (f / "dotInfo.json").write_text("[1, 2]"), "must hold a JSON object"),
        (lambda f: (f / "appleRightEye.json").unlink(), r"missing GazeCapture file .*RightEye"),
        (lambda f: write_json(f / "frames.json", ["1.jpg"]), r"'1\.jpg' is not a frame file"),
        (lambda f: write_json(f / "frames.json", {"a": 1}), "must hold a JSON array"),
        (
            lambda f: write_json(f / "appleFace.json", {"X": [0] * 26}),
            r"appleFace\.json has no array 'Y'",
        ),
        (lambda f: write_json(f / "info.json", {"Dataset": "dev"}), "Dataset must be one of"),
    ],
)
def test_malformed_original_files_say_what_is_wrong(
    tmp_path: Path, breaker: Callable[[Path], None], message: str
) -> None:
    folder = write_original_recording(tmp_path, "00005", _uniform_frames())
    breaker(folder)
    with pytest.raises(InputError, match=message) as raised:
        load_gazecapture(tmp_path)
    assert "recording 00005" in str(raised.value)


def test_wrong_folders_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a folder"):
        load_gazecapture(tmp_path / "absent")
    with pytest.raises(InputError, match="no GazeCapture data in"):
        load_gazecapture(tmp_path)


# --- loading the prepared layout ---------------------------------------------------------------


@pytest.mark.parametrize("column", [False, True])
def test_prepared_layout_reads_what_the_files_hold(tmp_path: Path, column: bool) -> None:
    frames = _uniform_frames()
    rows = _prepared_rows(frames, 17)
    # Recording 4 (listed first, frames out of order) and 9 (no crops: skipped).
    rows += [
        PreparedFrame(4, 7, (1.0, -2.0), "train", uniform(40)),
        PreparedFrame(4, 3, (1.0, -2.0), "train", uniform(50)),
        PreparedFrame(4, 9, (2.0, -2.0), "train", uniform(60)),
        PreparedFrame(9, 0, (0.0, -1.0), "val", None),
    ]
    write_prepared(tmp_path, rows[-4:] + rows[:-4], column=column)
    dataset = load_gazecapture(tmp_path)
    assert dataset.layout is GazeCaptureLayout.PREPARED
    assert [r.recording_id for r in dataset.recordings] == ["00004", "00017"]
    assert dataset.skipped == (("00009", "no appleFace/ images"),)
    four, seventeen = dataset.recordings
    assert four.split == "train"
    assert [(f.frame_index, f.dot_id, f.target_cm) for f in four.frames] == [
        (3, 0, (1.0, -2.0)), (7, 0, (1.0, -2.0)), (9, 1, (2.0, -2.0)),
    ]  # fmt: skip
    assert four.frames[0].image_path == tmp_path / "00004" / "appleFace" / "00003.jpg"
    assert seventeen.split == "test"
    valid = [f for f in frames if f.valid]
    assert [f.target_cm for f in seventeen.frames] == [f.target_cm for f in valid]
    # A dot is a run of frames with one target: the same grouping as DotNum.
    assert [f.dot_id for f in seventeen.frames] == [f.dot_num for f in valid]


def test_prepared_crops_are_padded_and_original_frames_are_not(tmp_path: Path) -> None:
    face = np.zeros((60, 40, 3), np.uint8)
    face[:, :20] = 200
    write_prepared(tmp_path / "p", [PreparedFrame(1, 0, (0.0, -1.0), "test", face)])
    (recording,) = load_gazecapture(tmp_path / "p").recordings
    padded = read_gazecapture_image(recording.frames[0], recording.layout)
    border = round(FACE_CROP_PADDING * 60)
    assert padded.shape == (60 + 2 * border, 40 + 2 * border, 3)
    # The border repeats the edge: left of the crop stays bright, right of it dark.
    assert int(padded[30, 0, 0]) > 150
    assert int(padded[30, -1, 0]) < 50
    write_original_recording(tmp_path / "o", "00001", [WrittenFrame(face, 0, (0.0, -1.0))])
    (original,) = load_gazecapture(tmp_path / "o").recordings
    assert read_gazecapture_image(original.frames[0], original.layout).shape == (60, 40, 3)


def test_both_layouts_in_one_folder_read_the_published_one(tmp_path: Path) -> None:
    frames = _uniform_frames()
    write_original_recording(tmp_path, "00017", frames)
    write_prepared(tmp_path, _prepared_rows(frames, 17))
    assert load_gazecapture(tmp_path).layout is GazeCaptureLayout.ORIGINAL


def _metadata(rows: int = 3) -> dict[str, object]:
    return {
        "labelRecNum": np.full(rows, 1, np.int16),
        "frameIndex": np.arange(rows, dtype=np.int32),
        "labelDotXCam": np.zeros(rows),
        "labelDotYCam": np.zeros(rows),
        "labelFaceGrid": np.ones((rows, 4), np.uint8),
        "labelTrain": np.zeros(rows, np.bool_),
        "labelVal": np.ones(rows, np.bool_),
        "labelTest": np.zeros(rows, np.bool_),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labelDotYCam": None}, r"metadata\.mat has no labelDotYCam"),
        ({"labelTest": np.zeros(2, np.bool_)}, "the per-frame arrays differ in length"),
        ({"labelDotXCam": np.zeros((3, 2))}, "labelDotXCam must be one value per frame"),
        ({"labelDotXCam": np.array([0.0, np.nan, 0.0])}, "must hold finite numbers only"),
        ({"frameIndex": np.array([0, -1, 2], np.int32)}, "frameIndex must hold integers >= 0"),
        ({"frameIndex": np.array([0, 1, 1], np.int32)}, "a recording lists a frame twice"),
        ({"labelDotXCam": np.array(["a", "b", "c"])}, "labelDotXCam is not numeric"),
    ],
)
def test_malformed_metadata_says_what_is_wrong(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    metadata = _metadata()
    for key, value in change.items():
        if value is None:
            del metadata[key]
        else:
            metadata[key] = value
    savemat(tmp_path / "metadata.mat", metadata)
    with pytest.raises(InputError, match=message):
        load_gazecapture(tmp_path)


def test_a_metadata_file_that_is_not_matlab_says_so(tmp_path: Path) -> None:
    (tmp_path / "metadata.mat").write_text("not matlab")
    with pytest.raises(InputError, match=r"cannot read .*metadata\.mat as a MATLAB file"):
        load_gazecapture(tmp_path)


# --- the protocol with a pipeline that knows the answer ----------------------------------------


def _evaluate(
    root: Path,
    estimator: GazeEstimator,
    *,
    k_dots: int,
    seed: int = 0,
    max_frames_per_dot: int | None = DEFAULT_MAX_FRAMES_PER_DOT,
) -> GazeCaptureEvaluation:
    dataset = load_gazecapture(root)
    return evaluate_gazecapture(
        dataset, estimator, k_dots=k_dots, seed=seed, max_frames_per_dot=max_frames_per_dot
    )


def test_perfect_gaze_gives_near_zero_error_and_the_baseline_it_should(tmp_path: Path) -> None:
    folder = write_original_recording(tmp_path, "00001", _uniform_frames())
    (folder / "frames" / "00003.jpg").unlink()  # dot 1 keeps one frame
    evaluation = _evaluate(tmp_path, _perfect_pipeline(), k_dots=4, max_frames_per_dot=None)
    (result,) = evaluation.recordings
    assert (result.frames, result.images_missing, result.faces_missed) == (25, 1, 1)
    assert (result.gaze_unknown, result.dots, result.usable_dots) == (0, DOTS, DOTS)
    assert result.few_shot_skipped_reason is None
    scored_dots = {s.frame.dot_id for s in result.few_shot}
    calibration_dots = set(range(DOTS)) - scored_dots
    assert len(calibration_dots) == 4
    targets = dot_targets_cm(DOTS)
    baseline = np.mean([targets[d] for d in sorted(calibration_dots)], axis=0)
    for scored in result.few_shot:
        assert scored.calibrated_error_cm < 0.01
        expected = math.dist(baseline, scored.frame.target_cm)
        assert scored.baseline_error_cm == pytest.approx(expected)
    # Leave-one-dot-out scores every usable frame once.
    assert len(result.leave_one_out) == 2 * DOTS - 1
    assert result.loo_calibrated_error_cm_mean < 0.01
    assert result.loo_baseline_error_cm_mean > 2.0
    summary = evaluation.to_dict()
    assert summary["calibrated_error_cm_mean"] == pytest.approx(result.calibrated_error_cm_mean)
    assert summary["baseline_error_cm_mean"] == pytest.approx(result.baseline_error_cm_mean)
    assert (summary["frames"], summary["dots"], summary["faces_missed"]) == (25, DOTS, 1)


def test_gaze_without_information_scores_as_the_baseline(tmp_path: Path) -> None:
    write_original_recording(tmp_path, "00001", _uniform_frames()[: DOTS * FRAMES_PER_DOT])
    same = _aimed_at((0.0, -5.0))
    estimator = fake_pipeline({_grey(i): same for i in range(DOTS * FRAMES_PER_DOT)})
    (result,) = _evaluate(tmp_path, estimator, k_dots=6).recordings
    assert len(result.few_shot) == (DOTS - 6) * FRAMES_PER_DOT
    for scored in result.few_shot:
        assert scored.calibrated_error_cm == pytest.approx(scored.baseline_error_cm, abs=1e-6)


def test_frames_per_dot_are_capped_and_drawn_reproducibly(tmp_path: Path) -> None:
    write_original_recording(tmp_path, "00001", _uniform_frames())
    first = _evaluate(tmp_path, _perfect_pipeline(), k_dots=4, max_frames_per_dot=1)
    (result,) = first.recordings
    assert result.frames == DOTS
    again = _evaluate(tmp_path, _perfect_pipeline(), k_dots=4, max_frames_per_dot=1)
    assert first.to_dict() == again.to_dict()
    other_seed = _evaluate(tmp_path, _perfect_pipeline(), k_dots=4, seed=1, max_frames_per_dot=1)
    assert first.to_dict() != other_seed.to_dict()


def test_both_layouts_give_the_same_numbers_for_the_same_frames(tmp_path: Path) -> None:
    frames = _uniform_frames()
    write_original_recording(tmp_path / "original", "00001", frames)
    write_prepared(tmp_path / "prepared", _prepared_rows(frames, 1))
    original = _evaluate(tmp_path / "original", _perfect_pipeline(), k_dots=5)
    prepared = _evaluate(tmp_path / "prepared", _perfect_pipeline(), k_dots=5)
    assert {**original.to_dict(), "layout": None} == {**prepared.to_dict(), "layout": None}


def test_too_few_dots_are_reported_not_scored(tmp_path: Path) -> None:
    write_original_recording(tmp_path, "00001", _uniform_frames()[:8])  # 4 dots
    recording = load_gazecapture(tmp_path).recordings[0]
    result = evaluate_gazecapture_recording(recording, _perfect_pipeline(), k_dots=4)
    assert result.few_shot == ()
    assert result.few_shot_skipped_reason == "4 usable dots, need more than 4"
    assert result.leave_one_out_skipped_reason == "4 usable dots, need more than 4"
    assert math.isnan(result.calibrated_error_cm_mean)
    summary = evaluate_gazecapture(load_gazecapture(tmp_path), _perfect_pipeline()).to_dict()
    assert summary["calibrated_error_cm_mean"] is None  # JSON has no NaN
    with pytest.raises(InputError, match="k_dots must be at least 4"):
        evaluate_gazecapture_recording(recording, _perfect_pipeline(), k_dots=3)
    with pytest.raises(InputError, match="max_frames_per_dot must be at least 1"):
        evaluate_gazecapture_recording(recording, _perfect_pipeline(), max_frames_per_dot=0)


# --- the command, end to end with the real pipeline --------------------------------------------


def _real_face_frames() -> list[WrittenFrame]:
    """The 22 real faces as 11 dots x 2 frames, then a blank frame."""
    targets = dot_targets_cm(11)
    frames = [WrittenFrame(face, i // 2, targets[i // 2]) for i, face in enumerate(real_faces())]
    return [*frames, WrittenFrame(uniform(NO_FACE_GREY), 10, targets[10])]


def _tight_crop(image: BgrImage, models: PipelineModels) -> BgrImage:
    """The face cut to its landmarks' extent: as tight as Apple's face box."""
    sample = estimate(image, models=models)
    if sample.landmarks_px is None:
        return image
    points = np.asarray(sample.landmarks_px)
    (left, top), (right, bottom) = points.min(axis=0).astype(int), points.max(axis=0).astype(int)
    return np.ascontiguousarray(image[max(top, 0) : bottom, max(left, 0) : right])


def test_evaluate_gazecapture_json_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_original_recording(tmp_path, "00001", _real_face_frames())
    arguments = ["evaluate", "--dataset", "gazecapture", str(tmp_path), "--json"]
    # Five dots: the fixture's faces are 22 different people, so the calibration's outlier
    # rejection may drop a frame of a 4-dot draw and leave too few positions (it did with the
    # iris refinement); this test checks the plumbing, not a fit.
    status = main([*arguments, "--k-dots", "5", "--max-frames-per-dot", "2"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out)
    print("fixture numbers (made-up labels, not accuracy):", summary)
    assert (summary["layout"], summary["recordings"], summary["k_dots"]) == ("original", 1, 5)
    assert (summary["frames"], summary["dots"]) == (22, 11)  # 2 per dot: dot 10 has 3 frames
    assert summary["faces_missed"] + summary["gaze_unknown"] <= 4
    assert summary["scored_frames"] >= 2
    for key in ("calibrated_error_cm_mean", "baseline_error_cm_mean"):
        assert math.isfinite(summary[key]) and summary[key] >= 0.0


def test_evaluate_gazecapture_prepared_table_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = PipelineModels()
    frames = _real_face_frames()
    rows = [
        PreparedFrame(2, i, f.target_cm, "test", _tight_crop(f.image, models))
        for i, f in enumerate(frames)
    ]
    write_prepared(tmp_path, [*rows, PreparedFrame(3, 0, (0.0, -1.0), "val", None)])
    status = main(["evaluate", "--dataset", "gazecapture", str(tmp_path), "--k-dots", "4"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    print("fixture table (made-up labels, not accuracy):\n" + captured.out)
    header = "| recording"
    assert [row[0] for row in table_rows(captured.out, header)] == ["00002", "all"]
    recording = table_rows(captured.out, header)[0]
    assert recording[1:3] == ["test", "23"]
    assert int(recording[4]) >= 1  # the blank crop
    assert int(recording[7]) >= 5  # usable dots
    assert "00003 skipped: no appleFace/ images" in captured.out
    assert "Baseline: predicting the mean calibration dot position" in captured.out


def test_evaluate_gazecapture_refuses_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_original_recording(tmp_path, "00001", _uniform_frames()[:2])
    base = ["evaluate", "--dataset", "gazecapture", str(tmp_path)]
    assert main([*base, "--max-frames-per-dot", "0"]) == 2
    assert "--max-frames-per-dot must be at least 1" in capsys.readouterr().err
    assert main([*base, "--k-dots", "2"]) == 2
    assert "k_dots must be at least 4" in capsys.readouterr().err
    assert main(["evaluate", "--dataset", "columbia", str(tmp_path), "--json"]) == 2
    assert "--json is only available with --dataset gazecapture" in capsys.readouterr().err
