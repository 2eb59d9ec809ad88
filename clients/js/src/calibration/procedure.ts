// The calibration and validation procedure as a pure state machine: (state, event) -> state and
// the messages to send. The controller (controller.ts) feeds it key presses, timer ticks and
// samples, and sends what it outputs; nothing here touches the browser or the clock.
//
// Per target: in key mode the target first waits ("ready", drawn as a ring) until the user looks
// at it and presses Space/Enter; then it is drawn solid, `target_shown` goes out, and it stays
// for the settle time plus the time per target. In dwell mode it is shown at once and completes
// after `targetMs` of usable samples (face found, eyes open) with steady gaze past the settle
// time: a sample whose gaze moved faster than a saccade since the previous usable one does not
// count, so a wandering gaze does not complete targets merely by being tracked.

import type { CalibrationTarget } from '../protocol/types.gen';

export type ProcedureKind = 'calibration' | 'validation';
export type AdvanceMode = 'key' | 'dwell';

/** The server drops samples of the first 300 ms after a target appears (saccade latency). */
export const SETTLE_MS = 300;
/** In dwell mode one sample counts for at most this long: a longer gap is frames lost. */
export const MAX_SAMPLE_GAP_MS = 100;
/**
 * Dwell mode: gaze faster than this is moving between points, not resting on the target. The
 * server's saccade cut for calibration samples (SACCADE_DEG_PER_S in
 * srv/gazertc/vision/calibration/selection.py): 4 degrees per frame at 30 fps, above the
 * pipeline's frame-to-frame jitter.
 */
export const STEADY_GAZE_MAX_DEG_PER_S = 120;

/** A sample's combined gaze direction (degrees) and its capture time (ms, any fixed origin). */
export interface GazeReading {
  yawDeg: number;
  pitchDeg: number;
  capturedAtMs: number;
}

export interface ProcedureSettings {
  mode: AdvanceMode;
  /** Usable gaze per target after the settle time, in ms. */
  targetMs: number;
}

export interface RunningProcedure {
  phase: 'running';
  kind: ProcedureKind;
  targets: readonly CalibrationTarget[];
  settings: ProcedureSettings;
  /** The current target's position in `targets`. */
  index: number;
  /** ready: waiting for the key press (key mode only); collecting: samples count for it. */
  step: 'ready' | 'collecting';
  /** When the current target was shown solid (`target_shown`), on the caller's clock. */
  shownAtMs: number | null;
  /** Dwell mode: usable sample time counted for the current target. */
  collectedMs: number;
  lastSampleAtMs: number | null;
  /** Dwell mode: the gaze of the previous usable sample (null: none, or it had no gaze). */
  lastGaze: GazeReading | null;
}

export type ProcedureState =
  | { phase: 'idle' }
  | RunningProcedure
  /** Every target done, `calibration_end` sent: waiting for the server's result. */
  | { phase: 'finishing'; kind: ProcedureKind };

export type ProcedureEvent =
  | {
      type: 'start';
      kind: ProcedureKind;
      targets: readonly CalibrationTarget[];
      settings: ProcedureSettings;
      nowMs: number;
    }
  | { type: 'confirm'; nowMs: number }
  | { type: 'tick'; nowMs: number }
  /** usable: face found, an eye open, not blinking; gaze: null when the sample has none. */
  | { type: 'sample'; nowMs: number; usable: boolean; gaze: GazeReading | null }
  /** The server answered (result or error). */
  | { type: 'finished' }
  | { type: 'cancel' };

export type ProcedureOutput =
  | { type: 'calibration_start' | 'validation_start'; targets: readonly CalibrationTarget[] }
  | { type: 'target_shown'; targetId: number; shownAtMs: number }
  | { type: 'target_done'; targetId: number }
  | { type: 'calibration_end' };

export interface Transition {
  state: ProcedureState;
  outputs: ProcedureOutput[];
}

export const IDLE: ProcedureState = { phase: 'idle' };

/** The server needs at least 4 distinct targets. */
export const MIN_TARGETS = 4;

function unchanged(state: ProcedureState): Transition {
  return { state, outputs: [] };
}

function show(running: RunningProcedure, index: number, nowMs: number): Transition {
  const target = running.targets[index];
  if (target === undefined) throw new RangeError(`no target at ${index}`);
  if (running.settings.mode === 'key') {
    return {
      state: {
        ...running,
        index,
        step: 'ready',
        shownAtMs: null,
        collectedMs: 0,
        lastSampleAtMs: null,
        lastGaze: null,
      },
      outputs: [],
    };
  }
  return {
    state: {
      ...running,
      index,
      step: 'collecting',
      shownAtMs: nowMs,
      collectedMs: 0,
      lastSampleAtMs: null,
      lastGaze: null,
    },
    outputs: [{ type: 'target_shown', targetId: target.id, shownAtMs: nowMs }],
  };
}

function complete(running: RunningProcedure, nowMs: number): Transition {
  const target = running.targets[running.index];
  if (target === undefined) throw new RangeError(`no target at ${running.index}`);
  const done: ProcedureOutput = { type: 'target_done', targetId: target.id };
  const next = running.index + 1;
  if (next >= running.targets.length) {
    return {
      state: { phase: 'finishing', kind: running.kind },
      outputs: [done, { type: 'calibration_end' }],
    };
  }
  const shown = show(running, next, nowMs);
  return { state: shown.state, outputs: [done, ...shown.outputs] };
}

