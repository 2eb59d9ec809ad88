// The calibration and validation reports a recording keeps (its summary's `calibrations`): each
// a calibration_result or validation_result message, with the server time it was sent. Entries
// that are neither are left out, not guessed at.

import {
  protocolValidator,
  type CalibrationResultMessage,
  type ValidationResultMessage,
} from 'gazertc-client/protocol';

export type CalibrationReport =
  | { kind: 'calibration'; sentUnixNs: number | null; message: CalibrationResultMessage }
  | { kind: 'validation'; sentUnixNs: number | null; message: ValidationResultMessage };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One entry: `{type, sent_unix_ns, message}` as the server stores it, or a bare message. */
function readReport(entry: unknown): CalibrationReport | null {
  if (!isRecord(entry)) return null;
  const message = isRecord(entry['message']) ? entry['message'] : entry;
  const sent = entry['sent_unix_ns'] ?? entry['received_unix_ns'];
  const sentUnixNs = typeof sent === 'number' ? sent : null;
  const validator = protocolValidator();
  if (validator.isValid('calibration_result', message)) {
    return { kind: 'calibration', sentUnixNs, message };
  }
  if (validator.isValid('validation_result', message)) {
    return { kind: 'validation', sentUnixNs, message };
  }
  return null;
}

export function calibrationReports(entries: readonly unknown[]): CalibrationReport[] {
  return entries.flatMap((entry) => {
    const report = readReport(entry);
    return report === null ? [] : [report];
  });
}

/** The quality of the calibration in use: the latest validation's, else the latest applied fit's. */
export function recordingQuality(
  reports: readonly CalibrationReport[],
): 'good' | 'fair' | 'poor' | null {
  const validation = reports.findLast((report) => report.kind === 'validation');
  if (validation !== undefined) return validation.message.quality;
  const fit = reports.findLast((report) => report.kind === 'calibration' && report.message.applied);
  return fit?.message.quality ?? null;
}
