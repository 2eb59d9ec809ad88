// Predictions in WebGazer's shape ({x, y} in viewport CSS px) from gazertc samples, and
// getCurrentPrediction's timing: each call gets a frame no earlier call got, in order, so a page
// polling faster than the camera (jsPsych's extension polls every 34 ms) records every frame
// once, at the camera's rate, with the frame's capture time.

import type { GazeSample } from '../client/sample';

/** A WebGazer prediction: viewport CSS px (clientX/clientY space), `t` the frame's capture time on performance.now(). */
export interface WebgazerPrediction {
  x: number;
  y: number;
  t: number;
  /** The gazertc sample behind it (head pose, blinks, confidence, ...). */
  sample: GazeSample;
}

/**
 * Wait at most this long for a new frame: over two frame intervals at 10 fps, so a slow camera
 * still delivers, while a stalled one does not hold the caller.
 */
export const NEXT_FRAME_WAIT_MS = 250;

/** The sample's point as a prediction; null before calibration or when the frame gives no point. */
export function predictionOf(sample: GazeSample, smoothed: boolean): WebgazerPrediction | null {
  const point = sample.viewport;
  if (point === null) return null;
  return {
    x: smoothed ? point.smoothedXPx : point.xPx,
    y: smoothed ? point.smoothedYPx : point.yPx,
    t: sample.capturePageMs,
    sample,
  };
}

interface Waiter {
  resolve(sample: GazeSample | null): void;
  timer: number;
}

/**
 * Frames kept for callers: network jitter can bring two frames between two polls, and each
 * should still be handed out; a page that polls slower than the camera gets the newest three.
 */
export const MAX_WAITING_FRAMES = 3;

/** Hands out each sample once, in order, to getCurrentPrediction's callers. */
export class NextSampleFeed {
  private readonly unclaimed: GazeSample[] = [];
  private waiter: Waiter | null = null;

  constructor(
    private readonly setTimer: (callback: () => void, delayMs: number) => number = (
      callback,
      delayMs,
    ) => window.setTimeout(callback, delayMs),
    private readonly clearTimer: (handle: number) => void = (handle) => {
      window.clearTimeout(handle);
    },
  ) {}

  push(sample: GazeSample): void {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      this.clearTimer(waiter.timer);
      waiter.resolve(sample);
      return;
    }
    this.unclaimed.push(sample);
    if (this.unclaimed.length > MAX_WAITING_FRAMES) this.unclaimed.shift();
  }

  /**
   * The oldest sample no call got yet; else the next one (null when none comes within
   * NEXT_FRAME_WAIT_MS, or at once when another call already waits for it: that frame is
   * promised, and giving it twice would record it twice).
   */
  next(): Promise<GazeSample | null> {
    const oldest = this.unclaimed.shift();
    if (oldest !== undefined) return Promise.resolve(oldest);
    if (this.waiter !== null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = this.setTimer(() => {
        this.waiter = null;
        resolve(null);
      }, NEXT_FRAME_WAIT_MS);
      this.waiter = { resolve, timer };
    });
  }

  /** Forget the samples (at the end of a session). */
  reset(): void {
    this.unclaimed.length = 0;
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter !== null) {
      this.clearTimer(waiter.timer);
      waiter.resolve(null);
    }
  }
}
