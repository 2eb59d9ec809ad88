import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CalibrationController } from '../../src/calibration/controller';
import { FakeSession, MemoryStorage } from './fakes';
import { SETTLE_MS, calibrationTargets, ROUND_PAUSE_MS } from 'gazertc-client/calibration';
import {
  fitAwaitingDecision,
  initialCalibrationState,
  type CalibrationState,
} from '../../src/calibration/state';
import { DEFAULT_SETTINGS, SAVED_CALIBRATION_KEY } from '../../src/calibration/storage';
import {
  PROTOCOL_VERSION,
  createValidator,
  type ClientMessage,
  type ProtocolValidator,
  type ServerMessage,
  type CalibrationResultMessage,
  type SampleMessage,
  type ValidationResultMessage,
} from 'gazertc-client/protocol';
import { createStore, type Store } from '../../src/store/store';
import { fixture } from '../fixtures';

const validator: ProtocolValidator = createValidator();

const NINE_POINTS = fixture('calibration_result.nine_points.json') as CalibrationResultMessage;
/** A good fit, applied (the verdict fields set here, whatever the fixture holds). */
const CALIBRATED: CalibrationResultMessage = {
  ...NINE_POINTS,
  source: 'fit',
  applied: true,
  quality: 'good',
  quality_reason: 'Leave-one-target-out error 0.4 deg: good.',
  loto_error_px: 17,
  loto_error_deg: 0.4,
};
/** What the server sends when the gaze ignored the targets: poor, not applied. */
const POOR: CalibrationResultMessage = {
  ...CALIBRATED,
  applied: false,
  quality: 'poor',
  quality_reason: 'Your gaze barely moved between the targets: look at each dot.',
  loto_error_px: 700,
  loto_error_deg: 16,
};
const ACCEPTED: CalibrationResultMessage = { ...POOR, source: 'accept', applied: true };
const VALIDATED: ValidationResultMessage = {
  ...(fixture('validation_result.four_points.json') as ValidationResultMessage),
  quality: 'good',
  quality_reason: 'Accuracy 0.8 deg: good.',
};
const SAMPLE = fixture('sample.calibrated.json') as SampleMessage;
for (const message of [CALIBRATED, POOR, ACCEPTED]) {
  validator.assertValid('calibration_result', message);
}
validator.assertValid('validation_result', VALIDATED);
/** The viewport of the fixture's model (the screen it was made for). */
const MODEL_SCREEN = CALIBRATED.model.screen;

interface Setup {
  session: FakeSession;
  storage: MemoryStorage;
  store: Store<CalibrationState>;
  controller: CalibrationController;
  viewport: { widthPx: number; heightPx: number; devicePixelRatio: number };
  clock: { nowMs: number };
}

function setup(storage = new MemoryStorage()): Setup {
  const session = new FakeSession();
  const store = createStore(
    initialCalibrationState({
      ...DEFAULT_SETTINGS,
      targetMs: 600,
      mmPerCssPx:
        MODEL_SCREEN.width_mm === undefined ? null : MODEL_SCREEN.width_mm / MODEL_SCREEN.width_px,
    }),
  );
  const viewport = {
    widthPx: MODEL_SCREEN.width_px,
    heightPx: MODEL_SCREEN.height_px,
    devicePixelRatio: MODEL_SCREEN.device_pixel_ratio ?? 1,
  };
  const clock = { nowMs: 1000 };
  const controller = new CalibrationController({
    app: session,
    store,
    storage,
    viewport: () => viewport,
    now: () => clock.nowMs,
    timeOriginMs: 1_767_225_600_000,
    validator,
  });
  controller.attach();
  return { session, storage, store, controller, viewport, clock };
}

