// The scanpath of a replay: its fixations in order, as numbered circles whose area grows with
// the fixation's duration, joined by lines. Pure; components/recordings/ScanpathSvg.tsx draws it.

import { fixationPoint, toFraction, type Plane } from './plane';
import type { ReplayFixation } from './types';

/** Radius (chart units) of the longest fixation. */
export const MAX_RADIUS = 40;
/** Radius of the shortest: a brief fixation stays visible and its number readable. */
export const MIN_RADIUS = 8;

export interface ScanpathCircle {
  /** 1 for the first fixation drawn. */
  number: number;
  cx: number;
  cy: number;
  r: number;
  durationS: number;
  startS: number;
}

/**
 * The circles of `fixations` (in time order) on a chart `width` units wide (its height follows
 * the plane). Fixations without a place on the plane are skipped; off-plane ones sit on its edge.
 */
export function scanpathCircles(
  fixations: readonly ReplayFixation[],
  plane: Plane,
  width: number,
): ScanpathCircle[] {
  const height = width * plane.aspect;
  const placed = fixations.flatMap((fixation) => {
    const point = fixationPoint(fixation, plane);
    return point === null ? [] : [{ fixation, point }];
  });
  const longestS = Math.max(0, ...placed.map(({ fixation }) => fixation.end_s - fixation.start_s));
  return placed.map(({ fixation, point }, index) => {
    const { u, v } = toFraction(plane, point);
    const durationS = Math.max(0, fixation.end_s - fixation.start_s);
    // Area by duration: the radius grows with its square root.
    const share = longestS > 0 ? Math.sqrt(durationS / longestS) : 1;
    return {
      number: index + 1,
      cx: Math.min(1, Math.max(0, u)) * width,
      cy: Math.min(1, Math.max(0, v)) * height,
      r: MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * share,
      durationS,
      startS: fixation.start_s,
    };
  });
}
