import { describe, expect, it } from 'vitest';
import type { ClientMessage } from '../../src/protocol/messages';
import type { CalibrationResultMessage, ErrorMessage } from '../../src/protocol/types.gen';
import { protocolValidator, type ProtocolValidator } from '../../src/protocol/validate';
import {
  FLUSH_IDLE_MS,
  messagesForVisits,
  RecordedCalibration,
  RESULT_TIMEOUT_MS,
  type Clock,
  type RecordedCalibrationOutcome,
} from '../../src/webgazer/recorded_calibration';
import { fixture } from '../fixtures';
import {
  FakeClient,
  acceptedResult,
  calibrationResultMessage,
  poorCalibrationResult,
  serverUnixNsAt,
} from './fake_client';

/** A clock the test moves by hand; timers fire in order as it passes them. */
class ManualClock implements Clock {
  nowValueMs = 0;
  private next = 1;
  private readonly timers = new Map<number, { atMs: number; callback: () => void }>();

  nowMs(): number {
    return this.nowValueMs;
  }

  setTimeout(callback: () => void, delayMs: number): number {
    const handle = this.next++;
    this.timers.set(handle, { atMs: this.nowValueMs + delayMs, callback });
    return handle;
  }

  clearTimeout(handle: number): void {
    this.timers.delete(handle);
  }

  advance(ms: number): void {
    const until = this.nowValueMs + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.atMs <= until)
        .sort((a, b) => a[1].atMs - b[1].atMs)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.nowValueMs = due[1].atMs;
      due[1].callback();
    }
    this.nowValueMs = until;
  }
}

/** Four points viewed 1 s each, 1 s apart, as jsPsych's calibrate plugin in view mode. */
const POINTS = [
  { xPx: 80, yPx: 60 },
  { xPx: 720, yPx: 60 },
  { xPx: 80, yPx: 540 },
  { xPx: 720, yPx: 540 },
];

function viewPoints(calibration: RecordedCalibration, clock: ManualClock): void {
  for (const point of POINTS) {
    clock.advance(1000);
    for (let frame = 0; frame <= 60; frame++) {
      calibration.record(point.xPx, point.yPx);
      clock.advance(1000 / 60);
    }
  }
}

function calibrationResult(): CalibrationResultMessage {
  return calibrationResultMessage();
}

function setUp(onOutcome?: (outcome: RecordedCalibrationOutcome) => void): {
  client: FakeClient;
  clock: ManualClock;
  calibration: RecordedCalibration;
} {
  const client = new FakeClient();
  client.state = 'live';
  const clock = new ManualClock();
  const calibration = new RecordedCalibration(client, clock, undefined, onOutcome);
  return { client, clock, calibration };
}

function settle(): Promise<void> {
  return new Promise((done) => setTimeout(done, 0));
}

describe('messagesForVisits', () => {
  it('declares the targets, then shown/done per target at the visits past times, then the end', () => {
    const messages = messagesForVisits(
      [
        { xPx: 10, yPx: 20, shownPageMs: 1000, donePageMs: 2000, calls: 60 },
        { xPx: 30, yPx: 40, shownPageMs: 3000, donePageMs: 4000, calls: 60 },
      ],
      serverUnixNsAt,
      (point) => ({ xPx: point.xPx + 5, yPx: point.yPx + 7 }),
    );
    expect(messages).toEqual([
      {
        v: 1,
        type: 'calibration_start',
        targets: [
          { id: 0, x_px: 15, y_px: 27 },
          { id: 1, x_px: 35, y_px: 47 },
        ],
      },
      { v: 1, type: 'target_shown', target_id: 0, shown_unix_ns: serverUnixNsAt(1000) },
      { v: 1, type: 'target_done', target_id: 0, done_unix_ns: serverUnixNsAt(2000) },
      { v: 1, type: 'target_shown', target_id: 1, shown_unix_ns: serverUnixNsAt(3000) },
      { v: 1, type: 'target_done', target_id: 1, done_unix_ns: serverUnixNsAt(4000) },
      { v: 1, type: 'calibration_end' },
    ]);
  });

  it('builds messages the protocol schema accepts', () => {
    const messages = messagesForVisits(
      POINTS.map((point, index) => ({
        ...point,
        shownPageMs: 1000.4 + index * 2000,
        donePageMs: 2000.6 + index * 2000,
        calls: 61,
      })),
      serverUnixNsAt,
    );
    for (const message of messages) {
      const validator: ProtocolValidator = protocolValidator();
      expect(() => {
        validator.assertValid(message.type, message);
      }).not.toThrow();
    }
  });
});

