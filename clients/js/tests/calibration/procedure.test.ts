import { describe, expect, it } from 'vitest';
import { calibrationTargets } from '../../src/calibration/layout';
import {
  IDLE,
  MAX_SAMPLE_GAP_MS,
  SETTLE_MS,
  STEADY_GAZE_MAX_DEG_PER_S,
  advance,
  collectingEndsAtMs,
  currentTarget,
  gazeSteady,
  targetProgress,
  type GazeReading,
  type ProcedureOutput,
  type ProcedureState,
  type ProcedureSettings,
} from '../../src/calibration/procedure';

const TARGETS = calibrationTargets(5, { widthPx: 1000, heightPx: 800 });
const KEY: ProcedureSettings = { mode: 'key', targetMs: 1000 };
const DWELL: ProcedureSettings = { mode: 'dwell', targetMs: 600 };

/** A gaze resting at (yaw, pitch) = (5, -3) degrees, captured at the sample's arrival time. */
function restingGaze(nowMs: number): GazeReading {
  return { yawDeg: 5, pitchDeg: -3, capturedAtMs: nowMs };
}

function start(settings: ProcedureSettings, kind: 'calibration' | 'validation' = 'calibration') {
  return advance(IDLE, { type: 'start', kind, targets: TARGETS, settings, nowMs: 0 });
}

/** Run the whole procedure in key mode, pressing at `pressDelayMs` after each target appears. */
function runKeyMode(pressDelayMs: number): { state: ProcedureState; sent: ProcedureOutput[] } {
  const started = start(KEY);
  let state = started.state;
  const sent = [...started.outputs];
  let now = 0;
  while (state.phase === 'running') {
    now += pressDelayMs;
    const pressed = advance(state, { type: 'confirm', nowMs: now });
    sent.push(...pressed.outputs);
    const endsAt = collectingEndsAtMs(pressed.state);
    expect(endsAt).toBe(now + SETTLE_MS + KEY.targetMs);
    // A tick before the end changes nothing.
    expect(advance(pressed.state, { type: 'tick', nowMs: (endsAt ?? 0) - 1 }).outputs).toEqual([]);
    now = endsAt ?? now;
    const ticked = advance(pressed.state, { type: 'tick', nowMs: now });
    sent.push(...ticked.outputs);
    state = ticked.state;
  }
  return { state, sent };
}

describe('calibration procedure, key mode', () => {
  it('starts with the targets and waits for the key before showing the first', () => {
    const { state, outputs } = start(KEY);
    expect(outputs).toEqual([{ type: 'calibration_start', targets: TARGETS }]);
    expect(state.phase === 'running' && state.step).toBe('ready');
    expect(currentTarget(state)).toEqual(TARGETS[0]);
    // Time alone does not advance a target that is waiting for the key.
    expect(advance(state, { type: 'tick', nowMs: 60_000 }).state).toBe(state);
  });

  it('sends shown and done for every target in order, then calibration_end', () => {
    const { state, sent } = runKeyMode(700);
    expect(state).toEqual({ phase: 'finishing', kind: 'calibration' });
    const types = sent.map((output) => output.type);
    expect(types[0]).toBe('calibration_start');
    expect(types.at(-1)).toBe('calibration_end');
    const perTarget = sent.filter((o) => o.type === 'target_shown' || o.type === 'target_done');
    expect(perTarget).toHaveLength(2 * TARGETS.length);
    TARGETS.forEach((target, index) => {
      expect(perTarget[2 * index]).toMatchObject({ type: 'target_shown', targetId: target.id });
      expect(perTarget[2 * index + 1]).toEqual({ type: 'target_done', targetId: target.id });
    });
    // Shown at the key press, not when the ring appeared.
    expect(perTarget[0]).toEqual({
      type: 'target_shown',
      targetId: TARGETS[0]?.id,
      shownAtMs: 700,
    });
  });

  it('ignores a second key press while collecting', () => {
    const pressed = advance(start(KEY).state, { type: 'confirm', nowMs: 100 });
    expect(advance(pressed.state, { type: 'confirm', nowMs: 200 }).outputs).toEqual([]);
  });

  it('goes idle when the result arrives, and on cancel', () => {
    const { state } = runKeyMode(10);
    expect(advance(state, { type: 'finished' }).state).toEqual(IDLE);
    const running = start(KEY).state;
    expect(advance(running, { type: 'cancel' })).toEqual({ state: IDLE, outputs: [] });
    // A result that arrives for nothing running changes nothing.
    expect(advance(running, { type: 'finished' }).state).toBe(running);
  });

  it('reports progress from the key press to the end of the target', () => {
    const pressed = advance(start(KEY).state, { type: 'confirm', nowMs: 1000 }).state;
    expect(targetProgress(pressed, 1000)).toBe(0);
    expect(targetProgress(pressed, 1000 + (SETTLE_MS + KEY.targetMs) / 2)).toBeCloseTo(0.5);
    expect(targetProgress(pressed, 99_999)).toBe(1);
  });

  it('starts a validation with validation_start', () => {
    expect(start(KEY, 'validation').outputs[0]).toEqual({
      type: 'validation_start',
      targets: TARGETS,
    });
  });

  it('refuses too few or duplicate targets and a non-positive time', () => {
    const event = { type: 'start', kind: 'calibration', settings: KEY, nowMs: 0 } as const;
    expect(() => advance(IDLE, { ...event, targets: TARGETS.slice(0, 3) })).toThrow(/at least 4/);
    const duplicate = [...TARGETS.slice(0, 4), { id: TARGETS[0]?.id ?? 0, x_px: 1, y_px: 1 }];
    expect(() => advance(IDLE, { ...event, targets: duplicate })).toThrow(/unique/);
    expect(() =>
      advance(IDLE, { ...event, targets: TARGETS, settings: { mode: 'key', targetMs: 0 } }),
    ).toThrow(/positive/);
  });
});

