// gazertc's own jsPsych extension and plugins (/lib/jspsych-gazertc.js): an experiment on a page
// of another origin calibrates and validates with the session's procedures and records a trial
// with every frame's gaze point, head pose, blink state and capture time. Then the example
// experiment served by gazertc at /examples/jspsych/ runs to its summary under the server's
// strict Content-Security-Policy. Headless Chromium, the fake camera; the clip's gaze does not
// follow the targets, so results are checked for presence and shape, not accuracy, and the
// server judges the calibrations poor: the first (default parameters) is recorded but not used,
// the second (accept_poor_calibration) is used, so the recorded trial has gaze points.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, OUTPUT_DIR, SKIP_REASON } from './harness';
import { SERVER, forwardConsole, startExperiment, type Experiment } from './second_origin';

/** 6 s of the clip (Chromium loops it): the face is found throughout. */
const FAKE_CAMERA_FRAMES = 150;
const VIEWPORT = { width: 1120, height: 760 };
const TRIAL_MS = 4000;
/** Frames may be lost at the start and end of a trial and under load. */
const MIN_RATE_FRACTION = 0.6;
/** Samples are pushed once per frame: more than the camera's rate would be frames counted twice. */
const MAX_RATE_FRACTION = 1.1;
const TARGET_MS = 1000;
/** The server's verdict on a calibration from the clip, whose gaze does not follow the targets. */
const CLIP_CALIBRATION_QUALITY = 'poor';

const EXPERIMENT = `'use strict';
window.experiment = { done: false };
const jsPsych = initJsPsych({
  extensions: [{ type: jsPsychExtensionGazertc, params: {} }],
  on_finish: () => {
    window.experiment = { done: true, data: jsPsych.data.get().values() };
  },
});
const calibrationTargets = [[10, 10], [90, 10], [50, 50], [10, 90], [90, 90]];
jsPsych.run([
  {
    type: jsPsychGazertcCalibrate,
    targets: calibrationTargets,
    duration_per_target_ms: ${TARGET_MS},
  },
  {
    type: jsPsychGazertcCalibrate,
    targets: calibrationTargets,
    duration_per_target_ms: ${TARGET_MS},
    accept_poor_calibration: true,
  },
  {
    type: jsPsychGazertcValidate,
    targets: [[30, 30], [70, 30], [30, 70], [70, 70]],
    duration_per_target_ms: ${TARGET_MS},
  },
  {
    type: jsPsychHtmlKeyboardResponse,
    stimulus: '<p id="stimulus">Look anywhere</p>',
    choices: 'NO_KEYS',
    trial_duration: ${TRIAL_MS},
    extensions: [{ type: jsPsychExtensionGazertc, params: { targets: ['#stimulus'] } }],
  },
]);
`;

interface TrialData {
  trial_type: string;
  [field: string]: unknown;
}

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

