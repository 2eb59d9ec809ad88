import { describe, expect, it } from 'vitest';
import { planeFor } from '../../src/recordings/plane';
import { MAX_RADIUS, MIN_RADIUS, scanpathCircles } from '../../src/recordings/scanpath';
import { angleReplay, fixation, screenReplay } from './replayFixture';

describe('scanpathCircles', () => {
  const plane = planeFor(screenReplay([{ x: 500, y: 250 }])); // 1000 x 500 px

  it('numbers the fixations in order and sizes their area by duration', () => {
    const circles = scanpathCircles(
      [
        fixation(0, 0.4, { xPx: 100, yPx: 100 }),
        fixation(0.5, 0.6, { xPx: 900, yPx: 400 }),
        fixation(1, 1.1, {}), // no screen point: skipped, numbering goes on
        fixation(2, 2.9, { xPx: 500, yPx: 250 }),
      ],
      plane,
      200,
    );
    expect(circles.map((circle) => circle.number)).toEqual([1, 2, 3]);
    expect(circles.map((circle) => [circle.cx, circle.cy])).toEqual([
      [20, 20],
      [180, 80],
      [100, 50],
    ]);
    const [first, second, longest] = circles;
    expect(longest?.r).toBeCloseTo(MAX_RADIUS);
    expect(first?.durationS).toBeCloseTo(0.4);
    // Area grows with duration: radius above the minimum goes with its square root.
    const grow = (r: number): number => (r - MIN_RADIUS) / (MAX_RADIUS - MIN_RADIUS);
    expect(grow(first?.r ?? 0)).toBeCloseTo(Math.sqrt(0.4 / 0.9));
    expect(grow(second?.r ?? 0)).toBeCloseTo(Math.sqrt(0.1 / 0.9));
    expect(second?.r).toBeLessThan(first?.r ?? 0);
  });

  it('puts fixations off the screen on its edge', () => {
    const [circle] = scanpathCircles([fixation(0, 1, { xPx: -300, yPx: 900 })], plane, 200);
    expect([circle?.cx, circle?.cy]).toEqual([0, 100]);
  });

  it('places fixations by gaze angle without a calibration', () => {
    const anglePlane = planeFor(angleReplay([{ yaw: 20, pitch: -10 }]));
    const [left, right] = scanpathCircles(
      [fixation(0, 0.2, { yawDeg: 10 }), fixation(0.3, 0.5, { yawDeg: -10 })],
      anglePlane,
      100,
    );
    expect(left?.cx).toBeLessThan(50);
    expect(right?.cx).toBeGreaterThan(50);
    expect(left?.cy).toBeCloseTo(50 * anglePlane.aspect);
  });

  it('draws nothing for no fixations', () => {
    expect(scanpathCircles([], plane, 100)).toEqual([]);
  });
});
