"""The rendered-eye SIMULATION benchmark: conditions x gazes through gazertc's real pipeline.

Per face and condition, one video stream: a few warm-up frames, then the nine gazes of a 3x3
calibration, the test gazes (inside the calibrated range, none of them a calibration gaze), and
repeated frames of one fixed gaze. Gazes are angles from the face's forward direction (as if
the face were turned to the screen's middle), towards targets on the camera's plane (a screen
around the webcam), so the two eyes converge on each target. Every frame is rendered, degraded
by the condition's camera (fresh noise each frame) and sent through VP8 when the condition says
so, then tracked by :class:`~gazertc.vision.tracker.GazeTracker` with its smoothing off
(precision is measured again with the default smoothing). Per face gazertc's own calibration
(:mod:`~gazertc.evaluation.rendered.screen_calibration`) and an affine map from the pipeline's
angles to the true ones are fitted on the calibration gazes and scored on the test gazes
(:mod:`~gazertc.evaluation.rendered.summary` turns that into numbers).

With a :class:`HeadMotionPlan`, the stream goes on after the precision frames: the head moves
to other positions (the planar photograph translated in 3D, not turned:
:func:`~gazertc.evaluation.rendered.faces.move_face`) and the eyes look at the test gazes'
targets on the camera's plane from there, so the true angles are those from the moved eyes
(:mod:`~gazertc.evaluation.rendered.head_motion` scores them under the home calibration).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from gazertc.evaluation.rendered.camera import FRAME_RATE_HZ, CameraModel, Vp8Link, sensor_frame
from gazertc.evaluation.rendered.eyeball import EyeballPose
from gazertc.evaluation.rendered.faces import (
    DEFAULT_FACES,
    FaceSource,
    PlacedFace,
    load_face,
    move_face,
    moved_frame,
    place_face,
)
from gazertc.evaluation.rendered.iris_texture import IrisAppearance
from gazertc.evaluation.rendered.lids import LidMotion
from gazertc.evaluation.rendered.render import RenderedEyes, render_eyes
from gazertc.vision.gaze import angles_from_direction, direction_from_angles
from gazertc.vision.smoothing import AlphaBetaParameters
from gazertc.vision.tracker import GazeTracker, PipelineModels, TrackerSettings
from gazertc.vision.types import BgrImage, EyeSide, GazeSample, PointPx

__all__ = [
    "CALIBRATION_GAZES_DEG",
    "DEFAULT_PLAN",
    "HEAD_DISPLACEMENTS",
    "HEAD_FARTHER",
    "HEAD_NEARER",
    "PRECISION_GAZE_DEG",
    "QUICK_HEAD_MOTION",
    "QUICK_PLAN",
    "TEST_GAZES_DEG",
    "BenchmarkPlan",
    "Condition",
    "FaceRun",
    "HeadDisplacement",
    "HeadMotionPlan",
    "MovedRun",
    "Observation",
    "TrueGaze",
    "face_appearance",
    "gaze_at",
    "gaze_target_mm",
    "head_turn_deg",
    "run_face",
    "run_plan",
    "true_gaze",
    "webcam",
    "webcam_condition",
]

FloatArray = npt.NDArray[np.float64]
Angles = tuple[float, float]

NO_SMOOTHING: Final = AlphaBetaParameters(alpha=1.0, beta=0.0)
RAW_SETTINGS: Final = TrackerSettings(
    landmark_filter=NO_SMOOTHING, iris_filter=NO_SMOOTHING, gaze_filter=None
)
"""Accuracy is measured per frame, each frame a new gaze (no real eye moves every 40 ms): the
gaze filter, which averages a fixation's frames and so smooths gaze changes under its follow
gate, would mix a gaze with the ones before it. Its effect shows in the smoothed precision."""

FRAME_NS: Final = 1_000_000_000 // FRAME_RATE_HZ

WEBCAM_BLUR_SIGMA_PX: Final = 0.8
"""A cheap webcam's lens and demosaicking spread a sharp edge over about two pixels."""

WEBCAM_READ_NOISE_DN: Final = 2.0
"""Read noise of a small sensor at indoor gain, in 8-bit levels."""

WEBCAM_SHOT_NOISE_GAIN: Final = 0.15
"""Shot noise: about 5 levels of standard deviation at mid-grey, a webcam's visible indoor grain."""

