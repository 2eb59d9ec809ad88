// An experiment written for jsPsych's own WebGazer extension and its init-camera, calibrate and
// validate plugins (jsPsych 8.3.0, extension 1.2.0, plugins 2.1.0, unchanged, from npm), given
// `gazertc.webgazer` instead of WebGazer, on a page of another origin than the gazertc server
// (which allows it with --allow-origin), in headless Chromium with the fake camera.
//
// The clip's gaze does not follow the targets, so this checks the flow and the data's shape and
// rate, not accuracy: the experiment completes; recordScreenPosition calls became a server
// calibration, which the server judges poor and the stand-in accepts (WebGazer pages expect
// predictions after calibrating); validation data has jsPsych's fields; the recorded trial's
// webgazer_data has one point per camera frame (capture times increasing, about trial duration ×
// the camera's rate).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_REASON } from './harness';
import { SERVER, startExperiment, type Experiment } from './second_origin';

/** 6 s of the clip (Chromium loops it): the face is found throughout. */
const FAKE_CAMERA_FRAMES = 150;
const VIEWPORT = { width: 1120, height: 760 };
/** The recorded trial's length. */
const TRIAL_MS = 4000;
/** Frames may be lost at the start and end of a trial and under load; never more than delivered. */
const MIN_RATE_FRACTION = 0.6;
/** Above the camera's rate would mean frames counted twice (jsPsych polls every 34 ms). */
const MAX_RATE_FRACTION = 1.1;
/** Capture to prediction on this machine: generous (the server answers in tens of ms). */
const MAX_LATENCY_MS = 500;
/** The server's verdict on a calibration from the clip, whose gaze does not follow the targets. */
const CLIP_CALIBRATION_QUALITY = 'poor';
const CALIBRATION_POINTS = [
  [10, 10],
  [90, 10],
  [50, 50],
  [10, 90],
  [90, 90],
];
const VALIDATION_POINTS = [
  [25, 25],
  [75, 25],
  [50, 50],
  [25, 75],
  [75, 75],
];

/** The experiment, as a researcher would write it for WebGazer; only `webgazer` is gazertc's. */
const EXPERIMENT = `'use strict';
const webgazer = gazertc.webgazer;
window.experiment = { done: false };
const jsPsych = initJsPsych({
  extensions: [{ type: jsPsychExtensionWebgazer, params: { webgazer } }],
  on_finish: () => {
    window.experiment = {
      done: true,
      data: jsPsych.data.get().values(),
      calibration: webgazer.lastCalibration,
      quality: webgazer.getCalibrationQuality(),
      transport: webgazer.client === null ? null : webgazer.client.transport,
    };
  },
});
jsPsych.run([
  { type: jsPsychWebgazerInitCamera },
  {
    type: jsPsychWebgazerCalibrate,
    calibration_mode: 'view',
    calibration_points: ${JSON.stringify(CALIBRATION_POINTS)},
    time_to_saccade: 500,
    time_per_point: 1000,
  },
  {
    type: jsPsychWebgazerValidate,
    validation_points: ${JSON.stringify(VALIDATION_POINTS)},
    time_to_saccade: 300,
    validation_duration: 1000,
  },
  {
    type: jsPsychHtmlKeyboardResponse,
    stimulus: '<p id="stimulus">Look anywhere</p>',
    choices: 'NO_KEYS',
    trial_duration: ${TRIAL_MS},
    extensions: [{ type: jsPsychExtensionWebgazer, params: { targets: ['#stimulus'] } }],
  },
]);
`;

interface TrialData {
  trial_type: string;
  [field: string]: unknown;
}

interface ExperimentResult {
  done: boolean;
  data: TrialData[];
  calibration: {
    kind: string;
    result?: { targets: unknown[]; quality: string | null; applied: boolean; source: string };
  } | null;
  quality: string | null;
  transport: string | null;
}

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

