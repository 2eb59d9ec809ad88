// The replay's clock: where in the recording the replay is, from the page's own clock (the
// requestAnimationFrame timestamp, performance.now() milliseconds). Pure: every call takes the
// current time, so tests drive it with plain numbers.

/** The speeds the replay offers. */
export const REPLAY_SPEEDS = [0.5, 1, 2, 4] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

export class ReplayClock {
  /** Recording time (s) at `anchorNowMs`. */
  private anchorS = 0;
  private anchorNowMs = 0;
  private playingFlag = false;
  private speedValue: ReplaySpeed = 1;

  constructor(readonly durationS: number) {
    if (!(Number.isFinite(durationS) && durationS >= 0)) {
      throw new RangeError(`a replay's duration must be >= 0 s, got ${durationS}`);
    }
  }

  get playing(): boolean {
    return this.playingFlag;
  }

  get speed(): ReplaySpeed {
    return this.speedValue;
  }

  /** The recording time (s) at `nowMs`, within [0, durationS]. */
  timeAt(nowMs: number): number {
    if (!this.playingFlag) return this.anchorS;
    const elapsedS = (Math.max(0, nowMs - this.anchorNowMs) / 1000) * this.speedValue;
    return Math.min(this.durationS, this.anchorS + elapsedS);
  }

  /** The time at `nowMs`; the clock stops once it reaches the end. */
  tick(nowMs: number): number {
    const timeS = this.timeAt(nowMs);
    if (this.playingFlag && timeS >= this.durationS) this.anchor(timeS, nowMs, false);
    return timeS;
  }

  /** Play from where it is (from the start again when it stood at the end). */
  play(nowMs: number): void {
    const timeS = this.timeAt(nowMs);
    this.anchor(timeS >= this.durationS ? 0 : timeS, nowMs, true);
  }

  pause(nowMs: number): void {
    this.anchor(this.timeAt(nowMs), nowMs, false);
  }

  setSpeed(speed: ReplaySpeed, nowMs: number): void {
    this.anchor(this.timeAt(nowMs), nowMs, this.playingFlag);
    this.speedValue = speed;
  }

  /** Jump to `timeS` (clamped to the recording), playing on if it was playing. */
  seek(timeS: number, nowMs: number): void {
    const clamped = Number.isFinite(timeS) ? Math.min(this.durationS, Math.max(0, timeS)) : 0;
    this.anchor(clamped, nowMs, this.playingFlag);
  }

  private anchor(timeS: number, nowMs: number, playing: boolean): void {
    this.anchorS = timeS;
    this.anchorNowMs = nowMs;
    this.playingFlag = playing;
  }
}
