// Calibration, validation and the saved calibration, without React: follows the session through
// AppController's session listener, runs the procedure state machine (procedure.ts), sends its
// messages, and writes what happens into its own small store (state.ts).

import {
  PROTOCOL_VERSION,
  protocolValidator,
  type ClientMessage,
  type ServerMessage,
  type SampleMessage,
  type Screen,
  type ProtocolValidator,
} from 'gazertc-client/protocol';
import type { SessionListener } from '../rtc/controller';
import type { Store } from '../store/store';
import type { ScreenPx } from './chart';
import {
  calibrationTargets,
  validationTargets,
  SETTLE_MS,
  collectingEndsAtMs,
  type GazeReading,
  type ProcedureEvent,
  type ProcedureKind,
  type ProcedureOutput,
  ROUND_PAUSE_MS,
  advanceInRounds,
  pausedBeforeRound,
  targetsAtDistances,
} from 'gazertc-client/calibration';
import { sameScreen, screenGeometry, type ViewportReading } from './screen';
import { fitAwaitingDecision, type CalibrationState } from './state';
import {
  forgetCalibration,
  loadSavedCalibration,
  saveCalibration,
  saveSettings,
  savedFromResult,
  type CalibrationSettings,
  type KeyValueStorage,
} from './storage';

/** Validation samples kept per target for the chart (about 3 s at 30 fps). */
const MAX_CHART_SAMPLES_PER_TARGET = 100;
/** Keep the clock estimate with the shortest round trip among this many recent ones. */
const CLOCK_ESTIMATES_KEPT = 10;

export interface SessionLink {
  addSessionListener(listener: SessionListener): () => void;
  send(message: ClientMessage): boolean;
}

export interface CalibrationControllerOptions {
  app: SessionLink;
  store: Store<CalibrationState>;
  /** localStorage, or null where it is unavailable. */
  storage: KeyValueStorage | null;
  viewport: () => ViewportReading;
  /** Calls `listener` when the viewport changes size; returns the cleanup. */
  watchViewport?: (listener: () => void) => () => void;
  /** Milliseconds on the page's monotonic clock (`performance.now()`). */
  now?: () => number;
  /** `performance.timeOrigin`: the Unix time (ms) of `now() === 0`. */
  timeOriginMs?: number;
  validator?: ProtocolValidator;
}

export class CalibrationController {
  private readonly store: Store<CalibrationState>;
  private readonly now: () => number;
  private readonly timeOriginMs: number;
  private readonly validator: ProtocolValidator;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Dwell mode, paused before a round: when the round's first target appears. */
  private roundPauseEndsAtMs: number | null = null;
  private clockEstimates: { roundTripMs: number; offsetMs: number }[] = [];
  private validationPoints = new Map<number, ScreenPx[]>();
  private cleanups: (() => void)[] = [];