VP8_BITRATE_BPS: Final = {(640, 480): 1_000_000, (1280, 720): 2_000_000}
"""Typical rates a browser sends a call at these sizes over a good link (Chrome caps 720p near
2.5 Mbit/s)."""

CALIBRATION_GAZES_DEG: Final = tuple(
    (yaw, pitch) for pitch in (8.0, 0.0, -8.0) for yaw in (-15.0, 0.0, 15.0)
)
"""A 3x3 calibration: +-15 degrees across is a laptop screen at 60 cm; +-8 up and down keeps
the iris clear of the photograph's lids, which do not follow the eye as real lids would."""

TEST_GAZES_DEG: Final = tuple(
    (yaw, pitch) for pitch in (6.0, 2.0, -2.0, -6.0) for yaw in (-11.25, -3.75, 3.75, 11.25)
)
"""A 4x4 grid between the calibration gazes: interpolation only, as on a real screen."""

PRECISION_GAZE_DEG: Final = (4.0, -2.0)
"""The fixed gaze of the precision frames: off-centre, so neither eye looks at its own axis."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A camera resolution, a distance and what the camera and link do to the frames."""

    name: str
    width_px: int
    height_px: int
    distance_mm: float
    camera: CameraModel


def webcam(width_px: int, height_px: int) -> CameraModel:
    """Blur, sensor noise and VP8 at the rate a call would have at this size."""
    return CameraModel(
        blur_sigma_px=WEBCAM_BLUR_SIGMA_PX,
        read_noise_dn=WEBCAM_READ_NOISE_DN,
        shot_noise_gain=WEBCAM_SHOT_NOISE_GAIN,
        vp8_bitrate_bps=VP8_BITRATE_BPS[(width_px, height_px)],
    )


def webcam_condition(width_px: int, height_px: int, distance_cm: int) -> Condition:
    """The webcam + VP8 condition at this frame size and distance (named by both)."""
    bitrate_mbps = VP8_BITRATE_BPS[(width_px, height_px)] / 1e6
    return Condition(
        f"{width_px}x{height_px}, {distance_cm} cm, webcam + VP8 {bitrate_mbps:g} Mbit/s",
        width_px,
        height_px,
        distance_cm * 10.0,
        webcam(width_px, height_px),
    )


@dataclass(frozen=True, slots=True)
class HeadDisplacement:
    """Where the head goes after calibration: ``offset_mm`` from where it was calibrated, in
    the camera frame (x to the image's right, y down, z away from the camera), without
    turning."""

    name: str
    offset_mm: tuple[float, float, float]


HEAD_SIDEWAYS_MM: Final = 50.0
"""A seated user leaning or shifting in the chair drifts a few centimetres sideways."""

HEAD_VERTICAL_MM: Final = 30.0
"""Sitting up or slouching moves the eyes up or down, less far than sideways."""

HEAD_DEPTH_MM: Final = 80.0
"""Leaning in to read or back in the chair: 8 cm, 11-18 % of the 45-75 cm distances."""

HEAD_NEARER: Final = HeadDisplacement("8 cm nearer", (0.0, 0.0, -HEAD_DEPTH_MM))
HEAD_FARTHER: Final = HeadDisplacement("8 cm farther", (0.0, 0.0, HEAD_DEPTH_MM))
HEAD_DISPLACEMENTS: Final = (
    HeadDisplacement("5 cm to the image's right", (HEAD_SIDEWAYS_MM, 0.0, 0.0)),
    HeadDisplacement("5 cm to the image's left", (-HEAD_SIDEWAYS_MM, 0.0, 0.0)),
    HeadDisplacement("3 cm up", (0.0, -HEAD_VERTICAL_MM, 0.0)),
    HeadDisplacement("3 cm down", (0.0, HEAD_VERTICAL_MM, 0.0)),
    HEAD_NEARER,
    HEAD_FARTHER,
    HeadDisplacement("back home", (0.0, 0.0, 0.0)),
)
"""The placements in the order the head visits them; the last one is where it was calibrated,
to tell the tracker's history apart from the geometry."""


@dataclass(frozen=True, slots=True)
class HeadMotionPlan:
    """After the precision frames, the head visits each displacement in turn, moving there over
    ``transition_frames`` frames, and looks at the test targets from there. ``conditions``
    names the conditions that get this block (``None``: every condition)."""

    displacements: tuple[HeadDisplacement, ...] = HEAD_DISPLACEMENTS
    transition_frames: int = 8
    """A quarter of a second at 30 fps: a deliberate move of 5-10 cm, seen as in a session."""
    conditions: tuple[str, ...] | None = None

    def covers(self, condition: Condition) -> bool:
        return self.conditions is None or condition.name in self.conditions


