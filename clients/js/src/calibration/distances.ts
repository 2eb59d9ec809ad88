// Calibrating at several viewing distances: the same targets at the usual distance, then leaning
// in, then leaning back, in one procedure (one calibration_start with every round's targets, one
// calibration_end: the server fits one model over all). In a SIMULATION with rendered eyes
// (docs/rendered-eyes.md) this kept the error after moving the head 3-8 cm near that of a still
// head, where a calibration at one distance lost 1-3 degrees. Pure functions over the procedure
// state machine; the library's runner and the app's controller run them.

import type { CalibrationTarget } from '../protocol';
import { advance, type ProcedureEvent, type ProcedureState, type Transition } from './procedure';

export const DISTANCE_COUNTS = [1, 3] as const;
export type DistanceCount = (typeof DISTANCE_COUNTS)[number];

export function isDistanceCount(value: unknown): value is DistanceCount {
  return (DISTANCE_COUNTS as readonly unknown[]).includes(value);
}

/**
 * Dwell and timed modes: the pause before a later round's first target, to read the instruction,
 * lean in or back and hold still (a move of a hand's width takes about a second, reading the one line
 * one to two more).
 */
export const ROUND_PAUSE_MS = 3000;

/** What to do before each round (index: round); the first round needs no move. */
export const ROUND_INSTRUCTIONS: readonly string[] = [
  'Sit at your usual distance',
  "Lean in about a hand's width closer to the screen and keep still",
  "Now lean back about a hand's width further than usual",
];

/**
 * The targets of every round, in order: the same positions each round, with distinct ids (round
 * r's copy of a target has id `id + r * targets.length`; the calibration ids start at 0, so they
 * stay below the validation ids).
 */
export function targetsAtDistances(
  targets: readonly CalibrationTarget[],
  distances: DistanceCount,
): CalibrationTarget[] {
  const rounds = Array.from({ length: distances }, (_, round) =>
    targets.map((target) => ({ ...target, id: target.id + round * targets.length })),
  );
  return rounds.flat();
}

/** The current target's round (0 = the usual distance) and how many there are, or null. */
export function currentRound(
  state: ProcedureState,
  distances: DistanceCount,
): { round: number; rounds: number; index: number; perRound: number } | null {
  if (state.phase !== 'running') return null;
  const perRound = state.targets.length / distances;
  return {
    round: Math.floor(state.index / perRound),
    rounds: distances,
    index: state.index % perRound,
    perRound,
  };
}

/**
 * Whether the procedure waits before a later round's first target, for the user to move (key
 * mode: until Space or Enter; dwell mode: until the controller confirms after ROUND_PAUSE_MS).
 */
export function pausedBeforeRound(state: ProcedureState, distances: DistanceCount): boolean {
  const round = currentRound(state, distances);
  return (
    state.phase === 'running' &&
    state.step === 'ready' &&
    round !== null &&
    round.round > 0 &&
    round.index === 0
  );
}

/**
 * `advance`, with a pause before every later round. Key mode pauses already (a target waits for
 * the key). Dwell mode shows the next target at once; here its first target of a round is held
 * as `ready` instead (not yet shown: no `target_shown`, no samples counted) until a `confirm`.
 */
export function advanceInRounds(
  state: ProcedureState,
  event: ProcedureEvent,
  distances: DistanceCount,
): Transition {
  const transition = advance(state, event);
  const next = transition.state;
  if (
    distances === 1 ||
    next.phase !== 'running' ||
    next.settings.mode !== 'dwell' ||
    next.step !== 'collecting' ||
    (state.phase === 'running' && state.index === next.index)
  ) {
    return transition;
  }
  const round = currentRound(next, distances);
  if (round === null || round.round === 0 || round.index !== 0) return transition;
  const shownId = next.targets[next.index]?.id;
  return {
    state: { ...next, step: 'ready', shownAtMs: null },
    outputs: transition.outputs.filter(
      (output) => !(output.type === 'target_shown' && output.targetId === shownId),
    ),
  };
}
