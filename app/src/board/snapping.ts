// Snapping the gaze to targets: webcam gaze lands near, not on, what the user looks at, and
// often in the gap between two buttons. A point inside a target, or within the snap radius of
// one, is taken as a look at that target's centre; dwell selection and the drawn cursor both use
// the snapped point, so what the user sees is what will be chosen.

export interface SnapTarget {
  id: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface ScreenPoint {
  xPx: number;
  yPx: number;
}

/**
 * 60 CSS px is about 1.5° of visual angle at 60 cm on a 96 dpi screen: it bridges the gaps
 * between the board's targets (24 px) with room for a near miss, while a look well away from
 * every target (at the page's text, say) stays unsnapped.
 */
export const SNAP_RADIUS_PX = 60;

export interface Snapped {
  /** The target the point snapped to, or null. */
  targetId: string | null;
  /** The target's centre when snapped, else the point itself. */
  point: ScreenPoint;
}

/** Distance from `point` to the rectangle (0 inside it). */
export function distanceToTarget(point: ScreenPoint, target: SnapTarget): number {
  const dx = Math.max(target.left - point.xPx, 0, point.xPx - target.right);
  const dy = Math.max(target.top - point.yPx, 0, point.yPx - target.bottom);
  return Math.hypot(dx, dy);
}

export function targetCentre(target: SnapTarget): ScreenPoint {
  return { xPx: (target.left + target.right) / 2, yPx: (target.top + target.bottom) / 2 };
}

/**
 * The target nearest `point` (by distance to its edge, then to its centre; the first in `targets`
 * on a tie) when within `radiusPx`.
 */
export function snapToTarget(
  point: ScreenPoint,
  targets: readonly SnapTarget[],
  radiusPx: number = SNAP_RADIUS_PX,
): Snapped {
  let best: { target: SnapTarget; edge: number; centre: number } | null = null;
  for (const target of targets) {
    const edge = distanceToTarget(point, target);
    if (edge > radiusPx) continue;
    const centre = targetCentre(target);
    const toCentre = Math.hypot(point.xPx - centre.xPx, point.yPx - centre.yPx);
    if (best === null || edge < best.edge || (edge === best.edge && toCentre < best.centre)) {
      best = { target, edge, centre: toCentre };
    }
  }
  if (best === null) return { targetId: null, point };
  return { targetId: best.target.id, point: targetCentre(best.target) };
}
