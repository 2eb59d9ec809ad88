import { calibrationReports, type CalibrationReport } from '../../recordings/calibrations';
import type { ScreenSizePx } from '../../recordings/types';
import { ResultChart } from '../calibration/ResultChart';
import '../calibration/calibration.css';

function describe(report: CalibrationReport): string {
  if (report.kind === 'calibration') {
    const { message } = report;
    const error =
      message.loto_error_deg !== null
        ? `, leave-one-out error ${message.loto_error_deg.toFixed(1)}°`
        : message.loto_error_px !== null
          ? `, leave-one-out error ${Math.round(message.loto_error_px)} px`
          : '';
    return `Calibration (${message.applied ? 'applied' : 'not applied'}): quality ${message.quality ?? 'not rated'}${error}.`;
  }
  const { message } = report;
  const accuracy =
    message.accuracy_deg !== null
      ? `${message.accuracy_deg.toFixed(1)}°`
      : message.accuracy_px !== null
        ? `${Math.round(message.accuracy_px)} px`
        : 'not measured';
  return `Validation: quality ${message.quality}, accuracy ${accuracy}.`;
}

function chartTargets(report: CalibrationReport) {
  if (report.kind === 'calibration') {
    return report.message.targets.map((target) => ({
      id: target.target_id,
      xPx: target.x_px,
      yPx: target.y_px,
      radiusPx: target.offset_px,
      label: target.offset_px === null ? 'no samples' : `${Math.round(target.offset_px)} px`,
    }));
  }
  return report.message.targets.map((target) => ({
    id: target.target_id,
    xPx: target.x_px,
    yPx: target.y_px,
    radiusPx: target.accuracy_px,
    label: target.accuracy_px === null ? 'no samples' : `${Math.round(target.accuracy_px)} px`,
  }));
}

/** The calibrations and validations the recording was made with, each charted on the screen. */
export function CalibrationCharts(props: {
  entries: readonly unknown[];
  screen: ScreenSizePx | null;
}) {
  const reports = calibrationReports(props.entries);
  return (
    <section className="card recording-calibrations" aria-label="Calibration and validation">
      <h2>Calibration and validation</h2>
      {reports.length === 0 && <p>No calibration was in use in this recording.</p>}
      {reports.map((report, index) => {
        const text = describe(report);
        const targets = chartTargets(report);
        return (
          <figure key={index} className="recording-calibration" data-testid="recording-calibration">
            {props.screen !== null && targets.length > 0 && (
              <ResultChart
                screenWidthPx={props.screen.width_px}
                screenHeightPx={props.screen.height_px}
                targets={targets}
                description={text}
                testId={`recording-${report.kind}-chart`}
              />
            )}
            <figcaption>{text}</figcaption>
          </figure>
        );
      })}
    </section>
  );
}
