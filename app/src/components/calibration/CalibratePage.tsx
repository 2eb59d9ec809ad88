import { useState } from 'react';
import { TARGET_COUNTS, type AdvanceMode, DISTANCE_COUNTS } from 'gazertc-client/calibration';
import { useCalibrationController, useCalibrationState } from '../../calibration/react';
import { describeGeometry } from '../../calibration/screen';
import { TARGET_MS_CHOICES } from '../../calibration/storage';
import { useAppState } from '../../store/react';
import { DurationSelect } from '../DurationSelect';
import { TrackingGate } from '../TrackingGate';
import { CardCheck } from './CardCheck';
import { ChoiceGroup } from './ChoiceGroup';
import { GazeCursor } from './GazeCursor';
import { GazeCursorToggle } from './GazeCursorToggle';
import { HandsFreeFollowUp } from './HandsFreeFollowUp';
import { ProcedureButtons } from './ProcedureButtons';
import { ProcedureOverlay } from './ProcedureOverlay';
import { CalibrationResultCard, ValidationResultCard } from './ResultCards';
import { SavedCalibrationStatus } from './SavedCalibrationStatus';
import './calibration.css';

/** What each choice of distances asks of the user. */
const DISTANCE_LABELS: Readonly<Record<(typeof DISTANCE_COUNTS)[number], string>> = {
  1: 'At your usual distance',
  3: 'Three: usual, leaning in, leaning back',
};

/** How the procedure moves on to the next target. */
const ADVANCE_MODES: ReadonlyArray<{ mode: AdvanceMode; label: string }> = [
  { mode: 'key', label: 'Key press (Space or Enter)' },
  { mode: 'dwell', label: 'By itself, after looking (dwell)' },
];

export function CalibratePage() {
  return (
    <TrackingGate notice="Calibration maps your gaze onto this screen. Turn on the camera and start tracking first; you stay on this page.">
      <CalibrationWorkspace />
    </TrackingGate>
  );
}

function CalibrationWorkspace() {
  const phase = useCalibrationState((state) => state.procedure.phase);
  const showCursor = useCalibrationState((state) => state.settings.showGazeCursor);
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
      <HandsFreeFollowUp />
      <div className="calibrate-grid">
        <CalibrationSetup />
        <div className="calibrate-results">
          <ValidationResultCard />
          <CalibrationResultCard />
        </div>
      </div>
      {phase !== 'idle' && <ProcedureOverlay />}
      {/* Hidden by itself without a screen point (not calibrated) and over the charts. */}
      {showCursor && phase === 'idle' && <GazeCursor />}
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
  const screen = controller.currentScreen();
  return (
    <section className="card calibrate-setup" aria-labelledby="setup-title">
      <h2 id="setup-title">Calibrate</h2>
      <ChoiceGroup
        legend="Targets"
        name="target-count"
        choices={TARGET_COUNTS.map((count) => ({ value: count, label: `${count} points` }))}
        selected={settings.targetCount}
        onSelect={(targetCount) => controller.updateSettings({ targetCount })}
      />
      <ChoiceGroup
        legend="Distances"
        name="distances"
        choices={DISTANCE_COUNTS.map((count) => ({ value: count, label: DISTANCE_LABELS[count] }))}
        selected={settings.distances}
        onSelect={(distances) => controller.updateSettings({ distances })}
        describedBy="distances-help"
      >
        <p className="hint" id="distances-help">
          The same targets again after leaning in and after leaning back (three times as long) make
          the calibration hold up better when you move your head later: in a simulation it then
          stayed about as accurate as without moving, where one distance lost 1-3°.
        </p>
      </ChoiceGroup>
      <ChoiceGroup
        legend="Next target"
        name="advance-mode"
        choices={ADVANCE_MODES.map(({ mode, label }) => ({ value: mode, label }))}
        selected={settings.mode}
        onSelect={(mode) => controller.updateSettings({ mode })}
      />
      <DurationSelect
        label="Time per target"
        valueMs={settings.targetMs}
        choicesMs={TARGET_MS_CHOICES}
        onChange={(targetMs) => controller.updateSettings({ targetMs })}
      />
      <label className="check">
        <input
          type="checkbox"
          checked={settings.fullscreen}
          onChange={(event) => controller.updateSettings({ fullscreen: event.target.checked })}
        />
        Full screen while calibrating
      </label>
      <GazeCursorToggle />
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
      <ProcedureButtons
        buttons={
          calibrated
            ? [
                { kind: 'calibration', label: 'Recalibrate', primary: true, large: true },
                { kind: 'validation', label: 'Validate', large: true },
              ]
            : [{ kind: 'calibration', label: 'Start calibration', primary: true, large: true }]
        }
      />
      {!live && <p className="hint">Waiting for the connection to the server…</p>}
    </section>
  );
}