/** Press through every target of the running procedure (key mode), advancing fake time. */
function pressThrough(s: Setup): void {
  while (s.store.getState().procedure.phase === 'running') {
    s.controller.confirmTarget();
    s.clock.nowMs += SETTLE_MS + 600;
    vi.advanceTimersByTime(SETTLE_MS + 600);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('calibration controller', () => {
  it('runs a calibration: config, start, shown/done per target, end; saves the result', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    const types = s.session.types();
    expect(types.slice(0, 2)).toEqual(['config', 'calibration_start']);
    expect(types.filter((type) => type === 'target_shown')).toHaveLength(9);
    expect(types.filter((type) => type === 'target_done')).toHaveLength(9);
    expect(types.at(-1)).toBe('calibration_end');
    expect(s.store.getState().procedure).toEqual({ phase: 'finishing', kind: 'calibration' });

    s.session.receive(CALIBRATED);
    const state = s.store.getState();
    expect(state.procedure.phase).toBe('idle');
    expect(state.calibrated).toBe(true);
    expect(state.fit).toBe(CALIBRATED);
    expect(state.savedStatus).toBe('saved');
    const saved = JSON.parse(s.storage.getItem(SAVED_CALIBRATION_KEY) ?? 'null') as {
      model: unknown;
      screen: unknown;
    };
    expect(saved.model).toEqual(CALIBRATED.model);
    expect(saved.screen).toEqual(MODEL_SCREEN);
  });

  it('stamps target_shown on the server clock when the offset is known', () => {
    const s = setup();
    s.session.clock(40, 5000);
    s.session.clock(4, 250); // the least delayed estimate wins
    s.session.clock(30, 9000);
    s.controller.start('calibration');
    s.controller.confirmTarget();
    const shown = s.session.sent.find((message) => message.type === 'target_shown');
    // Unix ms = time origin + now (1000) + offset (250).
    expect(shown).toEqual({
      v: 1,
      type: 'target_shown',
      target_id: 0,
      shown_unix_ns: (1_767_225_600_000 + 1000 + 250) * 1e6,
    });
  });

  it('omits shown_unix_ns without a clock estimate (the server uses arrival)', () => {
    const s = setup();
    s.controller.start('calibration');
    s.controller.confirmTarget();
    expect(s.session.sent.find((message) => message.type === 'target_shown')).toEqual({
      v: 1,
      type: 'target_shown',
      target_id: 0,
    });
  });

  it('validates: keeps the gaze points of each target after the settle time', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(CALIBRATED);
    s.controller.start('validation');
    expect(s.session.sent.at(-1)?.type).toBe('validation_start');
    s.controller.confirmTarget();
    s.session.receive(SAMPLE); // inside the settle time: not kept
    s.clock.nowMs += SETTLE_MS + 10;
    s.session.receive(SAMPLE);
    s.session.receive(SAMPLE);
    s.clock.nowMs += 600;
    vi.advanceTimersByTime(SETTLE_MS + 600);
    pressThrough(s);
    s.session.receive(VALIDATED);
    const validation = s.store.getState().validation;
    expect(validation?.result).toBe(VALIDATED);
    expect(validation?.samples.get(100)).toEqual([
      { xPx: SAMPLE.screen_point?.x_px, yPx: SAMPLE.screen_point?.y_px },
      { xPx: SAMPLE.screen_point?.x_px, yPx: SAMPLE.screen_point?.y_px },
    ]);
  });

  it('refuses a validation before any calibration', () => {
    const s = setup();
    s.controller.start('validation');
    expect(s.session.sent).toEqual([]);
    expect(s.store.getState().problem).toMatch(/Calibrate first/);
  });

  it('shows calibration_failed and returns to idle', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(fixture('error.calibration_failed.json') as ServerMessage);
    const state = s.store.getState();
    expect(state.procedure.phase).toBe('idle');
    expect(state.calibrated).toBe(false);
    expect(state.problem).toMatch(/too few usable samples/);
  });

  it('loads the saved calibration when a session opens on the same screen', () => {
    const first = setup();
    first.controller.start('calibration');
    pressThrough(first);
    first.session.receive(CALIBRATED);

    const next = setup(first.storage);
    expect(next.store.getState().saved?.model).toEqual(CALIBRATED.model);
    next.session.opened();
    expect(next.session.types()).toEqual(['config', 'calibration_load']);
    expect(next.store.getState().savedStatus).toBe('loading');
    next.session.receive({
      ...CALIBRATED,
      source: 'load',
      targets: [],
      mean_offset_px: null,
      quality: null,
    });
    expect(next.store.getState()).toMatchObject({
      savedStatus: 'loaded',
      calibrated: true,
      fit: null,
    });
  });

  it('says the screen changed instead of loading, and loads once it is back', () => {
    const first = setup();
    first.controller.start('calibration');
    pressThrough(first);
    first.session.receive(CALIBRATED);

    const next = setup(first.storage);
    next.viewport.widthPx = 1280;
    next.session.opened();
    expect(next.session.sent).toEqual([]);
    expect(next.store.getState().savedStatus).toBe('screen_changed');
    next.viewport.widthPx = MODEL_SCREEN.width_px;
    next.controller.loadSaved();
    expect(next.session.types()).toEqual(['config', 'calibration_load']);
  });

  it('reports a saved calibration the server refuses', () => {
    const first = setup();
    first.controller.start('calibration');
    pressThrough(first);
    first.session.receive(CALIBRATED);
    const next = setup(first.storage);
    next.session.opened();
    next.session.receive({
      v: 1,
      type: 'error',
      code: 'calibration_failed',
      message: 'malformed model',
      fatal: false,
      ref_type: 'calibration_load',
    });
    expect(next.store.getState()).toMatchObject({ savedStatus: 'refused', calibrated: false });
  });

  it('ignores a corrupt saved calibration', () => {
    const storage = new MemoryStorage();
    storage.setItem(SAVED_CALIBRATION_KEY, '{"model": {"format": "other"}, "screen": 3}');
    expect(setup(storage).store.getState().saved).toBeNull();
    storage.setItem(SAVED_CALIBRATION_KEY, 'not json');
    expect(setup(storage).store.getState().saved).toBeNull();
  });

  it('a new session interrupts a running procedure and forgets the calibration', () => {
    const s = setup();
    s.controller.start('calibration');
    s.controller.confirmTarget();
    s.session.opened();
    const state = s.store.getState();
    expect(state.procedure.phase).toBe('idle');
    expect(state.problem).toMatch(/interrupted/);
    // The key-mode timer was cleared with it: nothing more is sent.
    const count = s.session.sent.length;
    vi.advanceTimersByTime(10_000);
    expect(s.session.sent.length).toBe(count);
  });

  it('stops a procedure whose window changed size (targets placed for the old size)', () => {
    const session = new FakeSession();
    const store = createStore(initialCalibrationState());
    const viewport = { widthPx: 1200, heightPx: 800, devicePixelRatio: 1 };
    let onResize = (): void => undefined;
    const controller = new CalibrationController({
      app: session,
      store,
      storage: null,
      viewport: () => viewport,
      watchViewport: (listener) => {
        onResize = listener;
        return () => {
          onResize = () => undefined;
        };
      },
    });
    const detach = controller.attach();
    controller.start('calibration');
    viewport.heightPx = 700;
    onResize();
    expect(store.getState().procedure.phase).toBe('idle');
    expect(store.getState().problem).toMatch(/changed size/);
    detach();
  });

  /** `frames` samples 33 ms apart; `yawAt(frame)` gives each one's gaze yaw. */
  function feedGaze(s: Setup, frames: number, yawAt: (frame: number) => number): void {
    for (let frame = 0; frame < frames; frame += 1) {
      s.clock.nowMs += 33;
      const gaze = SAMPLE.gaze === null ? null : { ...SAMPLE.gaze, yaw_deg: yawAt(frame) };
      s.session.receive({
        ...SAMPLE,
        frame_id: frame,
        timestamp_unix_ns: SAMPLE.timestamp_unix_ns + frame * 33_000_000,
        gaze,
      });
    }
  }

  it('completes dwell-mode targets from usable samples with steady gaze', () => {
    const s = setup();
    s.controller.updateSettings({ mode: 'dwell', targetMs: 600 });
    s.controller.start('calibration');
    expect(s.session.types()).toEqual(['config', 'calibration_start', 'target_shown']);
    // Jitter of half a degree between frames (15 deg/s): steady.
    feedGaze(s, 40, (frame) => 1.3 + (frame % 2) * 0.5);
    expect(s.session.types()).toContain('target_done');
  });

  it('does not complete dwell-mode targets while the gaze jumps, though every frame is usable', () => {
    const s = setup();
    s.controller.updateSettings({ mode: 'dwell', targetMs: 600 });
    s.controller.start('calibration');
    // 6 degrees between frames (180 deg/s, above the saccade cut) for 10 s.
    feedGaze(s, 300, (frame) => (frame % 2) * 6);
    expect(s.session.types()).not.toContain('target_done');
    const procedure = s.store.getState().procedure;
    expect(procedure.phase === 'running' && procedure.collectedMs).toBe(0);
  });

  it('a poor fit is not saved: it waits for try again or use it anyway', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(POOR);
    const state = s.store.getState();
    expect(state.procedure.phase).toBe('idle');
    expect(state.fit).toBe(POOR);
    expect(fitAwaitingDecision(state)).toBe(POOR);
    expect(state.calibrated).toBe(false);
    expect(state.savedStatus).toBe('none');
    expect(state.saved).toBeNull();
    expect(s.storage.getItem(SAVED_CALIBRATION_KEY)).toBeNull();
    // A validation measures the calibration in use: there is none.
    s.controller.start('validation');
    expect(s.store.getState().problem).toMatch(/Calibrate first/);
  });

  it('use it anyway sends calibration_accept once; the accepted fit is applied and saved', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(POOR);
    const before = s.session.sent.length;
    s.controller.acceptPoorFit();
    s.controller.acceptPoorFit(); // a double click sends it once
    expect(s.session.sent.slice(before)).toEqual([{ v: 1, type: 'calibration_accept' }]);
    expect(s.store.getState().acceptPending).toBe(true);
    expect(s.store.getState().calibrated).toBe(false);

    s.session.receive(ACCEPTED);
    const state = s.store.getState();
    expect(state).toMatchObject({
      calibrated: true,
      acceptPending: false,
      savedStatus: 'saved',
      fit: ACCEPTED,
    });
    expect(fitAwaitingDecision(state)).toBeNull();
    const saved = JSON.parse(s.storage.getItem(SAVED_CALIBRATION_KEY) ?? 'null') as {
      model: unknown;
      quality: unknown;
    };
    expect(saved.model).toEqual(POOR.model);
    expect(saved.quality).toBe('poor');
    // Nothing waits any more: a second accept sends nothing.
    const sentBefore = s.session.sent.length;
    s.controller.acceptPoorFit();
    expect(s.session.sent.length).toBe(sentBefore);
  });

  it('accept is not sent for a good fit', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(CALIBRATED);
    const before = s.session.sent.length;
    s.controller.acceptPoorFit();
    expect(s.session.sent.length).toBe(before);
  });

  it('a poor fit leaves the previous calibration in use and the saved one untouched', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(CALIBRATED);
    const savedText = s.storage.getItem(SAVED_CALIBRATION_KEY);
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(POOR);
    expect(s.store.getState()).toMatchObject({ calibrated: true, savedStatus: 'saved', fit: POOR });
    expect(s.storage.getItem(SAVED_CALIBRATION_KEY)).toBe(savedText);
  });

  it('a refused accept drops the waiting fit and says so', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(POOR);
    s.controller.acceptPoorFit();
    s.session.receive({
      v: 1,
      type: 'error',
      code: 'calibration_out_of_order',
      message: 'No calibration waits to be accepted.',
      fatal: false,
      ref_type: 'calibration_accept',
    });
    const state = s.store.getState();
    expect(state).toMatchObject({ fit: null, acceptPending: false, calibrated: false });
    expect(state.problem).toMatch(/could not be used \(No calibration waits/);
  });

  it('a new session forgets a fit that was waiting for a decision', () => {
    const s = setup();
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(POOR);
    s.session.opened();
    expect(s.store.getState().fit).toBeNull();
  });

  it('a loaded calibration keeps the quality it was saved with', () => {
    const first = setup();
    first.controller.start('calibration');
    pressThrough(first);
    first.session.receive({ ...CALIBRATED, quality: 'fair' });
    const next = setup(first.storage);
    expect(next.store.getState().saved?.quality).toBe('fair');
  });

  it('keeps the settings in storage, and dispose drops its listener', () => {
    const s = setup();
    s.controller.updateSettings({ targetCount: 13, dwellMs: 1500, distances: 3 });
    expect(JSON.parse(s.storage.getItem('gazertc.calibration-settings.v1') ?? '{}')).toMatchObject({
      targetCount: 13,
      dwellMs: 1500,
      distances: 3,
    });
    expect(s.session.listenerCount).toBe(1);
    s.controller.dispose();
    expect(s.session.listenerCount).toBe(0);
  });
});

