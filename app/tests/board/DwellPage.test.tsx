// @vitest-environment jsdom
// The board in jsdom: a fake speech synthesis on window, localStorage, synthetic gaze samples and
// a layout given to the targets by id (jsdom has none).
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import type { ClientMessage, SampleMessage, ServerMessage } from 'gazertc-client/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BOARD_KEY } from '../../src/board/storage';
import { DwellPage } from '../../src/components/dwell/DwellPage';
import { longDwellMs } from '../../src/dwell/loop';
import { AppController, type SessionListener } from '../../src/rtc/controller';
import { INITIAL_STATE, connectRequested, serverMessageReceived } from '../../src/store/appState';
import { renderWithCalibration, type RenderedWithCalibration } from '../components/render';
import { fixture } from '../fixtures';

const DWELL_MS = 1000;
const FRAME_MS = 40;

class FakeSynthesis {
  readonly spoken: string[] = [];
  speak(utterance: { text: string }): void {
    this.spoken.push(utterance.text);
  }
  cancel(): void {
    // Nothing is ever being said.
  }
}

class FakeUtterance {
  constructor(readonly text: string) {}
}

let synthesis: FakeSynthesis;
let nowMs: number;
/** Where each dwell target is (by its data-target-id); anything else is off screen. */
let layout: Map<string, DOMRect>;

function giveSpeech(): void {
  synthesis = new FakeSynthesis();
  Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: synthesis });
  Object.defineProperty(window, 'SpeechSynthesisUtterance', {
    configurable: true,
    value: FakeUtterance,
  });
}

beforeEach(() => {
  giveSpeech();
  nowMs = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => nowMs);
  layout = new Map();
  vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(function (
    this: HTMLElement,
  ) {
    return (
      layout.get(this.dataset['targetId'] ?? '') ??
      DOMRect.fromRect({ x: 5000, y: 5000, width: 10, height: 10 })
    );
  });
});

afterEach(() => {
  cleanup();
  Reflect.deleteProperty(window, 'speechSynthesis');
  Reflect.deleteProperty(window, 'SpeechSynthesisUtterance');
  window.localStorage.clear();
  window.location.hash = '';
});

const base = fixture('sample.calibrated.json') as SampleMessage;

function renderBoard(): RenderedWithCalibration {
  return renderWithCalibration(<DwellPage />, connectRequested(INITIAL_STATE));
}

/** Gaze at (x, y) for `durationMs`, one sample per frame. */
function look(rendered: RenderedWithCalibration, xPx: number, yPx: number, durationMs: number) {
  for (let elapsed = 0; elapsed < durationMs; elapsed += FRAME_MS) {
    nowMs += FRAME_MS;
    const sample: SampleMessage = {
      ...base,
      frame_id: nowMs,
      screen_point: { x_px: xPx, y_px: yPx, smoothed_x_px: xPx, smoothed_y_px: yPx },
    };
    act(() => rendered.store.update((state) => serverMessageReceived(state, sample)));
  }
}

function calibrate(rendered: RenderedWithCalibration, serverClockOffsetMs: number): void {
  act(() => {
    rendered.calibrationStore.update((state) => ({ ...state, calibrated: true }));
    rendered.session.clock(8, serverClockOffsetMs);
  });
}

