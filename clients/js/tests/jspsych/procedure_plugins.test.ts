// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from 'vitest';
import { GazertcExtension } from '../../src/jspsych/extension';
import {
  CALIBRATION_POINTS,
  DEFAULT_TARGET_MS,
  GazertcCalibratePlugin,
  GazertcValidatePlugin,
  VALIDATION_POINTS,
  targetsInViewport,
} from '../../src/jspsych/procedure_plugins';
import {
  FakeClient,
  acceptedResult,
  calibrationResultMessage,
  poorCalibrationResult,
  validationResultMessage,
} from '../webgazer/fake_client';

const CALIBRATION = calibrationResultMessage();
const VALIDATION = validationResultMessage();

describe('targetsInViewport', () => {
  it('turns jsPsych-style percent points into viewport px', () => {
    expect(
      targetsInViewport(
        [
          [10, 50],
          [90, 90],
        ],
        { widthPx: 1000, heightPx: 600 },
      ),
    ).toEqual([
      { xPx: 100, yPx: 300 },
      { xPx: 900, yPx: 540 },
    ]);
  });
});

describe('jsPsychGazertcCalibrate / jsPsychGazertcValidate', () => {
  let client: FakeClient;
  let display: HTMLElement;
  let jsPsych: { getDisplayElement(): HTMLElement; extensions: Record<string, unknown> };

  beforeEach(async () => {
    document.body.replaceChildren();
    display = document.createElement('div');
    display.textContent = 'previous trial';
    document.body.append(display);
    client = new FakeClient();
    jsPsych = { getDisplayElement: () => display, extensions: {} };
    const extension = new GazertcExtension(jsPsych);
    await extension.initialize({ client });
    jsPsych.extensions['gazertc'] = extension;
  });

  const trial = (points: [number, number][], acceptPoor = false, distances = 1) => ({
    targets: points,
    duration_per_target_ms: DEFAULT_TARGET_MS,
    draw: true,
    accept_poor_calibration: acceptPoor,
    distances,
  });

  it('calibrates on the viewport targets, starting the session first, and reports the fit', async () => {
    client.calibrationResult = CALIBRATION;
    const data = await new GazertcCalibratePlugin(jsPsych).trial(
      display,
      trial(CALIBRATION_POINTS),
    );
    expect(client.state).toBe('live');
    expect(display.textContent).toBe('');
    expect(client.procedures).toEqual([
      {
        kind: 'calibrate',
        options: {
          targets: targetsInViewport(CALIBRATION_POINTS, {
            widthPx: window.innerWidth,
            heightPx: window.innerHeight,
          }),
          draw: true,
          durationPerTargetMs: DEFAULT_TARGET_MS,
          acceptPoor: false,
          distances: 1,
        },
      },
    ]);
    expect(data).toEqual({
      calibration_mean_offset_deg: CALIBRATION.mean_offset_deg,
      calibration_mean_offset_px: CALIBRATION.mean_offset_px,
      calibration_mean_offset_cm: CALIBRATION.mean_offset_cm,
      calibration_samples_used: CALIBRATION.samples_used,
      calibration_samples_dropped: CALIBRATION.samples_dropped,
      viewing_distance_mm: CALIBRATION.viewing_distance_mm,
      calibration_targets: CALIBRATION.targets,
      calibration_quality: 'good',
      calibration_quality_reason: CALIBRATION.quality_reason,
      calibration_applied: true,
      calibration_loto_error_deg: CALIBRATION.loto_error_deg,
      calibration_loto_error_px: CALIBRATION.loto_error_px,
      calibration_error: null,
    });
  });

  it('records a poor fit as not applied, or asks for it to be accepted when the trial says so', async () => {
    const poor = poorCalibrationResult();
    client.calibrationResult = poor;
    const refused = await new GazertcCalibratePlugin(jsPsych).trial(
      display,
      trial(CALIBRATION_POINTS),
    );
    expect(refused).toMatchObject({
      calibration_quality: 'poor',
      calibration_quality_reason: poor.quality_reason,
      calibration_applied: false,
      calibration_loto_error_deg: poor.loto_error_deg,
      calibration_error: null,
    });

    client.calibrationResult = acceptedResult(poor);
    const accepted = await new GazertcCalibratePlugin(jsPsych).trial(
      display,
      trial(CALIBRATION_POINTS, true),
    );
    expect(client.procedures.map((procedure) => procedure.options)).toMatchObject([
      { acceptPoor: false },
      { acceptPoor: true },
    ]);
    expect(accepted).toMatchObject({ calibration_quality: 'poor', calibration_applied: true });
  });

  it('passes the number of viewing distances on to the calibration', async () => {
    client.calibrationResult = CALIBRATION;
    await new GazertcCalibratePlugin(jsPsych).trial(display, trial(CALIBRATION_POINTS, false, 3));
    expect(client.procedures[0]?.options).toMatchObject({ distances: 3 });
    expect(GazertcCalibratePlugin.info.parameters['distances']?.default).toBe(1);
  });

  it('reports a failed calibration in the data instead of stopping the experiment', async () => {
    const data = await new GazertcCalibratePlugin(jsPsych).trial(
      display,
      trial(CALIBRATION_POINTS),
    );
    expect(data).toMatchObject({
      calibration_mean_offset_deg: null,
      calibration_quality: null,
      calibration_applied: false,
      calibration_error: 'calibration_failed: too few usable samples',
    });
  });

  it('validates and reports accuracy and precision in degrees and px', async () => {
    client.validationResult = VALIDATION;
    const data = await new GazertcValidatePlugin(jsPsych).trial(display, trial(VALIDATION_POINTS));
    expect(client.procedures[0]?.kind).toBe('validate');
    expect(data).toEqual({
      accuracy_deg: VALIDATION.accuracy_deg,
      accuracy_px: VALIDATION.accuracy_px,
      accuracy_cm: VALIDATION.accuracy_cm,
      precision_deg: VALIDATION.precision_deg,
      precision_px: VALIDATION.precision_px,
      viewing_distance_mm: VALIDATION.viewing_distance_mm,
      screen_size_estimated: VALIDATION.screen_size_estimated,
      validation_targets: VALIDATION.targets,
      validation_quality: 'fair',
      validation_quality_reason: VALIDATION.quality_reason,
      validation_error: null,
    });
  });

  it('says what is missing when the extension is not listed', async () => {
    const data = await new GazertcValidatePlugin({
      getDisplayElement: () => display,
      extensions: {},
    }).trial(display, trial(VALIDATION_POINTS));
    expect(data['validation_error']).toMatch(/jsPsychExtensionGazertc/);
  });

  it('declares its parameters and data as jsPsych 8 plugins do', () => {
    expect(Object.keys(GazertcCalibratePlugin.info.parameters)).toEqual([
      'targets',
      'duration_per_target_ms',
      'draw',
      'accept_poor_calibration',
      'distances',
    ]);
    expect(GazertcCalibratePlugin.info.parameters['accept_poor_calibration']?.default).toBe(false);
    expect(Object.keys(GazertcValidatePlugin.info.parameters)).toEqual([
      'targets',
      'duration_per_target_ms',
      'draw',
    ]);
    for (const field of [
      'calibration_quality',
      'calibration_quality_reason',
      'calibration_applied',
    ]) {
      expect(GazertcCalibratePlugin.info.data).toHaveProperty(field);
    }
    expect(GazertcValidatePlugin.info.data).toHaveProperty('validation_quality');
    expect(GazertcCalibratePlugin.info.name).toBe('gazertc-calibrate');
    expect(Object.keys(GazertcValidatePlugin.info.data)).toContain('accuracy_deg');
  });
});

describe('dist entry', () => {
  it('defines the window names an experiment uses', async () => {
    await import('../../src/jspsych/index');
    const names = globalThis as unknown as Record<string, unknown>;
    expect(names['jsPsychExtensionGazertc']).toBe(GazertcExtension);
    expect(names['jsPsychGazertcCalibrate']).toBe(GazertcCalibratePlugin);
    expect(names['jsPsychGazertcValidate']).toBe(GazertcValidatePlugin);
  });
});
