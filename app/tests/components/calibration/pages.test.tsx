// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ROUND_PAUSE_MS } from 'gazertc-client/calibration';
import { CalibratePage } from '../../../src/components/calibration/CalibratePage';
import { ProcedureOverlay } from '../../../src/components/calibration/ProcedureOverlay';
import { ResultChart } from '../../../src/components/calibration/ResultChart';
import { DwellPage } from '../../../src/components/dwell/DwellPage';
import { NavBar } from '../../../src/components/NavBar';
import type { SampleMessage } from 'gazertc-client/protocol';
import {
  INITIAL_STATE,
  connectRequested,
  serverMessageReceived,
} from '../../../src/store/appState';
import { fixture } from '../../fixtures';
import { renderWithCalibration } from '../render';

const LIVE = serverMessageReceived(
  connectRequested(INITIAL_STATE),
  fixture('sample.face.json') as SampleMessage,
);
const CALIBRATED_SAMPLE = fixture('sample.calibrated.json') as SampleMessage;

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

describe('header navigation', () => {
  it('lists the pages as links and marks the current one', () => {
    render(<NavBar />);
    const links = screen.getAllByRole('link');
    expect(links.map((link) => link.textContent)).toEqual([
      'Live view',
      'Calibrate',
      'Dwell buttons',
    ]);
    expect(screen.getByRole('link', { name: 'Live view' }).getAttribute('aria-current')).toBe(
      'page',
    );
    act(() => {
      window.location.hash = '#/dwell';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(screen.getByRole('link', { name: 'Dwell buttons' }).getAttribute('aria-current')).toBe(
      'page',
    );
    expect(screen.getByRole('link', { name: 'Live view' }).getAttribute('aria-current')).toBeNull();
  });
});

describe('the procedure overlay', () => {
  it('confirms a target with Space and stops with Escape, no mouse needed', () => {
    const rendered = renderWithCalibration(<ProcedureOverlay />);
    act(() => rendered.calibration.start('calibration'));
    const target = screen.getByTestId('procedure-target');
    expect(target.dataset['step']).toBe('ready');
    expect(screen.getByText('Look at the dot, then press Space or Enter')).toBeTruthy();
    act(() => {
      fireEvent.keyDown(window, { key: ' ' });
    });
    expect(screen.getByTestId('procedure-target').dataset['step']).toBe('collecting');
    expect(rendered.session.types()).toEqual(['config', 'calibration_start', 'target_shown']);
    act(() => {
      fireEvent.keyDown(window, { key: 'Escape' });
    });
    expect(rendered.calibrationStore.getState().procedure.phase).toBe('idle');
  });
});

describe('calibrating at three distances', () => {
  /** Space on each waiting target of the first round, each one's time let run out. */
  function pressThroughRound(rendered: ReturnType<typeof renderWithCalibration>): void {
    for (let index = 0; index < 9; index += 1) {
      act(() => {
        fireEvent.keyDown(window, { key: ' ' });
      });
      act(() => {
        vi.advanceTimersByTime(5000);
      });
    }
    expect(rendered.session.types().filter((type) => type === 'target_done')).toHaveLength(9);
  }

  it('is a setting, remembered, that says why', () => {
    const rendered = renderWithCalibration(<CalibratePage />, LIVE);
    const three = screen.getByRole('radio', { name: /leaning in, leaning back/ });
    expect(screen.getByRole('radio', { name: 'At your usual distance' })).toHaveProperty(
      'checked',
      true,
    );
    expect(screen.getByText(/hold up better when you move your head/).textContent).toMatch(
      /simulation/,
    );
    fireEvent.click(three);
    expect(rendered.calibrationStore.getState().settings.distances).toBe(3);
    expect(three).toHaveProperty('checked', true);
  });

  it('key mode: tells to lean in before round 2 and waits for Space', () => {
    vi.useFakeTimers();
    try {
      const rendered = renderWithCalibration(<ProcedureOverlay />);
      act(() => rendered.calibration.updateSettings({ distances: 3 }));
      act(() => rendered.calibration.start('calibration'));
      expect(screen.getByText(/distance 1 of 3: target 1 of 9/)).toBeTruthy();
      expect(screen.queryByTestId('procedure-move')).toBeNull();
      pressThroughRound(rendered);
      expect(screen.getByText(/distance 2 of 3: target 1 of 9/)).toBeTruthy();
      expect(screen.getByTestId('procedure-move').textContent).toBe(
        "Lean in about a hand's width closer to the screen and keep still.",
      );
      expect(screen.getByText('Then look at the dot and press Space or Enter')).toBeTruthy();
      act(() => {
        fireEvent.keyDown(window, { key: ' ' });
      });
      expect(screen.queryByTestId('procedure-move')).toBeNull();
      expect(screen.getByTestId('procedure-target').dataset['step']).toBe('collecting');
    } finally {
      vi.useRealTimers();
    }
  });

  it('dwell mode: tells to lean back before round 3 and goes on by itself after the pause', () => {
    vi.useFakeTimers();
    try {
      const rendered = renderWithCalibration(<ProcedureOverlay />);
      act(() => {
        rendered.calibration.updateSettings({ distances: 3, mode: 'dwell', targetMs: 600 });
        rendered.calibration.start('calibration');
      });
      let frame = 0;
      /** Steady gaze on the dot for `durationMs`, a sample every 33 ms. */
      const look = (durationMs: number): void => {
        for (let elapsedMs = 0; elapsedMs < durationMs; elapsedMs += 33) {
          frame += 1;
          act(() => {
            vi.advanceTimersByTime(33);
            rendered.session.receive({
              ...CALIBRATED_SAMPLE,
              frame_id: frame,
              timestamp_unix_ns: CALIBRATED_SAMPLE.timestamp_unix_ns + frame * 33_000_000,
              gaze:
                CALIBRATED_SAMPLE.gaze === null
                  ? null
                  : { ...CALIBRATED_SAMPLE.gaze, yaw_deg: 1.3 + (frame % 2) * 0.5 },
            });
          });
        }
      };
      const done = (): number =>
        rendered.session.types().filter((type) => type === 'target_done').length;
      while (done() < 18 && frame < 5000) look(33);
      expect(screen.getByText(/distance 3 of 3: target 1 of 9/)).toBeTruthy();
      expect(screen.getByTestId('procedure-move').textContent).toBe(
        "Now lean back about a hand's width further than usual.",
      );
      expect(screen.getByText('The dots go on by themselves in a few seconds')).toBeTruthy();
      look(ROUND_PAUSE_MS - 200);
      expect(screen.getByTestId('procedure-target').dataset['step']).toBe('ready');
      look(400);
      expect(screen.queryByTestId('procedure-move')).toBeNull();
      expect(screen.getByTestId('procedure-target').dataset['step']).toBe('collecting');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the result chart', () => {
  it('draws every target and every sample, and describes itself', () => {
    render(
      <ResultChart
        testId="chart"
        screenWidthPx={1000}
        screenHeightPx={500}
        targets={[
          { id: 1, xPx: 100, yPx: 100, radiusPx: 20, label: '0.50°' },
          { id: 2, xPx: 900, yPx: 400, radiusPx: null, label: '–' },
        ]}
        samples={
          new Map([
            [
              1,
              [
                { xPx: 110, yPx: 90 },
                { xPx: 2000, yPx: 90 },
              ],
            ],
          ])
        }
        description="Validation on 2 targets"
      />,
    );
    const chart = screen.getByRole('img', { name: 'Validation on 2 targets' });
    expect(chart.querySelectorAll('[data-testid="chart-target"]')).toHaveLength(2);
    expect(chart.querySelectorAll('[data-testid="chart-sample"]')).toHaveLength(2);
    expect(chart.querySelectorAll('.chart-sample-clipped')).toHaveLength(1);
    expect(chart.querySelectorAll('.chart-radius')).toHaveLength(1);
    expect(chart.textContent).toContain('0.50°');
  });
});

describe('the dwell page', () => {
  const base = fixture('sample.calibrated.json') as SampleMessage;
  const at = (x: number, y: number, frame: number): SampleMessage => ({
    ...base,
    frame_id: frame,
    screen_point: { x_px: x, y_px: y, smoothed_x_px: x, smoothed_y_px: y },
  });

  it('fills and triggers the looked-at button; P pauses', () => {
    // jsdom has no layout: give "Yes" a box at the top left, the others far away.
    vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(function (
      this: HTMLElement,
    ) {
      const yes = this.textContent === 'Yes';
      return DOMRect.fromRect({ x: yes ? 0 : 5000, y: 0, width: 200, height: 150 });
    });
    let nowMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => nowMs);
    const rendered = renderWithCalibration(<DwellPage />, connectRequested(INITIAL_STATE));
    const feed = (durationMs: number): void => {
      for (let elapsed = 0; elapsed < durationMs; elapsed += 40) {
        nowMs += 40;
        act(() =>
          rendered.store.update((state) => serverMessageReceived(state, at(50, 50, nowMs))),
        );
      }
    };
    feed(400);
    const yes = screen.getByRole('button', { name: 'Yes' });
    expect(yes.dataset['dwell']).toBe('active');
    expect(Number(yes.style.getPropertyValue('--dwell-progress'))).toBeGreaterThan(0.2);
    feed(800);
    expect(screen.getByTestId('dwell-history').textContent).toBe('Chosen: Yes');

    act(() => {
      fireEvent.keyDown(window, { key: 'p' });
    });
    const pause = screen.getByTestId('dwell-pause');
    expect(pause.getAttribute('aria-pressed')).toBe('true');
    // Staring while paused does nothing.
    feed(3000);
    expect(screen.getByTestId('dwell-history').textContent).toBe('Chosen: Yes');
    expect(yes.dataset['dwell']).toBe('none');
    fireEvent.click(pause);
    expect(pause.getAttribute('aria-pressed')).toBe('false');
  });

  it('with reduced motion the fill moves in quarter steps', () => {
    vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(() =>
      DOMRect.fromRect({ x: 0, y: 0, width: 200, height: 150 }),
    );
    const reduce = {
      matches: true,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    } as unknown as MediaQueryList;
    Object.defineProperty(window, 'matchMedia', { configurable: true, value: () => reduce });
    let nowMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => nowMs);
    try {
      const rendered = renderWithCalibration(<DwellPage />, connectRequested(INITIAL_STATE));
      const seen = new Set<string>();
      for (let frame = 0; frame < 20; frame += 1) {
        nowMs += 40;
        act(() =>
          rendered.store.update((state) => serverMessageReceived(state, at(50, 50, frame))),
        );
        const yes = screen.getByRole('button', { name: 'Yes' });
        seen.add(yes.style.getPropertyValue('--dwell-progress'));
      }
      expect([...seen].every((value) => ['0', '0.25', '0.5', '0.75', '1'].includes(value))).toBe(
        true,
      );
      expect(seen.size).toBeGreaterThan(1);
    } finally {
      Reflect.deleteProperty(window, 'matchMedia');
    }
  });
});
