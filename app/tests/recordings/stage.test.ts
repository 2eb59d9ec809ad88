import { describe, expect, it } from 'vitest';
import { planeFor } from '../../src/recordings/plane';
import { STALE_S, axisTicks, stageGaze } from '../../src/recordings/stage';
import { angleReplay, screenReplay } from './replayFixture';

describe('the replay stage', () => {
  it('shows the newest sample at the time, with the trail before it', () => {
    // Samples every 0.1 s on a 1000 x 500 px screen.
    const replay = screenReplay([
      { x: 0, y: 0 },
      { x: 500, y: 250 },
      { x: 1000, y: 500 },
    ]);
    const plane = planeFor(replay);
    expect(stageGaze(replay, plane, 0.15)).toEqual({
      head: { u: 0.5, v: 0.5 },
      trail: [
        { u: 0, v: 0 },
        { u: 0.5, v: 0.5 },
      ],
    });
    expect(stageGaze(replay, plane, -1)).toEqual({ head: null, trail: [] });
  });

  it('shows no gaze once the newest sample is stale or has none', () => {
    const replay = screenReplay([{ x: 100, y: 100 }, null]);
    const plane = planeFor(replay);
    expect(stageGaze(replay, plane, 0.1).head).toBeNull();
    expect(stageGaze(replay, plane, 0.05).head).toEqual({ u: 0.1, v: 0.2 });
    expect(stageGaze(replay, plane, STALE_S + 0.2).head).toBeNull();
  });

  it('labels the angle plane from the participant’s left to right, in degrees', () => {
    const plane = planeFor(angleReplay([{ yaw: 12, pitch: -3 }]));
    expect([plane.left, plane.right, plane.top, plane.bottom]).toEqual([15, -15, 10, -10]);
    expect(axisTicks(plane.left, plane.right, 4).map((tick) => tick.label)).toEqual([
      '15',
      '7.5',
      '0',
      '-7.5',
      '-15',
    ]);
    expect(axisTicks(0, 1280, 4).map((tick) => tick.label)).toEqual([
      '0',
      '320',
      '640',
      '960',
      '1280',
    ]);
  });
});
