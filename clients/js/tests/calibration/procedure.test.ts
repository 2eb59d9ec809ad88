import { describe, expect, it } from 'vitest';
import { calibrationTargets } from '../../src/calibration/layout';
import {
  IDLE,
  MAX_SAMPLE_GAP_MS,
  SETTLE_MS,
  advance,
  collectingEndsAtMs,
  currentTarget,
  targetProgress,
  type ProcedureOutput,
  type ProcedureState,
  type ProcedureSettings,
} from '../../src/calibration/procedure';

const TARGETS = calibrationTargets(5, { widthPx: 1000, heightPx: 800 });
const KEY: ProcedureSettings = { mode: 'key', targetMs: 1000 };
const DWELL: ProcedureSettings = { mode: 'dwell', targetMs: 600 };

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
      ({ state, outputs } = advance(state, { type: 'sample', nowMs: now, usable: true }));
    }
    expect(now).toBeGreaterThanOrEqual(SETTLE_MS + DWELL.targetMs);
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
      const next = advance(state, { type: 'sample', nowMs: now, usable: false });
      expect(next.outputs).toEqual([]);
      state = next.state;
    }
    expect(state.phase === 'running' && state.collectedMs).toBe(0);
    // A usable sample counts the time since the previous one, a gap of 2 s at most the limit.
    state = advance(state, { type: 'sample', nowMs: 5000, usable: true }).state;
    state = advance(state, { type: 'sample', nowMs: 7000, usable: true }).state;
    expect(state.phase === 'running' && state.collectedMs).toBe(
      5000 - lastUnusableMs + MAX_SAMPLE_GAP_MS,
    );
  });

  it('ignores key presses and ticks', () => {
    const state = start(DWELL).state;
    expect(advance(state, { type: 'confirm', nowMs: 10 }).state).toBe(state);
    expect(advance(state, { type: 'tick', nowMs: 99_999 }).state).toBe(state);
  });
});
