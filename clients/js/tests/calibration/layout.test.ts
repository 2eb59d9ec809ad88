import { describe, expect, it } from 'vitest';
import {
  MIN_MARGIN_PX,
  TARGET_COUNTS,
  calibrationTargets,
  marginPx,
  validationTargets,
  type Viewport,
} from '../../src/calibration/layout';

const VIEWPORTS: Viewport[] = [
  { widthPx: 1920, heightPx: 1080 },
  { widthPx: 1120, heightPx: 760 },
  { widthPx: 800, heightPx: 1280 },
];

describe('target layouts', () => {
  it.each(
    TARGET_COUNTS.flatMap((count) => VIEWPORTS.map((viewport) => [count, viewport] as const)),
  )('%i targets lie inside the margins of %o, distinct, with unique ids', (count, viewport) => {
    const targets = calibrationTargets(count, viewport);
    const margin = marginPx(viewport);
    expect(targets).toHaveLength(count);
    expect(new Set(targets.map((t) => t.id)).size).toBe(count);
    expect(new Set(targets.map((t) => `${t.x_px},${t.y_px}`)).size).toBe(count);
    for (const target of targets) {
      expect(target.x_px).toBeGreaterThanOrEqual(margin);
      expect(target.x_px).toBeLessThanOrEqual(viewport.widthPx - margin);
      expect(target.y_px).toBeGreaterThanOrEqual(margin);
      expect(target.y_px).toBeLessThanOrEqual(viewport.heightPx - margin);
    }
    // Spread to the margins: the corners are used.
    expect(Math.min(...targets.map((t) => t.x_px))).toBe(margin);
    expect(Math.max(...targets.map((t) => t.y_px))).toBe(viewport.heightPx - margin);
  });

  it('keeps at least the minimum margin on small viewports', () => {
    expect(marginPx({ widthPx: 300, heightPx: 200 })).toBe(MIN_MARGIN_PX);
    expect(marginPx({ widthPx: 1920, heightPx: 1080 })).toBeGreaterThan(MIN_MARGIN_PX);
  });

  it('9 is a 3x3 grid and 13 adds the quadrant centres', () => {
    const viewport = { widthPx: 1000, heightPx: 600 };
    const nine = calibrationTargets(9, viewport);
    expect(new Set(nine.map((t) => t.x_px)).size).toBe(3);
    expect(new Set(nine.map((t) => t.y_px)).size).toBe(3);
    const thirteen = calibrationTargets(13, viewport);
    const key = (t: { x_px: number; y_px: number }): string => `${t.x_px},${t.y_px}`;
    const grid = new Set(nine.map(key));
    expect(thirteen.filter((t) => grid.has(key(t)))).toHaveLength(9);
    expect(new Set(thirteen.map((t) => t.x_px)).size).toBe(5);
  });

  it('validation targets avoid every calibration point and stay inside the margins', () => {
    for (const viewport of VIEWPORTS) {
      const margin = marginPx(viewport);
      const validation = validationTargets(viewport);
      expect(validation.length).toBeGreaterThanOrEqual(4);
      const calibration = TARGET_COUNTS.flatMap((count) => calibrationTargets(count, viewport));
      const ids = new Set(calibration.map((t) => t.id));
      const minSide = Math.min(viewport.widthPx, viewport.heightPx) - 2 * margin;
      for (const target of validation) {
        expect(ids.has(target.id)).toBe(false);
        expect(target.x_px).toBeGreaterThanOrEqual(margin);
        expect(target.x_px).toBeLessThanOrEqual(viewport.widthPx - margin);
        expect(target.y_px).toBeGreaterThanOrEqual(margin);
        expect(target.y_px).toBeLessThanOrEqual(viewport.heightPx - margin);
        const nearest = Math.min(
          ...calibration.map((c) => Math.hypot(c.x_px - target.x_px, c.y_px - target.y_px)),
        );
        expect(nearest).toBeGreaterThan(0.1 * minSide);
      }
    }
  });
});
