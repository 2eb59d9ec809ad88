// A calibration made after the fact from recordScreenPosition calls. The server's procedure
// declares its targets up front (calibration_start, then target_shown/target_done per target,
// calibration_end); a WebGazer page only says where the user looked, while it happens. So the
// calls are collected into visits (targets.ts) and, once they pause, sent as one procedure whose
// target_shown/target_done carry the visits' past times (the server keeps a short history of
// samples and uses those of each interval). A fit the server judges poor is accepted at once
// (calibration_accept): WebGazer has no verdict, so its pages expect predictions after calibrating.

import type { ClientMessage, ServerMessage } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import type {
  CalibrationResultMessage,
  CalibrationStartMessage,
  TargetDoneMessage,
  TargetShownMessage,
} from '../protocol/types.gen';
import {
  distinctPositions,
  MIN_DISTINCT_POSITIONS,
  VisitCollector,
  type TargetVisit,
} from './targets';

/**
 * Send when the calls have paused this long: longer than the 1 s jsPsych's calibrate plugin
 * waits between points by default (time_to_saccade), so one procedure goes out once.
 */
export const FLUSH_IDLE_MS = 1500;
/** The messages a recorded calibration sends: errors about others (a saved model's load) are not its. */
const SENT_TYPES: ReadonlySet<string> = new Set([
  'calibration_start',
  'target_shown',
  'target_done',
  'calibration_end',
  'calibration_accept',
]);
/** The server fits in milliseconds; no answer in this long means the message was lost. */
export const RESULT_TIMEOUT_MS = 10_000;

/** A point in the coordinates the session's calibration uses, from a viewport point. */
export type ToCalibrationPoint = (point: { xPx: number; yPx: number }) => {
  xPx: number;
  yPx: number;
};

/**
 * The messages of one calibration made from `visits`: calibration_start with one target per
 * visit (ids 0..n-1), then target_shown (shown_unix_ns) and target_done (done_unix_ns) for
 * each, then calibration_end. Times go through `serverUnixNsAt` (page ms -> server Unix ns).
 */
export function messagesForVisits(
  visits: readonly TargetVisit[],
  serverUnixNsAt: (pageMs: number) => number,
  toCalibrationPoint: ToCalibrationPoint = (point) => point,
): ClientMessage[] {
  const start: CalibrationStartMessage = {
    v: PROTOCOL_VERSION,
    type: 'calibration_start',
    targets: visits.map((visit, id) => {
      const point = toCalibrationPoint(visit);
      return { id, x_px: point.xPx, y_px: point.yPx };
    }),
  };
  const perTarget = visits.flatMap((visit, id): ClientMessage[] => {
    const shown: TargetShownMessage = {
      v: PROTOCOL_VERSION,
      type: 'target_shown',
      target_id: id,
      shown_unix_ns: Math.round(serverUnixNsAt(visit.shownPageMs)),
    };
    const done: TargetDoneMessage = {
      v: PROTOCOL_VERSION,
      type: 'target_done',
      target_id: id,
      done_unix_ns: Math.round(serverUnixNsAt(visit.donePageMs)),
    };
    return [shown, done];
  });
  return [start, ...perTarget, { v: PROTOCOL_VERSION, type: 'calibration_end' }];
}

export type RecordedCalibrationOutcome =
  /** In use: `result.quality` is the server's verdict (a poor fit was accepted: source 'accept'). */
  | { kind: 'calibrated'; result: CalibrationResultMessage }
  | { kind: 'failed'; reason: string }
  /** Nothing was sent: no new calls, or too few distinct positions yet. */
  | { kind: 'skipped'; reason: string };

/** What the calibration needs of the GazeClient (a test double implements exactly this). */
export interface CalibrationPort {
  send(message: ClientMessage): boolean;
  serverUnixNsAt(pageMs: number): number;
  on(event: 'message', listener: (message: ServerMessage) => void): () => void;
}

export interface Clock {
  nowMs(): number;
  setTimeout(callback: () => void, delayMs: number): number;
  clearTimeout(handle: number): void;
}

export const BROWSER_CLOCK: Clock = {
  nowMs: () => performance.now(),
  setTimeout: (callback, delayMs) => window.setTimeout(callback, delayMs),
  clearTimeout: (handle) => {
    window.clearTimeout(handle);
  },
};

