// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { CalibrationCharts } from '../../src/components/recordings/CalibrationCharts';
import { VALIDATION } from './calibrationFixture';

afterEach(cleanup);

describe('CalibrationCharts', () => {
  it('charts each stored report on the screen, with its verdict in words', () => {
    render(
      <CalibrationCharts
        entries={[{ type: 'validation_result', sent_unix_ns: 1, t_s: null, message: VALIDATION }]}
        screen={{ width_px: 1000, height_px: 500 }}
      />,
    );
    const chart = screen.getByTestId('recording-validation-chart');
    expect(chart.querySelectorAll('[data-testid="chart-target"]')).toHaveLength(1);
    expect(screen.getByTestId('recording-calibration').textContent).toMatch(
      /Validation: quality fair, accuracy 1\.2°/,
    );
  });

  it('says when no calibration was in use', () => {
    render(<CalibrationCharts entries={[]} screen={null} />);
    expect(screen.getByText('No calibration was in use in this recording.')).toBeTruthy();
  });
});