describe('calibration procedure, dwell mode', () => {
  it('shows the first target at once and completes it after enough usable samples', () => {
    const started = start(DWELL);
    expect(started.outputs[1]).toEqual({
      type: 'target_shown',
      targetId: TARGETS[0]?.id,
      shownAtMs: 0,
    });
    let state = started.state;
    let outputs: ProcedureOutput[] = [];
    let now = 0;
    // 30 fps samples; those in the settle time do not count.
    while (outputs.length === 0) {
      now += 33;
      ({ state, outputs } = advance(state, {
        type: 'sample',
        nowMs: now,
        usable: true,
        gaze: restingGaze(now),
      }));
    }
    expect(now).toBeGreaterThanOrEqual(SETTLE_MS + DWELL.targetMs);
    // The first settled sample only sets the reference the next one's speed is measured from.
    expect(now).toBeLessThan(SETTLE_MS + DWELL.targetMs + 100);
    expect(outputs).toEqual([
      { type: 'target_done', targetId: TARGETS[0]?.id },
      { type: 'target_shown', targetId: TARGETS[1]?.id, shownAtMs: now },
    ]);
  });

  it('does not count samples without a usable face, nor long gaps', () => {
    let state = start(DWELL).state;
    let lastUnusableMs = 0;
    for (let now = 33; now < 5000; now += 33) {
      lastUnusableMs = now;
      const next = advance(state, {
        type: 'sample',
        nowMs: now,
        usable: false,
        gaze: restingGaze(now),
      });
      expect(next.outputs).toEqual([]);
      state = next.state;
    }
    expect(state.phase === 'running' && state.collectedMs).toBe(0);
    // The first usable sample sets the gaze reference and does not count; after it a steady
    // sample counts the time since the previous sample, a gap of 2 s at most the limit.
    state = advance(state, {
      type: 'sample',
      nowMs: 5000,
      usable: true,
      gaze: restingGaze(5000),
    }).state;
    expect(state.phase === 'running' && state.collectedMs).toBe(0);
    state = advance(state, {
      type: 'sample',
      nowMs: 5033,
      usable: true,
      gaze: restingGaze(5033),
    }).state;
    state = advance(state, {
      type: 'sample',
      nowMs: 7033,
      usable: true,
      gaze: restingGaze(7033),
    }).state;
    expect(state.phase === 'running' && state.collectedMs).toBe(33 + MAX_SAMPLE_GAP_MS);
    expect(lastUnusableMs).toBeLessThan(5000);
  });

  it('never completes a target while the gaze jumps about, however long it is tracked', () => {
    let state = start(DWELL).state;
    // 10 s at 30 fps of usable frames whose gaze jumps 8 degrees between frames (240 deg/s).
    for (let frame = 1; frame <= 300; frame += 1) {
      const now = frame * 33;
      const gaze = { yawDeg: frame % 2 === 0 ? 4 : -4, pitchDeg: 0, capturedAtMs: now };
      const next = advance(state, { type: 'sample', nowMs: now, usable: true, gaze });
      expect(next.outputs).toEqual([]);
      state = next.state;
    }
    expect(state.phase === 'running' && state.index).toBe(0);
    expect(state.phase === 'running' && state.collectedMs).toBe(0);
  });

  it('completes a target on steady gaze with jitter, and counts only the steady part', () => {
    let state = start(DWELL).state;
    let outputs: ProcedureOutput[] = [];
    let now = 0;
    // Jitter of 1 degree between frames (30 deg/s), a saccade of 10 degrees every 10th frame.
    let frame = 0;
    let jumps = 0;
    while (outputs.length === 0 && frame < 1000) {
      frame += 1;
      now += 33;
      const saccade = frame % 10 === 0;
      if (saccade) jumps += 1;
      const gaze = {
        yawDeg: jumps * 10 + (frame % 2),
        pitchDeg: 2,
        capturedAtMs: 1_000_000 + now,
      };
      ({ state, outputs } = advance(state, { type: 'sample', nowMs: now, usable: true, gaze }));
    }
    expect(outputs[0]).toEqual({ type: 'target_done', targetId: TARGETS[0]?.id });
    // 9 of every 10 samples count: about 10/9 of the time a resting gaze needs.
    const restingNeedsMs = SETTLE_MS + DWELL.targetMs;
    expect(now).toBeGreaterThan(restingNeedsMs + 33);
    expect(now).toBeLessThan(SETTLE_MS + (DWELL.targetMs * 10) / 9 + 100);
  });

  it('does not count a sample without gaze, nor the one after it', () => {
    let state = start(DWELL).state;
    const sample = (nowMs: number, gaze: GazeReading | null) => {
      state = advance(state, { type: 'sample', nowMs, usable: true, gaze }).state;
      return state.phase === 'running' ? state.collectedMs : -1;
    };
    sample(400, restingGaze(400));
    expect(sample(433, restingGaze(433))).toBe(33);
    expect(sample(466, null)).toBe(33);
    expect(sample(499, restingGaze(499))).toBe(33);
    expect(sample(532, restingGaze(532))).toBe(66);
  });

  it('measures steadiness as gaze speed against the saccade threshold, on capture times', () => {
    const at = (yawDeg: number, pitchDeg: number, capturedAtMs: number): GazeReading => ({
      yawDeg,
      pitchDeg,
      capturedAtMs,
    });
    const limitDegPer100Ms = STEADY_GAZE_MAX_DEG_PER_S / 10;
    expect(gazeSteady(at(0, 0, 0), at(0, limitDegPer100Ms, 100))).toBe(true);
    expect(gazeSteady(at(0, 0, 0), at(limitDegPer100Ms, 0.5, 100))).toBe(false);
    // Combined yaw and pitch: 3-4-5.
    expect(gazeSteady(at(0, 0, 0), at(3, 4, 50))).toBe(true);
    expect(gazeSteady(at(0, 0, 0), at(6, 8, 50))).toBe(false);
    // No previous gaze, same or reversed capture times, or NaN: not steady.
    expect(gazeSteady(null, at(0, 0, 0))).toBe(false);
    expect(gazeSteady(at(0, 0, 10), at(0, 0, 10))).toBe(false);
    expect(gazeSteady(at(0, 0, 10), at(0, 0, 5))).toBe(false);
    expect(gazeSteady(at(0, 0, 0), at(Number.NaN, 0, 33))).toBe(false);
  });

  it('ignores key presses and ticks', () => {
    const state = start(DWELL).state;
    expect(advance(state, { type: 'confirm', nowMs: 10 }).state).toBe(state);
    expect(advance(state, { type: 'tick', nowMs: 99_999 }).state).toBe(state);
  });
});
