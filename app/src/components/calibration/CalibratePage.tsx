import { useState } from 'react';
import { useCalibrationController, useCalibrationState } from '../../calibration/react';
import { describeGeometry } from '../../calibration/screen';
import { TARGET_MS_CHOICES } from '../../calibration/storage';
import { TARGET_COUNTS, isTargetCount } from '../../calibration/layout';
import { useAppState } from '../../store/react';
import { StartScreen } from '../StartScreen';
import { CardCheck } from './CardCheck';
import { GazeCursor } from './GazeCursor';
import { ProcedureOverlay } from './ProcedureOverlay';
import { CalibrationResultCard, ValidationResultCard } from './ResultCards';
import { SavedCalibrationStatus } from './SavedCalibrationStatus';
import './calibration.css';
import { useStartProcedure } from './useStartProcedure';

export function CalibratePage() {
  const connected = useAppState((state) => state.connection.phase !== 'idle');
  if (!connected) {
    return (
      <div className="page-gate">
        <p className="notice">
          Calibration maps your gaze onto this screen. Turn on the camera and start tracking first;
          you stay on this page.
        </p>
        <StartScreen />
      </div>
    );
  }
  return <CalibrationWorkspace />;
}

function CalibrationWorkspace() {
  const phase = useCalibrationState((state) => state.procedure.phase);
  const showCursor = useCalibrationState((state) => state.settings.showGazeCursor);
  const calibrated = useCalibrationState((state) => state.calibrated);
  return (
    <div className="calibrate">
      <div className="calibrate-heading">
        <h1>Calibration</h1>
        <p className="lead">
          Look at each target as it appears. Afterwards a validation on other points measures how
          accurate your gaze on the screen is, in degrees and pixels.
        </p>
      </div>
      <SavedCalibrationStatus />
      <ProblemNotice />
      <div className="calibrate-grid">
        <CalibrationSetup />
        <div className="calibrate-results">
          <ValidationResultCard />
          <CalibrationResultCard />
        </div>
      </div>
      {phase !== 'idle' && <ProcedureOverlay />}
      {showCursor && calibrated && phase === 'idle' && <GazeCursor />}
    </div>
  );
}

function ProblemNotice() {
  const problem = useCalibrationState((state) => state.problem);
  const viewportChanged = useCalibrationState((state) => state.viewportChanged);
  return (
    <>
      {problem !== null && (
        <p className="notice notice-error" role="alert" data-testid="calibration-problem">
          {problem}
        </p>
      )}
      {viewportChanged && (
        <p className="notice notice-warning" role="status">
          The window changed size since the calibration, so gaze points are off. Calibrate again, or
          restore the window (full screen).
        </p>
      )}
    </>
  );
}

function CalibrationSetup() {
  const controller = useCalibrationController();
  const settings = useCalibrationState((state) => state.settings);
  const calibrated = useCalibrationState((state) => state.calibrated);
  const live = useAppState((state) => state.connection.phase === 'live');
  const [checking, setChecking] = useState(false);
  const start = useStartProcedure();
  const screen = controller.currentScreen();
  return (
    <section className="card calibrate-setup" aria-labelledby="setup-title">
      <h2 id="setup-title">Calibrate</h2>
      <fieldset className="choice">
        <legend>Targets</legend>
        {TARGET_COUNTS.map((count) => (
          <label key={count} className="choice-option">
            <input
              type="radio"
              name="target-count"
              value={count}
              checked={settings.targetCount === count}
              onChange={(event) => {
                const value = Number(event.target.value);
                if (isTargetCount(value)) controller.updateSettings({ targetCount: value });
              }}
            />
            {count} points
          </label>
        ))}
      </fieldset>
      <fieldset className="choice">
        <legend>Next target</legend>
        <label className="choice-option">
          <input
            type="radio"
            name="advance-mode"
            checked={settings.mode === 'key'}
            onChange={() => controller.updateSettings({ mode: 'key' })}
          />
          Key press (Space or Enter)
        </label>
        <label className="choice-option">
          <input
            type="radio"
            name="advance-mode"
            checked={settings.mode === 'dwell'}
            onChange={() => controller.updateSettings({ mode: 'dwell' })}
          />
          By itself, after looking (dwell)
        </label>
      </fieldset>
      <label className="field">
        <span>Time per target</span>
        <select
          value={settings.targetMs}
          onChange={(event) => controller.updateSettings({ targetMs: Number(event.target.value) })}
        >
          {TARGET_MS_CHOICES.map((ms) => (
            <option key={ms} value={ms}>
              {(ms / 1000).toFixed(1)} s
            </option>
          ))}
        </select>
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={settings.fullscreen}
          onChange={(event) => controller.updateSettings({ fullscreen: event.target.checked })}
        />
        Full screen while calibrating
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={settings.showGazeCursor}
          onChange={(event) => controller.updateSettings({ showGazeCursor: event.target.checked })}
        />
        Show gaze cursor
      </label>
      <div className="screen-size">
        <p className="hint" data-testid="screen-geometry">
          Screen: {screen === undefined ? 'unknown' : describeGeometry(screen)}
          {settings.mmPerCssPx === null ? ' (physical size estimated by the server)' : ''}
        </p>
        {checking ? (
          <CardCheck
            mmPerCssPx={settings.mmPerCssPx}
            onMeasured={(mmPerCssPx) => {
              controller.updateSettings({ mmPerCssPx });
              setChecking(false);
            }}
            onClose={() => setChecking(false)}
          />
        ) : (
          <div className="button-row">
            <button type="button" className="button button-quiet" onClick={() => setChecking(true)}>
              Measure screen size (optional)
            </button>
            {settings.mmPerCssPx !== null && (
              <button
                type="button"
                className="button button-quiet"
                onClick={() => controller.updateSettings({ mmPerCssPx: null })}
              >
                Forget the size
              </button>
            )}
          </div>
        )}
      </div>
      <div className="button-row">
        <button
          type="button"
          className="button button-primary button-large"
          disabled={!live}
          onClick={() => start('calibration')}
        >
          {calibrated ? 'Recalibrate' : 'Start calibration'}
        </button>
        {calibrated && (
          <button
            type="button"
            className="button button-large"
            disabled={!live}
            onClick={() => start('validation')}
          >
            Validate
          </button>
        )}
      </div>
      {!live && <p className="hint">Waiting for the connection to the server…</p>}
    </section>
  );
}
