import {
  createValidator,
  type DriftStatusMessage,
  type ProtocolValidator,
} from 'gazertc-client/protocol';
import { describe, expect, it } from 'vitest';
import {
  MAX_DWELL_WINDOW_MS,
  describeDrift,
  describeLastConfirmation,
  driftResetMessage,
  dwellConfirmedMessage,
  pageMsToServerUnixNs,
} from '../../src/board/drift';

const validator: ProtocolValidator = createValidator();
/** 2026-01-01T00:00:00Z, when the page's clock started. */
const TIME_ORIGIN_MS = 1_767_225_600_000;
const SELECTION = { centre: { xPx: 474, yPx: 100 }, startMs: 10_000, endMs: 11_200 };

describe('the dwell_confirmed message', () => {
  it('states the centre and the dwell on the server clock, in integer ns', () => {
    const message = dwellConfirmedMessage(SELECTION, {
      serverClockOffsetMs: 250.5,
      timeOriginMs: TIME_ORIGIN_MS,
    });
    expect(message).not.toBeNull();
    validator.assertValid('dwell_confirmed', message);
    expect(message).toMatchObject({ type: 'dwell_confirmed', x_px: 474, y_px: 100 });
    const start = message.start_unix_ns;
    const end = message.end_unix_ns;
    expect(Number.isInteger(start) && Number.isInteger(end)).toBe(true);
    // Server time = page origin + page time + offset.
    expect(start / 1e6).toBeCloseTo(TIME_ORIGIN_MS + 10_000 + 250.5, 2);
    expect((end - start) / 1e6).toBeCloseTo(1200, 2);
  });

  it('follows the offset: a server clock behind ours gives earlier times', () => {
    const ahead = dwellConfirmedMessage(SELECTION, {
      serverClockOffsetMs: 500,
      timeOriginMs: TIME_ORIGIN_MS,
    });
    const behind = dwellConfirmedMessage(SELECTION, {
      serverClockOffsetMs: -500,
      timeOriginMs: TIME_ORIGIN_MS,
    });
    expect(((ahead?.start_unix_ns ?? 0) - (behind?.start_unix_ns ?? 0)) / 1e6).toBeCloseTo(1000, 2);
  });

  it('is not sent without a clock estimate or with impossible times', () => {
    const clock = { serverClockOffsetMs: 0, timeOriginMs: TIME_ORIGIN_MS };
    expect(
      dwellConfirmedMessage(SELECTION, { serverClockOffsetMs: null, timeOriginMs: TIME_ORIGIN_MS }),
    ).toBeNull();
    expect(dwellConfirmedMessage({ ...SELECTION, endMs: 9_000 }, clock)).toBeNull();
    expect(
      dwellConfirmedMessage({ ...SELECTION, endMs: 10_000 + MAX_DWELL_WINDOW_MS + 1 }, clock),
    ).toBeNull();
    expect(
      dwellConfirmedMessage({ ...SELECTION, centre: { xPx: Number.NaN, yPx: 0 } }, clock),
    ).toBeNull();
  });

  it('never gives a negative time', () => {
    expect(pageMsToServerUnixNs(0, -1e15, 0)).toBe(0);
  });

  it('builds a valid drift_reset', () => {
    expect(validator.isValid('drift_reset', driftResetMessage())).toBe(true);
  });
});

describe('the drift status in words', () => {
  const status = (patch: Partial<DriftStatusMessage>): DriftStatusMessage => ({
    v: 1,
    type: 'drift_status',
    offset_x_px: 0,
    offset_y_px: 0,
    offset_deg: null,
    confirmations_used: 0,
    last: 'accepted',
    reason: '',
    ...patch,
  });

  it('says the direction and size of the correction', () => {
    expect(
      describeDrift(
        status({ offset_x_px: -12.4, offset_y_px: 4.6, offset_deg: 0.33, confirmations_used: 3 }),
      ),
    ).toBe('Correcting 12 px left, 5 px down (0.3°), from 3 looks.');
    expect(describeDrift(status({ confirmations_used: 1, offset_x_px: 0.2 }))).toBe(
      'No correction, from 1 look.',
    );
    expect(
      describeDrift(status({ offset_x_px: 0.4, offset_y_px: 7.2, confirmations_used: 3 })),
    ).toBe('Correcting 7 px down, from 3 looks.');
  });

  it('gives the server reason for a rejected confirmation', () => {
    expect(
      describeLastConfirmation(status({ last: 'rejected', reason: 'too far from the others' })),
    ).toBe('The last choice was not used: too far from the others');
    expect(describeLastConfirmation(status({ last: 'cleared' }))).toMatch(/new calibration/);
  });
});
