// A calibration started by a look (from the board) must also end without hands: the board marks
// it here, and the calibrate page then returns to the board after a usable fit, or tries again
// after a poor one, by itself. sessionStorage: the mark belongs to this tab only.

import type { KeyValueStorage } from './storage';

const KEY = 'gazertc.calibration.hands-free.v1';

/**
 * Poor fits in a row that are retried by themselves; then a person must help (the advice on the
 * page says what to change): retrying for ever with the same light and posture changes nothing.
 */
export const MAX_AUTOMATIC_RETRIES = 2;
/** Long enough to read the verdict and to press Stay or Cancel, short enough to wait for. */
export const FOLLOW_UP_DELAY_MS = 8000;

export type FollowUp = 'return' | 'retry' | 'ask-for-help';

/** Mark a calibration as started by a look; `retries`: poor fits retried so far. */
export function markHandsFree(storage: KeyValueStorage | null, retries = 0): void {
  try {
    storage?.setItem(KEY, String(retries));
  } catch {
    // Storage refused: the page then simply waits for a click, as before.
  }
}

/** Poor fits retried so far, or null when this calibration was not started by a look. */
export function handsFreeRetries(storage: KeyValueStorage | null): number | null {
  let text: string | null;
  try {
    text = storage?.getItem(KEY) ?? null;
  } catch {
    return null;
  }
  // Only what markHandsFree writes: a small decimal count.
  return text !== null && /^\d{1,3}$/.test(text) ? Number(text) : null;
}

export function clearHandsFree(storage: KeyValueStorage | null): void {
  try {
    storage?.removeItem(KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}

/** What follows a fit: back to the board when it is in use, else retry while retries are left. */
export function followUp(applied: boolean, retries: number): FollowUp {
  if (applied) return 'return';
  return retries < MAX_AUTOMATIC_RETRIES ? 'retry' : 'ask-for-help';
}

/** This tab's sessionStorage, or null where the browser refuses it. */
export function tabStorage(): KeyValueStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