@dataclass(frozen=True, slots=True)
class BenchmarkPlan:
    """What one run covers."""

    conditions: tuple[Condition, ...]
    faces: tuple[FaceSource, ...] = DEFAULT_FACES
    test_gazes_deg: tuple[Angles, ...] = TEST_GAZES_DEG
    precision_frames: int = 40
    """Frames of the one fixed gaze. Long enough for a smoothing filter to settle and then be
    judged over 30 frames: over 12 frames from a cold start, the smoothed precision of the same
    two trackers differed in sign between seeds from the one over 40 (docs/rendered-eyes.md)."""
    smoothing_settle_frames: int = 10
    """Fixed-gaze frames the smoothed precision leaves out: the default tracker's gaze filter
    starting from the first frame's gaze (a cold start no session repeats once tracking)."""
    warm_up_frames: int = 3
    supersample: int = 3
    settings: TrackerSettings = RAW_SETTINGS
    """The tracker's settings for the accuracy frames (the smoothed precision re-run uses the
    defaults)."""
    head_motion: HeadMotionPlan | None = None
    """The head moved after calibration (``None``: the head stays where it was calibrated)."""
    lids: LidMotion | None = None
    """Lids that follow the eye's vertical turn (``None``: the photograph's lids stay put)."""
    frames_per_gaze: int = 1
    """Frames tracked per calibration and test gaze, each with fresh noise. With more than one,
    each gaze is a fixation as a session sees it: the calibration gets all its frames, and a
    test gaze is scored on its frames' mean (an eye tracker's accuracy)."""


DEFAULT_PLAN: Final = BenchmarkPlan(
    conditions=(
        Condition("640x480, 60 cm, ideal (no blur, noise or compression)", 640, 480, 600.0,
                  CameraModel()),
        *(webcam_condition(640, 480, cm) for cm in (45, 60, 75)),
        *(webcam_condition(1280, 720, cm) for cm in (45, 60, 75)),
    )
)  # fmt: skip
"""Seven conditions on six faces: about 4 500 frames tracked (95 s on one core)."""

QUICK_PLAN: Final = BenchmarkPlan(
    conditions=(webcam_condition(640, 480, 60),),
    faces=DEFAULT_FACES[3:4],
    test_gazes_deg=TEST_GAZES_DEG[5:7] + TEST_GAZES_DEG[9:11],
    precision_frames=6,
    smoothing_settle_frames=2,
    warm_up_frames=2,
)
"""One condition, one face, four test gazes: a smoke run for tests (a few seconds)."""

QUICK_HEAD_MOTION: Final = HeadMotionPlan(
    displacements=(HEAD_DISPLACEMENTS[0], HEAD_DISPLACEMENTS[4]), transition_frames=3
)
"""Two displacements (sideways, nearer) on the quick plan's test gazes: a smoke run."""


@dataclass(frozen=True, slots=True, eq=False)
class TrueGaze:
    """What the rendered eyes look at: the combined gaze from the eyes' midpoint, each eye's
    visual axis (they converge on the target), and the eyeballs posed accordingly."""

    combined: Angles
    per_eye: dict[EyeSide, Angles]
    poses: dict[EyeSide, EyeballPose]


def _eyes_midpoint_mm(face: PlacedFace) -> FloatArray:
    midpoint: FloatArray = (
        face.eyeball_centre_mm(EyeSide.RIGHT) + face.eyeball_centre_mm(EyeSide.LEFT)
    ) / 2.0
    return midpoint


def gaze_target_mm(face: PlacedFace, gaze_deg: Angles) -> FloatArray:
    """The point on the camera's plane (``z = 0``, millimetres) that the gaze ``gaze_deg``,
    taken from the face's forward direction, reaches from the midpoint of the eyeballs."""
    middle = _eyes_midpoint_mm(face)
    forward_yaw_deg, forward_pitch_deg = angles_from_direction(face.forward)
    direction = direction_from_angles(
        forward_yaw_deg + gaze_deg[0], forward_pitch_deg + gaze_deg[1]
    )
    target: FloatArray = middle + direction * (-middle[2] / direction[2])
    return target


