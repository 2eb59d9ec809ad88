"""Generated gaze data with known ground truth, for the calibration tests and benchmark.

A user sits in front of a laptop whose camera is centred above the screen; the screen lies in
the camera's z = 0 plane. Each eye is a sphere whose centre sits where the face model puts it
plus a personal offset; its *visual* axis passes through the target, its *optical* axis (which
sets where the iris is seen) is off by angle kappa. The iris centre and eye corners are projected
through a pinhole camera, noise is added, and the per-eye gaze angles are recomputed the way the
pipeline does (:func:`gazertc.vision.gaze.gaze_from_iris_px` with the model's eyeball centre and
a noisy head pose), so the features carry the pipeline's biases, not the simulator's truth.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from gazertc.vision.calibration import CalibrationSample, FrameFeatures, ScreenPoint
from gazertc.vision.gaze import (
    IRIS_RADIUS_MM,
    IRIS_SPHERE_RADIUS_MM,
    angles_from_direction,
    direction_from_angles,
    eyeball_centre_head_mm,
    eyeball_centre_mm,
    gaze_from_iris_px,
)
from gazertc.vision.headpose import (
    EYE_CORNER_LANDMARKS,
    FACE_MODEL_MM,
    CameraIntrinsics,
    rotation_from_angles,
)
from gazertc.vision.screen import ScreenGeometry
from gazertc.vision.types import (
    EyeObservation,
    EyeSide,
    GazeDirection,
    GazeSample,
    HeadPose,
    TrackingState,
)

LAPTOP_SCREEN = ScreenGeometry(1536, 864, 1.25, 344.0, 194.0)
"""A 15.6-inch laptop at 125 % scaling."""
SCREEN_TOP_BELOW_CAMERA_MM = 8.0
FRAME_SIZE = (640, 480)
INTRINSICS = CameraIntrinsics.from_frame_size(*FRAME_SIZE)
FPS = 30.0
SACCADE_LATENCY_MS = 200.0
SACCADE_DURATION_MS = 50.0

HeadState = tuple[float, float, float, float, float, float]
"""``(yaw_deg, pitch_deg, roll_deg, x_mm, y_mm, z_mm)`` of the head."""

RESTING_HEAD: HeadState = (0.0, -6.0, 0.0, 0.0, 70.0, 600.0)
"""Facing the screen, eyes 7 cm below the camera, 60 cm away."""


@dataclass(frozen=True)
class User:
    """Personal geometry: kappa (visual axis nasal and up of the optical axis) and how far the
    eyeball centres sit from the face model's (mirrored between the eyes)."""

    kappa_nasal_deg: float = 5.0
    kappa_up_deg: float = 1.5
    eyeball_offset_mm: tuple[float, float, float] = (1.5, -1.0, 1.0)


@dataclass(frozen=True)
class Noise:
    iris_px: float = 0.0
    corner_px: float = 0.0
    pose_deg: float = 0.0
    translation_mm: float = 0.0


REALISTIC_NOISE = Noise(iris_px=0.1, corner_px=0.1, pose_deg=0.4, translation_mm=4.0)
"""Gives about 1 degree RMS of frame-to-frame gaze change, as the smoothed pipeline on cap12."""


def screen_point_mm(point: ScreenPoint, screen: ScreenGeometry) -> NDArray[np.float64]:
    """A screen point in the camera frame: the user's right (screen x) is the camera's -x."""
    mm = screen.mm_per_css_px
    return np.array(
        [
            -(point.x_css_px - screen.width_css_px / 2.0) * mm,
            SCREEN_TOP_BELOW_CAMERA_MM + point.y_css_px * mm,
            0.0,
        ]
    )


def _project(point_mm: NDArray[np.float64]) -> tuple[float, float]:
    return (
        INTRINSICS.fx_px * point_mm[0] / point_mm[2] + INTRINSICS.cx_px,
        INTRINSICS.fy_px * point_mm[1] / point_mm[2] + INTRINSICS.cy_px,
    )


def _noisy(
    point: tuple[float, float], sigma: float, rng: np.random.Generator
) -> tuple[float, float]:
    if sigma == 0.0:
        return point
    dx, dy = rng.normal(0.0, sigma, 2)
    return (point[0] + float(dx), point[1] + float(dy))


