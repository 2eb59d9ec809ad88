// Where the gaze cursor may be drawn: never over an area that must stay readable (the result
// charts, marked with data-gaze-cursor-avoid), where a 36 px ring would hide the very dots and
// circles the user is reading. Pure geometry; the element is GazeCursor.tsx.

/** Elements the gaze cursor must not cover carry this attribute. */
export const CURSOR_AVOID_ATTRIBUTE = 'data-gaze-cursor-avoid';
/** The cursor's radius including its border (calibration.css: 36 px wide, 3 px border). */
export const CURSOR_RADIUS_PX = 21;

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Whether a cursor centred at (x, y) would overlap any of `areas` (viewport CSS px). */
export function cursorOverlaps(xPx: number, yPx: number, areas: readonly Rect[]): boolean {
  return areas.some(
    (area) =>
      xPx + CURSOR_RADIUS_PX > area.left &&
      xPx - CURSOR_RADIUS_PX < area.right &&
      yPx + CURSOR_RADIUS_PX > area.top &&
      yPx - CURSOR_RADIUS_PX < area.bottom,
  );
}

/**
 * What the cursor shows: no-point (the sample has no screen point: not calibrated, or no gaze in
 * this frame), avoiding (the point is over an area to keep clear: hidden), shown.
 */
export type CursorState = 'no-point' | 'avoiding' | 'shown';

export function cursorState(
  point: { xPx: number; yPx: number } | null,
  areas: readonly Rect[],
): CursorState {
  if (point === null) return 'no-point';
  return cursorOverlaps(point.xPx, point.yPx, areas) ? 'avoiding' : 'shown';
}