def gaze_at(face: PlacedFace, target_mm: FloatArray) -> TrueGaze:
    """The eyes of ``face`` fixating ``target_mm`` (camera frame, millimetres): the combined
    gaze from the eyeballs' midpoint and each eye's visual axis, both towards the target."""
    per_eye: dict[EyeSide, Angles] = {}
    poses: dict[EyeSide, EyeballPose] = {}
    for side in EyeSide:
        centre = face.eyeball_centre_mm(side)
        visual = target_mm - centre
        per_eye[side] = angles_from_direction(visual)
        poses[side] = EyeballPose.looking_along(side, centre, visual / np.linalg.norm(visual))
    return TrueGaze(angles_from_direction(target_mm - _eyes_midpoint_mm(face)), per_eye, poses)


def true_gaze(face: PlacedFace, gaze_deg: Angles) -> TrueGaze:
    """The gaze ``gaze_deg`` away from the face's forward direction, at a target on the
    camera's plane (``z = 0``)."""
    return gaze_at(face, gaze_target_mm(face, gaze_deg))


@dataclass(frozen=True, slots=True, eq=False)
class Observation:
    """One tracked frame of a known gaze, with where each iris truly appeared."""

    truth: TrueGaze
    apparent_iris_px: Mapping[EyeSide, PointPx | None]
    sample: GazeSample


@dataclass(frozen=True, slots=True, eq=False)
class MovedRun:
    """The test targets seen from one displacement of the head. ``test`` is empty when gazertc
    found no face in the moved frame; ``head_turn_deg`` is the angle between gazertc's head
    pose of the moved face and that of the home face (the photograph did not turn)."""

    displacement: HeadDisplacement
    test: list[Observation]
    head_turn_deg: float


@dataclass(frozen=True, slots=True, eq=False)
class FaceRun:
    """Everything one face gave in one condition; ``moved`` is empty without head motion."""

    calibration: list[Observation]
    test: list[Observation]
    precision: list[Observation]
    precision_smoothed: list[GazeSample]
    moved: tuple[MovedRun, ...] = ()


class _Stream:
    """Renders, degrades, transmits and tracks the frames of one face in one condition."""

    def __init__(
        self,
        face: PlacedFace,
        condition: Condition,
        *,
        appearance: IrisAppearance,
        models: PipelineModels,
        plan: BenchmarkPlan,
        rng: np.random.Generator,
    ) -> None:
        self.face, self._appearance, self._plan, self._rng = face, appearance, plan, rng
        self._camera = condition.camera
        bitrate = condition.camera.vp8_bitrate_bps
        self._link = (
            None if bitrate is None else Vp8Link(condition.width_px, condition.height_px, bitrate)
        )
        self._tracker = GazeTracker(models=models, settings=plan.settings)
        self.frames = 0

    def render(self, truth: TrueGaze) -> RenderedEyes:
        return render_eyes(
            self.face, truth.poses, self._appearance, self._plan.supersample, self._plan.lids
        )

    def received(self, image: BgrImage) -> BgrImage:
        """The frame as the server receives it: blurred, noisy, through VP8."""
        if not self._camera.is_ideal:
            image = sensor_frame(image, self._camera, self._rng)
        return image if self._link is None else self._link.send(image)

    def track(self, frame: BgrImage) -> GazeSample:
        sample = self._tracker.process(frame, self.frames * FRAME_NS)
        self.frames += 1
        return sample

    def observe(self, truth: TrueGaze, rendered: RenderedEyes, frame: BgrImage) -> Observation:
        return Observation(truth, rendered.apparent_iris_centre_px, self.track(frame))

    def run_truths(self, truths: Sequence[TrueGaze]) -> list[Observation]:
        """:attr:`BenchmarkPlan.frames_per_gaze` frames of each truth, one rendering each."""
        observations = []
        for truth in truths:
            rendered = self.render(truth)
            for _ in range(self._plan.frames_per_gaze):
                observations.append(self.observe(truth, rendered, self.received(rendered.image)))
        return observations

    def run(self, gazes: Sequence[Angles]) -> list[Observation]:
        return self.run_truths([true_gaze(self.face, gaze) for gaze in gazes])


