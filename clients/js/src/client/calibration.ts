// The session's calibration for GazeClient: the calibration and validation procedures (runner.ts),
// the server's verdict on a fit (a poor one is applied only after calibration_accept), and drift
// correction from dwells the page confirms (dwell_confirmed / drift_reset, answered by
// drift_status).

import { runProcedure, type ProcedureHost, type ProcedureOptions } from '../calibration/runner';
import {
  PROTOCOL_VERSION,
  type CalibrationResultMessage,
  type ClientMessage,
  type DriftStatusMessage,
  type ServerMessage,
  type ValidationResultMessage,
} from '../protocol';
import { GazeClientError } from './errors';
import { AnswerQueue } from './requests';

/** The protocol's longest dwell (dwell_confirmed's window). */
export const MAX_DWELL_MS = 30_000;

export interface CalibrateOptions extends ProcedureOptions {
  /**
   * Apply the fit even when the server judges it poor (sends calibration_accept). Default false:
   * a poor fit resolves with `applied: false`, and samples get no screen point from it.
   */
  acceptPoor?: boolean;
}

/** The centre of a target the user selected by looking at it, in viewport CSS px. */
export interface DwellTarget {
  xPx: number;
  yPx: number;
}

/** What the calibration needs from the client, besides what a procedure needs. */
export interface SessionCalibrationHost extends ProcedureHost {
  /** The server's clock minus the page's (ms); null before the first ping/pong. */
  clockOffsetMs(): number | null;
}

export class SessionCalibration {
  private readonly accepts = new AnswerQueue<CalibrationResultMessage>('calibration_accept');
  private readonly drifts = new AnswerQueue<DriftStatusMessage>('drift request');
  private lastDrift: DriftStatusMessage | null = null;

  /** `host` is read per call: a restarted client has a new lifetime signal. */
  constructor(private readonly host: () => SessionCalibrationHost) {}

  /** The drift correction the server last reported in this session; null before any. */
  get driftStatus(): DriftStatusMessage | null {
    return this.lastDrift;
  }

  /** Every message of the session, before the page's listeners see it. */
  handle(message: ServerMessage): void {
    if (message.type === 'calibration_result' && message.source === 'accept') {
      this.accepts.resolveNext(message);
    } else if (message.type === 'drift_status') {
      this.lastDrift = message;
      // 'cleared' comes unasked, with a new calibration: it answers no request.
      if (message.last !== 'cleared') this.drifts.resolveNext(message);
    } else if (message.type === 'error') {
      const error = new GazeClientError(message.code, message.message);
      if (message.ref_type === 'calibration_accept') this.accepts.rejectNext(error);
      if (message.ref_type === 'dwell_confirmed' || message.ref_type === 'drift_reset') {
        this.drifts.rejectNext(error);
      }
    }
  }

  /** A new session: it has no drift correction yet. */
  reset(): void {
    this.lastDrift = null;
  }

  rejectAll(error: GazeClientError): void {
    this.accepts.rejectAll(error);
    this.drifts.rejectAll(error);
  }

  async calibrate(options: CalibrateOptions = {}): Promise<CalibrationResultMessage> {
    const { acceptPoor = false, ...procedure } = options;
    const result = await runProcedure('calibration', this.host(), procedure);
    if (result.applied || !acceptPoor) return result;
    return this.accept();
  }

  validate(options?: ProcedureOptions): Promise<ValidationResultMessage> {
    return runProcedure('validation', this.host(), options);
  }

  /** Apply the last fit although it was poor; resolves with the report, `applied: true`. */
  accept(): Promise<CalibrationResultMessage> {
    return this.request(this.accepts, { v: PROTOCOL_VERSION, type: 'calibration_accept' });
  }

  /**
   * The user selected `target` (viewport CSS px) by looking at it from `startPageMs` to
   * `endPageMs` (performance.now()); the server corrects drift with it.
   */
  confirmDwell(
    target: DwellTarget,
    startPageMs: number,
    endPageMs: number,
  ): Promise<DriftStatusMessage> {
    const host = this.host();
    if (![target.xPx, target.yPx, startPageMs, endPageMs].every(Number.isFinite)) {
      return Promise.reject(new GazeClientError('bad_options', 'a dwell needs finite numbers'));
    }
    const durationMs = endPageMs - startPageMs;
    if (durationMs < 0 || durationMs > MAX_DWELL_MS) {
      return Promise.reject(
        new GazeClientError(
          'bad_options',
          `a dwell lasts 0 to ${MAX_DWELL_MS} ms, got ${durationMs} ms (end before start?)`,
        ),
      );
    }
    if (host.clockOffsetMs() === null) {
      // Page times on a guessed clock would point the server at the wrong frames.
      return Promise.reject(
        new GazeClientError('no_clock', 'The server has not answered a ping yet: try again.'),
      );
    }
    const origin = host.viewportOrigin();
    const toServerNs = (pageMs: number): number =>
      Math.max(0, Math.round(host.serverUnixNsAt(pageMs)));
    return this.request(this.drifts, {
      v: PROTOCOL_VERSION,
      type: 'dwell_confirmed',
      x_px: target.xPx + origin.xPx,
      y_px: target.yPx + origin.yPx,
      start_unix_ns: toServerNs(startPageMs),
      end_unix_ns: toServerNs(endPageMs),
    });
  }

  /** Drop the drift correction. */
  resetDrift(): Promise<DriftStatusMessage> {
    return this.request(this.drifts, { v: PROTOCOL_VERSION, type: 'drift_reset' });
  }

  private request<T>(queue: AnswerQueue<T>, message: ClientMessage): Promise<T> {
    let sent: boolean;
    try {
      sent = this.host().send(message);
    } catch (error) {
      // The client checks each message against the schema (e.g. a point far off any screen).
      return Promise.reject(
        new GazeClientError('bad_options', error instanceof Error ? error.message : String(error)),
      );
    }
    if (!sent) {
      return Promise.reject(
        new GazeClientError('not_connected', 'Not connected: call start() first.'),
      );
    }
    // The answer comes in a later task, so waiting after sending misses nothing.
    return queue.expect();
  }
}