describe('the talk board with a click', () => {
  it('speaks a phrase button and types and speaks on the keyboard', () => {
    renderBoard();
    fireEvent.click(screen.getByText('Water'));
    expect(synthesis.spoken).toEqual(['Could I have some water, please?']);
    expect(screen.getByTestId('dwell-history').textContent).toBe('Chosen: Water');

    fireEvent.click(screen.getByTestId('board-tab-keyboard'));
    // By text, not role: the accessible-name queries over 30 keys are slow in jsdom.
    const press = (label: string): void => {
      fireEvent.click(within(screen.getByRole('group', { name: 'Keyboard' })).getByText(label));
    };
    for (const key of ['H', 'I', 'Space', 'Speak']) press(key);
    expect(synthesis.spoken.at(-1)).toBe('HI');
    expect(screen.getByTestId('board-message').textContent).toBe('HI ');
    press('Delete');
    press('Delete');
    expect(screen.getByTestId('board-message').textContent).toBe('H');
    // The message stays while the phrases are shown.
    fireEvent.click(screen.getByTestId('board-tab-phrases'));
    fireEvent.click(screen.getByTestId('board-tab-keyboard'));
    expect(screen.getByTestId('board-message').textContent).toBe('H');
  });

  it('works without speech synthesis, saying so', () => {
    Reflect.deleteProperty(window, 'speechSynthesis');
    renderBoard();
    expect(screen.getByTestId('board-no-speech')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    expect(screen.getByTestId('dwell-history').textContent).toBe('Chosen: Yes');
  });

  it('edits a button, and the edit is there after a reload', () => {
    const first = renderBoard();
    fireEvent.click(screen.getByTestId('board-edit'));
    expect(screen.queryAllByTestId('dwell-button')).toHaveLength(0);
    const [item] = screen.getAllByTestId('board-editor-item');
    if (item === undefined) throw new Error('no button to edit');
    fireEvent.change(within(item).getByLabelText('Label'), { target: { value: 'Tea' } });
    fireEvent.change(within(item).getByLabelText('Says'), { target: { value: 'Tea, please' } });
    fireEvent.change(within(item).getByLabelText('Colour'), { target: { value: 'yellow' } });
    fireEvent.click(screen.getByRole('button', { name: 'Move Tea later' }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove Rest' }));
    fireEvent.change(screen.getByLabelText('Columns'), { target: { value: '2' } });
    fireEvent.click(screen.getByTestId('board-edit'));
    const labels = (): string[] =>
      screen.getAllByTestId('dwell-button').map((button) => button.textContent);
    expect(labels()).toEqual(['No', 'Tea', 'Help', 'Water', 'Music']);
    first.unmount();

    renderBoard();
    expect(labels()).toEqual(['No', 'Tea', 'Help', 'Water', 'Music']);
    expect(screen.getByTestId('dwell-page').dataset['columns']).toBe('2');
    const tea = screen.getByRole('button', { name: 'Tea' });
    expect(tea.dataset['colour']).toBe('yellow');
    fireEvent.click(tea);
    expect(synthesis.spoken).toEqual(['Tea, please']);
  });

  it('shows the default board when the stored one is hostile', () => {
    window.localStorage.setItem(
      BOARD_KEY,
      JSON.stringify({ version: 1, buttons: Array.from({ length: 1000 }, () => ({})) }),
    );
    renderBoard();
    expect(screen.getAllByTestId('dwell-button')).toHaveLength(6);
  });
});

describe('the talk board by gaze', () => {
  beforeEach(() => {
    layout.set('phrase:button-1', DOMRect.fromRect({ x: 0, y: 200, width: 200, height: 150 }));
    layout.set('control:pause', DOMRect.fromRect({ x: 400, y: 0, width: 200, height: 90 }));
    layout.set('control:recalibrate', DOMRect.fromRect({ x: 700, y: 0, width: 200, height: 90 }));
  });

  it('speaks a looked-at phrase and reports it for drift correction when calibrated', () => {
    const sent: ClientMessage[] = [];
    const rendered = renderBoard();
    vi.spyOn(rendered.controller, 'send').mockImplementation((message) => {
      sent.push(message);
      return true;
    });
    act(() => rendered.session.clock(8, 250));
    look(rendered, 30, 340, DWELL_MS + 200);
    expect(synthesis.spoken).toEqual(['Yes']);
    // Not calibrated: nothing to correct.
    expect(sent).toEqual([]);

    calibrate(rendered, 250);
    look(rendered, 900, 900, 400);
    const lookStartMs = nowMs + FRAME_MS;
    // A near miss just below the button, snapped to it.
    look(rendered, 30, 380, DWELL_MS + 200);
    expect(synthesis.spoken).toEqual(['Yes', 'Yes']);
    expect(sent).toHaveLength(1);
    const confirmed = sent[0];
    if (confirmed?.type !== 'dwell_confirmed') throw new Error(`sent ${confirmed?.type}`);
    expect(confirmed).toMatchObject({ x_px: 100, y_px: 275 });
    const serverMs = (pageMs: number): number => performance.timeOrigin + pageMs + 250;
    expect(confirmed.start_unix_ns / 1e6).toBeCloseTo(serverMs(lookStartMs), 1);
    expect((confirmed.end_unix_ns - confirmed.start_unix_ns) / 1e6).toBeGreaterThanOrEqual(
      DWELL_MS,
    );
  });

  it('pauses by a look; then only Resume responds, after a longer look', () => {
    const rendered = renderBoard();
    look(rendered, 500, 45, DWELL_MS + 200);
    const pause = screen.getByTestId('dwell-pause');
    expect(pause.getAttribute('aria-pressed')).toBe('true');
    expect(pause.textContent).toBe('Resume');
    look(rendered, 30, 340, 3 * DWELL_MS);
    expect(synthesis.spoken).toEqual([]);
    look(rendered, 500, 45, DWELL_MS + 200);
    expect(pause.getAttribute('aria-pressed')).toBe('true');
    look(rendered, 500, 45, longDwellMs(DWELL_MS));
    expect(pause.getAttribute('aria-pressed')).toBe('false');
    look(rendered, 30, 340, DWELL_MS + 200);
    expect(synthesis.spoken).toEqual(['Yes']);
  });

  it('recalibrates by a look: the calibration page, in dwell mode', () => {
    const rendered = renderBoard();
    look(rendered, 800, 45, DWELL_MS + 200);
    expect(window.location.hash).toBe('');
    look(rendered, 800, 45, longDwellMs(DWELL_MS));
    expect(window.location.hash).toBe('#/calibrate');
    expect(rendered.calibrationStore.getState().settings.mode).toBe('dwell');
    expect(rendered.calibrationStore.getState().procedure.phase).toBe('running');
    expect(rendered.session.types()).toContain('calibration_start');
  });

  it('ignores the gaze while the board is edited', () => {
    const rendered = renderBoard();
    fireEvent.click(screen.getByTestId('board-edit'));
    look(rendered, 500, 45, 3 * DWELL_MS);
    fireEvent.click(screen.getByTestId('board-edit'));
    expect(screen.getByTestId('dwell-pause').getAttribute('aria-pressed')).toBe('false');
  });
});

describe('the drift correction panel', () => {
  it('shows the server drift status and sends a reset', () => {
    // The board listens to the app's session: catch its listener on the way in.
    const subscribe = vi.spyOn(AppController.prototype, 'addSessionListener');
    const rendered = renderBoard();
    const listeners: SessionListener[] = subscribe.mock.calls.map(([listener]) => listener);
    const sent: ClientMessage[] = [];
    vi.spyOn(rendered.controller, 'send').mockImplementation((message) => {
      sent.push(message);
      return true;
    });
    const reset = screen.getByRole('button', { name: 'Reset drift correction' });
    expect(reset.hasAttribute('disabled')).toBe(true);
    calibrate(rendered, 0);
    const receive = (message: ServerMessage): void =>
      act(() => {
        for (const listener of listeners) listener.onMessage?.(message);
      });
    receive({
      v: 1,
      type: 'drift_status',
      offset_x_px: 14,
      offset_y_px: -6,
      offset_deg: 0.4,
      confirmations_used: 2,
      last: 'rejected',
      reason: 'the gaze was too far from the target',
    });
    const status = screen.getByTestId('board-drift-status');
    expect(status.textContent).toBe(
      'Correcting 14 px right, 6 px up (0.4°), from 2 looks. ' +
        'The last choice was not used: the gaze was too far from the target',
    );
    expect(status.dataset['last']).toBe('rejected');
    fireEvent.click(reset);
    expect(sent).toEqual([{ v: 1, type: 'drift_reset' }]);
    receive({
      v: 1,
      type: 'error',
      code: 'calibration_out_of_order',
      message: 'No calibration is in use.',
      fatal: false,
      ref_type: 'drift_reset',
    });
    expect(screen.getByTestId('board-drift-problem').textContent).toBe('No calibration is in use.');
    act(() => {
      for (const listener of listeners) listener.onOpen?.();
    });
    expect(screen.queryByTestId('board-drift-problem')).toBeNull();
  });
});
