import { describe, expect, it } from 'vitest';
import { ReplayClock } from '../../src/recordings/clock';

describe('ReplayClock', () => {
  it('stands at 0 until played, then follows the page clock', () => {
    const clock = new ReplayClock(10);
    expect(clock.timeAt(5000)).toBe(0);
    clock.play(1000);
    expect(clock.playing).toBe(true);
    expect(clock.timeAt(1000)).toBe(0);
    expect(clock.timeAt(3500)).toBeCloseTo(2.5);
  });

  it('pauses where it is and plays on from there', () => {
    const clock = new ReplayClock(10);
    clock.play(0);
    clock.pause(2000);
    expect(clock.playing).toBe(false);
    expect(clock.timeAt(9000)).toBeCloseTo(2);
    clock.play(9000);
    expect(clock.timeAt(10_000)).toBeCloseTo(3);
  });

  it('runs at the chosen speed from the moment it changes', () => {
    const clock = new ReplayClock(100);
    clock.play(0);
    clock.setSpeed(2, 1000); // 1 s at 1x
    expect(clock.speed).toBe(2);
    expect(clock.timeAt(2000)).toBeCloseTo(3); // + 1 s at 2x
    clock.setSpeed(0.5, 2000);
    expect(clock.timeAt(4000)).toBeCloseTo(4); // + 2 s at 0.5x
    clock.setSpeed(4, 4000);
    expect(clock.timeAt(5000)).toBeCloseTo(8);
  });

  it('changes speed while paused without moving', () => {
    const clock = new ReplayClock(10);
    clock.setSpeed(4, 0);
    expect(clock.timeAt(5000)).toBe(0);
    clock.play(5000);
    expect(clock.timeAt(6000)).toBeCloseTo(4);
  });

  it('seeks within the recording, playing on when it was playing', () => {
    const clock = new ReplayClock(10);
    clock.seek(7.25, 0);
    expect(clock.timeAt(1000)).toBe(7.25);
    clock.play(1000);
    clock.seek(2, 1500);
    expect(clock.timeAt(2500)).toBeCloseTo(3);
    clock.seek(-5, 3000);
    expect(clock.timeAt(3000)).toBe(0);
    clock.seek(99, 3000);
    expect(clock.timeAt(3000)).toBe(10);
    clock.seek(Number.NaN, 3000);
    expect(clock.timeAt(3000)).toBe(0);
  });

  it('stops at the end, and plays again from the start', () => {
    const clock = new ReplayClock(2);
    clock.play(0);
    expect(clock.tick(1000)).toBeCloseTo(1);
    expect(clock.playing).toBe(true);
    expect(clock.tick(5000)).toBe(2);
    expect(clock.playing).toBe(false);
    expect(clock.timeAt(9000)).toBe(2);
    clock.play(9000);
    expect(clock.timeAt(9500)).toBeCloseTo(0.5);
  });

  it('refuses a duration that is not a time', () => {
    expect(() => new ReplayClock(-1)).toThrow(RangeError);
    expect(() => new ReplayClock(Number.NaN)).toThrow(RangeError);
  });
});
