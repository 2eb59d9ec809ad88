import { describe, expect, it } from 'vitest';
import { CLOCK_ESTIMATES_KEPT, ServerClock } from '../../src/client/clock';

describe('ServerClock', () => {
  it('takes the clocks as equal until a ping has been answered', () => {
    const clock = new ServerClock(1_000_000);
    expect(clock.offsetMs).toBeNull();
    expect(clock.serverUnixNsAt(250)).toBe(1_000_250 * 1e6);
  });

  it('uses the offset of the least-delayed recent round trip, both ways', () => {
    const clock = new ServerClock(1_000_000);
    clock.add({ roundTripMs: 30, serverClockOffsetMs: 12 });
    clock.add({ roundTripMs: 4, serverClockOffsetMs: -7.5 });
    clock.add({ roundTripMs: 50, serverClockOffsetMs: 40 });
    expect(clock.offsetMs).toBe(-7.5);
    const ns = clock.serverUnixNsAt(100);
    expect(ns).toBe((1_000_000 + 100 - 7.5) * 1e6);
    expect(clock.pageMsAt(ns)).toBeCloseTo(100, 6);
  });

  it('forgets old estimates and starts afresh on reset', () => {
    const clock = new ServerClock(0);
    clock.add({ roundTripMs: 1, serverClockOffsetMs: 99 });
    for (let i = 0; i < CLOCK_ESTIMATES_KEPT; i += 1) {
      clock.add({ roundTripMs: 10, serverClockOffsetMs: 5 });
    }
    expect(clock.offsetMs).toBe(5);
    clock.reset();
    expect(clock.offsetMs).toBeNull();
  });
});
