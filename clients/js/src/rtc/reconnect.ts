// Keeps a session with the server alive: when an attempt fails or an open session ends, it tries
// again after an exponential back-off, until stopped or refused for good.

import { SignallingError } from './signalling';

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** Upper bound of the delay. */
  maxMs: number;
  /** Random spread, as a fraction of the delay (0.2: +-20 %), so clients do not retry in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 10_000, jitter: 0.2 };

/** The delay before the next attempt after `failures` consecutive failures (1 or more). */
export function backoffDelayMs(
  failures: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failures - 1);
  const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(policy.maxMs, delay * spread));
}

/** What a running connection must offer the session. */
export interface Link {
  close(): void;
}

/**
 * Opens one link. Must reject (or resolve, then call `onClosed`) when the link fails; `onClosed`
 * must not be called after `close()`.
 */
export type OpenLink<L extends Link> = (
  signal: AbortSignal,
  onClosed: (reason: string) => void,
) => Promise<L>;

export interface SessionEvents<L extends Link> {
  /** An attempt starts. */
  onAttempt(): void;
  onOpen(link: L): void;
  /** The attempt failed or the link ended; the next attempt starts at `retryAtMs` (`Date.now()`). */
  onLost(problem: string, retryAtMs: number): void;
  /** Refused in a way that retrying cannot fix; the session has stopped. */
  onFailed(problem: string): void;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ReconnectingSession<L extends Link> {
  private stopped = false;
  private failures = 0;
  private link: L | null = null;
  private attemptAbort: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly open: OpenLink<L>,
    private readonly events: SessionEvents<L>,
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The open link, if any. */
  get current(): L | null {
    return this.link;
  }

  start(): void {
    if (this.stopped || this.attemptAbort !== null || this.link !== null) return;
    void this.attempt();
  }

  /** The link works (samples arrive): the next failure starts the back-off from the beginning. */
  markHealthy(): void {
    this.failures = 0;
  }

  /** Skip the wait of a scheduled retry. */
  retryNow(): void {
    if (this.stopped || this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    void this.attempt();
  }

  /** Stop for good: abort an attempt in progress, close the link, cancel a retry. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attemptAbort?.abort();
    this.attemptAbort = null;
    this.link?.close();
    this.link = null;
  }

  private async attempt(): Promise<void> {
    const abort = new AbortController();
    this.attemptAbort = abort;
    this.events.onAttempt();
    let link: L;
    try {
      link = await this.open(abort.signal, (reason) => {
        if (this.link === link) {
          this.link = null;
          this.scheduleRetry(reason, null);
        }
      });
    } catch (error) {
      if (abort.signal.aborted || this.stopped) return;
      this.attemptAbort = null;
      if (error instanceof SignallingError && !error.retryable) {
        this.stopped = true;
        this.events.onFailed(error.message);
        return;
      }
      this.scheduleRetry(
        describe(error),
        error instanceof SignallingError ? error.retryAfterMs : null,
      );
      return;
    }
    this.attemptAbort = null;
    if (this.stopped) {
      link.close();
      return;
    }
    this.link = link;
    this.events.onOpen(link);
  }

  private scheduleRetry(problem: string, retryAfterMs: number | null): void {
    if (this.stopped) return;
    this.failures += 1;
    const delayMs = Math.max(
      backoffDelayMs(this.failures, this.policy, this.random),
      retryAfterMs ?? 0,
    );
    this.events.onLost(problem, Date.now() + delayMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.attempt();
    }, delayMs);
  }
}
