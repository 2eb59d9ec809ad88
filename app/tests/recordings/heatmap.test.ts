import { describe, expect, it } from 'vitest';
import {
  heatColour,
  heatmapGrid,
  smoothGrid,
  type HeatmapGrid,
} from '../../src/recordings/heatmap';
import { planeFor, samplePoint } from '../../src/recordings/plane';
import { angleReplay, screenReplay } from './replayFixture';

function peak(grid: HeatmapGrid): { column: number; row: number } {
  let best = 0;
  grid.values.forEach((value, index) => {
    if (value > (grid.values[best] ?? 0)) best = index;
  });
  return { column: best % grid.columns, row: Math.floor(best / grid.columns) };
}

describe('heatmap', () => {
  it('peaks at the cell most points fell in', () => {
    // A 1000x500 screen in 10x5 cells of 100 px: (750, 120) is column 7, row 1.
    const replay = screenReplay([
      ...Array.from({ length: 6 }, () => ({ x: 750, y: 120 })),
      { x: 50, y: 450 },
      { x: 55, y: 460 },
      null,
    ]);
    const plane = planeFor(replay);
    const points = replay.t_s.flatMap((_, i) => samplePoint(replay, plane, i) ?? []);
    const grid = heatmapGrid(points, plane, 10, 5);
    expect(peak(grid)).toEqual({ column: 7, row: 1 });
    expect(grid.max).toBe(6);
    expect(grid.values[4 * 10 + 0]).toBe(2);
    expect(grid.values.reduce((a, b) => a + b, 0)).toBe(8);
    // Smoothing spreads the counts but keeps the peak where it was.
    const smooth = smoothGrid(grid, 1);
    expect(peak(smooth)).toEqual({ column: 7, row: 1 });
    expect(smooth.values[1 * 10 + 8]).toBeGreaterThan(0);
  });

  it('leaves out points off the screen and puts the far edge in the last cell', () => {
    const replay = screenReplay([
      { x: -5, y: 10 },
      { x: 1200, y: 10 },
      { x: 1000, y: 500 },
    ]);
    const plane = planeFor(replay);
    const points = replay.t_s.flatMap((_, i) => samplePoint(replay, plane, i) ?? []);
    const grid = heatmapGrid(points, plane, 4, 2);
    expect(grid.values.reduce((a, b) => a + b, 0)).toBe(1);
    expect(grid.values[1 * 4 + 3]).toBe(1);
  });

  it('draws gaze angles as the participant sees them: their left (positive yaw) on the left', () => {
    const replay = angleReplay([
      ...Array.from({ length: 5 }, () => ({ yaw: 15, pitch: 10 })),
      { yaw: -15, pitch: -10 },
    ]);
    const plane = planeFor(replay);
    expect(plane.kind).toBe('angles');
    const points = replay.t_s.flatMap((_, i) => samplePoint(replay, plane, i) ?? []);
    // ±15 deg of yaw and pitch in 4x4 cells: yaw +15, pitch +10 is the top-left quarter.
    const grid = heatmapGrid(points, plane, 4, 4);
    const top = peak(grid);
    expect(top.column).toBeLessThan(2);
    expect(top.row).toBeLessThan(2);
  });

  it('colours from transparent to opaque yellow', () => {
    expect(heatColour(0)[3]).toBe(0);
    expect(heatColour(1)).toEqual([255, 255, 0, 255]);
    expect(heatColour(0.3)[3]).toBeGreaterThan(0);
    expect(heatColour(0.3)[3]).toBeLessThan(255);
  });

  it('refuses a grid without cells', () => {
    const plane = planeFor(screenReplay([{ x: 1, y: 1 }]));
    expect(() => heatmapGrid([], plane, 0, 3)).toThrow(RangeError);
  });
});
