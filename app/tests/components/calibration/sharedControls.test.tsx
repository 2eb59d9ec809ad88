// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { GazeCursorToggle } from '../../../src/components/calibration/GazeCursorToggle';
import { ProcedureButtons } from '../../../src/components/calibration/ProcedureButtons';
import type { SampleMessage } from 'gazertc-client/protocol';
import {
  INITIAL_STATE,
  connectRequested,
  serverMessageReceived,
} from '../../../src/store/appState';
import { fixture } from '../../fixtures';
import { renderWithCalibration } from '../render';

afterEach(cleanup);

const sample = fixture('sample.face.json') as SampleMessage;
const LIVE = serverMessageReceived(connectRequested(INITIAL_STATE), sample);

describe('ProcedureButtons', () => {
  it('renders the buttons in order, styled by their role', () => {
    const { container } = renderWithCalibration(
      <ProcedureButtons
        buttons={[
          { kind: 'validation', label: 'Validate', primary: true, large: true },
          { kind: 'calibration', label: 'Recalibrate' },
        ]}
      />,
      LIVE,
    );
    const row = container.querySelector('.button-row');
    expect(row).not.toBeNull();
    const buttons = screen.getAllByRole('button');
    expect(buttons.map((button) => button.textContent)).toEqual(['Validate', 'Recalibrate']);
    expect(buttons.map((button) => button.className)).toEqual([
      'button button-primary button-large',
      'button',
    ]);
    expect(buttons.every((button) => button.getAttribute('type') === 'button')).toBe(true);
  });

  it('is disabled until the connection is live', () => {
    const { store } = renderWithCalibration(
      <ProcedureButtons
        buttons={[{ kind: 'calibration', label: 'Start calibration', primary: true }]}
      />,
      connectRequested(INITIAL_STATE),
    );
    const button = screen.getByRole<HTMLButtonElement>('button', { name: 'Start calibration' });
    expect(button.disabled).toBe(true);
    act(() => store.update((state) => serverMessageReceived(state, sample)));
    expect(button.disabled).toBe(false);
  });

  it('starts the procedure of the button that was pressed', () => {
    const { session, calibrationStore } = renderWithCalibration(
      <ProcedureButtons
        buttons={[
          { kind: 'calibration', label: 'Recalibrate', primary: true },
          { kind: 'validation', label: 'Validate again' },
        ]}
      />,
      LIVE,
    );
    // Not calibrated yet: the controller refuses a validation, and says why.
    fireEvent.click(screen.getByRole('button', { name: 'Validate again' }));
    expect(calibrationStore.getState().problem).toMatch(/Calibrate first/);
    expect(calibrationStore.getState().procedure.phase).toBe('idle');
    fireEvent.click(screen.getByRole('button', { name: 'Recalibrate' }));
    expect(session.types()).toEqual(['config', 'calibration_start']);
    const procedure = calibrationStore.getState().procedure;
    expect(procedure.phase === 'idle' ? null : procedure.kind).toBe('calibration');
  });
});

describe('GazeCursorToggle', () => {
  it('shows and changes the gaze cursor setting', () => {
    const { calibrationStore } = renderWithCalibration(<GazeCursorToggle />);
    const checkbox = screen.getByRole<HTMLInputElement>('checkbox', { name: 'Show gaze cursor' });
    const initial = calibrationStore.getState().settings.showGazeCursor;
    expect(checkbox.checked).toBe(initial);
    fireEvent.click(checkbox);
    expect(calibrationStore.getState().settings.showGazeCursor).toBe(!initial);
    expect(checkbox.checked).toBe(!initial);
  });
});
