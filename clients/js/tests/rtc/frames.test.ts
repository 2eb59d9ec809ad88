import { describe, expect, it } from 'vitest';
import {
  CAPTURE_TIME_BYTES,
  FramePacer,
  encodeFrameMessage,
  fitWithin,
} from '../../src/rtc/frames';

describe('encodeFrameMessage', () => {
  it('puts the capture time first, big-endian Unix microseconds, then the JPEG', () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0x01, 0xff, 0xd9]);
    const captureUnixUs = 1_796_278_444_150_374;
    const message = new Uint8Array(encodeFrameMessage(captureUnixUs, jpeg));
    expect(message.byteLength).toBe(CAPTURE_TIME_BYTES + jpeg.byteLength);
    let decoded = 0n;
    for (const byte of message.subarray(0, CAPTURE_TIME_BYTES))
      decoded = decoded * 256n + BigInt(byte);
    expect(decoded).toBe(BigInt(captureUnixUs));
    expect([...message.subarray(CAPTURE_TIME_BYTES)]).toEqual([...jpeg]);
  });

  it('sends 0 (unknown) for a time that is not a positive number', () => {
    for (const time of [Number.NaN, -5, 0]) {
      const view = new DataView(encodeFrameMessage(time, new Uint8Array([0xff, 0xd8])));
      expect(view.getBigUint64(0, false)).toBe(0n);
    }
  });
});

describe('fitWithin', () => {
  it('shrinks to 640x480 keeping the aspect ratio, and never enlarges', () => {
    expect(fitWithin(1280, 720)).toEqual({ widthPx: 640, heightPx: 360 });
    expect(fitWithin(1920, 1440)).toEqual({ widthPx: 640, heightPx: 480 });
    expect(fitWithin(480, 640)).toEqual({ widthPx: 360, heightPx: 480 });
    expect(fitWithin(320, 240)).toEqual({ widthPx: 320, heightPx: 240 });
    expect(fitWithin(0, 0)).toEqual({ widthPx: 0, heightPx: 0 });
  });
});

describe('FramePacer', () => {
  it('passes a 30 fps camera at 25 fps on average, not every other frame', () => {
    const pacer = new FramePacer(25);
    let sent = 0;
    for (let frame = 0; frame < 300; frame += 1) if (pacer.admit((frame * 1000) / 30)) sent += 1;
    // 300 frames are 10 s: 25 fps is 250 frames (one more for the first).
    expect(sent).toBeGreaterThanOrEqual(249);
    expect(sent).toBeLessThanOrEqual(251);
  });

  it('passes a slower camera whole, and after a gap does not catch up with a burst', () => {
    const pacer = new FramePacer(25);
    const slow = [0, 66, 133, 200];
    expect(slow.map((time) => pacer.admit(time))).toEqual([true, true, true, true]);
    // One frame early at most: the cap holds over any longer stretch.
    const afterGap = [2000, 2010, 2020, 2030, 2040];
    expect(afterGap.map((time) => pacer.admit(time))).toEqual([true, true, false, false, true]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new FramePacer(0)).toThrow(RangeError);
  });
});
