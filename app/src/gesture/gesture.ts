// A hands-free pause/resume gesture for people who can move only their eyes: both eyes closed
// for a second. Pure: feed it each sample and its time, it says when the gesture happened.
//
// The gesture and its hold were chosen by measurement (bench/gestures.py, `python -m bench
// gestures`): over 4.4 min of the three real videos in ../shared/data/videos (people talking and
// blinking, making no gesture), "both lids closed" never fired by accident at any hold from 0.5 s
// up, while "blink state" closures fired at every hold up to 2 s and "looked away" at every hold.
// Few people, so a small sample; how reliably a deliberate closure fires was not measured.

import type { EyeObservation, SampleMessage } from 'gazertc-client/protocol';

export type GestureEvent = 'toggle-pause';

/** What the detector reads of a sample. */
export type GestureSample = Pick<SampleMessage, 'face_found' | 'right_eye' | 'left_eye'>;

/**
 * How long both eyes must stay closed. The bench's shortest hold with no false trigger is 0.5 s
 * (longest accidental closure 0.25 s with today's tracker, 0.46 s with the tracker before its
 * landmark box was held): 1 s keeps a margin for slow blinks of people not in those clips.
 */
export const CLOSED_HOLD_MS = 1000;

/**
 * Samples further apart than this break a closure: nothing is known of the eyes in between. A busy
 * server drops frames (4 samples/s were seen on a loaded two-core machine), so allow 500 ms.
 */
export const MAX_SAMPLE_GAP_MS = 500;

function isClosed(eye: EyeObservation | null): boolean {
  return eye !== null && !eye.is_open;
}

/** Both eyes seen, both closed (the measured "both lids" condition). */
export function bothEyesClosed(sample: GestureSample): boolean {
  return sample.face_found && isClosed(sample.right_eye) && isClosed(sample.left_eye);
}

/** At least one eye seen open: the person has opened their eyes again. */
function eyesOpened(sample: GestureSample): boolean {
  return (
    sample.face_found && (sample.right_eye?.is_open === true || sample.left_eye?.is_open === true)
  );
}

export class GestureDetector {
  /** When the current closure began (ms), null while the eyes are not closed. */
  private closedSinceMs: number | null = null;
  private lastSampleMs: number | null = null;
  /** The gesture fired and the eyes have not been seen open since: holding it does not repeat it. */
  private firedThisClosure = false;

  /** Feed one sample and its time in ms (the sample's capture time); returns the gesture, if any. */
  update(sample: GestureSample, timeMs: number): GestureEvent | null {
    const gap = this.lastSampleMs === null ? 0 : timeMs - this.lastSampleMs;
    this.lastSampleMs = timeMs;
    if (eyesOpened(sample)) this.firedThisClosure = false;
    if (!bothEyesClosed(sample) || gap < 0 || gap > MAX_SAMPLE_GAP_MS) {
      // A gap or a clock going back starts a new closure at this sample, if it is one.
      this.closedSinceMs = bothEyesClosed(sample) ? timeMs : null;
      return null;
    }
    this.closedSinceMs ??= timeMs;
    if (this.firedThisClosure || timeMs - this.closedSinceMs < CLOSED_HOLD_MS) return null;
    this.firedThisClosure = true;
    return 'toggle-pause';
  }

  /** Forget any closure in progress (e.g. the session restarted). */
  reset(): void {
    this.closedSinceMs = null;
    this.lastSampleMs = null;
    this.firedThisClosure = false;
  }
}
