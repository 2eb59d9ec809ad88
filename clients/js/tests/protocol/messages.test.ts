import { describe, expect, it } from 'vitest';
import {
  clockEstimate,
  describeScreen,
  encodeClientMessage,
  makeConfig,
  makeHello,
  makePing,
  makePong,
  nowUnixNs,
} from '../../src/protocol/messages';
import type { PongMessage } from '../../src/protocol/types.gen';
import { ProtocolViolation, createValidator } from '../../src/protocol/validate';
import { fixture } from '../fixtures';

const validator = createValidator();

describe('ping and pong', () => {
  it('computes round trip and clock offset as docs/protocol.md defines them', () => {
    const pong = fixture('pong.server.json') as PongMessage;
    // t0 = ...000000000, t1 = t0 + 1.25 ms, t2 = t0 + 1.31 ms; the pong arrives at t0 + 3 ms.
    // Doubles hold these nanosecond times to 256 ns, hence microsecond tolerance.
    const estimate = clockEstimate(pong, pong.ping_sent_unix_ns + 3_000_000);
    expect(estimate.roundTripMs).toBeCloseTo(3 - 0.06, 3);
    expect(estimate.serverClockOffsetMs).toBeCloseTo((1.25 + (1.31 - 3)) / 2, 3);
  });

  it('never reports a negative round trip', () => {
    const pong = fixture('pong.server.json') as PongMessage;
    expect(clockEstimate(pong, pong.ping_sent_unix_ns).roundTripMs).toBe(0);
  });

  it('builds pings and pongs the schema accepts, with nanosecond integers', () => {
    const now = nowUnixNs();
    expect(Number.isInteger(now)).toBe(true);
    expect(now).toBeGreaterThan(1.7e18);
    const ping = makePing(7, now);
    expect(validator.isValid('ping', ping)).toBe(true);
    const pong = makePong(ping, now + 1000, now + 2000);
    expect(validator.isValid('pong', pong)).toBe(true);
    expect(pong.id).toBe(7);
    // JSON keeps all the digits (no exponent) for the server's integer parser.
    expect(encodeClientMessage(ping, validator)).toMatch(/"sent_unix_ns":\d{19}\}/);
  });
});

describe('client messages', () => {
  it('hello carries the client, its capabilities and settings', () => {
    const screen = describeScreen(1920, 1080, 1.25);
    const hello = makeHello('0.1.0', {
      output: 'both',
      ...(screen === undefined ? {} : { screen }),
    });
    expect(validator.isValid('hello', hello)).toBe(true);
    expect(hello.capabilities?.video_receive).toBe(true);
    expect(hello.config?.screen).toEqual({
      width_px: 1920,
      height_px: 1080,
      device_pixel_ratio: 1.25,
    });
  });

  it('describeScreen drops what the schema would refuse', () => {
    expect(describeScreen(0, 1080, 1)).toBeUndefined();
    expect(describeScreen(800, 600, 0)).toEqual({ width_px: 800, height_px: 600 });
    expect(describeScreen(800.4, 600.6, 40)).toEqual({ width_px: 800, height_px: 601 });
  });

  it('refuses to send a message that breaks the schema', () => {
    const config = makeConfig({ status_interval_ms: 50 });
    expect(() => encodeClientMessage(config, validator)).toThrow(ProtocolViolation);
    expect(() => encodeClientMessage(config, validator)).toThrow(/status_interval_ms/);
  });
});