/**
 * Collects recordScreenPosition calls and sends them as a calibration when they pause for
 * FLUSH_IDLE_MS, or at once on `flush()` (before predictions are needed). Every calibration
 * covers all visits since `clear()` that the server's history still holds, as WebGazer's model
 * keeps all its training data.
 */
export class RecordedCalibration {
  private readonly collector = new VisitCollector();
  private idleTimer: number | null = null;
  private inFlight: Promise<RecordedCalibrationOutcome> | null = null;

  constructor(
    private readonly port: CalibrationPort,
    private readonly clock: Clock = BROWSER_CLOCK,
    private readonly toCalibrationPoint: ToCalibrationPoint = (point) => point,
    private readonly onOutcome: (outcome: RecordedCalibrationOutcome) => void = () => undefined,
  ) {}

  /** One recordScreenPosition call at `pageMs` (default now). */
  record(xPx: number, yPx: number, pageMs: number = this.clock.nowMs()): void {
    this.collector.record(xPx, yPx, pageMs);
    if (this.idleTimer !== null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = null;
      void this.flush();
    }, FLUSH_IDLE_MS);
  }

  /** Whether calls are waiting to be sent. */
  get pending(): boolean {
    return this.idleTimer !== null;
  }

  /** Send the calls collected so far now (waits for a calibration already under way first). */
  async flush(): Promise<RecordedCalibrationOutcome> {
    if (this.idleTimer !== null) {
      this.clock.clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    while (this.inFlight !== null) await this.inFlight;
    if (!this.collector.takeChanged()) return { kind: 'skipped', reason: 'no new positions' };
    const visits = this.collector.visits(this.clock.nowMs());
    const distinct = distinctPositions(visits);
    if (distinct < MIN_DISTINCT_POSITIONS) {
      return {
        kind: 'skipped',
        reason: `${distinct} distinct positions recorded, at least ${MIN_DISTINCT_POSITIONS} are needed`,
      };
    }
    const running = this.send(visits);
    this.inFlight = running;
    try {
      const outcome = await running;
      this.onOutcome(outcome);
      return outcome;
    } finally {
      this.inFlight = null;
    }
  }

  /** Forget every call (WebGazer's clearData). */
  clear(): void {
    if (this.idleTimer !== null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.collector.clear();
  }

  private send(visits: readonly TargetVisit[]): Promise<RecordedCalibrationOutcome> {
    const messages = messagesForVisits(
      visits,
      (pageMs) => this.port.serverUnixNsAt(pageMs),
      this.toCalibrationPoint,
    );
    return new Promise((resolve) => {
      let timer: number | null = null;
      let accepting = false;
      const finish = (outcome: RecordedCalibrationOutcome): void => {
        unsubscribe();
        if (timer !== null) this.clock.clearTimeout(timer);
        resolve(outcome);
      };
      /** Sends `batch`; false (and finished) when one could not go. */
      const sendAll = (batch: readonly ClientMessage[]): boolean => {
        for (const message of batch) {
          let sent: boolean;
          try {
            sent = this.port.send(message);
          } catch (error) {
            // A message the client refuses to send (it checks each against the schema).
            finish({
              kind: 'failed',
              reason: error instanceof Error ? error.message : String(error),
            });
            return false;
          }
          if (!sent) {
            finish({ kind: 'failed', reason: 'not connected to the server' });
            return false;
          }
        }
        return true;
      };
      const unsubscribe = this.port.on('message', (message) => {
        if (message.type === 'calibration_result') {
          if (accepting && message.source === 'accept') {
            finish({ kind: 'calibrated', result: message });
          } else if (!accepting && (message.source === undefined || message.source === 'fit')) {
            if (message.applied) finish({ kind: 'calibrated', result: message });
            else {
              // A poor fit: applied anyway (see the top), its verdict stays in the report.
              accepting = true;
              sendAll([{ v: PROTOCOL_VERSION, type: 'calibration_accept' }]);
            }
          }
        } else if (
          message.type === 'error' &&
          (message.code === 'calibration_failed' || message.code === 'calibration_out_of_order') &&
          (message.ref_type === undefined || SENT_TYPES.has(message.ref_type))
        ) {
          finish({ kind: 'failed', reason: message.message });
        }
      });
      if (!sendAll(messages)) return;
      timer = this.clock.setTimeout(() => {
        finish({ kind: 'failed', reason: `no calibration result within ${RESULT_TIMEOUT_MS} ms` });
      }, RESULT_TIMEOUT_MS);
    });
  }
}
