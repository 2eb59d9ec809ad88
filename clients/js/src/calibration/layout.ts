// Where calibration and validation targets go: pure geometry in CSS px of the viewport.

import type { CalibrationTarget } from '../protocol/types.gen';

export const TARGET_COUNTS = [5, 9, 13] as const;
export type TargetCount = (typeof TARGET_COUNTS)[number];

/** Never closer to an edge than this: a target half off the screen cannot be looked at. */
export const MIN_MARGIN_PX = 40;
/** Margin as a share of the shorter side: targets near the edges, not on them. */
export const MARGIN_FRACTION = 0.06;

export interface Viewport {
  widthPx: number;
  heightPx: number;
}

/** Positions as fractions (u, v) of the area inside the margins. */
const GRID_3X3: readonly (readonly [number, number])[] = [
  [0, 0],
  [0.5, 0],
  [1, 0],
  [0, 0.5],
  [0.5, 0.5],
  [1, 0.5],
  [0, 1],
  [0.5, 1],
  [1, 1],
];
const CORNERS_AND_CENTRE: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 0],
  [0.5, 0.5],
  [0, 1],
  [1, 1],
];
/** The 3x3 grid with the centres of the four quadrants between its rows, in reading order. */
const GRID_AND_QUADRANTS: readonly (readonly [number, number])[] = [
  [0, 0],
  [0.5, 0],
  [1, 0],
  [0.25, 0.25],
  [0.75, 0.25],
  [0, 0.5],
  [0.5, 0.5],
  [1, 0.5],
  [0.25, 0.75],
  [0.75, 0.75],
  [0, 1],
  [0.5, 1],
  [1, 1],
];
/**
 * Validation points: spread over the screen, and at least 0.14 of the inner area away from
 * every calibration point of any layout (accuracy is measured where the model was not fitted).
 */
const VALIDATION_POINTS: readonly (readonly [number, number])[] = [
  [0.15, 0.15],
  [0.85, 0.15],
  [0.5, 0.35],
  [0.15, 0.85],
  [0.85, 0.85],
];

export function marginPx(viewport: Viewport): number {
  return Math.max(
    MIN_MARGIN_PX,
    Math.round(MARGIN_FRACTION * Math.min(viewport.widthPx, viewport.heightPx)),
  );
}

function place(
  fractions: readonly (readonly [number, number])[],
  viewport: Viewport,
  firstId: number,
): CalibrationTarget[] {
  const margin = marginPx(viewport);
  const innerWidth = Math.max(0, viewport.widthPx - 2 * margin);
  const innerHeight = Math.max(0, viewport.heightPx - 2 * margin);
  return fractions.map(([u, v], index) => ({
    id: firstId + index,
    x_px: Math.round(margin + u * innerWidth),
    y_px: Math.round(margin + v * innerHeight),
  }));
}

/**
 * The calibration targets for `count` points: 5 = corners and centre, 9 = a 3x3 grid, 13 = the
 * grid plus the centres of the four quadrants. In the order shown (row by row, so the eye moves
 * a short way between targets).
 */
export function calibrationTargets(count: TargetCount, viewport: Viewport): CalibrationTarget[] {
  switch (count) {
    case 5:
      return place(CORNERS_AND_CENTRE, viewport, 0);
    case 9:
      return place(GRID_3X3, viewport, 0);
    case 13:
      return place(GRID_AND_QUADRANTS, viewport, 0);
  }
}

/** The validation targets (ids from 100, so they never collide with calibration ids in logs). */
export function validationTargets(viewport: Viewport): CalibrationTarget[] {
  return place(VALIDATION_POINTS, viewport, 100);
}

export function isTargetCount(value: unknown): value is TargetCount {
  return (TARGET_COUNTS as readonly unknown[]).includes(value);
}
