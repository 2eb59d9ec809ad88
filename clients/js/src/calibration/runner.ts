// Runs a calibration or validation for GazeClient: each target in turn for a fixed time, drawn by
// the library (or by the page), with the protocol's messages: calibration_start/validation_start,
// target_shown (on the server's clock), target_done, calibration_end; resolves with the result.

import {
  PROTOCOL_VERSION,
  type CalibrationResultMessage,
  type CalibrationTarget,
  type ClientMessage,
  type ServerMessage,
  type ValidationResultMessage,
} from '../protocol';
import { GazeClientError } from '../client/errors';
import {
  ROUND_INSTRUCTIONS,
  ROUND_PAUSE_MS,
  currentRound,
  isDistanceCount,
  pausedBeforeRound,
  targetsAtDistances,
  type DistanceCount,
} from './distances';
import { calibrationTargets, validationTargets, type Viewport } from './layout';
import {
  IDLE,
  SETTLE_MS,
  advance,
  collectingEndsAtMs,
  type ProcedureEvent,
  type ProcedureKind,
  type ProcedureOutput,
  type ProcedureState,
} from './procedure';
import type { TargetDisplay } from './targets';

export const DEFAULT_DURATION_PER_TARGET_MS = 1500;
/** The server fits or evaluates in well under a second; past this it is not answering. */
export const RESULT_TIMEOUT_MS = 30_000;
/** Validation target ids start here (as in the app), so logs never mix them with calibration's. */
const VALIDATION_FIRST_ID = 100;

export interface ProcedureOptions {
  /** Viewport CSS px; default a 9-point grid (5 for validation). */
  targets?: ReadonlyArray<{ xPx: number; yPx: number }>;
  /** Default true: the library draws the targets full-page; false: the page draws. */
  draw?: boolean;
  /** Called when each target starts. */
  onTarget?: (target: { id: number; xPx: number; yPx: number }) => void;
  /** How long each target is shown, ms (default 1500, of which the first 300 ms do not count). */
  durationPerTargetMs?: number;
  /**
   * Calibration only: the targets are shown at this many viewing distances, 1 (default) or 3
   * (the usual distance, then leaning in, then leaning back), with ROUND_PAUSE_MS and an
   * instruction before each later round; the server fits one model over every round.
   */
  distances?: DistanceCount;
  /** Called as each later round's pause starts, with its instruction (for a page that draws). */
  onRound?: (round: RoundStart) => void;
}

/** A later round of a calibration at several distances, about to start. */
export interface RoundStart {
  /** 1 or 2 (round 0, the usual distance, starts without a pause). */
  round: number;
  rounds: number;
  instruction: string;
}

export type ProcedureResult<K extends ProcedureKind> = K extends 'calibration'
  ? CalibrationResultMessage
  : ValidationResultMessage;

/** What the runner needs from the client. */
export interface ProcedureHost {
  send(message: ClientMessage): boolean;
  onMessage(listener: (message: ServerMessage) => void): () => void;
  serverUnixNsAt(pageMs: number): number;
  /** The viewport's top-left on the screen (targets go to the server in screen px). */
  viewportOrigin(): { xPx: number; yPx: number };
  viewport(): Viewport;
  /** Draws the targets when `draw` is not false. */
  createDisplay(): TargetDisplay;
  /** Rejects the running procedure when the client stops. */
  signal: AbortSignal;
  now?: () => number;
}

/** The messages a procedure sends: the server's errors about others (a load, an accept, a dwell) are not its. */
const PROCEDURE_MESSAGES: ReadonlySet<string> = new Set([
  'calibration_start',
  'validation_start',
  'target_shown',
  'target_done',
  'calibration_end',
]);

/** The procedure's result: a fit's report, not that of a load or of an accepted earlier fit. */
function answersProcedure(kind: ProcedureKind, message: ServerMessage): boolean {
  if (kind === 'validation') return message.type === 'validation_result';
  return (
    message.type === 'calibration_result' &&
    (message.source === undefined || message.source === 'fit')
  );
}

/** The targets in viewport px, with ids. */
export function procedureTargets(
  kind: ProcedureKind,
  viewport: Viewport,
  given: ProcedureOptions['targets'],
): CalibrationTarget[] {
  if (given === undefined) {
    return kind === 'calibration' ? calibrationTargets(9, viewport) : validationTargets(viewport);
  }
  const firstId = kind === 'calibration' ? 0 : VALIDATION_FIRST_ID;
  return given.map((target, index) => ({
    id: firstId + index,
    x_px: target.xPx,
    y_px: target.yPx,
  }));
}

