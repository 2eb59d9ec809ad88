import type { CalibrationTargetResidual, ValidationTargetResult } from 'gazertc-client/protocol';
import { useCalibrationController, useCalibrationState } from '../../calibration/react';
import { calibrationVerdict, validationVerdict } from '../../calibration/verdict';
import { useAppState } from '../../store/react';
import { formatCm, formatDeg, formatDistanceMm, formatPx } from './format';
import { QualityVerdict } from './QualityVerdict';
import { ResultChart } from './ResultChart';
import { ProcedureButtons } from './ProcedureButtons';

function EstimatedSizeNote({ estimated }: { estimated: boolean }) {
  if (!estimated) return null;
  return (
    <p className="hint">
      The screen&rsquo;s physical size is estimated (96 px per inch): centimetres and degrees are
      approximate. Measure it with a card for better numbers.
    </p>
  );
}

/** A poor fit is not in use: try again (the main action), or use it anyway. */
function PoorFitDecision() {
  const controller = useCalibrationController();
  const acceptPending = useCalibrationState((state) => state.acceptPending);
  const live = useAppState((state) => state.connection.phase === 'live');
  return (
    <ProcedureButtons
      buttons={[{ kind: 'calibration', label: 'Try again', primary: true, large: true }]}
    >
      <button
        type="button"
        className="button button-quiet"
        disabled={!live || acceptPending}
        onClick={() => controller.acceptPoorFit()}
      >
        {acceptPending ? 'Applying…' : 'Use it anyway'}
      </button>
    </ProcedureButtons>
  );
}

/** The fit: the server's verdict, and how well the model reproduces its own targets. */
export function CalibrationResultCard() {
  const fit = useCalibrationState((state) => state.fit);
  const validated = useCalibrationState((state) => state.validation !== null);
  const calibrated = useCalibrationState((state) => state.calibrated);
  if (fit === null) return null;
  const verdict = calibrationVerdict(fit, calibrated);
  const screen = fit.model.screen;
  const label = (target: CalibrationTargetResidual): string => formatDeg(target.offset_deg);
  return (
    <section
      className="card result-card"
      aria-labelledby="fit-title"
      data-testid="calibration-result"
      data-applied={String(fit.applied)}
    >
      <h2 id="fit-title">Calibration</h2>
      <QualityVerdict verdict={verdict} testId="calibration-verdict" />
      {fit.applied ? (
        !validated && (
          <ProcedureButtons
            buttons={[
              { kind: 'validation', label: 'Validate', primary: true, large: true },
              { kind: 'calibration', label: 'Recalibrate' },
            ]}
          />
        )
      ) : (
        <PoorFitDecision />
      )}
      <dl className="result-summary">
        <div>
          <dt>Leave-one-target-out error</dt>
          <dd data-testid="fit-loto-error">
            {formatDeg(fit.loto_error_deg)} · {formatPx(fit.loto_error_px)}
          </dd>
        </div>
        <div>
          <dt>Mean fit offset</dt>
          <dd data-testid="fit-offset">
            {formatDeg(fit.mean_offset_deg)} · {formatPx(fit.mean_offset_px)} ·{' '}
            {formatCm(fit.mean_offset_cm)}
          </dd>
        </div>
        <div>
          <dt>Samples used</dt>
          <dd>
            {fit.samples_used} ({fit.samples_dropped} dropped)
          </dd>
        </div>
        <div>
          <dt>Viewing distance</dt>
          <dd>{formatDistanceMm(fit.viewing_distance_mm)}</dd>
        </div>
      </dl>
      <ResultChart
        testId="fit-chart"
        screenWidthPx={screen.width_px}
        screenHeightPx={screen.height_px}
        targets={fit.targets.map((target) => ({
          id: target.target_id,
          xPx: target.x_px,
          yPx: target.y_px,
          radiusPx: target.offset_px,
          label: label(target),
        }))}
        description={`Calibration fit on ${fit.targets.length} targets: mean offset ${formatDeg(fit.mean_offset_deg)}.`}
      />
      <p className="hint">
        Offsets measure how well the model fits its own data; the leave-one-position-out error
        predicts each target position from the others. The validation measures accuracy.
      </p>
      <EstimatedSizeNote estimated={fit.screen_size_estimated} />
    </section>
  );
}

/** The validation: accuracy and precision per target and overall, with the gaze samples. */
export function ValidationResultCard() {
  const validation = useCalibrationState((state) => state.validation);
  const screen = useCalibrationState((state) => state.calibrationScreen);
  if (validation === null || screen === null) return null;
  const { result, samples } = validation;
  const label = (target: ValidationTargetResult): string => formatDeg(target.accuracy_deg);
  return (
    <section
      className="card result-card"
      aria-labelledby="validation-title"
      data-testid="validation-result"
    >
      <h2 id="validation-title">Validation</h2>
      <QualityVerdict verdict={validationVerdict(result)} testId="validation-verdict" />
      <dl className="result-summary">
        <div>
          <dt>Accuracy (mean offset)</dt>
          <dd data-testid="validation-accuracy">
            {formatDeg(result.accuracy_deg)} · {formatPx(result.accuracy_px)} ·{' '}
            {formatCm(result.accuracy_cm)}
          </dd>
        </div>
        <div>
          <dt>Precision (RMS sample to sample)</dt>
          <dd data-testid="validation-precision">
            {formatDeg(result.precision_deg)} · {formatPx(result.precision_px)}
          </dd>
        </div>
        <div>
          <dt>Viewing distance</dt>
          <dd>{formatDistanceMm(result.viewing_distance_mm)}</dd>
        </div>
      </dl>
      <ResultChart
        testId="validation-chart"
        screenWidthPx={screen.width_px}
        screenHeightPx={screen.height_px}
        targets={result.targets.map((target) => ({
          id: target.target_id,
          xPx: target.x_px,
          yPx: target.y_px,
          radiusPx: target.accuracy_px,
          label: label(target),
        }))}
        samples={samples}
        description={`Validation on ${result.targets.length} targets: accuracy ${formatDeg(result.accuracy_deg)}, precision ${formatDeg(result.precision_deg)}.`}
      />
      <p className="hint">
        Crosses: targets; dots: your gaze while you looked at them; circles: accuracy; ×: mean gaze.
      </p>
      <table className="result-table">
        <caption className="visually-hidden">Accuracy and precision per target</caption>
        <thead>
          <tr>
            <th scope="col">Target</th>
            <th scope="col">Accuracy</th>
            <th scope="col">Precision</th>
            <th scope="col">Samples</th>
          </tr>
        </thead>
        <tbody>
          {result.targets.map((target, index) => (
            <tr key={target.target_id}>
              <th scope="row">{index + 1}</th>
              <td>
                {formatDeg(target.accuracy_deg)} ({formatPx(target.accuracy_px)})
              </td>
              <td>
                {formatDeg(target.precision_deg)} ({formatPx(target.precision_px)})
              </td>
              <td>{target.samples_used}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <EstimatedSizeNote estimated={result.screen_size_estimated} />
      <ProcedureButtons
        buttons={[
          { kind: 'calibration', label: 'Recalibrate', primary: true },
          { kind: 'validation', label: 'Validate again' },
        ]}
      />
    </section>
  );
}
