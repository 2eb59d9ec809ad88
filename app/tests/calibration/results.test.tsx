// @vitest-environment jsdom
// What the calibration page says about a result: the verdict in words, never "saved" for a poor
// fit, try again or use it anyway; and the gaze cursor keeps off the result charts.
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createValidator,
  type ProtocolValidator,
  type CalibrationResultMessage,
  type SampleMessage,
  type ValidationResultMessage,
} from 'gazertc-client/protocol';
import { CURSOR_RADIUS_PX, cursorOverlaps, cursorState } from '../../src/calibration/cursor';
import {
  CALIBRATION_ADVICE,
  calibrationVerdict,
  loadedSummary,
} from '../../src/calibration/verdict';
import { GazeCursor } from '../../src/components/calibration/GazeCursor';
import {
  CalibrationResultCard,
  ValidationResultCard,
} from '../../src/components/calibration/ResultCards';
import { SavedCalibrationStatus } from '../../src/components/calibration/SavedCalibrationStatus';
import { INITIAL_STATE, connectRequested, serverMessageReceived } from '../../src/store/appState';
import { fixture } from '../fixtures';
import { renderWithCalibration } from '../components/render';

afterEach(cleanup);

const validator: ProtocolValidator = createValidator();
const FACE = fixture('sample.face.json') as SampleMessage;
const LIVE = serverMessageReceived(connectRequested(INITIAL_STATE), FACE);
const NINE_POINTS = fixture('calibration_result.nine_points.json') as CalibrationResultMessage;
const POOR: CalibrationResultMessage = {
  ...NINE_POINTS,
  source: 'fit',
  applied: false,
  quality: 'poor',
  quality_reason: 'Your gaze barely moved between the targets (spread 0.9 deg).',
  loto_error_px: 690,
  loto_error_deg: 16.2,
};
const GOOD: CalibrationResultMessage = {
  ...POOR,
  applied: true,
  quality: 'good',
  quality_reason: 'Leave-one-target-out error 1.1 deg: good.',
  loto_error_px: 48,
  loto_error_deg: 1.1,
};
validator.assertValid('calibration_result', POOR);
validator.assertValid('calibration_result', GOOD);

function renderResults() {
  return renderWithCalibration(
    <>
      <SavedCalibrationStatus />
      <CalibrationResultCard />
      <ValidationResultCard />
    </>,
    LIVE,
  );
}

describe('the calibration verdict', () => {
  it('a poor fit: "did not work" with the reason and advice, not saved, two ways on', () => {
    const rendered = renderResults();
    act(() => rendered.session.receive(POOR));
    const verdict = screen.getByTestId('calibration-verdict');
    expect(verdict.dataset['quality']).toBe('poor');
    expect(verdict.getAttribute('role')).toBe('alert');
    expect(verdict.textContent).toContain('Calibration did not work');
    expect(verdict.textContent).toContain(POOR.quality_reason);
    for (const advice of CALIBRATION_ADVICE) expect(verdict.textContent).toContain(advice);
    expect(screen.getByTestId('calibration-result').dataset['applied']).toBe('false');
    expect(screen.getByTestId('fit-loto-error').textContent).toBe('16.20° · 690 px');
    // Never "saved" for a fit that is not in use.
    const saved = screen.getByTestId('saved-calibration');
    expect(saved.dataset['state']).toBe('none');
    expect(saved.textContent).not.toMatch(/saved in this browser/i);
    // Try again is the main action; no validation of a calibration that is not in use.
    const tryAgain = screen.getByRole('button', { name: 'Try again' });
    expect(tryAgain.className).toContain('button-primary');
    expect(screen.queryByRole('button', { name: 'Validate' })).toBeNull();
    const useAnyway = screen.getByRole<HTMLButtonElement>('button', { name: 'Use it anyway' });
    expect(useAnyway.className).not.toContain('button-primary');

    fireEvent.click(useAnyway);
    expect(rendered.session.sent.at(-1)).toEqual({ v: 1, type: 'calibration_accept' });
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Applying…' }).disabled).toBe(
      true,
    );
    act(() => rendered.session.receive({ ...POOR, source: 'accept', applied: true }));
    expect(screen.getByTestId('calibration-verdict').textContent).toContain(
      'In use although it did not work well (rated poor)',
    );
    expect(screen.queryByRole('button', { name: 'Use it anyway' })).toBeNull();
    const savedAfter = screen.getByTestId('saved-calibration');
    expect(savedAfter.dataset['state']).toBe('saved');
    expect(savedAfter.className).toContain('saved-status-poor');
    expect(savedAfter.textContent).toMatch(/rated poor/);
  });

  it('a good fit: green, saved, validate next', () => {
    const rendered = renderResults();
    act(() => rendered.session.receive(GOOD));
    const verdict = screen.getByTestId('calibration-verdict');
    expect(verdict.dataset['quality']).toBe('good');
    expect(verdict.className).toContain('verdict-good');
    expect(verdict.textContent).toContain(GOOD.quality_reason);
    expect(screen.getByTestId('saved-calibration').dataset['state']).toBe('saved');
    expect(screen.getByTestId('saved-calibration').className).not.toContain('saved-status-poor');
    expect(screen.getByRole('button', { name: 'Validate' })).toBeTruthy();
  });

  it('a poor fit after a good one: the line about the saved one says it stays in use', () => {
    const rendered = renderResults();
    act(() => rendered.session.receive(GOOD));
    act(() => rendered.session.receive(POOR));
    const saved = screen.getByTestId('saved-calibration');
    expect(saved.textContent).toMatch(/^The new calibration is not in use: the one saved on /);
    expect(screen.getByTestId('calibration-verdict').textContent).toContain(
      'your previous calibration stays in use',
    );
  });

  it('a fair fit is amber with a note', () => {
    const verdict = calibrationVerdict({ ...GOOD, quality: 'fair' }, false);
    expect(verdict.tone).toBe('fair');
    expect(verdict.note).toMatch(/off/);
  });

  it('a validation shows its quality', () => {
    const rendered = renderResults();
    act(() => rendered.session.receive(GOOD));
    const result: ValidationResultMessage = {
      ...(fixture('validation_result.four_points.json') as ValidationResultMessage),
      quality: 'poor',
      quality_reason: 'Accuracy 9.5 deg: poor.',
    };
    validator.assertValid('validation_result', result);
    act(() => rendered.session.receive(result));
    const verdict = screen.getByTestId('validation-verdict');
    expect(verdict.dataset['quality']).toBe('poor');
    expect(verdict.textContent).toContain('Accuracy 9.5 deg: poor.');
  });

  it('a loaded calibration says it is not validated', () => {
    expect(loadedSummary('1 Dec 2026', '0.50°', 'poor')).toBe(
      'Loaded the calibration saved on 1 Dec 2026 (fit offset 0.50°, rated poor when made), not validated in this session: validate it to measure its accuracy.',
    );
    expect(loadedSummary('1 Dec 2026', null, null)).toMatch(
      /^Loaded the calibration saved on 1 Dec 2026, not validated/,
    );
  });
});

