import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ReconnectingSession,
  backoffDelayMs,
  type BackoffPolicy,
  type Link,
} from '../../src/rtc/reconnect';
import { SignallingError } from '../../src/rtc/signalling';

const POLICY: BackoffPolicy = { baseMs: 500, maxMs: 10_000, jitter: 0 };

describe('backoffDelayMs', () => {
  it('doubles from the base up to the limit', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((failures) => backoffDelayMs(failures, POLICY))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
  });

  it('spreads by the jitter fraction, never past the limit', () => {
    const policy = { ...POLICY, jitter: 0.2 };
    expect(backoffDelayMs(2, policy, () => 0)).toBe(800);
    expect(backoffDelayMs(2, policy, () => 1)).toBe(1200);
    expect(backoffDelayMs(9, policy, () => 1)).toBe(10_000);
  });
});

/** A link whose end the test decides. */
class TestLink implements Link {
  closed = false;
  constructor(readonly end: (reason: string) => void) {}
  close(): void {
    this.closed = true;
  }
}

type Outcome = 'open' | Error;

/** Scripted attempts: each call of open() takes the next outcome. */
function scriptedOpen(outcomes: Outcome[]) {
  const links: TestLink[] = [];
  const signals: AbortSignal[] = [];
  const open = vi.fn(async (signal: AbortSignal, onClosed: (reason: string) => void) => {
    signals.push(signal);
    await Promise.resolve();
    const outcome = outcomes.shift() ?? new Error('no more outcomes');
    if (outcome instanceof Error) throw outcome;
    const link = new TestLink(onClosed);
    links.push(link);
    return link;
  });
  return { open, links, signals };
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    events: {
      onAttempt: () => log.push('attempt'),
      onOpen: () => log.push('open'),
      onLost: (problem: string, retryAtMs: number) =>
        log.push(`lost ${problem} +${retryAtMs - Date.now()}`),
      onFailed: (problem: string) => log.push(`failed ${problem}`),
    },
  };
}

describe('ReconnectingSession', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries with back-off until an attempt opens', async () => {
    const { open, links } = scriptedOpen([new Error('down'), new Error('down'), 'open']);
    const { log, events } = recorder();
    const session = new ReconnectingSession(open, events, POLICY);
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['attempt', 'lost down +500']);
    await vi.advanceTimersByTimeAsync(499);
    expect(open).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(log.slice(2)).toEqual(['attempt', 'lost down +1000']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(log.slice(4)).toEqual(['attempt', 'open']);
    expect(session.current).toBe(links[0]);
  });

  it('reconnects when an open link ends, and back-off restarts once healthy', async () => {
    const { open, links } = scriptedOpen([new Error('down'), 'open', 'open']);
    const { log, events } = recorder();
    const session = new ReconnectingSession(open, events, POLICY);
    session.start();
    await vi.advanceTimersByTimeAsync(500);
    expect(log).toEqual(['attempt', 'lost down +500', 'attempt', 'open']);
    session.markHealthy();
    links[0]?.end('The server closed the session.');
    expect(session.current).toBeNull();
    expect(log.at(-1)).toBe('lost The server closed the session. +500');
    await vi.advanceTimersByTimeAsync(500);
    expect(log.at(-1)).toBe('open');
    expect(session.current).toBe(links[1]);
  });

  it('waits at least as long as the server asks', async () => {
    const busy = new SignallingError('busy', 'too_many_sessions', true, 10_000);
    const { open } = scriptedOpen([busy, 'open']);
    const { log, events } = recorder();
    new ReconnectingSession(open, events, POLICY).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['attempt', 'lost busy +10000']);
    await vi.advanceTimersByTimeAsync(9999);
    expect(open).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(open).toHaveBeenCalledTimes(2);
  });

  it('gives up on a refusal that a retry cannot fix', async () => {
    const refused = new SignallingError('the offer has no video', 'invalid_sdp', false);
    const { open } = scriptedOpen([refused, 'open']);
    const { log, events } = recorder();
    new ReconnectingSession(open, events, POLICY).start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).toEqual(['attempt', 'failed the offer has no video']);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('retryNow skips the wait', async () => {
    const { open } = scriptedOpen([new Error('down'), 'open']);
    const { log, events } = recorder();
    const session = new ReconnectingSession(open, events, POLICY);
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    session.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['attempt', 'lost down +500', 'attempt', 'open']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(open).toHaveBeenCalledTimes(2);
  });

  it('stop closes the link, cancels the retry and ignores late endings', async () => {
    const { open, links } = scriptedOpen(['open']);
    const { log, events } = recorder();
    const session = new ReconnectingSession(open, events, POLICY);
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    session.stop();
    expect(links[0]?.closed).toBe(true);
    links[0]?.end('late');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).toEqual(['attempt', 'open']);
    session.stop();
  });

  it('stop aborts an attempt in progress and closes what it opens anyway', async () => {
    const { open, links, signals } = scriptedOpen(['open']);
    const { log, events } = recorder();
    const session = new ReconnectingSession(open, events, POLICY);
    session.start();
    session.stop();
    expect(signals[0]?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(links[0]?.closed).toBe(true);
    expect(session.current).toBeNull();
    expect(log).toEqual(['attempt']);
  });
});
