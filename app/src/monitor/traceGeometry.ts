// Where the points of a monitor trace go in its small SVG box (pure; tests/monitor checks it).
//
// The box shows what the participant looks at, as they see it: their left on the left, up up.
// Calibrated sessions draw their screen points scaled into the box (the box stands for their
// screen); others draw the gaze direction, the box spanning ±ANGLE_RANGE_DEG of yaw.

import type { MonitorTracePoint } from 'gazertc-client/protocol';

/** Half the box's width in degrees of yaw: a screen seen from 60 cm spans about ±25°. */
export const ANGLE_RANGE_DEG = 30;
/** Points older than this (server clock) are not drawn: a lost face leaves no stale trace. */
export const TRACE_WINDOW_MS = 4000;
/** A longer pause between points (no face, closed eyes) starts a new stroke. */
export const GAP_MS = 250;

export interface TraceBox {
  readonly width: number;
  readonly height: number;
}

export interface ScreenSize {
  readonly width_px: number;
  readonly height_px: number;
}

export interface BoxPoint {
  readonly x: number;
  readonly y: number;
}

export interface TraceGeometry {
  /** `screen`: screen points of a calibrated session; `angle`: gaze direction. */
  readonly mode: 'screen' | 'angle';
  /** SVG path data (`M x y L x y ...`), empty when there is nothing to draw. */
  readonly path: string;
  /** The newest point, drawn as a dot. */
  readonly head: BoxPoint | null;
  readonly pointCount: number;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Gaze angles in the box: yaw is positive towards the participant's left, pitch up. */
export function anglePosition(yawDeg: number, pitchDeg: number, box: TraceBox): BoxPoint {
  const pxPerDeg = box.width / 2 / ANGLE_RANGE_DEG;
  return {
    x: clamp(box.width / 2 - yawDeg * pxPerDeg, 0, box.width),
    y: clamp(box.height / 2 - pitchDeg * pxPerDeg, 0, box.height),
  };
}

/** A screen point (CSS px of `screen`) in the box; off-screen points sit on its edge. */
export function screenPosition(
  xPx: number,
  yPx: number,
  screen: ScreenSize,
  box: TraceBox,
): BoxPoint {
  return {
    x: clamp((xPx / screen.width_px) * box.width, 0, box.width),
    y: clamp((yPx / screen.height_px) * box.height, 0, box.height),
  };
}

function format(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

/**
 * The trace of `points` (oldest first) in `box`.
 * @param screen the session's screen when it is calibrated, else null.
 * @param nowUnixNs the server's time of the list; null draws every point.
 */
export function traceGeometry(
  points: readonly MonitorTracePoint[],
  box: TraceBox,
  screen: ScreenSize | null,
  nowUnixNs: number | null,
  windowMs: number = TRACE_WINDOW_MS,
): TraceGeometry {
  const newest = points.at(-1);
  const mode =
    screen !== null && newest?.screen_x_px !== undefined && newest.screen_y_px !== undefined
      ? 'screen'
      : 'angle';
  const commands: string[] = [];
  let head: BoxPoint | null = null;
  let previousNs: number | null = null;
  let count = 0;
  for (const point of points) {
    if (nowUnixNs !== null && (nowUnixNs - point.timestamp_unix_ns) / 1e6 > windowMs) continue;
    let position: BoxPoint;
    if (mode === 'screen' && screen !== null) {
      if (point.screen_x_px === undefined || point.screen_y_px === undefined) continue;
      position = screenPosition(point.screen_x_px, point.screen_y_px, screen, box);
    } else {
      position = anglePosition(point.yaw_deg, point.pitch_deg, box);
    }
    const gap = previousNs === null || (point.timestamp_unix_ns - previousNs) / 1e6 > GAP_MS;
    commands.push(`${gap ? 'M' : 'L'}${format(position.x)} ${format(position.y)}`);
    previousNs = point.timestamp_unix_ns;
    head = position;
    count += 1;
  }
  return { mode, path: commands.join(''), head, pointCount: count };
}

/** Pitch ticks are multiples of this many degrees: round numbers a reader takes in at a glance. */
export const PITCH_TICK_STEP_DEG = 5;

export interface AxisTick {
  /** Along the box: x for the horizontal axis, y for the vertical one. */
  readonly position: number;
  readonly label: string;
}

export interface TraceAxes {
  /** `deg`: gaze direction, before calibration; `px`: CSS px of the participant's screen. */
  readonly unit: 'deg' | 'px';
  readonly x: readonly AxisTick[];
  readonly y: readonly AxisTick[];
  /** What the trace shows, in which unit, and whether the session is calibrated, in words. */
  readonly caption: string;
}

function degreesLabel(value: number, positive: string, negative: string): string {
  if (value === 0) return '0°';
  return `${Math.abs(value)}° ${value > 0 ? positive : negative}`;
}

/**
 * The axes of a trace drawn in `mode` (see {@link traceGeometry}): ticks at the edges and the
 * middle of the box, labelled in degrees of gaze direction, or in CSS px of `screen` when the
 * trace shows screen points.
 * @param calibrated the session uses a calibration (its newest points may still lack a screen
 *   point, and are then drawn in degrees).
 */
export function traceAxes(
  mode: TraceGeometry['mode'],
  box: TraceBox,
  screen: ScreenSize | null,
  calibrated: boolean,
): TraceAxes {
  if (mode === 'screen' && screen !== null) {
    const { width_px: width, height_px: height } = screen;
    const ticks = (size: number, length: number): AxisTick[] =>
      [0, Math.round(size / 2), size].map((value) => ({
        position: (value / size) * length,
        label: value === size ? `${value} px` : `${value}`,
      }));
    return {
      unit: 'px',
      x: ticks(width, box.width),
      y: ticks(height, box.height),
      caption: `Gaze on the participant’s screen, in CSS px (${width}×${height}; calibrated)`,
    };
  }
  const pitchRangeDeg = (box.height / box.width) * ANGLE_RANGE_DEG;
  const pitchTickDeg = Math.floor(pitchRangeDeg / PITCH_TICK_STEP_DEG) * PITCH_TICK_STEP_DEG;
  const pitchValues = pitchTickDeg > 0 ? [pitchTickDeg, 0, -pitchTickDeg] : [0];
  return {
    unit: 'deg',
    // Positive yaw is the participant's left, drawn on the left (see anglePosition).
    x: [ANGLE_RANGE_DEG, 0, -ANGLE_RANGE_DEG].map((yawDeg) => ({
      position: anglePosition(yawDeg, 0, box).x,
      label: degreesLabel(yawDeg, 'left', 'right'),
    })),
    y: pitchValues.map((pitchDeg) => ({
      position: anglePosition(0, pitchDeg, box).y,
      label: degreesLabel(pitchDeg, 'up', 'down'),
    })),
    caption: calibrated
      ? 'Gaze direction, in degrees (calibrated, but the latest gaze has no screen position)'
      : 'Gaze direction, in degrees (not calibrated: no screen position yet)',
  };
}
