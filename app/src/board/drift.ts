// The drift-correction feed: every target chosen by a look is a moment when we know where the user
// looked (the target's centre), which the server uses to correct a calibration that has drifted.
// Building the messages and describing the server's drift_status; pure.

import {
  PROTOCOL_VERSION,
  type DriftResetMessage,
  type DriftStatusMessage,
  type DwellConfirmedMessage,
} from 'gazertc-client/protocol';
import type { ScreenPoint } from './snapping';

/** The protocol refuses a dwell longer than this (and no dwell of ours lasts so long). */
export const MAX_DWELL_WINDOW_MS = 30_000;

export interface DwellSelection {
  /** The chosen target's centre, in screen CSS px (the viewport: the calibration's space). */
  centre: ScreenPoint;
  /** When the look at the target began and when it triggered, on `performance.now()`'s clock. */
  startMs: number;
  endMs: number;
}

export interface PageClock {
  /** The server's clock minus the page's (ms), from ping/pong; null before the first estimate. */
  serverClockOffsetMs: number | null;
  /** `performance.timeOrigin`: the Unix time (ms) of `performance.now() === 0`. */
  timeOriginMs: number;
}

/** A page time (`performance.now()` ms) as an integer Unix time in ns on the server's clock. */
export function pageMsToServerUnixNs(
  pageMs: number,
  offsetMs: number,
  timeOriginMs: number,
): number {
  return Math.max(0, Math.round((timeOriginMs + pageMs + offsetMs) * 1e6));
}

/**
 * The dwell_confirmed message for `selection`, or null when it cannot be stated: no clock
 * estimate yet (the times would be on the wrong clock), or values out of range.
 */
export function dwellConfirmedMessage(
  selection: DwellSelection,
  clock: PageClock,
): DwellConfirmedMessage | null {
  const { centre, startMs, endMs } = selection;
  const offsetMs = clock.serverClockOffsetMs;
  if (offsetMs === null || !Number.isFinite(offsetMs)) return null;
  if (![centre.xPx, centre.yPx, startMs, endMs, clock.timeOriginMs].every(Number.isFinite)) {
    return null;
  }
  if (endMs < startMs || endMs - startMs > MAX_DWELL_WINDOW_MS) return null;
  return {
    v: PROTOCOL_VERSION,
    type: 'dwell_confirmed',
    x_px: centre.xPx,
    y_px: centre.yPx,
    start_unix_ns: pageMsToServerUnixNs(startMs, offsetMs, clock.timeOriginMs),
    end_unix_ns: pageMsToServerUnixNs(endMs, offsetMs, clock.timeOriginMs),
  };
}

export function driftResetMessage(): DriftResetMessage {
  return { v: PROTOCOL_VERSION, type: 'drift_reset' };
}

/** "12 px left" for a component, or null when it rounds to nothing. */
function component(valuePx: number, negative: string, positive: string): string | null {
  const rounded = Math.round(valuePx);
  if (rounded === 0) return null;
  return `${Math.abs(rounded)} px ${rounded < 0 ? negative : positive}`;
}

/** The drift correction in words: "Correcting 12 px right, 4 px up (0.3°), from 3 looks." */
export function describeDrift(status: DriftStatusMessage): string {
  const parts = [
    component(status.offset_x_px, 'left', 'right'),
    component(status.offset_y_px, 'up', 'down'),
  ].filter((part) => part !== null);
  const degrees = status.offset_deg === null ? '' : ` (${status.offset_deg.toFixed(1)}°)`;
  const offset = parts.length === 0 ? 'No correction' : `Correcting ${parts.join(', ')}${degrees}`;
  const looks = status.confirmations_used === 1 ? 'look' : 'looks';
  return `${offset}, from ${status.confirmations_used} ${looks}.`;
}

/** What the last confirmation did, in words (the server's reason for a rejection). */
export function describeLastConfirmation(status: DriftStatusMessage): string {
  switch (status.last) {
    case 'accepted':
      return 'The last choice was used.';
    case 'rejected':
      return `The last choice was not used: ${status.reason}`;
    case 'reset':
      return 'The correction was reset.';
    case 'cleared':
      return 'A new calibration replaced the correction.';
  }
}
