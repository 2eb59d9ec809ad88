import { describe, expect, it } from 'vitest';
import { toGazeSample } from '../../src/client/sample';
import {
  MAX_WAITING_FRAMES,
  NEXT_FRAME_WAIT_MS,
  NextSampleFeed,
  predictionOf,
} from '../../src/webgazer/predictions';
import { pageMsAt, sampleMessage } from './fake_client';

function sample(
  frameId: number,
  capturePageMs: number,
  point: { xPx: number; yPx: number } | null,
) {
  return toGazeSample(sampleMessage(frameId, capturePageMs, point), pageMsAt, { xPx: 0, yPx: 0 });
}

/** Timers the test fires by hand. */
function manualTimers(): {
  set: (callback: () => void, delayMs: number) => number;
  clear: (handle: number) => void;
  fire: () => void;
  delays: number[];
} {
  const pending = new Map<number, () => void>();
  const delays: number[] = [];
  let next = 1;
  return {
    set: (callback, delayMs) => {
      delays.push(delayMs);
      pending.set(next, callback);
      return next++;
    },
    clear: (handle) => pending.delete(handle),
    fire: () => {
      for (const [handle, callback] of [...pending]) {
        pending.delete(handle);
        callback();
      }
    },
    delays,
  };
}

describe('predictionOf', () => {
  it('gives the viewport point with the capture time, smoothed or raw', () => {
    const calibrated = sample(7, 1234.5, { xPx: 300, yPx: 200 });
    expect(predictionOf(calibrated, false)).toMatchObject({ x: 300, y: 200 });
    expect(predictionOf(calibrated, true)).toMatchObject({ x: 301, y: 201 });
    expect(predictionOf(calibrated, false)?.t).toBeCloseTo(1234.5, 3);
  });

  it('is null when the frame has no point', () => {
    expect(predictionOf(sample(7, 10, null), true)).toBeNull();
  });
});

describe('NextSampleFeed', () => {
  it('hands each frame to one call only, waiting for the next frame when needed', async () => {
    const timers = manualTimers();
    const feed = new NextSampleFeed(timers.set, timers.clear);
    feed.push(sample(1, 0, { xPx: 1, yPx: 1 }));
    await expect(feed.next()).resolves.toMatchObject({ frameId: 1 });
    const waiting = feed.next();
    // A second caller while the first waits: that frame is promised already.
    await expect(feed.next()).resolves.toBeNull();
    feed.push(sample(2, 40, { xPx: 2, yPx: 2 }));
    await expect(waiting).resolves.toMatchObject({ frameId: 2 });
    // Two frames between two calls (network jitter): both are handed out, in order.
    feed.push(sample(3, 80, { xPx: 3, yPx: 3 }));
    feed.push(sample(4, 120, { xPx: 4, yPx: 4 }));
    await expect(feed.next()).resolves.toMatchObject({ frameId: 3 });
    await expect(feed.next()).resolves.toMatchObject({ frameId: 4 });
  });

  it('keeps the newest frames for a caller slower than the camera', async () => {
    const timers = manualTimers();
    const feed = new NextSampleFeed(timers.set, timers.clear);
    for (let frameId = 1; frameId <= MAX_WAITING_FRAMES + 2; frameId++) {
      feed.push(sample(frameId, frameId * 40, null));
    }
    const handed: (number | undefined)[] = [];
    for (let call = 0; call < MAX_WAITING_FRAMES; call++) handed.push((await feed.next())?.frameId);
    expect(handed).toEqual([3, 4, 5]);
  });

  it('answers null when no frame comes in time', async () => {
    const timers = manualTimers();
    const feed = new NextSampleFeed(timers.set, timers.clear);
    const waiting = feed.next();
    expect(timers.delays).toEqual([NEXT_FRAME_WAIT_MS]);
    timers.fire();
    await expect(waiting).resolves.toBeNull();
  });

  it('forgets the frames and releases a waiting call on reset', async () => {
    const timers = manualTimers();
    const feed = new NextSampleFeed(timers.set, timers.clear);
    feed.push(sample(1, 0, null));
    feed.push(sample(2, 40, null));
    await expect(feed.next()).resolves.toMatchObject({ frameId: 1 });
    feed.reset();
    // Frame 2 is gone: this call waits, and the next reset releases it.
    const waiting = feed.next();
    feed.reset();
    await expect(waiting).resolves.toBeNull();
  });
});