def simulate_frame(
    head: HeadState,
    gaze_target: ScreenPoint,
    *,
    timestamp_unix_ns: int,
    rng: np.random.Generator,
    user: User = User(),
    noise: Noise = Noise(),
    screen: ScreenGeometry = LAPTOP_SCREEN,
    blinking: bool = False,
    iris_glitch_px: tuple[float, float] = (0.0, 0.0),
) -> GazeSample:
    """The pipeline's sample for a user with head ``head`` looking at ``gaze_target``.

    ``blinking`` marks the frame as a blink whose lids push the seen iris 3 px down (a bad sample
    that only the blink flag identifies); ``iris_glitch_px`` shifts both irises (a reflection).
    """
    yaw_deg, pitch_deg, roll_deg, *translation = head
    rotation = rotation_from_angles(yaw_deg, pitch_deg, roll_deg)
    translation_mm = np.array(translation, dtype=np.float64)
    target_mm = screen_point_mm(gaze_target, screen)
    pose_noise = rng.normal(0.0, noise.pose_deg, 3) if noise.pose_deg else np.zeros(3)
    # PnP pins the face's image position well and its depth poorly: x/y jitter a quarter of z's.
    t_noise = (
        rng.normal(0.0, noise.translation_mm, 3) * np.array([0.25, 0.25, 1.0])
        if noise.translation_mm
        else np.zeros(3)
    )
    measured_angles = (yaw_deg + pose_noise[0], pitch_deg + pose_noise[1], roll_deg + pose_noise[2])
    measured_rotation = rotation_from_angles(*measured_angles)
    measured_translation = translation_mm + t_noise
    rotation_vector = cv2.Rodrigues(measured_rotation)[0].reshape(3)
    measured_pose = HeadPose(
        yaw_deg=float(measured_angles[0]),
        pitch_deg=float(measured_angles[1]),
        roll_deg=float(measured_angles[2]),
        translation_mm=(
            float(measured_translation[0]),
            float(measured_translation[1]),
            float(measured_translation[2]),
        ),
        rotation_vector=(
            float(rotation_vector[0]),
            float(rotation_vector[1]),
            float(rotation_vector[2]),
        ),
        reprojection_error_px=0.5,
    )
    eyes: dict[EyeSide, EyeObservation] = {}
    directions: list[NDArray[np.float64]] = []
    centres: list[NDArray[np.float64]] = []
    for side in EyeSide:
        mirror = -1.0 if side is EyeSide.RIGHT else 1.0
        offset = np.array(user.eyeball_offset_mm) * np.array([mirror, 1.0, 1.0])
        true_centre = rotation @ (eyeball_centre_head_mm(side) + offset) + translation_mm
        visual_yaw, visual_pitch = angles_from_direction(target_mm - true_centre)
        # The optical axis is temporal of the visual axis: the right eye's temporal side is -yaw.
        optical = direction_from_angles(
            visual_yaw + mirror * user.kappa_nasal_deg, visual_pitch - user.kappa_up_deg
        )
        iris_mm = true_centre + IRIS_SPHERE_RADIUS_MM * optical
        iris_px = _noisy(_project(iris_mm), noise.iris_px, rng)
        iris_px = (
            iris_px[0] + iris_glitch_px[0],
            iris_px[1] + iris_glitch_px[1] + (3.0 if blinking else 0.0),
        )
        corners = EYE_CORNER_LANDMARKS[side]
        inner_px, outer_px = (
            _noisy(
                _project(rotation @ np.array(FACE_MODEL_MM[index]) + translation_mm),
                noise.corner_px,
                rng,
            )
            for index in (corners.inner, corners.outer)
        )
        landmarks = np.zeros((68, 2))
        landmarks[corners.inner] = inner_px
        landmarks[corners.outer] = outer_px
        model_centre = eyeball_centre_mm(side, measured_pose, INTRINSICS, landmarks)
        direction, _ = gaze_from_iris_px(model_centre, iris_px, INTRINSICS)
        eye_yaw, eye_pitch = angles_from_direction(direction)
        directions.append(direction)
        centres.append(model_centre)
        eyes[side] = EyeObservation(
            side=side,
            centre_px=iris_px,
            iris_radius_px=IRIS_RADIUS_MM * INTRINSICS.fx_px / float(iris_mm[2]),
            confidence=1.0,
            openness=0.12 if blinking else 0.3,
            is_open=True,
            inner_corner_px=inner_px,
            outer_corner_px=outer_px,
            gaze_yaw_deg=eye_yaw,
            gaze_pitch_deg=eye_pitch,
        )
    mean_direction = np.mean(directions, axis=0)
    mean_direction /= np.linalg.norm(mean_direction)
    combined_yaw, combined_pitch = angles_from_direction(mean_direction)
    origin = np.mean(centres, axis=0)
    return GazeSample(
        timestamp_unix_ns=timestamp_unix_ns,
        frame_index=0,
        frame_width_px=FRAME_SIZE[0],
        frame_height_px=FRAME_SIZE[1],
        face_found=True,
        tracking=TrackingState.TRACKED,
        right_eye=eyes[EyeSide.RIGHT],
        left_eye=eyes[EyeSide.LEFT],
        head_pose=measured_pose,
        gaze=GazeDirection(
            yaw_deg=combined_yaw,
            pitch_deg=combined_pitch,
            origin_mm=(float(origin[0]), float(origin[1]), float(origin[2])),
            direction=(
                float(mean_direction[0]),
                float(mean_direction[1]),
                float(mean_direction[2]),
            ),
            eyes_used=(EyeSide.RIGHT, EyeSide.LEFT),
        ),
        blinking=blinking,
    )