describe('the gaze cursor keeps off the result charts', () => {
  const chart = { left: 100, top: 200, right: 500, bottom: 400 };

  it('overlaps a chart when its ring would touch it', () => {
    expect(cursorOverlaps(300, 300, [chart])).toBe(true);
    expect(cursorOverlaps(100 - CURSOR_RADIUS_PX + 1, 300, [chart])).toBe(true);
    expect(cursorOverlaps(100 - CURSOR_RADIUS_PX, 300, [chart])).toBe(false);
    expect(cursorOverlaps(300, 400 + CURSOR_RADIUS_PX, [chart])).toBe(false);
    expect(cursorState(null, [chart])).toBe('no-point');
    expect(cursorState({ xPx: 300, yPx: 300 }, [chart])).toBe('avoiding');
    expect(cursorState({ xPx: 700, yPx: 300 }, [chart])).toBe('shown');
  });

  it('hides itself over a drawn result chart and shows elsewhere', () => {
    const frames: FrameRequestCallback[] = [];
    vi.spyOn(window, 'requestAnimationFrame').mockImplementation((draw) => frames.push(draw));
    const rendered = renderWithCalibration(
      <>
        <CalibrationResultCard />
        <GazeCursor />
      </>,
      LIVE,
    );
    act(() => rendered.session.receive(GOOD));
    const svg = screen.getByTestId('fit-chart');
    vi.spyOn(svg, 'getBoundingClientRect').mockReturnValue(
      DOMRect.fromRect({ x: 100, y: 200, width: 400, height: 200 }),
    );
    const cursor = screen.getByTestId('gaze-cursor');
    expect(cursor.dataset['state']).toBe('no-point');
    const lookAt = (x: number, y: number): void =>
      act(() =>
        rendered.store.update((state) =>
          serverMessageReceived(state, {
            ...FACE,
            frame_id: FACE.frame_id + x + y,
            screen_point: { x_px: x, y_px: y, smoothed_x_px: x, smoothed_y_px: y },
          }),
        ),
      );
    const drawFrames = (): void => {
      for (const draw of frames.splice(0)) draw(0);
    };
    lookAt(300, 300);
    drawFrames();
    expect(cursor.dataset['state']).toBe('avoiding');
    expect(cursor.dataset['visible']).toBe('false');
    lookAt(800, 300);
    drawFrames();
    expect(cursor.dataset['state']).toBe('shown');
    expect(cursor.dataset['visible']).toBe('true');
    expect(cursor.style.transform).toBe('translate(800px, 300px)');
  });
});
