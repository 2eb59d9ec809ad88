// What the timeline draws, bounded whatever the recording's length: bands closer than a drawing
// unit merge (100000 saccades become at most a band per unit), and an event's name is written
// only where it has room after the previous one (every event keeps its tick).

import type { ReplayEvent, TimeSpan } from './types';

/** Room (drawing units) an event's name needs before the next name is written. */
export const EVENT_LABEL_ROOM = 90;

export interface Band {
  x: number;
  width: number;
}

export interface EventMark {
  x: number;
  /** The event's name, always shown on hover. */
  name: string;
  /** The name written on the timeline, or null where the previous one leaves it no room. */
  label: string | null;
}

/** Place on a timeline `width` units wide (after `left`) of a time in [0, durationS]. */
export function timelineX(timeS: number, durationS: number, left: number, width: number): number {
  const clamped = Math.min(durationS, Math.max(0, timeS));
  return left + (durationS > 0 ? (clamped / durationS) * width : 0);
}

/** `spans` (in time order) as bands at least a unit wide, merged where they would touch. */
export function timelineBands(
  spans: readonly TimeSpan[],
  durationS: number,
  left: number,
  width: number,
): Band[] {
  const bands: Band[] = [];
  for (const span of spans) {
    const x = timelineX(span.start_s, durationS, left, width);
    const end = Math.max(x + 1, timelineX(span.end_s, durationS, left, width));
    const last = bands.at(-1);
    if (last !== undefined && x <= last.x + last.width + 1) {
      last.width = Math.max(last.width, end - last.x);
    } else {
      bands.push({ x, width: end - x });
    }
  }
  return bands;
}

/** Each event's tick, and its name where there is room for it. */
export function eventMarks(
  events: readonly ReplayEvent[],
  durationS: number,
  left: number,
  width: number,
): EventMark[] {
  let lastLabelX = -Infinity;
  return events.map((event) => {
    const x = timelineX(event.t_s, durationS, left, width);
    if (x - lastLabelX < EVENT_LABEL_ROOM) return { x, name: event.name, label: null };
    lastLabelX = x;
    return { x, name: event.name, label: event.name };
  });
}
