// Time ranges of a replay: the samples and fixations in [fromS, toS] (the rule the HTML report
// shares: a fixation belongs to the range its start falls in), the range between two events,
// and the sample shown at a time.

import type { ReplayEvent, TimeSpan } from './types';

export interface TimeRange {
  fromS: number;
  toS: number;
}

/** The first index of ascending `timesS` whose time is past `timeS` (>= when not `strictly`). */
function firstIndexFrom(timesS: readonly number[], timeS: number, strictly: boolean): number {
  let low = 0;
  let high = timesS.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const value = timesS[middle] ?? Infinity;
    if (strictly ? value <= timeS : value < timeS) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The index range [start, end) of the samples with time in [fromS, toS]. */
export function sampleIndexRange(
  timesS: readonly number[],
  range: TimeRange,
): { start: number; end: number } {
  const start = firstIndexFrom(timesS, range.fromS, false);
  return { start, end: Math.max(start, firstIndexFrom(timesS, range.toS, true)) };
}

/** The newest sample at or before `timeS`, or null before the first. */
export function sampleIndexAt(timesS: readonly number[], timeS: number): number | null {
  const index = firstIndexFrom(timesS, timeS, true) - 1;
  return index >= 0 ? index : null;
}

/** The spans (fixations, blinks...) starting within `range`. */
export function spansStartingIn<T extends TimeSpan>(spans: readonly T[], range: TimeRange): T[] {
  return spans.filter((span) => span.start_s >= range.fromS && span.start_s <= range.toS);
}

/**
 * The range between the events at indexes `first` and `second` of `events` (either order);
 * null marks the recording's start (as first) or end (as second).
 */
export function rangeBetweenEvents(
  events: readonly ReplayEvent[],
  first: number | null,
  second: number | null,
  durationS: number,
): TimeRange {
  const from = first === null ? 0 : (events[first]?.t_s ?? 0);
  const to = second === null ? durationS : (events[second]?.t_s ?? durationS);
  return { fromS: Math.min(from, to), toS: Math.max(from, to) };
}

/** `range` within [0, durationS], ordered; non-numbers fall back to the whole recording. */
export function clampRange(range: TimeRange, durationS: number): TimeRange {
  const clamp = (value: number, fallback: number): number =>
    Number.isFinite(value) ? Math.min(durationS, Math.max(0, value)) : fallback;
  const from = clamp(range.fromS, 0);
  const to = clamp(range.toS, durationS);
  return { fromS: Math.min(from, to), toS: Math.max(from, to) };
}
