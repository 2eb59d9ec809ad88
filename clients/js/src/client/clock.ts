// The server's clock seen from the page: the offset from the least-delayed recent ping/pong, and
// conversions between the page's performance.now() milliseconds and the server's Unix ns.

import type { ClockEstimate } from '../protocol';

/** Keep the estimate with the shortest round trip among this many recent ones. */
export const CLOCK_ESTIMATES_KEPT = 10;

export class ServerClock {
  private estimates: ClockEstimate[] = [];

  /** `timeOriginMs`: the Unix time (ms) of the page's performance.now() === 0. */
  constructor(private readonly timeOriginMs: number = performance.timeOrigin) {}

  add(estimate: ClockEstimate): void {
    this.estimates = [...this.estimates.slice(1 - CLOCK_ESTIMATES_KEPT), estimate];
  }

  /** A new session: its pings start afresh. */
  reset(): void {
    this.estimates = [];
  }

  /** Server clock minus the page's (ms), from the least-delayed estimate; null before any. */
  get offsetMs(): number | null {
    let best: ClockEstimate | null = null;
    for (const estimate of this.estimates) {
      if (best === null || estimate.roundTripMs < best.roundTripMs) best = estimate;
    }
    return best?.serverClockOffsetMs ?? null;
  }

  /** Page ms -> server Unix ns (float); without an estimate the clocks are taken as equal. */
  serverUnixNsAt(pageMs: number): number {
    return (this.timeOriginMs + pageMs + (this.offsetMs ?? 0)) * 1e6;
  }

  /** Server Unix ns -> page ms. */
  pageMsAt(serverUnixNs: number): number {
    return serverUnixNs / 1e6 - (this.offsetMs ?? 0) - this.timeOriginMs;
  }
}