/** When the current target completes in key mode (caller's clock), or null. */
export function collectingEndsAtMs(state: ProcedureState): number | null {
  if (state.phase !== 'running' || state.step !== 'collecting' || state.shownAtMs === null) {
    return null;
  }
  return state.settings.mode === 'key'
    ? state.shownAtMs + SETTLE_MS + state.settings.targetMs
    : null;
}

/** How far the current target is, 0 to 1. */
export function targetProgress(state: ProcedureState, nowMs: number): number {
  if (state.phase !== 'running' || state.step !== 'collecting' || state.shownAtMs === null)
    return 0;
  const total = SETTLE_MS + state.settings.targetMs;
  const elapsed =
    state.settings.mode === 'key'
      ? nowMs - state.shownAtMs
      : Math.min(nowMs - state.shownAtMs, SETTLE_MS) + state.collectedMs;
  return Math.min(1, Math.max(0, elapsed / total));
}

/**
 * Whether the gaze rested between two usable samples: both have a gaze, taken in capture order,
 * and it moved slower than STEADY_GAZE_MAX_DEG_PER_S.
 */
export function gazeSteady(previous: GazeReading | null, current: GazeReading | null): boolean {
  if (previous === null || current === null) return false;
  const elapsedS = (current.capturedAtMs - previous.capturedAtMs) / 1000;
  // Same or out-of-order capture times give no speed: not evidence of a steady gaze.
  if (!(elapsedS > 0)) return false;
  const changeDeg = Math.hypot(
    current.yawDeg - previous.yawDeg,
    current.pitchDeg - previous.pitchDeg,
  );
  return changeDeg / elapsedS <= STEADY_GAZE_MAX_DEG_PER_S;
}

export function currentTarget(state: ProcedureState): CalibrationTarget | null {
  return state.phase === 'running' ? (state.targets[state.index] ?? null) : null;
}

export function advance(state: ProcedureState, event: ProcedureEvent): Transition {
  switch (event.type) {
    case 'start': {
      if (new Set(event.targets.map((target) => target.id)).size !== event.targets.length) {
        throw new RangeError('target ids must be unique');
      }
      if (event.targets.length < MIN_TARGETS) {
        throw new RangeError(
          `at least ${MIN_TARGETS} targets are needed, got ${event.targets.length}`,
        );
      }
      if (!(event.settings.targetMs > 0)) {
        throw new RangeError(
          `the time per target must be positive, got ${event.settings.targetMs}`,
        );
      }
      const running: RunningProcedure = {
        phase: 'running',
        kind: event.kind,
        targets: event.targets,
        settings: event.settings,
        index: 0,
        step: 'ready',
        shownAtMs: null,
        collectedMs: 0,
        lastSampleAtMs: null,
        lastGaze: null,
      };
      const shown = show(running, 0, event.nowMs);
      return {
        state: shown.state,
        outputs: [
          {
            type: event.kind === 'calibration' ? 'calibration_start' : 'validation_start',
            targets: event.targets,
          },
          ...shown.outputs,
        ],
      };
    }
    case 'confirm': {
      if (state.phase !== 'running' || state.step !== 'ready') return unchanged(state);
      const target = state.targets[state.index];
      if (target === undefined) return unchanged(state);
      return {
        state: { ...state, step: 'collecting', shownAtMs: event.nowMs },
        outputs: [{ type: 'target_shown', targetId: target.id, shownAtMs: event.nowMs }],
      };
    }
    case 'tick': {
      const endsAt = collectingEndsAtMs(state);
      if (state.phase !== 'running' || endsAt === null || event.nowMs < endsAt) {
        return unchanged(state);
      }
      return complete(state, event.nowMs);
    }
    case 'sample': {
      if (
        state.phase !== 'running' ||
        state.settings.mode !== 'dwell' ||
        state.step !== 'collecting' ||
        state.shownAtMs === null
      ) {
        return unchanged(state);
      }
      const previous = state.lastSampleAtMs;
      const settled = event.nowMs - state.shownAtMs >= SETTLE_MS;
      const steady = event.usable && gazeSteady(state.lastGaze, event.gaze);
      const counted =
        steady && settled && previous !== null
          ? Math.min(MAX_SAMPLE_GAP_MS, Math.max(0, event.nowMs - previous))
          : 0;
      const next: RunningProcedure = {
        ...state,
        collectedMs: state.collectedMs + counted,
        lastSampleAtMs: event.nowMs,
        // An unusable sample (a blink) keeps the reference: the gaze after it is compared with
        // the gaze before it.
        lastGaze: event.usable ? event.gaze : state.lastGaze,
      };
      return next.collectedMs >= next.settings.targetMs
        ? complete(next, event.nowMs)
        : { state: next, outputs: [] };
    }
    case 'finished':
      return state.phase === 'finishing' ? { state: IDLE, outputs: [] } : unchanged(state);
    case 'cancel':
      return state.phase === 'idle' ? unchanged(state) : { state: IDLE, outputs: [] };
  }
}