def head_turn_deg(from_rotation: FloatArray, to_rotation: FloatArray) -> float:
    """The angle of the rotation between two head orientations (``(3, 3)`` matrices)."""
    relative = from_rotation.T @ to_rotation
    cosine = (float(np.trace(relative)) - 1.0) / 2.0
    return float(np.degrees(np.arccos(min(1.0, max(-1.0, cosine)))))


def _run_head_motion(
    stream: _Stream,
    motion: HeadMotionPlan,
    test_gazes_deg: Sequence[Angles],
    models: PipelineModels,
) -> tuple[MovedRun, ...]:
    """The head moves from where it was calibrated to each displacement in turn and looks at
    the same targets on the camera's plane as the home test gazes. The frames of a move are the
    home frame of the screen's centre gaze, moved step by step (they are not scored)."""
    home = stream.face
    targets = [gaze_target_mm(home, gaze) for gaze in test_gazes_deg]
    resting = stream.render(true_gaze(home, (0.0, 0.0))).image
    previous_mm = np.zeros(3)
    runs = []
    for displacement in motion.displacements:
        offset_mm = np.array(displacement.offset_mm)
        for step in range(1, motion.transition_frames + 1):
            between_mm = previous_mm + (offset_mm - previous_mm) * step / motion.transition_frames
            moving = moved_frame(resting, home.intrinsics, home.distance_mm, between_mm)
            stream.track(stream.received(moving))
        previous_mm = offset_mm
        moved = move_face(home, displacement.offset_mm, models)
        if moved is None:
            runs.append(MovedRun(displacement, [], math.nan))
            continue
        stream.face = moved
        test = stream.run_truths([gaze_at(moved, target) for target in targets])
        turn_deg = head_turn_deg(home.head_rotation, moved.head_rotation)
        runs.append(MovedRun(displacement, test, turn_deg))
    stream.face = home
    return tuple(runs)


def run_face(
    face: PlacedFace,
    condition: Condition,
    *,
    appearance: IrisAppearance,
    models: PipelineModels,
    plan: BenchmarkPlan,
    rng: np.random.Generator,
) -> FaceRun:
    """One face's stream in one condition (the face must be placed for that condition)."""
    stream = _Stream(face, condition, appearance=appearance, models=models, plan=plan, rng=rng)
    stream.run([(0.0, 0.0)] * plan.warm_up_frames)
    calibration = stream.run(CALIBRATION_GAZES_DEG)
    test = stream.run(plan.test_gazes_deg)
    truth = true_gaze(face, PRECISION_GAZE_DEG)
    rendered = stream.render(truth)
    frames = [stream.received(rendered.image) for _ in range(plan.precision_frames)]
    precision = [stream.observe(truth, rendered, frame) for frame in frames]
    moved: tuple[MovedRun, ...] = ()
    if plan.head_motion is not None and plan.head_motion.covers(condition):
        moved = _run_head_motion(stream, plan.head_motion, plan.test_gazes_deg, models)
    smoothed_tracker = GazeTracker(models=models)
    smoothed = [
        smoothed_tracker.process(frame, index * FRAME_NS) for index, frame in enumerate(frames)
    ]
    return FaceRun(calibration, test, precision, smoothed, moved)


def face_appearance(seed: int, face_index: int) -> IrisAppearance:
    """The iris a face gets: the same in every condition, different between faces."""
    return IrisAppearance.random(np.random.default_rng([seed, face_index]))


def run_plan(
    data_dir: Path,
    plan: BenchmarkPlan,
    *,
    models: PipelineModels | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[Condition, list[FaceRun | None]]:
    """Every face in every condition; ``None`` where gazertc found no face to render into
    (faces whose file is absent are left out)."""
    shared = models or PipelineModels()
    runs: dict[Condition, list[FaceRun | None]] = {condition: [] for condition in plan.conditions}
    for face_index, source in enumerate(plan.faces):
        image = load_face(data_dir, source)
        if image is None:
            continue
        appearance = face_appearance(seed, face_index)
        for condition_index, condition in enumerate(plan.conditions):
            if progress is not None:
                progress(f"{source.name}: {condition.name}")
            placed = place_face(
                source.name,
                image,
                width_px=condition.width_px,
                height_px=condition.height_px,
                distance_mm=condition.distance_mm,
                models=shared,
            )
            rng = np.random.default_rng([seed, face_index, condition_index])
            runs[condition].append(
                None
                if placed is None
                else run_face(
                    placed, condition, appearance=appearance, models=shared, plan=plan, rng=rng
                )
            )
    return runs