export function runProcedure<K extends ProcedureKind>(
  kind: K,
  host: ProcedureHost,
  options: ProcedureOptions = {},
): Promise<ProcedureResult<K>> {
  const durationMs = options.durationPerTargetMs ?? DEFAULT_DURATION_PER_TARGET_MS;
  if (!(durationMs > SETTLE_MS)) {
    return Promise.reject(
      new GazeClientError(
        'bad_options',
        `durationPerTargetMs must exceed the ${SETTLE_MS} ms the server skips after each target appears, got ${durationMs}`,
      ),
    );
  }
  const distances = options.distances ?? 1;
  if (!isDistanceCount(distances) || (kind === 'validation' && distances !== 1)) {
    return Promise.reject(
      new GazeClientError(
        'bad_options',
        `distances must be 1 or 3, and 1 for a validation, got ${String(distances)}`,
      ),
    );
  }
  const now = host.now ?? (() => performance.now());
  const viewportTargets = targetsAtDistances(
    procedureTargets(kind, host.viewport(), options.targets),
    distances,
  );
  const origin = host.viewportOrigin();
  const screenTargets = viewportTargets.map((target) => ({
    id: target.id,
    x_px: target.x_px + origin.xPx,
    y_px: target.y_px + origin.yPx,
  }));
  const byId = new Map(viewportTargets.map((target) => [target.id, target]));

  return new Promise<ProcedureResult<K>>((resolve, reject) => {
    let state: ProcedureState = IDLE;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let display: TargetDisplay | null = null;
    let unsubscribe: () => void = () => undefined;
    let done = false;

    const finish = (error: GazeClientError | null, result?: ProcedureResult<K>): void => {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      unsubscribe();
      host.signal.removeEventListener('abort', onAbort);
      display?.remove();
      if (error !== null) reject(error);
      else if (result !== undefined) resolve(result);
    };
    const onAbort = (): void => {
      finish(new GazeClientError('stopped', `The ${kind} stopped: the client was stopped.`));
    };

    const toMessage = (output: ProcedureOutput): ClientMessage => {
      switch (output.type) {
        case 'calibration_start':
        case 'validation_start':
          return { v: PROTOCOL_VERSION, type: output.type, targets: screenTargets };
        case 'target_shown':
          return {
            v: PROTOCOL_VERSION,
            type: 'target_shown',
            target_id: output.targetId,
            shown_unix_ns: Math.max(0, Math.round(host.serverUnixNsAt(output.shownAtMs))),
          };
        case 'target_done':
          return { v: PROTOCOL_VERSION, type: 'target_done', target_id: output.targetId };
        case 'calibration_end':
          return { v: PROTOCOL_VERSION, type: 'calibration_end' };
      }
    };

    const showTarget = (targetId: number): void => {
      const target = byId.get(targetId);
      if (target === undefined) return;
      display?.show(target.x_px, target.y_px);
      options.onTarget?.({ id: target.id, xPx: target.x_px, yPx: target.y_px });
    };

    const dispatch = (event: ProcedureEvent): void => {
      if (done) return;
      const transition = advance(state, event);
      state = transition.state;
      for (const output of transition.outputs) {
        if (output.type === 'target_shown') showTarget(output.targetId);
        if (!host.send(toMessage(output))) {
          finish(new GazeClientError('not_connected', `The ${kind} stopped: not connected.`));
          return;
        }
      }
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (state.phase === 'running' && state.step === 'ready') {
        const round = pausedBeforeRound(state, distances) ? currentRound(state, distances) : null;
        if (round === null) {
          // Time-based: each target is taken as looked at as soon as it appears.
          dispatch({ type: 'confirm', nowMs: now() });
          return;
        }
        const instruction = ROUND_INSTRUCTIONS[round.round] ?? '';
        display?.say(instruction);
        options.onRound?.({ round: round.round, rounds: round.rounds, instruction });
        timer = setTimeout(() => dispatch({ type: 'confirm', nowMs: now() }), ROUND_PAUSE_MS);
        return;
      }
      const endsAt = collectingEndsAtMs(state);
      if (endsAt !== null) {
        timer = setTimeout(
          () => dispatch({ type: 'tick', nowMs: now() }),
          Math.max(0, endsAt - now()),
        );
      } else if (state.phase === 'finishing') {
        display?.remove();
        timer = setTimeout(() => {
          finish(new GazeClientError('timeout', `The server did not answer the ${kind}.`));
        }, RESULT_TIMEOUT_MS);
      }
    };

    unsubscribe = host.onMessage((message) => {
      if (state.phase === 'finishing' && answersProcedure(kind, message)) {
        finish(null, message as ProcedureResult<K>);
      } else if (
        message.type === 'error' &&
        (message.code === 'calibration_failed' || message.code === 'calibration_out_of_order') &&
        (message.ref_type === undefined || PROCEDURE_MESSAGES.has(message.ref_type))
      ) {
        finish(new GazeClientError(message.code, message.message));
      }
    });
    if (host.signal.aborted) {
      onAbort();
      return;
    }
    host.signal.addEventListener('abort', onAbort);
    if (options.draw !== false) display = host.createDisplay();
    try {
      dispatch({
        type: 'start',
        kind,
        targets: viewportTargets,
        settings: { mode: 'key', targetMs: durationMs - SETTLE_MS },
        nowMs: now(),
      });
    } catch (error) {
      finish(new GazeClientError('bad_options', (error as Error).message));
    }
  });
}
