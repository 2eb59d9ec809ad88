import { describe, expect, it } from 'vitest';
import type { EyeObservation } from 'gazertc-client/protocol';
import {
  CLOSED_HOLD_MS,
  GestureDetector,
  MAX_SAMPLE_GAP_MS,
  type GestureEvent,
  type GestureSample,
} from '../../src/gesture/gesture';

const FRAME_MS = 40;

function eye(side: 'right' | 'left', isOpen: boolean): EyeObservation {
  return {
    side,
    centre_px: isOpen ? [100, 100] : null,
    iris_radius_px: isOpen ? 5 : null,
    confidence: isOpen ? 0.9 : 0,
    openness: isOpen ? 0.3 : 0.05,
    is_open: isOpen,
    inner_corner_px: [110, 100],
    outer_corner_px: [90, 100],
    gaze_yaw_deg: null,
    gaze_pitch_deg: null,
  };
}

const OPEN: GestureSample = {
  face_found: true,
  right_eye: eye('right', true),
  left_eye: eye('left', true),
};
const CLOSED: GestureSample = {
  face_found: true,
  right_eye: eye('right', false),
  left_eye: eye('left', false),
};
const ONE_CLOSED: GestureSample = { ...OPEN, left_eye: eye('left', false) };
const NO_FACE: GestureSample = { face_found: false, right_eye: null, left_eye: null };

/** Feed `samples` one frame apart from `startMs`; the times at which the gesture fired. */
function feed(
  detector: GestureDetector,
  samples: readonly GestureSample[],
  startMs = 0,
  frameMs = FRAME_MS,
): number[] {
  const fired: number[] = [];
  samples.forEach((sample, index) => {
    const timeMs = startMs + index * frameMs;
    const event: GestureEvent | null = detector.update(sample, timeMs);
    if (event === 'toggle-pause') fired.push(timeMs);
  });
  return fired;
}

function repeat(sample: GestureSample, count: number): GestureSample[] {
  return Array.from({ length: count }, () => sample);
}

describe('GestureDetector', () => {
  it('fires once when both eyes stay closed for the hold', () => {
    const samples = [...repeat(OPEN, 10), ...repeat(CLOSED, 40), ...repeat(OPEN, 10)];
    // The closure starts at frame 10 (400 ms) and fires the first frame it has lasted the hold.
    expect(feed(new GestureDetector(), samples)).toEqual([400 + CLOSED_HOLD_MS]);
  });

  it('does not fire on normal blinks, even many in a row', () => {
    const blink = [...repeat(OPEN, 20), ...repeat(CLOSED, 8)]; // 280 ms closures
    expect(feed(new GestureDetector(), Array.from({ length: 20 }, () => blink).flat())).toEqual([]);
  });

  it('does not fire on a slow blink just shorter than the hold', () => {
    const closedFrames = CLOSED_HOLD_MS / FRAME_MS; // first to last frame: one frame short
    const samples = [...repeat(OPEN, 5), ...repeat(CLOSED, closedFrames), ...repeat(OPEN, 5)];
    expect(feed(new GestureDetector(), samples)).toEqual([]);
  });

  it('does not fire again while the eyes are held closed, and fires again after they open', () => {
    const detector = new GestureDetector();
    expect(feed(detector, repeat(CLOSED, 200))).toHaveLength(1); // 8 s held
    // Losing the face while still closed does not re-arm it either.
    expect(feed(detector, [...repeat(NO_FACE, 3), ...repeat(CLOSED, 60)], 8000)).toEqual([]);
    const again = feed(detector, [...repeat(OPEN, 3), ...repeat(CLOSED, 30)], 20_000);
    expect(again).toEqual([20_000 + 3 * FRAME_MS + CLOSED_HOLD_MS]);
  });

  it('needs both eyes closed and a face', () => {
    expect(feed(new GestureDetector(), repeat(ONE_CLOSED, 60))).toEqual([]);
    expect(feed(new GestureDetector(), repeat(NO_FACE, 60))).toEqual([]);
    const oneEyeUnseen: GestureSample = { ...CLOSED, left_eye: null };
    expect(feed(new GestureDetector(), repeat(oneEyeUnseen, 60))).toEqual([]);
  });

  it('an open frame in the middle breaks the closure', () => {
    const half = repeat(CLOSED, CLOSED_HOLD_MS / FRAME_MS / 2 + 2);
    expect(feed(new GestureDetector(), [...half, OPEN, ...half])).toEqual([]);
  });

  it('a gap in the samples breaks the closure: nothing is known of the eyes meanwhile', () => {
    const detector = new GestureDetector();
    const afterGapMs = MAX_SAMPLE_GAP_MS + 100;
    expect(detector.update(CLOSED, 0)).toBeNull();
    // Closed since 0 would have lasted the hold here; the closure restarted after the gap.
    expect(detector.update(CLOSED, afterGapMs)).toBeNull();
    expect(detector.update(CLOSED, CLOSED_HOLD_MS)).toBeNull();
    expect(detector.update(CLOSED, afterGapMs + CLOSED_HOLD_MS / 2)).toBeNull();
    expect(detector.update(CLOSED, afterGapMs + CLOSED_HOLD_MS)).toBe('toggle-pause');
  });

  it('fires with samples as sparse as a busy server sends them', () => {
    expect(feed(new GestureDetector(), [...repeat(OPEN, 2), ...repeat(CLOSED, 6)], 0, 250)).toEqual(
      [500 + CLOSED_HOLD_MS],
    );
  });

  it('reset forgets a closure in progress', () => {
    const detector = new GestureDetector();
    feed(detector, repeat(CLOSED, 20));
    detector.reset();
    expect(feed(detector, repeat(CLOSED, 20), 800)).toEqual([]);
  });
});
