import { describe, expect, it } from 'vitest';
import {
  clampRange,
  rangeBetweenEvents,
  sampleIndexAt,
  sampleIndexRange,
  spansStartingIn,
} from '../../src/recordings/timeRange';

const TIMES = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
const EVENTS = [
  { t_s: 1.5, name: 'stimulus_onset' },
  { t_s: 4.25, name: 'response' },
  { t_s: 3, name: 'late_mark' },
];

describe('time ranges', () => {
  it('holds the samples with time in [from, to], both ends included', () => {
    expect(sampleIndexRange(TIMES, { fromS: 0.1, toS: 0.3 })).toEqual({ start: 1, end: 4 });
    expect(sampleIndexRange(TIMES, { fromS: 0.15, toS: 0.25 })).toEqual({ start: 2, end: 3 });
    expect(sampleIndexRange(TIMES, { fromS: 0, toS: 9 })).toEqual({ start: 0, end: 6 });
    expect(sampleIndexRange(TIMES, { fromS: 0.31, toS: 0.39 })).toEqual({ start: 4, end: 4 });
    expect(sampleIndexRange([], { fromS: 0, toS: 1 })).toEqual({ start: 0, end: 0 });
  });

  it('finds the newest sample at a time', () => {
    expect(sampleIndexAt(TIMES, 0.25)).toBe(2);
    expect(sampleIndexAt(TIMES, 0.3)).toBe(3);
    expect(sampleIndexAt(TIMES, 7)).toBe(5);
    expect(sampleIndexAt(TIMES, -1)).toBeNull();
  });

  it('runs between two events, in either order, or to the start and end', () => {
    expect(rangeBetweenEvents(EVENTS, 0, 1, 10)).toEqual({ fromS: 1.5, toS: 4.25 });
    expect(rangeBetweenEvents(EVENTS, 1, 2, 10)).toEqual({ fromS: 3, toS: 4.25 });
    expect(rangeBetweenEvents(EVENTS, null, 0, 10)).toEqual({ fromS: 0, toS: 1.5 });
    expect(rangeBetweenEvents(EVENTS, 2, null, 10)).toEqual({ fromS: 3, toS: 10 });
  });

  it('takes the fixations that start in the range', () => {
    const spans = [
      { start_s: 0.9, end_s: 1.6 },
      { start_s: 1.5, end_s: 2 },
      { start_s: 4.25, end_s: 5 },
      { start_s: 4.3, end_s: 5 },
    ];
    expect(spansStartingIn(spans, { fromS: 1.5, toS: 4.25 })).toEqual([spans[1], spans[2]]);
  });

  it('orders and bounds a typed range', () => {
    expect(clampRange({ fromS: 8, toS: 2 }, 5)).toEqual({ fromS: 2, toS: 5 });
    expect(clampRange({ fromS: Number.NaN, toS: -1 }, 5)).toEqual({ fromS: 0, toS: 0 });
    expect(clampRange({ fromS: 1, toS: Number.NaN }, 5)).toEqual({ fromS: 1, toS: 5 });
  });
});
