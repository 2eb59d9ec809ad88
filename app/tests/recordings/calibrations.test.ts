import { describe, expect, it } from 'vitest';
import { calibrationReports, recordingQuality } from '../../src/recordings/calibrations';
import { VALIDATION } from './calibrationFixture';

describe('calibration reports of a recording', () => {
  it('reads stored reports and leaves out what is not one', () => {
    const reports = calibrationReports([
      { type: 'validation_result', sent_unix_ns: 1, t_s: null, message: VALIDATION },
      { type: 'calibration_result', sent_unix_ns: 2, t_s: 0.5, message: { v: 1 } },
      'not a report',
    ]);
    expect(reports.map((report) => [report.kind, report.sentUnixNs])).toEqual([['validation', 1]]);
    expect(recordingQuality(reports)).toBe('fair');
  });

  it('has no quality without reports', () => {
    expect(recordingQuality(calibrationReports([]))).toBeNull();
  });
});
