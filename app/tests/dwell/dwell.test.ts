import { describe, expect, it } from 'vitest';
import {
  DwellTracker,
  type DwellFrame,
  type DwellRegion,
  type GazePoint,
} from '../../src/dwell/dwell';

const YES: DwellRegion = { id: 'yes', left: 0, top: 0, right: 300, bottom: 200 };
const NO: DwellRegion = { id: 'no', left: 400, top: 0, right: 700, bottom: 200 };
const ON_YES: GazePoint = { xPx: 150, yPx: 100 };
const ON_NO: GazePoint = { xPx: 550, yPx: 100 };
const NOWHERE: GazePoint = { xPx: 350, yPx: 500 };
const FRAME_MS = 33;

/** Feed `point` at 30 Hz from `fromMs` for `durationMs`; returns every frame and the end time. */
function gaze(
  tracker: DwellTracker,
  point: GazePoint | null,
  fromMs: number,
  durationMs: number,
): { frames: DwellFrame[]; endMs: number } {
  const frames: DwellFrame[] = [];
  let now = fromMs;
  for (; now < fromMs + durationMs; now += FRAME_MS) frames.push(tracker.update(point, now));
  return { frames, endMs: now };
}

function triggers(frames: DwellFrame[]): string[] {
  return frames.flatMap((frame) => (frame.triggered === null ? [] : [frame.triggered]));
}

function tracker(dwellMs = 1000): DwellTracker {
  const created = new DwellTracker({ dwellMs });
  created.setRegions([YES, NO]);
  return created;
}

describe('dwell selection with synthetic gaze', () => {
  it('triggers once the gaze has stayed for the dwell time', () => {
    const dwell = tracker(1000);
    const { frames } = gaze(dwell, ON_YES, 0, 1200);
    expect(triggers(frames)).toEqual(['yes']);
    const index = frames.findIndex((frame) => frame.triggered !== null);
    expect(index * FRAME_MS).toBeGreaterThanOrEqual(1000);
    expect(index * FRAME_MS).toBeLessThan(1000 + FRAME_MS);
    // Progress rises steadily before the trigger.
    expect(frames[15]?.progress).toBeCloseTo((15 * FRAME_MS) / 1000);
  });

  it('does not trigger on a glance', () => {
    const dwell = tracker(1000);
    const look = gaze(dwell, ON_YES, 0, 600);
    const away = gaze(dwell, NOWHERE, look.endMs, 1000);
    expect(triggers([...look.frames, ...away.frames])).toEqual([]);
    expect(away.frames.at(-1)).toMatchObject({ regionId: null, progress: 0 });
  });

  it('resets when the gaze leaves: two half dwells do not add up', () => {
    const dwell = tracker(1000);
    const first = gaze(dwell, ON_YES, 0, 600);
    const away = gaze(dwell, NOWHERE, first.endMs, 500);
    const second = gaze(dwell, ON_YES, away.endMs, 600);
    expect(triggers([...first.frames, ...away.frames, ...second.frames])).toEqual([]);
    expect(second.frames[0]?.progress).toBe(0);
  });

  it('moving to another button restarts the dwell there', () => {
    const dwell = tracker(1000);
    const yes = gaze(dwell, ON_YES, 0, 800);
    const no = gaze(dwell, ON_NO, yes.endMs, 1100);
    expect(triggers([...yes.frames, ...no.frames])).toEqual(['no']);
  });

  it('keeps a dwell through a blink shorter than the grace time', () => {
    const dwell = tracker(1000);
    const before = gaze(dwell, ON_YES, 0, 500);
    const blink = gaze(dwell, null, before.endMs, 200);
    expect(blink.frames.every((frame) => frame.regionId === 'yes')).toBe(true);
    const after = gaze(dwell, ON_YES, blink.endMs, 400);
    expect(triggers(after.frames)).toEqual(['yes']);
  });

  it('loses the dwell when the gaze is gone for longer than the grace time', () => {
    const dwell = tracker(1000);
    const before = gaze(dwell, ON_YES, 0, 700);
    const gone = gaze(dwell, null, before.endMs, 600);
    const after = gaze(dwell, ON_YES, gone.endMs, 500);
    expect(triggers([...before.frames, ...gone.frames, ...after.frames])).toEqual([]);
  });

  it('does not repeat while the gaze stays, and re-arms after leaving', () => {
    const dwell = tracker(500);
    const stare = gaze(dwell, ON_YES, 0, 3000);
    expect(triggers(stare.frames)).toEqual(['yes']);
    const away = gaze(dwell, NOWHERE, stare.endMs, 500);
    const again = gaze(dwell, ON_YES, away.endMs, 700);
    expect(triggers(again.frames)).toEqual(['yes']);
  });

  it('pause stops progress and triggers; resume starts from zero', () => {
    const dwell = tracker(1000);
    const before = gaze(dwell, ON_YES, 0, 800);
    dwell.pause();
    expect(dwell.paused).toBe(true);
    const paused = gaze(dwell, ON_YES, before.endMs, 3000);
    expect(triggers(paused.frames)).toEqual([]);
    expect(paused.frames.every((frame) => frame.paused && frame.progress === 0)).toBe(true);
    dwell.resume();
    const resumed = gaze(dwell, ON_YES, paused.endMs, 1200);
    const index = resumed.frames.findIndex((frame) => frame.triggered === 'yes');
    // A full dwell after resuming, not the 200 ms left before the pause.
    expect(index * FRAME_MS).toBeGreaterThanOrEqual(1000);
  });

  it('follows a changed dwell time and removed regions', () => {
    const dwell = tracker(1000);
    dwell.setDwellMs(300);
    expect(triggers(gaze(dwell, ON_NO, 0, 400).frames)).toEqual(['no']);
    dwell.setRegions([YES]);
    expect(dwell.update(ON_NO, 500)).toMatchObject({ regionId: null, triggered: null });
  });

  it('gives a region its own dwell time and reports when the triggering look began', () => {
    const dwell = new DwellTracker({ dwellMs: 500 });
    dwell.setRegions([{ ...YES, dwellMs: 2000 }, NO]);
    const no = gaze(dwell, ON_NO, 100, 700);
    expect(triggers(no.frames)).toEqual(['no']);
    expect(no.frames.find((frame) => frame.triggered !== null)?.triggeredSinceMs).toBe(100);
    const yes = gaze(dwell, ON_YES, no.endMs, 1500);
    expect(triggers(yes.frames)).toEqual([]);
    const longer = gaze(dwell, ON_YES, yes.endMs, 600);
    const triggered = longer.frames.find((frame) => frame.triggered === 'yes');
    expect(triggered?.triggeredSinceMs).toBe(no.endMs);
    expect(() => dwell.setRegions([{ ...YES, dwellMs: 10 }])).toThrow(RangeError);
  });

  it('refuses a dwell time too short to be deliberate', () => {
    expect(() => new DwellTracker({ dwellMs: 50 })).toThrow(RangeError);
    expect(() => tracker().setDwellMs(Number.NaN)).toThrow(RangeError);
  });
});