describe('RecordedCalibration', () => {
  it('sends one calibration once the calls pause, and reports the result', async () => {
    const outcomes: string[] = [];
    const { client, clock, calibration } = setUp((outcome) => outcomes.push(outcome.kind));
    viewPoints(calibration, clock);
    expect(client.sent).toEqual([]);
    expect(calibration.pending).toBe(true);
    clock.advance(FLUSH_IDLE_MS - 20);
    expect(client.sent).toEqual([]);
    clock.advance(40);
    const types = client.sent.map((message: ClientMessage) => message.type);
    expect(types).toEqual([
      'calibration_start',
      ...POINTS.flatMap(() => ['target_shown', 'target_done']),
      'calibration_end',
    ]);
    const [start, shown] = client.sent;
    expect(start).toMatchObject({
      targets: POINTS.map((p, id) => ({ id, x_px: p.xPx, y_px: p.yPx })),
    });
    // The first point's calls began 1 s into the clock.
    expect(shown).toMatchObject({ target_id: 0, shown_unix_ns: serverUnixNsAt(1000) });
    client.receive(calibrationResult());
    await settle();
    expect(outcomes).toEqual(['calibrated']);
    expect(calibration.pending).toBe(false);
  });

  it('sends at once on flush, before predictions are needed', async () => {
    const { client, clock, calibration } = setUp();
    viewPoints(calibration, clock);
    const outcome = calibration.flush();
    expect(client.sent.at(-1)?.type).toBe('calibration_end');
    client.receive(calibrationResult());
    await expect(outcome).resolves.toMatchObject({ kind: 'calibrated' });
    // Nothing new since: a second flush sends nothing.
    await expect(calibration.flush()).resolves.toMatchObject({ kind: 'skipped' });
    expect(client.sent.filter((message) => message.type === 'calibration_start')).toHaveLength(1);
  });

  it('accepts a poor fit at once and reports the accepted result', async () => {
    const { client, clock, calibration } = setUp();
    viewPoints(calibration, clock);
    const outcome = calibration.flush();
    const poor = poorCalibrationResult();
    client.receive(poor);
    expect(client.sent.at(-1)).toEqual({ v: 1, type: 'calibration_accept' });
    // Another answer to the same report (a load) is not the one awaited.
    client.receive(calibrationResultMessage({ source: 'load', quality: null }));
    const accepted = acceptedResult(poor);
    client.receive(accepted);
    await expect(outcome).resolves.toEqual({ kind: 'calibrated', result: accepted });
    expect(client.sent.filter((message) => message.type === 'calibration_accept')).toHaveLength(1);
  });

  it('does not accept a fit that is already applied', async () => {
    const { client, clock, calibration } = setUp();
    viewPoints(calibration, clock);
    const outcome = calibration.flush();
    client.receive(calibrationResultMessage({ quality: 'fair' }));
    await expect(outcome).resolves.toMatchObject({
      kind: 'calibrated',
      result: { quality: 'fair' },
    });
    expect(client.sent.map((message) => message.type)).not.toContain('calibration_accept');
  });

  it("fails when the server refuses the accept, not on another message's error", async () => {
    const { client, clock, calibration } = setUp();
    viewPoints(calibration, clock);
    const outcome = calibration.flush();
    const refusal = (refType: string): ErrorMessage => ({
      v: 1,
      type: 'error',
      code: 'calibration_out_of_order',
      message: `no ${refType}`,
      fatal: false,
      ref_type: refType,
    });
    client.receive(refusal('dwell_confirmed'));
    client.receive(poorCalibrationResult());
    client.receive(refusal('calibration_accept'));
    await expect(outcome).resolves.toEqual({ kind: 'failed', reason: 'no calibration_accept' });
  });

  it('sends nothing with fewer than 4 distinct positions', async () => {
    const { client, clock, calibration } = setUp();
    for (let index = 0; index < 3; index++) {
      calibration.record(100 + index * 200, 100);
      clock.advance(100);
    }
    calibration.record(100, 105);
    await expect(calibration.flush()).resolves.toMatchObject({
      kind: 'skipped',
      reason: expect.stringContaining('3 distinct positions') as unknown,
    });
    expect(client.sent).toEqual([]);
  });

  it('reports the server refusing the calibration', async () => {
    const { client, clock, calibration } = setUp();
    viewPoints(calibration, clock);
    const outcome = calibration.flush();
    client.receive(fixture('error.calibration_failed.json') as ErrorMessage);
    await expect(outcome).resolves.toMatchObject({ kind: 'failed' });
  });

  it('gives up when no result comes', async () => {
    const { clock, calibration } = setUp();
    viewPoints(calibration, clock);
    const outcome = calibration.flush();
    clock.advance(RESULT_TIMEOUT_MS);
    await expect(outcome).resolves.toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('no calibration result') as unknown,
    });
  });

  it('fails without a connection, and sends every visit again with the new ones next time', async () => {
    const { client, clock, calibration } = setUp();
    client.state = 'reconnecting';
    viewPoints(calibration, clock);
    await expect(calibration.flush()).resolves.toMatchObject({ kind: 'failed' });
    client.state = 'live';
    calibration.record(400, 300);
    const outcome = calibration.flush();
    const start = client.sent[0];
    expect(start?.type === 'calibration_start' ? start.targets.length : 0).toBe(5);
    client.receive(calibrationResult());
    await expect(outcome).resolves.toMatchObject({ kind: 'calibrated' });
  });

  it('reports a message the client refuses to send', async () => {
    const { client, clock, calibration } = setUp();
    viewPoints(calibration, clock);
    client.send = () => {
      throw new Error('not a valid target_done');
    };
    await expect(calibration.flush()).resolves.toEqual({
      kind: 'failed',
      reason: 'not a valid target_done',
    });
  });

  it('forgets the calls on clear', async () => {
    const { client, clock, calibration } = setUp();
    viewPoints(calibration, clock);
    calibration.clear();
    expect(calibration.pending).toBe(false);
    clock.advance(FLUSH_IDLE_MS * 2);
    await expect(calibration.flush()).resolves.toMatchObject({ kind: 'skipped' });
    expect(client.sent).toEqual([]);
  });
});