const SUITE = "gazertc's jsPsych extension and plugins in headless Chromium";

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let experiment: Experiment;

    beforeAll(async () => {
      experiment = await startExperiment({
        name: 'native',
        title: 'gazertc jsPsych experiment',
        scripts: [
          '/vendor/jspsych.js',
          '/vendor/plugin-html-keyboard-response.js',
          `${SERVER}/lib/gazertc.js`,
          `${SERVER}/lib/jspsych-gazertc.js`,
        ],
        experiment: EXPERIMENT,
        fakeCameraFrames: FAKE_CAMERA_FRAMES,
        viewport: VIEWPORT,
      });
    });

    afterAll(async () => {
      await experiment.cross.close();
    });

    it('calibrates, validates in degrees and records every frame of a trial', async () => {
      const finished = await experiment.run(120_000);
      const { data } = finished as {
        data: TrialData[];
      };
      expect(data.map((trial) => trial.trial_type)).toEqual([
        'gazertc-calibrate',
        'gazertc-calibrate',
        'gazertc-validate',
        'html-keyboard-response',
      ]);
      const [refused, accepted, validation, recorded] = data;
      for (const calibration of [refused, accepted]) {
        expect(calibration?.['calibration_error']).toBeNull();
        expect(calibration?.['calibration_mean_offset_deg']).toEqual(expect.any(Number) as unknown);
        expect(calibration?.['calibration_targets']).toHaveLength(5);
        expect(calibration?.['calibration_quality']).toBe(CLIP_CALIBRATION_QUALITY);
        expect(calibration?.['calibration_quality_reason']).toEqual(expect.any(String) as unknown);
      }
      console.log(
        `calibration: ${String(refused?.['calibration_quality'])}, ${String(refused?.['calibration_quality_reason'])}`,
      );
      // Without accept_poor_calibration the poor fit is not used; with it, it is.
      expect(refused?.['calibration_applied']).toBe(false);
      expect(accepted?.['calibration_applied']).toBe(true);
      expect(validation?.['validation_error']).toBeNull();
      expect(['good', 'fair', 'poor']).toContain(validation?.['validation_quality']);
      expect(validation?.['validation_quality_reason']).toEqual(expect.any(String) as unknown);
      for (const field of ['accuracy_deg', 'accuracy_px', 'precision_deg', 'precision_px']) {
        expect(validation?.[field], field).toEqual(expect.any(Number) as unknown);
      }
      expect(validation?.['validation_targets']).toHaveLength(4);
      console.log(
        `validation (${String(validation?.['validation_quality'])}): accuracy ${String(validation?.['accuracy_deg'])}°, precision ${String(validation?.['precision_deg'])}° (the clip does not look at the targets)`,
      );

      const samples = recorded?.['gazertc_samples'] as Record<string, unknown>[];
      const expected = (TRIAL_MS / 1000) * experiment.fps;
      console.log(
        `recorded trial: ${samples.length} frames in ${TRIAL_MS} ms (camera: ${expected})`,
      );
      expect(samples.length).toBeGreaterThanOrEqual(Math.floor(expected * MIN_RATE_FRACTION));
      expect(samples.length).toBeLessThanOrEqual(Math.ceil(expected * MAX_RATE_FRACTION));
      const frameIds = samples.map((sample) => sample['frame_id'] as number);
      for (let index = 1; index < frameIds.length; index++) {
        expect(frameIds[index]).toBeGreaterThan(frameIds[index - 1] ?? Number.NEGATIVE_INFINITY);
      }
      const withFace = samples.filter((sample) => sample['face_found'] === true);
      expect(withFace.length).toBeGreaterThan(samples.length / 2);
      for (const sample of withFace) {
        expect(sample).toMatchObject({
          t: expect.any(Number) as unknown,
          capture_unix_ms: expect.any(Number) as unknown,
          head_yaw_deg: expect.any(Number) as unknown,
          head_pitch_deg: expect.any(Number) as unknown,
          head_roll_deg: expect.any(Number) as unknown,
          blinking: expect.any(Boolean) as unknown,
        });
        expect(sample).toHaveProperty('confidence');
        expect(sample['t']).toBeGreaterThanOrEqual(0);
        expect(sample['t']).toBeLessThanOrEqual(TRIAL_MS + 100);
      }
      // Calibrated (the accepted fit): the frames with a point are WebGazer's webgazer_data.
      const points = recorded?.['webgazer_data'] as { x: number; y: number; t: number }[];
      expect(points.length).toBeGreaterThan(0);
      expect(points.length).toBeLessThanOrEqual(samples.length);
      expect(points[0]).toEqual({
        x: expect.any(Number) as unknown,
        y: expect.any(Number) as unknown,
        t: expect.any(Number) as unknown,
      });
      expect(Array.isArray(recorded?.['gazertc_fixations'])).toBe(true);
      expect(Array.isArray(recorded?.['gazertc_blinks'])).toBe(true);
      const targets = recorded?.['webgazer_targets'] as Record<string, { width: number }>;
      expect(targets['#stimulus']?.width).toBeGreaterThan(0);
    });

    it('runs the example experiment at /examples/jspsych/ under the strict CSP', async () => {
      const example = join(DIST, 'examples/jspsych/index.html');
      if (!existsSync(example)) {
        throw new Error(
          `${example} is missing: the app build copies examples/jspsych (npm run build)`,
        );
      }
      mkdirSync(OUTPUT_DIR, { recursive: true });
      const violations: string[] = [];
      const examplePage = await experiment.cross.harness.context.newPage();
      forwardConsole(examplePage);
      examplePage.on('console', (message) => {
        // Scripts, styles and jsPsych's data: fonts must all pass the CSP.
        if (message.text().includes('Content Security Policy')) violations.push(message.text());
      });
      await examplePage.goto(`${experiment.cross.harness.baseUrl}/examples/jspsych/`);
      await examplePage.getByRole('heading', { name: 'Eye tracking with gazertc' }).waitFor();
      await examplePage.keyboard.press('Space');
      await examplePage.getByText('Now a few more dots').waitFor({ timeout: 60_000 });
      // The example accepts poor calibrations and says so.
      const verdict = await examplePage.locator('#example-calibration-verdict').textContent();
      console.log(`example: ${verdict}`);
      expect(verdict).toMatch(
        new RegExp(`^Calibration ${CLIP_CALIBRATION_QUALITY} \\(in use\\): .+`),
      );
      await examplePage.keyboard.press('Space');
      const accuracy = examplePage.locator('#example-accuracy');
      await accuracy.waitFor({ timeout: 90_000 });
      console.log(`example: ${await accuracy.textContent()}`);
      expect(await accuracy.textContent()).toMatch(
        /^Validation: accuracy \d+\.\d\d° \(\d+ px\), precision .*: (good|fair|poor)\.$/,
      );
      expect(await examplePage.locator('#example-calibration').textContent()).toMatch(
        /^Calibration \w+ \(in use\): /,
      );
      // Two choice trials, each with frames recorded.
      const rows = examplePage.locator('#example-trials tr');
      expect(await rows.count()).toBe(3);
      const frames = Number(await rows.nth(1).locator('td').nth(1).textContent());
      expect(frames).toBeGreaterThan(0);
      await examplePage.screenshot({ path: join(OUTPUT_DIR, 'jspsych-example.png') });
      expect(violations).toEqual([]);
      await examplePage.close();
    });
  },
);
