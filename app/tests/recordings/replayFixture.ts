// Replays to test with: a calibrated one on a 1000x500 px screen and an uncalibrated one.

import type { RecordingReplay, ReplayFixation } from '../../src/recordings/types';

export function fixation(
  startS: number,
  endS: number,
  place: { xPx?: number; yPx?: number; yawDeg?: number; pitchDeg?: number },
): ReplayFixation {
  return {
    start_s: startS,
    end_s: endS,
    x_px: place.xPx ?? null,
    y_px: place.yPx ?? null,
    yaw_deg: place.yawDeg ?? 0,
    pitch_deg: place.pitchDeg ?? 0,
  };
}

/** Samples every 0.1 s at the screen points given (null: no screen gaze then). */
export function screenReplay(
  points: readonly ({ x: number; y: number } | null)[],
): RecordingReplay {
  return {
    t_s: points.map((_, index) => Math.round(index * 100) / 1000),
    x_px: points.map((point) => point?.x ?? null),
    y_px: points.map((point) => point?.y ?? null),
    yaw_deg: points.map(() => 0),
    pitch_deg: points.map(() => 0),
    face_found: points.map(() => true),
    blinking: points.map(() => false),
    samples_total: points.length,
    sample_step: 1,
    duration_s: points.length / 10,
    events: [],
    fixations: [],
    saccades: [],
    blinks: [],
    screen: { width_px: 1000, height_px: 500 },
    video: false,
  };
}

/** Samples every 0.1 s at the gaze angles given, without screen gaze. */
export function angleReplay(angles: readonly { yaw: number; pitch: number }[]): RecordingReplay {
  return {
    ...screenReplay(angles.map(() => null)),
    x_px: null,
    y_px: null,
    yaw_deg: angles.map((angle) => angle.yaw),
    pitch_deg: angles.map((angle) => angle.pitch),
    screen: null,
  };
}
