import { describe, expect, it } from 'vitest';
import { chartLayout } from '../../src/calibration/chart';
import type { ValidationResultMessage } from 'gazertc-client/protocol';
import { fixture } from '../fixtures';

describe('result chart geometry', () => {
  it('scales the screen into the chart width, keeping its aspect ratio', () => {
    const layout = chartLayout({
      screenWidthPx: 1600,
      screenHeightPx: 900,
      chartWidth: 640,
      targets: [],
    });
    expect(layout.scale).toBeCloseTo(0.4);
    expect(layout.width).toBe(640);
    expect(layout.height).toBeCloseTo(360);
  });

  it('places targets, their radius and the mean of their samples', () => {
    const layout = chartLayout({
      screenWidthPx: 1000,
      screenHeightPx: 500,
      chartWidth: 500,
      targets: [{ id: 7, xPx: 500, yPx: 250, radiusPx: 40 }],
      samples: new Map([
        [
          7,
          [
            { xPx: 520, yPx: 250 },
            { xPx: 540, yPx: 270 },
          ],
        ],
      ]),
    });
    expect(layout.targets).toEqual([
      { id: 7, cx: 250, cy: 125, r: 20, mean: { cx: 265, cy: 130 } },
    ]);
    expect(layout.samples).toEqual([
      { targetId: 7, cx: 260, cy: 125, clipped: false },
      { targetId: 7, cx: 270, cy: 135, clipped: false },
    ]);
  });

  it('draws points off the screen on its edge, flagged, and skips non-finite ones', () => {
    const layout = chartLayout({
      screenWidthPx: 1000,
      screenHeightPx: 500,
      chartWidth: 100,
      targets: [{ id: 1, xPx: 10, yPx: 10, radiusPx: null }],
      samples: new Map([
        [
          1,
          [
            { xPx: -300, yPx: 900 },
            { xPx: Number.NaN, yPx: 3 },
          ],
        ],
      ]),
    });
    expect(layout.samples).toEqual([{ targetId: 1, cx: 0, cy: 50, clipped: true }]);
    expect(layout.targets[0]?.r).toBeNull();
  });

  it('lays out a real validation result', () => {
    const result = fixture('validation_result.four_points.json') as ValidationResultMessage;
    const layout = chartLayout({
      screenWidthPx: 1536,
      screenHeightPx: 864,
      chartWidth: 640,
      targets: result.targets.map((t) => ({
        id: t.target_id,
        xPx: t.x_px,
        yPx: t.y_px,
        radiusPx: t.accuracy_px,
      })),
    });
    expect(layout.targets).toHaveLength(result.targets.length);
    for (const target of layout.targets) {
      expect(target.cx).toBeGreaterThanOrEqual(0);
      expect(target.cx).toBeLessThanOrEqual(layout.width);
      expect(target.cy).toBeGreaterThanOrEqual(0);
      expect(target.cy).toBeLessThanOrEqual(layout.height);
    }
  });

  it('refuses an empty screen', () => {
    expect(() =>
      chartLayout({ screenWidthPx: 0, screenHeightPx: 1, chartWidth: 1, targets: [] }),
    ).toThrow(RangeError);
  });
});