  constructor(private readonly options: CalibrationControllerOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => performance.now());
    this.timeOriginMs = options.timeOriginMs ?? performance.timeOrigin;
    this.validator = options.validator ?? protocolValidator();
  }

  /** Start following the session; returns the cleanup (also `dispose()`). */
  attach(): () => void {
    const storage = this.options.storage;
    const saved = storage === null ? null : loadSavedCalibration(storage, this.validator);
    this.store.update((state) => ({ ...state, saved }));
    this.cleanups.push(
      this.options.app.addSessionListener({
        onOpen: () => this.onSessionOpen(),
        onMessage: (message) => this.onMessage(message),
        onClock: (estimate) => {
          this.clockEstimates = [
            ...this.clockEstimates.slice(1 - CLOCK_ESTIMATES_KEPT),
            { roundTripMs: estimate.roundTripMs, offsetMs: estimate.serverClockOffsetMs },
          ];
        },
      }),
    );
    if (this.options.watchViewport !== undefined) {
      this.cleanups.push(this.options.watchViewport(() => this.onViewportChanged()));
    }
    return () => this.dispose();
  }

  dispose(): void {
    this.clearTimer();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** The screen to report: this viewport, with the physical size when the card check gave it. */
  currentScreen(): Screen | undefined {
    return screenGeometry(this.options.viewport(), this.store.getState().settings.mmPerCssPx);
  }

  updateSettings(patch: Partial<CalibrationSettings>): void {
    const settings = { ...this.store.getState().settings, ...patch };
    this.store.update((state) => ({ ...state, settings }));
    if (this.options.storage !== null) saveSettings(this.options.storage, settings);
  }

  /** The server's clock minus ours (ms), from the least-delayed recent ping, or null. */
  serverClockOffsetMs(): number | null {
    let best: { roundTripMs: number; offsetMs: number } | null = null;
    for (const estimate of this.clockEstimates) {
      if (best === null || estimate.roundTripMs < best.roundTripMs) best = estimate;
    }
    return best?.offsetMs ?? null;
  }

  // -- procedures ---------------------------------------------------------------------------

  /** Start a calibration, or a validation of the current one. */
  start(kind: ProcedureKind): void {
    const state = this.store.getState();
    const screen = this.currentScreen();
    if (screen === undefined) {
      this.setProblem('The window has no size: calibration needs a visible page.');
      return;
    }
    if (kind === 'validation') {
      const calibrationScreen = state.calibrationScreen;
      if (!state.calibrated || calibrationScreen === null) {
        this.setProblem('Calibrate first: a validation measures a calibration.');
        return;
      }
      if (!sameScreen(calibrationScreen, screen)) {
        this.setProblem(
          'The window changed size since the calibration: calibrate again (or restore the size).',
        );
        return;
      }
    }
    const viewport = { widthPx: screen.width_px, heightPx: screen.height_px };
    const distances = kind === 'calibration' ? state.settings.distances : 1;
    const targets =
      kind === 'calibration'
        ? targetsAtDistances(calibrationTargets(state.settings.targetCount, viewport), distances)
        : validationTargets(viewport);
    if (kind === 'calibration' && !this.options.app.send(configMessage(screen))) {
      this.setProblem('Not connected: start tracking first.');
      return;
    }
    this.validationPoints = new Map();
    this.store.update((current) => ({
      ...current,
      problem: null,
      procedureDistances: distances,
      ...(kind === 'calibration'
        ? { fit: null, acceptPending: false, validation: null, procedureScreen: screen }
        : { validation: null, procedureScreen: screen }),
    }));
    this.dispatch({
      type: 'start',
      kind,
      targets,
      settings: { mode: state.settings.mode, targetMs: state.settings.targetMs },
      nowMs: this.now(),
    });
  }

  /** The user looks at the target and pressed Space/Enter (key mode; also ends a round's pause). */
  confirmTarget(): void {
    this.dispatch({ type: 'confirm', nowMs: this.now() });
  }

  /** Stop a running procedure (the server abandons it at the next start). */
  cancel(): void {
    this.dispatch({ type: 'cancel' });
  }

  /** Use the saved calibration in this session (when it fits this screen). */
  loadSaved(): void {
    const saved = this.store.getState().saved;
    if (saved === null) {
      this.setSavedStatus('none');
      return;
    }
    const screen = this.currentScreen();
    if (screen === undefined || !sameScreen(saved.screen, screen)) {
      this.setSavedStatus('screen_changed');
      return;
    }
    const app = this.options.app;
    if (!app.send(configMessage(screen))) return;
    this.setSavedStatus('loading');
    app.send({ v: PROTOCOL_VERSION, type: 'calibration_load', model: saved.model });
  }

  /**
   * Use the fit the server did not apply (rated poor) anyway: sends calibration_accept; the
   * server answers with the same report, applied (then it is saved like any applied fit).
   */
  acceptPoorFit(): void {
    const state = this.store.getState();
    if (fitAwaitingDecision(state) === null || state.acceptPending) return;
    if (!this.options.app.send({ v: PROTOCOL_VERSION, type: 'calibration_accept' })) {
      this.setProblem('Not connected: start tracking first.');
      return;
    }
    this.store.update((current) => ({ ...current, acceptPending: true, problem: null }));
  }

  forgetSaved(): void {
    if (this.options.storage !== null) forgetCalibration(this.options.storage);
    this.store.update((state) => ({ ...state, saved: null, savedStatus: 'none' }));
  }

  private dispatch(event: ProcedureEvent): void {
    const { procedure: before, procedureDistances } = this.store.getState();
    const { state, outputs } = advanceInRounds(before, event, procedureDistances);
    if (state !== before) this.store.update((current) => ({ ...current, procedure: state }));
    for (const output of outputs) this.options.app.send(this.toMessage(output));
    this.schedule();
  }

  private toMessage(output: ProcedureOutput): ClientMessage {
    switch (output.type) {
      case 'calibration_start':
      case 'validation_start':
        return { v: PROTOCOL_VERSION, type: output.type, targets: [...output.targets] };
      case 'target_shown': {
        const offsetMs = this.serverClockOffsetMs();
        if (offsetMs === null) {
          // No clock estimate yet: the server counts from the message's arrival.
          return { v: PROTOCOL_VERSION, type: 'target_shown', target_id: output.targetId };
        }
        const shownUnixNs = Math.round((this.timeOriginMs + output.shownAtMs + offsetMs) * 1e6);
        return {
          v: PROTOCOL_VERSION,
          type: 'target_shown',
          target_id: output.targetId,
          shown_unix_ns: Math.max(0, shownUnixNs),
        };
      }
      case 'target_done':
        return { v: PROTOCOL_VERSION, type: 'target_done', target_id: output.targetId };
      case 'calibration_end':
        return { v: PROTOCOL_VERSION, type: 'calibration_end' };
    }
  }

  /**
   * Key mode: wake up when the current target's time is over. Dwell mode, paused before a
   * round: show its first target when the pause is over.
   */
  private schedule(): void {
    this.clearTimer();
    const { procedure, procedureDistances } = this.store.getState();
    if (procedure.phase === 'running' && procedure.settings.mode === 'dwell') {
      if (!pausedBeforeRound(procedure, procedureDistances)) {
        this.roundPauseEndsAtMs = null;
        return;
      }
      const endsAtMs = (this.roundPauseEndsAtMs ??= this.now() + ROUND_PAUSE_MS);
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.roundPauseEndsAtMs = null;
          this.dispatch({ type: 'confirm', nowMs: this.now() });
        },
        Math.max(0, endsAtMs - this.now()),
      );
      return;
    }
    this.roundPauseEndsAtMs = null;
    const endsAt = collectingEndsAtMs(procedure);
    if (endsAt === null) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.dispatch({ type: 'tick', nowMs: this.now() });
      },
      Math.max(0, endsAt - this.now()),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  // -- the session --------------------------------------------------------------------------

  private onSessionOpen(): void {
    // A new session knows nothing of the last one: no calibration, no running procedure.
    this.clockEstimates = [];
    const interrupted = this.store.getState().procedure.phase !== 'idle';
    this.dispatch({ type: 'cancel' });
    this.store.update((state) => ({
      ...state,
      calibrated: false,
      calibrationScreen: null,
      // A fit waiting for "use it anyway" lived in the old session's server state.
      fit: fitAwaitingDecision(state) === null ? state.fit : null,
      acceptPending: false,
      problem: interrupted ? 'The connection was interrupted: start the procedure again.' : null,
    }));
    this.loadSaved();
  }

  private onViewportChanged(): void {
    const { savedStatus, calibrated, procedure, procedureScreen } = this.store.getState();
    const screen = this.currentScreen();
    if (
      procedure.phase === 'running' &&
      procedureScreen !== null &&
      (screen === undefined || !sameScreen(procedureScreen, screen))
    ) {
      // The targets were placed for the old size (e.g. full screen was left with Escape).
      this.dispatch({ type: 'cancel' });
      this.setProblem('The window changed size during the procedure: start it again.');
    }
    if (!calibrated && savedStatus === 'screen_changed') this.loadSaved();
    this.store.update((state) => ({ ...state, viewportChanged: this.viewportDiffers() }));
  }

  private viewportDiffers(): boolean {
    const { calibrationScreen } = this.store.getState();
    const screen = this.currentScreen();
    return (
      calibrationScreen !== null && (screen === undefined || !sameScreen(calibrationScreen, screen))
    );
  }

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'sample':
        this.onSample(message);
        return;
      case 'calibration_result': {
        const loaded = message.source === 'load';
        this.dispatch({ type: 'finished' });
        const screen = message.model.screen;
        if (loaded) {
          this.store.update((state) => ({
            ...state,
            calibrated: true,
            calibrationScreen: screen,
            savedStatus: 'loaded',
            viewportChanged: false,
          }));
          return;
        }
        // A fit (or an accepted one); only an applied one is in use, and only that is kept.
        const saved = savedFromResult(message, Date.now());
        if (saved === null) {
          // Poor: not applied; whatever calibration was in use stays, nothing is saved.
          this.store.update((state) => ({
            ...state,
            fit: message,
            validation: null,
            acceptPending: false,
          }));
          return;
        }
        const stored =
          this.options.storage !== null && saveCalibration(this.options.storage, saved);
        this.store.update((state) => ({
          ...state,
          calibrated: true,
          calibrationScreen: screen,
          fit: message,
          acceptPending: false,
          validation: null,
          saved: stored ? saved : state.saved,
          savedStatus: stored ? 'saved' : 'unsaved',
          viewportChanged: false,
        }));
        return;
      }
      case 'validation_result': {
        this.dispatch({ type: 'finished' });
        const samples: ReadonlyMap<number, readonly ScreenPx[]> = this.validationPoints;
        this.validationPoints = new Map();
        this.store.update((state) => ({ ...state, validation: { result: message, samples } }));
        return;
      }
      case 'error':
        if (message.code !== 'calibration_failed' && message.code !== 'calibration_out_of_order') {
          return;
        }
        if (message.ref_type === 'calibration_accept') {
          // Nothing waits to be accepted any more (e.g. the server restarted the procedure).
          this.store.update((state) => ({
            ...state,
            fit: fitAwaitingDecision(state) === null ? state.fit : null,
            acceptPending: false,
            problem: `The calibration could not be used (${message.message}): please try again.`,
          }));
        } else if (message.ref_type === 'calibration_load') {
          this.store.update((state) => ({
            ...state,
            savedStatus: 'refused',
            problem: `The saved calibration was not accepted: ${message.message}`,
          }));
        } else if (message.ref_type === 'config') {
          this.store.update((state) => ({
            ...state,
            calibrated: false,
            calibrationScreen: null,
            problem: state.procedure.phase === 'idle' ? message.message : state.problem,
          }));
        } else {
          this.dispatch({ type: 'finished' });
          this.dispatch({ type: 'cancel' });
          this.store.update((state) => ({ ...state, problem: message.message }));
        }
        return;
      default:
        return;
    }
  }

  private onSample(sample: SampleMessage): void {
    const procedure = this.store.getState().procedure;
    if (procedure.phase !== 'running' || procedure.step !== 'collecting') return;
    const nowMs = this.now();
    if (procedure.kind === 'validation' && procedure.shownAtMs !== null) {
      const point = sample.screen_point;
      const target = procedure.targets[procedure.index];
      if (
        point !== undefined &&
        point !== null &&
        target !== undefined &&
        nowMs - procedure.shownAtMs >= SETTLE_MS
      ) {
        const points = this.validationPoints.get(target.id) ?? [];
        if (points.length < MAX_CHART_SAMPLES_PER_TARGET) {
          points.push({ xPx: point.x_px, yPx: point.y_px });
          this.validationPoints.set(target.id, points);
        }
      }
    }
    this.dispatch({
      type: 'sample',
      nowMs,
      usable: usableForDwell(sample),
      gaze: gazeReading(sample),
    });
  }

  private setProblem(problem: string | null): void {
    this.store.update((state) => ({ ...state, problem }));
  }

  private setSavedStatus(savedStatus: CalibrationState['savedStatus']): void {
    this.store.update((state) =>
      state.savedStatus === savedStatus ? state : { ...state, savedStatus },
    );
  }
}

function configMessage(screen: Screen): ClientMessage {
  return { v: PROTOCOL_VERSION, type: 'config', screen };
}

/** A sample the server can use for a target: a face with an open eye, not blinking. */
export function usableForDwell(sample: SampleMessage): boolean {
  return (
    sample.face_found &&
    !sample.blinking &&
    (sample.right_eye?.is_open === true || sample.left_eye?.is_open === true)
  );
}

/** The sample's combined gaze for the dwell steadiness check, timed by its capture time. */
export function gazeReading(sample: SampleMessage): GazeReading | null {
  const gaze = sample.gaze;
  if (gaze === null) return null;
  return {
    yawDeg: gaze.yaw_deg,
    pitchDeg: gaze.pitch_deg,
    capturedAtMs: sample.timestamp_unix_ns / 1e6,
  };
}
