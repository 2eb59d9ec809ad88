// The replay's stage: axis ticks of the plane and the gaze trail at a moment of the replay.

import { samplePoint, toFraction, type Plane } from './plane';
import { sampleIndexAt } from './timeRange';
import type { RecordingReplay } from './types';

/** How much of the past the stage draws behind the gaze point (s of recording time). */
export const TRAIL_S = 1;
/**
 * A sample older than this (s) is not "now": the stage shows no gaze instead of a stale one
 * (a loaded server may send only a few samples a second).
 */
export const STALE_S = 0.5;

/** Axes spanning less than this get tick labels to a tenth. */
const FINE_SPAN = 100;

export interface AxisTick {
  /** Along the axis from the plane's left (or top) edge, 0 to 1. */
  fraction: number;
  label: string;
}

/** `count` + 1 evenly spaced ticks from edge `from` to edge `to`. */
export function axisTicks(from: number, to: number, count: number): AxisTick[] {
  return Array.from({ length: count + 1 }, (_, index) => {
    const fraction = index / count;
    const value = from + (to - from) * fraction;
    // Whole numbers on a screen's pixels, tenths on a few degrees (7.5° rather than 8°).
    const rounded =
      Math.abs(to - from) >= FINE_SPAN ? Math.round(value) : Math.round(value * 10) / 10;
    return { fraction, label: rounded === 0 ? '0' : String(rounded) };
  });
}

export interface StageGaze {
  /** The gaze now, as fractions of the plane (clamped to it), or null when there is none. */
  head: { u: number; v: number } | null;
  /** The trail before it, oldest first. */
  trail: { u: number; v: number }[];
}

function clampFraction(value: number): number {
  return Math.min(1, Math.max(0, value));
}

export function stageGaze(replay: RecordingReplay, plane: Plane, timeS: number): StageGaze {
  const newest = sampleIndexAt(replay.t_s, timeS);
  const trail: { u: number; v: number }[] = [];
  let head: { u: number; v: number } | null = null;
  if (newest === null) return { head, trail };
  for (let index = newest; index >= 0; index -= 1) {
    const ageS = timeS - (replay.t_s[index] ?? -Infinity);
    if (ageS > TRAIL_S) break;
    const point = samplePoint(replay, plane, index);
    if (point === null) continue;
    const { u, v } = toFraction(plane, point);
    const place = { u: clampFraction(u), v: clampFraction(v) };
    if (index === newest && ageS <= STALE_S) head = place;
    trail.unshift(place);
  }
  return { head, trail };
}
