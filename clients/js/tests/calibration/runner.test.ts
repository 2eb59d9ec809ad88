import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GazeClientError } from '../../src/client/errors';
import { ROUND_INSTRUCTIONS, ROUND_PAUSE_MS } from '../../src/calibration/distances';
import { SETTLE_MS } from '../../src/calibration/procedure';
import { runProcedure, type ProcedureHost } from '../../src/calibration/runner';
import type { TargetDisplay } from '../../src/calibration/targets';
import type { CalibrationResultMessage, ClientMessage, ServerMessage } from '../../src/protocol';
import { fixture } from '../fixtures';

const TARGETS = [
  { xPx: 100, yPx: 100 },
  { xPx: 500, yPx: 100 },
  { xPx: 100, yPx: 400 },
  { xPx: 500, yPx: 400 },
];

/** A connected client whose clock is 1 s ahead of the page's, with the viewport at (10, 70). */
function host(connected = true) {
  const sent: ClientMessage[] = [];
  const listeners = new Set<(message: ServerMessage) => void>();
  const shown: Array<[number, number]> = [];
  const said: string[] = [];
  const removed: number[] = [];
  const abort = new AbortController();
  const display: TargetDisplay = {
    show: (x, y) => shown.push([x, y]),
    say: (text) => said.push(text),
    remove: () => removed.push(1),
  };
  const value: ProcedureHost = {
    send: (message) => {
      if (connected) sent.push(message);
      return connected;
    },
    onMessage: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    serverUnixNsAt: (pageMs) => (1_800_000_000_000 + pageMs + 1000) * 1e6,
    viewportOrigin: () => ({ xPx: 10, yPx: 70 }),
    viewport: () => ({ widthPx: 1280, heightPx: 720 }),
    createDisplay: () => display,
    signal: abort.signal,
    now: () => performance.now(),
  };
  const deliver = (message: unknown): void => {
    for (const listener of [...listeners]) listener(message as ServerMessage);
  };
  return { value, sent, shown, said, removed, abort, deliver, listeners };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('runProcedure', () => {
  it('shows each target for its time, with the protocol messages, and resolves with the result', async () => {
    const { value, sent, shown, removed, deliver, listeners } = host();
    const seen: number[] = [];
    const running = runProcedure('calibration', value, {
      targets: TARGETS,
      durationPerTargetMs: 1000,
      onTarget: (target) => seen.push(target.id),
    });
    expect(sent[0]).toEqual({
      v: 1,
      type: 'calibration_start',
      // The server gets screen px: the viewport's origin added.
      targets: TARGETS.map((target, id) => ({ id, x_px: target.xPx + 10, y_px: target.yPx + 70 })),
    });
    const firstShown = sent[1];
    expect(firstShown).toMatchObject({ type: 'target_shown', target_id: 0 });
    const shownAt = (firstShown as { shown_unix_ns: number }).shown_unix_ns;
    expect(shownAt).toBe(Math.round(value.serverUnixNsAt(performance.now())));
    expect(shown[0]).toEqual([100, 100]);
    await vi.advanceTimersByTimeAsync(999);
    expect(sent.filter((message) => message.type === 'target_done')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(3 * 1000 + 1);
    expect(sent.map((message) => message.type)).toEqual([
      'calibration_start',
      ...TARGETS.flatMap(() => ['target_shown', 'target_done']),
      'calibration_end',
    ]);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(shown).toEqual(TARGETS.map((target) => [target.xPx, target.yPx]));
    const result = fixture('calibration_result.nine_points.json');
    deliver(result);
    await expect(running).resolves.toBe(result);
    expect(removed.length).toBeGreaterThan(0);
    expect(listeners.size).toBe(0);
  });

  it('lays out its own targets and leaves drawing to the page when asked', async () => {
    const { value, sent, shown, deliver } = host();
    const running = runProcedure('validation', value, { draw: false, durationPerTargetMs: 500 });
    const start = sent[0] as { type: string; targets: { id: number }[] };
    expect(start.type).toBe('validation_start');
    expect(start.targets.map((target) => target.id)).toEqual([100, 101, 102, 103, 104]);
    await vi.advanceTimersByTimeAsync(5 * 500 + 1);
    deliver(fixture('validation_result.four_points.json'));
    await expect(running).resolves.toMatchObject({ type: 'validation_result' });
    expect(shown).toEqual([]);
  });

  it("rejects with the server's calibration error, on stop, and when not connected", async () => {
    const failing = host();
    const failed = runProcedure('calibration', failing.value, { targets: TARGETS });
    failing.deliver({
      v: 1,
      type: 'error',
      code: 'calibration_failed',
      message: 'too few samples',
      fatal: false,
      ref_type: 'calibration_end',
    });
    await expect(failed).rejects.toMatchObject({ code: 'calibration_failed' });

    const stopping = host();
    const stopped = runProcedure('calibration', stopping.value, { targets: TARGETS });
    stopping.abort.abort();
    await expect(stopped).rejects.toBeInstanceOf(GazeClientError);

    await expect(runProcedure('calibration', host(false).value)).rejects.toMatchObject({
      code: 'not_connected',
    });
  });

  it("waits for its fit's result: not a load's or an accept's, nor errors about other messages", async () => {
    const { value, deliver } = host();
    const running = runProcedure('calibration', value, {
      targets: TARGETS,
      durationPerTargetMs: 400,
    });
    deliver({
      v: 1,
      type: 'error',
      code: 'calibration_out_of_order',
      message: 'no calibration in use',
      fatal: false,
      ref_type: 'dwell_confirmed',
    });
    await vi.advanceTimersByTimeAsync(TARGETS.length * 400 + 1);
    const fit = fixture('calibration_result.nine_points.json') as CalibrationResultMessage;
    let settled = false;
    void running.finally(() => {
      settled = true;
    });
    deliver({ ...fit, source: 'load' });
    deliver({ ...fit, source: 'accept' });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    const own = { ...fit, source: 'fit' };
    deliver(own);
    await expect(running).resolves.toBe(own);
  });

  it('calibrates at three distances: every round the same positions under new ids, a pause with an instruction before rounds 2 and 3', async () => {
    const { value, sent, shown, said, deliver } = host();
    const rounds: unknown[] = [];
    const running = runProcedure('calibration', value, {
      targets: TARGETS,
      durationPerTargetMs: 1000,
      distances: 3,
      onRound: (round) => rounds.push(round),
    });
    const start = sent[0] as { targets: { id: number; x_px: number; y_px: number }[] };
    expect(start.targets.map((target) => target.id)).toEqual([...Array(12).keys()]);
    expect(start.targets.slice(8)).toEqual(
      start.targets.slice(0, 4).map((target) => ({ ...target, id: target.id + 8 })),
    );
    const shownIds = () =>
      sent.flatMap((message) => (message.type === 'target_shown' ? [message.target_id] : []));
    await vi.advanceTimersByTimeAsync(4 * 1000 + 1);
    // Round 2 waits: its instruction is up, its first target not yet shown (nothing counted).
    expect(shownIds()).toEqual([0, 1, 2, 3]);
    expect(said).toEqual([ROUND_INSTRUCTIONS[1]]);
    expect(rounds).toEqual([{ round: 1, rounds: 3, instruction: ROUND_INSTRUCTIONS[1] }]);
    await vi.advanceTimersByTimeAsync(ROUND_PAUSE_MS - 10);
    expect(shownIds()).toEqual([0, 1, 2, 3]);
    await vi.advanceTimersByTimeAsync(10);
    expect(shownIds()).toEqual([0, 1, 2, 3, 4]);
    await vi.advanceTimersByTimeAsync(4 * 1000 + ROUND_PAUSE_MS + 4 * 1000 + 1);
    expect(said).toEqual([ROUND_INSTRUCTIONS[1], ROUND_INSTRUCTIONS[2]]);
    expect(shownIds()).toEqual([...Array(12).keys()]);
    expect(shown).toHaveLength(12);
    expect(sent.at(-1)?.type).toBe('calibration_end');
    deliver(fixture('calibration_result.nine_points.json'));
    await expect(running).resolves.toMatchObject({ type: 'calibration_result' });
  });

  it('refuses distances other than 1 or 3, and more than one for a validation', async () => {
    await expect(
      runProcedure('calibration', host().value, { distances: 2 as 3 }),
    ).rejects.toMatchObject({ code: 'bad_options' });
    await expect(runProcedure('validation', host().value, { distances: 3 })).rejects.toMatchObject({
      code: 'bad_options',
    });
  });

  it('refuses a time per target within the settle time, and too few targets', async () => {
    await expect(
      runProcedure('calibration', host().value, { durationPerTargetMs: SETTLE_MS }),
    ).rejects.toMatchObject({ code: 'bad_options' });
    await expect(
      runProcedure('calibration', host().value, { targets: TARGETS.slice(0, 3) }),
    ).rejects.toMatchObject({ code: 'bad_options' });
  });
});
