import { describe, expect, it } from 'vitest';
import {
  EVENT_LABEL_ROOM,
  eventMarks,
  timelineBands,
  timelineX,
} from '../../src/recordings/timeline';

describe('the timeline', () => {
  it('places times along its width, within the recording', () => {
    expect(timelineX(5, 10, 100, 900)).toBe(550);
    expect(timelineX(-1, 10, 100, 900)).toBe(100);
    expect(timelineX(99, 10, 100, 900)).toBe(1000);
    expect(timelineX(3, 0, 100, 900)).toBe(100);
  });

  it('draws each span as a band at least a unit wide, merging those that touch', () => {
    const bands = timelineBands(
      [
        { start_s: 0, end_s: 1 },
        { start_s: 1.001, end_s: 2 },
        { start_s: 5, end_s: 5 },
      ],
      10,
      0,
      1000,
    );
    expect(bands).toEqual([
      { x: 0, width: 200 },
      { x: 500, width: 1 },
    ]);
  });

  it('bounds the bands of a long recording by its width', () => {
    const spans = Array.from({ length: 100_000 }, (_, i) => ({
      start_s: i * 0.01,
      end_s: i * 0.01 + 0.004,
    }));
    expect(timelineBands(spans, 1000, 0, 1000).length).toBeLessThanOrEqual(1000);
  });

  it('keeps every event’s tick, and names them where there is room', () => {
    const marks = eventMarks(
      [
        { t_s: 1, name: 'a' },
        { t_s: 1.2, name: 'b' },
        { t_s: 5, name: 'c' },
      ],
      10,
      0,
      1000,
    );
    expect(marks.map((mark) => mark.x)).toEqual([100, 120, 500]);
    expect(marks.map((mark) => mark.label)).toEqual(['a', null, 'c']);
    expect(marks.map((mark) => mark.name)).toEqual(['a', 'b', 'c']);
    expect(500 - 100).toBeGreaterThan(EVENT_LABEL_ROOM);
  });
});