def grid_targets(
    columns: int, rows: int, screen: ScreenGeometry = LAPTOP_SCREEN, margin: float = 0.08
) -> list[ScreenPoint]:
    """A ``columns`` x ``rows`` grid of targets inset by ``margin`` of the screen size."""
    xs = np.linspace(margin, 1.0 - margin, columns) * screen.width_css_px
    ys = np.linspace(margin, 1.0 - margin, rows) * screen.height_css_px
    return [ScreenPoint(float(x), float(y)) for y in ys for x in xs]


def random_targets(
    count: int, rng: np.random.Generator, screen: ScreenGeometry = LAPTOP_SCREEN
) -> list[ScreenPoint]:
    return [
        ScreenPoint(
            float(rng.uniform(0.05, 0.95) * screen.width_css_px),
            float(rng.uniform(0.05, 0.95) * screen.height_css_px),
        )
        for _ in range(count)
    ]


def still_head(
    rng: np.random.Generator, sway_mm: float = 5.0, sway_deg: float = 1.5
) -> Callable[[float], HeadState]:
    """A resting head swaying slowly (sinusoids with random phases), by time in seconds."""
    phases = rng.uniform(0.0, 2.0 * math.pi, 6)
    amplitudes = (sway_deg, sway_deg, sway_deg / 2.0, sway_mm, sway_mm, sway_mm * 2.0)

    def head(time_s: float) -> HeadState:
        values = [
            rest + amplitude * math.sin(0.3 * (index + 1) * time_s + phase)
            for index, (rest, amplitude, phase) in enumerate(
                zip(RESTING_HEAD, amplitudes, phases, strict=True)
            )
        ]
        return (values[0], values[1], values[2], values[3], values[4], values[5])

    return head


def moved_head(rng: np.random.Generator) -> HeadState:
    """A moderate displacement from the resting head: +-12 deg yaw, +-8 deg pitch, +-5 deg roll,
    +-60 mm sideways, +-30 mm vertically, +-100 mm in depth."""
    yaw, pitch, roll, x_mm, y_mm, z_mm = RESTING_HEAD
    return (
        yaw + float(rng.uniform(-12, 12)),
        pitch + float(rng.uniform(-8, 8)),
        roll + float(rng.uniform(-5, 5)),
        x_mm + float(rng.uniform(-60, 60)),
        y_mm + float(rng.uniform(-30, 30)),
        z_mm + float(rng.uniform(-100, 100)),
    )


@dataclass(frozen=True)
class Recording:
    """Calibration samples (with targets) and the simulated truth of where the eyes looked."""

    samples: list[CalibrationSample]
    gaze_samples: list[GazeSample]
    looked_at: list[ScreenPoint]


def simulate_session(
    targets: Sequence[ScreenPoint],
    rng: np.random.Generator,
    *,
    head: Callable[[float], HeadState] | Sequence[HeadState],
    user: User = User(),
    noise: Noise = Noise(),
    dwell_s: float = 1.5,
    blink_rate: float = 0.0,
    glitch_rate: float = 0.0,
    glitch_px: float = 4.0,
    screen: ScreenGeometry = LAPTOP_SCREEN,
    start_unix_ns: int = 1_700_000_000_000_000_000,
) -> Recording:
    """Frames at 30 fps while each target is shown for ``dwell_s``: the eyes stay on the previous
    target for the saccade latency, move in a 50 ms saccade, then fixate the target.

    ``head`` is either the head state by time or one fixed state per target. ``blink_rate`` and
    ``glitch_rate`` are the fractions of frames turned into blinks and iris glitches.
    """
    samples: list[CalibrationSample] = []
    gaze_samples: list[GazeSample] = []
    looked_at: list[ScreenPoint] = []
    frames_per_target = round(dwell_s * FPS)
    previous = ScreenPoint(screen.width_css_px / 2.0, screen.height_css_px / 2.0)
    frame = 0
    for target_id, target in enumerate(targets):
        for index in range(frames_per_target):
            since_ms = index * 1000.0 / FPS
            progress = min(max((since_ms - SACCADE_LATENCY_MS) / SACCADE_DURATION_MS, 0.0), 1.0)
            eye_on = ScreenPoint(
                previous.x_css_px + progress * (target.x_css_px - previous.x_css_px),
                previous.y_css_px + progress * (target.y_css_px - previous.y_css_px),
            )
            time_s = frame / FPS
            state = head(time_s) if callable(head) else head[target_id]
            glitch = (0.0, 0.0)
            if rng.uniform() < glitch_rate:
                angle = rng.uniform(0.0, 2.0 * math.pi)
                glitch = (glitch_px * math.cos(angle), glitch_px * math.sin(angle))
            sample = simulate_frame(
                state,
                eye_on,
                timestamp_unix_ns=start_unix_ns + round(time_s * 1e9),
                rng=rng,
                user=user,
                noise=noise,
                screen=screen,
                blinking=bool(rng.uniform() < blink_rate),
                iris_glitch_px=glitch,
            )
            gaze_samples.append(sample)
            looked_at.append(eye_on)
            samples.append(
                CalibrationSample(
                    FrameFeatures.from_sample(sample, INTRINSICS), target, target_id, since_ms
                )
            )
            frame += 1
        previous = target
    return Recording(samples, gaze_samples, looked_at)