const SUITE = "jsPsych's WebGazer extension and plugins on gazertc.webgazer, from another origin";

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let experiment: Experiment;

    beforeAll(async () => {
      experiment = await startExperiment({
        name: 'webgazer',
        title: 'WebGazer experiment',
        scripts: [
          '/vendor/jspsych.js',
          '/vendor/extension-webgazer.js',
          '/vendor/plugin-webgazer-init-camera.js',
          '/vendor/plugin-webgazer-calibrate.js',
          '/vendor/plugin-webgazer-validate.js',
          '/vendor/plugin-html-keyboard-response.js',
          `${SERVER}/lib/gazertc.js`,
        ],
        experiment: EXPERIMENT,
        fakeCameraFrames: FAKE_CAMERA_FRAMES,
        viewport: VIEWPORT,
      });
    });

    afterAll(async () => {
      await experiment.cross.close();
    });

    it('runs the experiment to the end with calibration, validation and gaze data', async () => {
      const finished = await experiment.run(120_000, async (page) => {
        // init-camera enables its button once #webgazerFaceFeedbackBox turns green.
        await page.locator('#jspsych-wg-cont:enabled').click({ timeout: 30_000 });
      });
      const result = finished as ExperimentResult;
      expect(result.transport).toBe('webrtc');
      expect(result.data.map((trial) => trial.trial_type)).toEqual([
        'webgazer-init-camera',
        'webgazer-calibrate',
        'webgazer-validate',
        'html-keyboard-response',
      ]);
      const [init, , validation, recorded] = result.data;
      expect(init?.['load_time']).toEqual(expect.any(Number) as unknown);

      // The calibrate plugin's recordScreenPosition calls became one server calibration.
      expect(result.calibration?.kind).toBe('calibrated');
      expect(result.calibration?.result?.targets).toHaveLength(CALIBRATION_POINTS.length);
      // Poor, and accepted by the stand-in: the verdict stays readable.
      expect(result.calibration?.result).toMatchObject({
        quality: CLIP_CALIBRATION_QUALITY,
        applied: true,
        source: 'accept',
      });
      expect(result.quality).toBe(CLIP_CALIBRATION_QUALITY);

      // Validation: jsPsych's fields, computed from gazertc's predictions.
      const percentInRoi = validation?.['percent_in_roi'] as number[];
      const averageOffset = validation?.['average_offset'] as { x: number; y: number; r: number }[];
      expect(percentInRoi).toHaveLength(VALIDATION_POINTS.length);
      for (const percent of percentInRoi) {
        expect(percent).toBeGreaterThanOrEqual(0);
        expect(percent).toBeLessThanOrEqual(100);
      }
      expect(averageOffset).toHaveLength(VALIDATION_POINTS.length);
      for (const offset of averageOffset) {
        expect(offset).toEqual({
          x: expect.any(Number) as unknown,
          y: expect.any(Number) as unknown,
          r: expect.any(Number) as unknown,
        });
      }
      const samplesPerSec = Number(validation?.['samples_per_sec']);
      console.log(
        `validation: ${samplesPerSec} samples/s, camera ${experiment.fps} fps, in ROI ${percentInRoi.join(', ')} %`,
      );
      expect(samplesPerSec).toBeGreaterThan(experiment.fps * MIN_RATE_FRACTION);
      expect(samplesPerSec).toBeLessThan(experiment.fps * MAX_RATE_FRACTION);

      // The recorded trial: one point per frame at the camera's rate.
      const points = recorded?.['webgazer_data'] as { x: number; y: number; t: number }[];
      const expected = (TRIAL_MS / 1000) * experiment.fps;
      console.log(
        `recorded trial: ${points.length} points in ${TRIAL_MS} ms (camera: ${expected})`,
      );
      expect(points.length).toBeGreaterThanOrEqual(Math.floor(expected * MIN_RATE_FRACTION));
      expect(points.length).toBeLessThanOrEqual(Math.ceil(expected * MAX_RATE_FRACTION));
      for (const point of points) {
        expect(point).toEqual({
          x: expect.any(Number) as unknown,
          y: expect.any(Number) as unknown,
          t: expect.any(Number) as unknown,
        });
        expect(Number.isInteger(point.x) && Number.isInteger(point.y)).toBe(true);
      }
      const times = points.map((point) => point.t);
      for (let index = 1; index < times.length; index++) {
        expect(times[index]).toBeGreaterThan(times[index - 1] ?? Number.NEGATIVE_INFINITY);
      }
      // t is the frame's capture time: the first point may be a frame captured just before the
      // trial began and delivered after (network and processing latency).
      expect(times[0]).toBeGreaterThanOrEqual(-MAX_LATENCY_MS);
      expect(times.at(-1)).toBeLessThanOrEqual(TRIAL_MS + 100);
      const targets = recorded?.['webgazer_targets'] as Record<string, { width: number }>;
      expect(targets['#stimulus']?.width).toBeGreaterThan(0);
    });
  },
);
