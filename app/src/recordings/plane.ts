// The plane the replay draws gaze on: the participant's screen (CSS px) once the recording has
// screen gaze, else the gaze angles (degrees). Drawn as the participant sees it: yaw is positive
// towards their left, so the angle plane runs from +yaw on the left to -yaw on the right, and
// from +pitch (up) at the top to -pitch at the bottom.

import type { RecordingReplay, ReplayFixation } from './types';

/** Smallest half-range of the angle plane (deg): a still gaze still gets some room. */
const MIN_ANGLE_RANGE_DEG = 10;
/** Largest half-range (deg): beyond it a gaze angle means nothing for a screen. */
const MAX_ANGLE_RANGE_DEG = 60;
/** The share of samples the angle plane must hold: a few outliers do not shrink the rest. */
const ANGLE_COVERAGE = 0.98;
/** Half-ranges are rounded up to this step (deg), for round axis labels. */
const ANGLE_STEP_DEG = 5;

export interface Plane {
  kind: 'screen' | 'angles';
  /** Values at the plane's edges, in `unit` (left > right on the angle plane). */
  left: number;
  right: number;
  top: number;
  bottom: number;
  unit: 'px' | '°';
  /** What the axes measure, for their labels. */
  xLabel: string;
  yLabel: string;
  /** Height over width. */
  aspect: number;
}

/** A point of the plane, in its unit. */
export interface PlanePoint {
  x: number;
  y: number;
}

function hasScreenGaze(replay: RecordingReplay): boolean {
  return replay.screen !== null && replay.x_px !== null && replay.x_px.some((x) => x !== null);
}

/** The half-range (deg) that holds ANGLE_COVERAGE of `values`. */
function angleHalfRange(values: readonly (number | null)[]): number {
  const magnitudes = values
    .filter((value): value is number => value !== null && Number.isFinite(value))
    .map(Math.abs)
    .sort((a, b) => a - b);
  const covered = magnitudes[Math.floor((magnitudes.length - 1) * ANGLE_COVERAGE)] ?? 0;
  const rounded = Math.ceil(covered / ANGLE_STEP_DEG) * ANGLE_STEP_DEG;
  return Math.min(MAX_ANGLE_RANGE_DEG, Math.max(MIN_ANGLE_RANGE_DEG, rounded));
}

export function planeFor(replay: RecordingReplay): Plane {
  if (replay.screen !== null && hasScreenGaze(replay)) {
    const { width_px: width, height_px: height } = replay.screen;
    return {
      kind: 'screen',
      left: 0,
      right: width,
      top: 0,
      bottom: height,
      unit: 'px',
      xLabel: 'screen x (px)',
      yLabel: 'screen y (px)',
      aspect: height / width,
    };
  }
  const yaw = angleHalfRange(replay.yaw_deg);
  const pitch = angleHalfRange(replay.pitch_deg);
  return {
    kind: 'angles',
    left: yaw,
    right: -yaw,
    top: pitch,
    bottom: -pitch,
    unit: '°',
    xLabel: 'gaze yaw (°, + = participant’s left)',
    yLabel: 'gaze pitch (°, + = up)',
    aspect: pitch / yaw,
  };
}

/** Sample `index` on `plane`, or null when it has no gaze there. */
export function samplePoint(
  replay: RecordingReplay,
  plane: Plane,
  index: number,
): PlanePoint | null {
  const x = plane.kind === 'screen' ? replay.x_px?.[index] : replay.yaw_deg[index];
  const y = plane.kind === 'screen' ? replay.y_px?.[index] : replay.pitch_deg[index];
  return x === null || x === undefined || y === null || y === undefined ? null : { x, y };
}

/** A fixation's place on `plane`, or null (no screen point for a screen plane). */
export function fixationPoint(fixation: ReplayFixation, plane: Plane): PlanePoint | null {
  if (plane.kind === 'angles') return { x: fixation.yaw_deg, y: fixation.pitch_deg };
  return fixation.x_px === null || fixation.y_px === null
    ? null
    : { x: fixation.x_px, y: fixation.y_px };
}

/** `point` as fractions of the plane from its top left (outside [0, 1] when off the plane). */
export function toFraction(plane: Plane, point: PlanePoint): { u: number; v: number } {
  return {
    u: (point.x - plane.left) / (plane.right - plane.left),
    v: (point.y - plane.top) / (plane.bottom - plane.top),
  };
}
