// What the native extension writes into a trial's data: pure conversions from gazertc samples and
// fixation messages to flat records (flat so that jsPsych's CSV export and R/pandas read them
// without unpacking). Times `t` are ms from the trial's start (on_load), like WebGazer's.

import type { GazeSample } from '../client/sample';
import type { BlinkEvent, FixationMessage } from '../protocol/types.gen';

/** One frame of the trial: WebGazer's {x, y, t} plus what gazertc measures besides. */
export interface TrialGazeSample {
  /** Capture time of the frame, ms from the trial's start. */
  t: number;
  /** Gaze point in viewport CSS px; null before calibration or without a point this frame. */
  x: number | null;
  y: number | null;
  /** The frame's capture time on the server's clock, Unix ms. */
  capture_unix_ms: number;
  frame_id: number;
  face_found: boolean;
  /** Per-sample confidence 0..1 when the server gives one. */
  confidence: number | null;
  blinking: boolean;
  head_yaw_deg: number | null;
  head_pitch_deg: number | null;
  head_roll_deg: number | null;
  gaze_yaw_deg: number | null;
  gaze_pitch_deg: number | null;
}

/** WebGazer's webgazer_data record. */
export interface WebgazerDataPoint {
  x: number;
  y: number;
  t: number;
}

export interface TrialFixation {
  /** Start and end, ms from the trial's start. */
  start_t: number;
  end_t: number;
  duration_ms: number;
  /** Mean gaze direction (degrees, the sample's gaze yaw/pitch convention). */
  yaw_deg: number;
  pitch_deg: number;
  dispersion_deg: number;
}

export interface TrialBlink {
  /** Start of the blink, ms from the trial's start. */
  t: number;
  duration_ms: number | null;
}

/** Rounding of `t` and of coordinates: 0.1 ms and 0.1 px are below any frame interval or accuracy. */
function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function trialSampleOf(
  sample: GazeSample,
  trialStartPageMs: number,
  smoothed: boolean,
): TrialGazeSample {
  const point = sample.viewport;
  return {
    t: round1(sample.capturePageMs - trialStartPageMs),
    x: point === null ? null : round1(smoothed ? point.smoothedXPx : point.xPx),
    y: point === null ? null : round1(smoothed ? point.smoothedYPx : point.yPx),
    capture_unix_ms: sample.captureUnixMs,
    frame_id: sample.frameId,
    face_found: sample.faceFound,
    confidence: sample.confidence,
    blinking: sample.blinking,
    head_yaw_deg: sample.headPose?.yawDeg ?? null,
    head_pitch_deg: sample.headPose?.pitchDeg ?? null,
    head_roll_deg: sample.headPose?.rollDeg ?? null,
    gaze_yaw_deg: sample.gaze?.yawDeg ?? null,
    gaze_pitch_deg: sample.gaze?.pitchDeg ?? null,
  };
}

/** The samples with a point, in WebGazer's shape (rounded to whole px and ms, as its extension does by default). */
export function webgazerDataOf(samples: readonly TrialGazeSample[]): WebgazerDataPoint[] {
  return samples.flatMap((sample) =>
    sample.x === null || sample.y === null
      ? []
      : [{ x: Math.round(sample.x), y: Math.round(sample.y), t: Math.round(sample.t) }],
  );
}

/** A finished fixation (phase end), times on the trial's clock via `pageMsAt`. */
export function trialFixationOf(
  fixation: FixationMessage,
  trialStartPageMs: number,
  pageMsAt: (serverUnixNs: number) => number,
): TrialFixation | null {
  if (fixation.phase !== 'end' || fixation.end_unix_ns === null || fixation.duration_ms === null) {
    return null;
  }
  return {
    start_t: round1(pageMsAt(fixation.start_unix_ns) - trialStartPageMs),
    end_t: round1(pageMsAt(fixation.end_unix_ns) - trialStartPageMs),
    duration_ms: round1(fixation.duration_ms),
    yaw_deg: fixation.yaw_deg,
    pitch_deg: fixation.pitch_deg,
    dispersion_deg: fixation.dispersion_deg,
  };
}

/** Blinks that ended, from their end events (which carry the duration); `t` is the blink's start. */
export function trialBlinksOf(
  events: readonly BlinkEvent[],
  trialStartPageMs: number,
  pageMsAt: (serverUnixNs: number) => number,
): TrialBlink[] {
  return events.flatMap((event) => {
    if (event.phase !== 'end' || event.duration_ms === null) return [];
    const endT = pageMsAt(event.timestamp_unix_ns) - trialStartPageMs;
    // A blink that ended before the trial belongs to the one before.
    if (endT < 0) return [];
    return [{ t: round1(endT - event.duration_ms), duration_ms: round1(event.duration_ms) }];
  });
}
