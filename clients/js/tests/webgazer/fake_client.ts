// A stand-in GazeClient for the webgazer and jsPsych tests: it implements the part of the real
// interface those layers use (start/stop, listeners, send, the clock mapping, calibrate and
// validate) and lets a test push samples and server messages as the real session would. The
// samples are made by the library's own toGazeSample from the shared protocol fixtures.

import { toGazeSample } from '../../src/client/sample';
import type { CalibrateOptions, ClientState, GazeSample, ProcedureOptions } from '../../src/index';
import type { ClientMessage, ServerMessage } from '../../src/protocol/messages';
import type {
  CalibrationResultMessage,
  DriftStatusMessage,
  SampleMessage,
  ValidationResultMessage,
} from '../../src/protocol/types.gen';
import { fixture } from '../fixtures';

/** Server clock = page clock + this (ms), as a ping/pong estimate would give. */
export const SERVER_MINUS_PAGE_MS = 1_767_225_600_000;

export function serverUnixNsAt(pageMs: number): number {
  return (pageMs + SERVER_MINUS_PAGE_MS) * 1e6;
}

export function pageMsAt(serverUnixNs: number): number {
  return serverUnixNs / 1e6 - SERVER_MINUS_PAGE_MS;
}

/** A sample message captured at `capturePageMs`, looking at `point` (viewport px) or at nothing. */
export function sampleMessage(
  frameId: number,
  capturePageMs: number,
  point: { xPx: number; yPx: number } | null,
): SampleMessage {
  const base = fixture('sample.calibrated.json') as SampleMessage;
  return {
    ...base,
    frame_id: frameId,
    timestamp_unix_ns: Math.round(serverUnixNsAt(capturePageMs)),
    blink_events: [],
    screen_point:
      point === null
        ? null
        : {
            x_px: point.xPx,
            y_px: point.yPx,
            smoothed_x_px: point.xPx + 1,
            smoothed_y_px: point.yPx + 1,
          },
  };
}

/**
 * The shared fixture's fit report with a verdict: good and applied unless `overrides` say
 * otherwise (a poor fit: `{ applied: false, quality: 'poor' }`).
 */
export function calibrationResultMessage(
  overrides: Partial<CalibrationResultMessage> = {},
): CalibrationResultMessage {
  return {
    ...(fixture('calibration_result.nine_points.json') as CalibrationResultMessage),
    source: 'fit',
    applied: true,
    quality: 'good',
    quality_reason: 'Leave-one-target-out error 1.2 deg: good.',
    loto_error_px: 48.5,
    loto_error_deg: 1.2,
    ...overrides,
  };
}

/** A poor fit, not applied: what the server sends for the fake camera's clip. */
export function poorCalibrationResult(): CalibrationResultMessage {
  return calibrationResultMessage({
    applied: false,
    quality: 'poor',
    quality_reason: 'Your gaze barely moved between the targets.',
    loto_error_px: 612.3,
    loto_error_deg: 14.8,
  });
}

/** The answer to calibration_accept: the same report, applied. */
export function acceptedResult(poor: CalibrationResultMessage): CalibrationResultMessage {
  return { ...poor, source: 'accept', applied: true };
}

export function validationResultMessage(): ValidationResultMessage {
  return {
    ...(fixture('validation_result.four_points.json') as ValidationResultMessage),
    quality: 'fair',
    quality_reason: 'Accuracy 2.4 deg: fair.',
  };
}

type Listener = (...args: never[]) => void;

export class FakeClient {
  state: ClientState = 'idle';
  cameraStream: MediaStream | null = null;
  latestSample: GazeSample | null = null;
  readonly sent: ClientMessage[] = [];
  readonly procedures: {
    kind: 'calibrate' | 'validate';
    options: CalibrateOptions | ProcedureOptions | undefined;
  }[] = [];
  calibrationResult: CalibrationResultMessage | null = null;
  validationResult: ValidationResultMessage | null = null;
  startFailure: Error | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();

  start(): Promise<void> {
    if (this.startFailure !== null) {
      this.state = 'failed';
      return Promise.reject(this.startFailure);
    }
    this.state = 'live';
    return Promise.resolve();
  }

  stop(): void {
    this.state = 'closed';
  }

  on(event: 'sample', listener: (sample: GazeSample) => void): () => void;
  on(event: 'message', listener: (message: ServerMessage) => void): () => void;
  on(event: 'state', listener: (state: ClientState, detail: string | null) => void): () => void;
  on(event: 'drift', listener: (status: DriftStatusMessage) => void): () => void;
  on(event: string, listener: Listener): () => void {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    this.listeners.set(event, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  send(message: ClientMessage): boolean {
    if (this.state !== 'live') return false;
    this.sent.push(message);
    return true;
  }

  serverUnixNsAt(pageMs: number): number {
    return serverUnixNsAt(pageMs);
  }

  pageMsAt(serverUnixNs: number): number {
    return pageMsAt(serverUnixNs);
  }

  calibrate(options?: CalibrateOptions): Promise<CalibrationResultMessage> {
    this.procedures.push({ kind: 'calibrate', options });
    return this.calibrationResult === null
      ? Promise.reject(new Error('calibration_failed: too few usable samples'))
      : Promise.resolve(this.calibrationResult);
  }

  validate(options?: ProcedureOptions): Promise<ValidationResultMessage> {
    this.procedures.push({ kind: 'validate', options });
    return this.validationResult === null
      ? Promise.reject(new Error('validation failed'))
      : Promise.resolve(this.validationResult);
  }

  /** The server sent `message` (a sample also goes to 'sample' listeners, typed). */
  receive(message: ServerMessage): void {
    if (message.type === 'sample') {
      const sample = toGazeSample(message, pageMsAt, { xPx: 0, yPx: 0 });
      this.latestSample = sample;
      for (const listener of this.listeners.get('sample') ?? []) {
        (listener as (sample: GazeSample) => void)(sample);
      }
    }
    for (const listener of this.listeners.get('message') ?? []) {
      (listener as (message: ServerMessage) => void)(message);
    }
  }
}