describe('calibrating at three distances', () => {
  /** The messages of one kind, in order. */
  function sentOf<T extends ClientMessage['type']>(
    s: Setup,
    type: T,
  ): Extract<ClientMessage, { type: T }>[] {
    return s.session.sent.filter(
      (message): message is Extract<ClientMessage, { type: T }> => message.type === type,
    );
  }

  /** Press Space on the waiting target and let its time run out (key mode). */
  function pressOnce(s: Setup): void {
    s.controller.confirmTarget();
    s.clock.nowMs += SETTLE_MS + 600;
    vi.advanceTimersByTime(SETTLE_MS + 600);
  }

  it('sends one calibration_start with the targets three times (new ids), then one end', () => {
    const s = setup();
    s.controller.updateSettings({ distances: 3 });
    s.controller.start('calibration');
    pressThrough(s);
    const starts = sentOf(s, 'calibration_start');
    expect(starts).toHaveLength(1);
    const targets = starts[0]?.targets ?? [];
    const grid = calibrationTargets(9, {
      widthPx: MODEL_SCREEN.width_px,
      heightPx: MODEL_SCREEN.height_px,
    });
    expect(targets).toHaveLength(27);
    expect(new Set(targets.map((target) => target.id)).size).toBe(27);
    for (let round = 0; round < 3; round += 1) {
      expect(targets.slice(round * 9, round * 9 + 9).map(({ x_px, y_px }) => [x_px, y_px])).toEqual(
        grid.map(({ x_px, y_px }) => [x_px, y_px]),
      );
    }
    // Each target shown, then done, in order; one end, last: one fit over every round.
    const perTarget = s.session.sent.filter(
      (message) => message.type === 'target_shown' || message.type === 'target_done',
    );
    expect(perTarget.map((message) => [message.type, message.target_id])).toEqual(
      targets.flatMap((target) => [
        ['target_shown', target.id],
        ['target_done', target.id],
      ]),
    );
    expect(s.session.types().filter((type) => type === 'calibration_end')).toHaveLength(1);
    expect(s.session.types().at(-1)).toBe('calibration_end');
  });

  it('a validation stays one round whatever the setting', () => {
    const s = setup();
    s.controller.updateSettings({ distances: 3 });
    s.controller.start('calibration');
    pressThrough(s);
    s.session.receive(CALIBRATED);
    s.controller.start('validation');
    expect(sentOf(s, 'validation_start')[0]?.targets).toHaveLength(5);
    expect(s.store.getState().procedureDistances).toBe(1);
  });

  it('key mode: the first target of rounds 2 and 3 waits for Space however long it takes', () => {
    const s = setup();
    s.controller.updateSettings({ distances: 3, targetCount: 5 });
    s.controller.start('calibration');
    for (let round = 1; round < 3; round += 1) {
      for (let index = 0; index < 5; index += 1) pressOnce(s);
      const sent = s.session.sent.length;
      s.clock.nowMs += 60_000;
      vi.advanceTimersByTime(60_000);
      expect(s.session.sent).toHaveLength(sent);
      const procedure = s.store.getState().procedure;
      expect(procedure.phase === 'running' && [procedure.index, procedure.step]).toEqual([
        round * 5,
        'ready',
      ]);
      s.controller.confirmTarget();
      expect(s.session.sent.at(-1)).toMatchObject({ type: 'target_shown', target_id: round * 5 });
    }
  });

  it('dwell mode: pauses before rounds 2 and 3, counting nothing, then goes on by itself', () => {
    const s = setup();
    s.controller.updateSettings({ distances: 3, targetCount: 5, mode: 'dwell', targetMs: 600 });
    s.controller.start('calibration');
    let frame = 0;
    /** One steady sample 33 ms later (clock and timers move together). */
    const step = (): void => {
      frame += 1;
      s.clock.nowMs += 33;
      vi.advanceTimersByTime(33);
      s.session.receive({
        ...SAMPLE,
        frame_id: frame,
        timestamp_unix_ns: SAMPLE.timestamp_unix_ns + frame * 33_000_000,
        gaze: SAMPLE.gaze === null ? null : { ...SAMPLE.gaze, yaw_deg: 1.3 + (frame % 2) * 0.5 },
      });
    };
    const doneCount = (): number => sentOf(s, 'target_done').length;
    for (let round = 1; round < 3; round += 1) {
      while (doneCount() < round * 5) step();
      expect(s.session.sent.at(-1)).toEqual({
        v: PROTOCOL_VERSION,
        type: 'target_done',
        target_id: round * 5 - 1,
      });
      // Steady gaze all through the pause: the next target is neither shown nor filled.
      const pauseStartMs = s.clock.nowMs;
      while (s.clock.nowMs < pauseStartMs + ROUND_PAUSE_MS - 100) step();
      expect(s.session.types().at(-1)).toBe('target_done');
      const paused = s.store.getState().procedure;
      expect(paused.phase === 'running' && [paused.step, paused.collectedMs]).toEqual(['ready', 0]);
      while (s.clock.nowMs < pauseStartMs + ROUND_PAUSE_MS + 100) step();
      expect(sentOf(s, 'target_shown').at(-1)?.target_id).toBe(round * 5);
    }
    while (s.store.getState().procedure.phase === 'running') step();
    expect(sentOf(s, 'target_shown').map((message) => message.target_id)).toEqual(
      Array.from({ length: 15 }, (_, id) => id),
    );
    expect(s.session.types().at(-1)).toBe('calibration_end');
  });
});
