import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_DWELL_MS,
  SessionCalibration,
  type SessionCalibrationHost,
} from '../../src/client/calibration';
import type { TargetDisplay } from '../../src/calibration/targets';
import type { ClientMessage, DriftStatusMessage, ServerMessage } from '../../src/protocol';
import {
  acceptedResult,
  calibrationResultMessage,
  poorCalibrationResult,
} from '../webgazer/fake_client';

const TARGETS = [
  { xPx: 100, yPx: 100 },
  { xPx: 500, yPx: 100 },
  { xPx: 100, yPx: 400 },
  { xPx: 500, yPx: 400 },
];
const DURATION_MS = 400;
/** The server's clock is this far ahead of the page's (ms). */
const OFFSET_MS = 1000;
const TIME_ORIGIN_MS = 1_800_000_000_000;

function driftStatus(last: DriftStatusMessage['last']): DriftStatusMessage {
  return {
    v: 1,
    type: 'drift_status',
    offset_x_px: last === 'accepted' ? 12 : 0,
    offset_y_px: last === 'accepted' ? -4 : 0,
    offset_deg: last === 'accepted' ? 0.3 : 0,
    confirmations_used: last === 'accepted' ? 1 : 0,
    last,
    reason: `drift ${last}`,
  };
}

/**
 * A connected client with the viewport at (10, 70) on the screen; `handle` is what GazeClient
 * does with each server message (the calibration first, then the page's listeners).
 */
function setUp(clockKnown = true) {
  const sent: ClientMessage[] = [];
  const listeners = new Set<(message: ServerMessage) => void>();
  const display: TargetDisplay = {
    show: () => undefined,
    say: () => undefined,
    remove: () => undefined,
  };
  const host: SessionCalibrationHost = {
    send: (message) => {
      sent.push(message);
      return true;
    },
    onMessage: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    serverUnixNsAt: (pageMs) => (TIME_ORIGIN_MS + pageMs + OFFSET_MS) * 1e6,
    clockOffsetMs: () => (clockKnown ? OFFSET_MS : null),
    viewportOrigin: () => ({ xPx: 10, yPx: 70 }),
    viewport: () => ({ widthPx: 1280, heightPx: 720 }),
    createDisplay: () => display,
    signal: new AbortController().signal,
    now: () => performance.now(),
  };
  const calibration = new SessionCalibration(() => host);
  const deliver = (message: ServerMessage): void => {
    calibration.handle(message);
    for (const listener of [...listeners]) listener(message);
  };
  const types = (): string[] => sent.map((message) => message.type);
  return { calibration, sent, deliver, types };
}

/** Runs the procedure's targets out; the fit is then awaited. */
async function targetsDone(): Promise<void> {
  await vi.advanceTimersByTimeAsync(TARGETS.length * DURATION_MS + 1);
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('SessionCalibration.calibrate', () => {
  it('resolves with a poor fit not applied, and sends no calibration_accept', async () => {
    const { calibration, deliver, types } = setUp();
    const running = calibration.calibrate({ targets: TARGETS, durationPerTargetMs: DURATION_MS });
    await targetsDone();
    const poor = poorCalibrationResult();
    deliver(poor);
    await expect(running).resolves.toMatchObject({
      applied: false,
      quality: 'poor',
      quality_reason: poor.quality_reason,
      loto_error_deg: poor.loto_error_deg,
    });
    expect(types()).not.toContain('calibration_accept');
  });

  it('with acceptPoor, accepts a poor fit and resolves with the applied report', async () => {
    const { calibration, deliver, sent, types } = setUp();
    const running = calibration.calibrate({
      targets: TARGETS,
      durationPerTargetMs: DURATION_MS,
      acceptPoor: true,
    });
    await targetsDone();
    const poor = poorCalibrationResult();
    deliver(poor);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.at(-1)).toEqual({ v: 1, type: 'calibration_accept' });
    const accepted = acceptedResult(poor);
    deliver(accepted);
    await expect(running).resolves.toBe(accepted);
    expect(types().filter((type) => type === 'calibration_accept')).toHaveLength(1);
  });

  it('with acceptPoor, sends nothing more for a good fit', async () => {
    const { calibration, deliver, types } = setUp();
    const running = calibration.calibrate({
      targets: TARGETS,
      durationPerTargetMs: DURATION_MS,
      acceptPoor: true,
    });
    await targetsDone();
    const good = calibrationResultMessage();
    deliver(good);
    await expect(running).resolves.toBe(good);
    expect(types().at(-1)).toBe('calibration_end');
  });

  it("rejects with the server's refusal of the accept", async () => {
    const { calibration, deliver } = setUp();
    const accepting = calibration.accept();
    deliver({
      v: 1,
      type: 'error',
      code: 'calibration_out_of_order',
      message: 'no fit waiting to be accepted',
      fatal: false,
      ref_type: 'calibration_accept',
    });
    await expect(accepting).rejects.toMatchObject({ code: 'calibration_out_of_order' });
  });
});

describe('SessionCalibration drift', () => {
  it('confirms a dwell in screen px on the server clock and resolves with the drift status', async () => {
    const { calibration, deliver, sent } = setUp();
    const confirming = calibration.confirmDwell({ xPx: 200, yPx: 300 }, 5000.25, 5800.5);
    expect(sent).toEqual([
      {
        v: 1,
        type: 'dwell_confirmed',
        x_px: 210,
        y_px: 370,
        start_unix_ns: Math.round((TIME_ORIGIN_MS + 5000.25 + OFFSET_MS) * 1e6),
        end_unix_ns: Math.round((TIME_ORIGIN_MS + 5800.5 + OFFSET_MS) * 1e6),
      },
    ]);
    // A new calibration's 'cleared' answers no request.
    deliver(driftStatus('cleared'));
    const status = driftStatus('accepted');
    deliver(status);
    await expect(confirming).resolves.toBe(status);
    expect(calibration.driftStatus).toBe(status);

    const resetting = calibration.resetDrift();
    expect(sent.at(-1)).toEqual({ v: 1, type: 'drift_reset' });
    deliver(driftStatus('reset'));
    await expect(resetting).resolves.toMatchObject({ last: 'reset', offset_x_px: 0 });
    calibration.reset();
    expect(calibration.driftStatus).toBeNull();
  });

  it("rejects with the server's error about the dwell", async () => {
    const { calibration, deliver } = setUp();
    const confirming = calibration.confirmDwell({ xPx: 200, yPx: 300 }, 5000, 5800);
    deliver({
      v: 1,
      type: 'error',
      code: 'calibration_out_of_order',
      message: 'no calibration in use',
      fatal: false,
      ref_type: 'dwell_confirmed',
    });
    await expect(confirming).rejects.toMatchObject({ code: 'calibration_out_of_order' });
  });

  it('sends nothing without a clock estimate, or for a dwell the protocol would refuse', async () => {
    const unsynced = setUp(false);
    await expect(
      unsynced.calibration.confirmDwell({ xPx: 1, yPx: 1 }, 0, 500),
    ).rejects.toMatchObject({ code: 'no_clock' });
    expect(unsynced.sent).toEqual([]);

    const { calibration, sent } = setUp();
    for (const [start, end] of [
      [1000, 999],
      [0, MAX_DWELL_MS + 1],
      [Number.NaN, 10],
    ] as const) {
      await expect(calibration.confirmDwell({ xPx: 1, yPx: 1 }, start, end)).rejects.toMatchObject({
        code: 'bad_options',
      });
    }
    expect(sent).toEqual([]);
  });
});
