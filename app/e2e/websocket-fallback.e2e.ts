// The WebSocket transport (/ws, for networks that block WebRTC's UDP) end to end: a jsPsych page of
// another origin whose gazertc extension forces `transport: 'websocket'` gets the session over
// the socket and records a trial's frames at about the camera's rate. Headless Chromium with
// the fake camera.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_REASON } from './harness';
import { SERVER, startExperiment, type Experiment } from './second_origin';

/** 6 s of the clip (Chromium loops it): the face is found throughout. */
const FAKE_CAMERA_FRAMES = 150;
const VIEWPORT = { width: 1120, height: 760 };
const TRIAL_MS = 4000;
/** JPEG frames over TCP may be fewer than the camera's (the client keeps at most ~2 in flight). */
const MIN_RATE_FRACTION = 0.5;
/** One sample per frame sent: never more than the camera delivers. */
const MAX_RATE_FRACTION = 1.1;

const EXPERIMENT = `'use strict';
window.experiment = { done: false };
const jsPsych = initJsPsych({
  extensions: [
    {
      type: jsPsychExtensionGazertc,
      params: { auto_start: true, client_options: { transport: 'websocket' } },
    },
  ],
  on_finish: () => {
    const client = jsPsych.extensions.gazertc.client;
    window.experiment = {
      done: true,
      data: jsPsych.data.get().values(),
      transport: client.transport,
      state: client.state,
    };
  },
});
jsPsych.run([
  {
    type: jsPsychHtmlKeyboardResponse,
    stimulus: '<p>Starting the camera</p>',
    choices: 'NO_KEYS',
    trial_duration: 3000,
  },
  {
    type: jsPsychHtmlKeyboardResponse,
    stimulus: '<p id="stimulus">Look anywhere</p>',
    choices: 'NO_KEYS',
    trial_duration: ${TRIAL_MS},
    extensions: [{ type: jsPsychExtensionGazertc, params: {} }],
  },
]);
`;

interface ExperimentResult {
  done: boolean;
  data: Record<string, unknown>[];
  transport: string | null;
  state: string;
}

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

const SUITE = 'the WebSocket transport forced by a page, in headless Chromium';

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let experiment: Experiment;

    beforeAll(async () => {
      experiment = await startExperiment({
        name: 'websocket',
        title: 'gazertc over a WebSocket',
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

    it('gets the samples of a trial over the WebSocket', async () => {
      const finished = await experiment.run(60_000);
      const result = finished as ExperimentResult;
      expect(result.transport).toBe('websocket');
      expect(result.state).toBe('live');
      const samples = result.data[1]?.['gazertc_samples'] as Record<string, unknown>[];
      const expected = (TRIAL_MS / 1000) * experiment.fps;
      console.log(`websocket: ${samples.length} frames in ${TRIAL_MS} ms (camera: ${expected})`);
      expect(samples.length).toBeGreaterThanOrEqual(Math.floor(expected * MIN_RATE_FRACTION));
      expect(samples.length).toBeLessThanOrEqual(Math.ceil(expected * MAX_RATE_FRACTION));
      const withFace = samples.filter((sample) => sample['face_found'] === true);
      expect(withFace.length).toBeGreaterThan(samples.length / 2);
      expect(withFace[0]).toMatchObject({
        capture_unix_ms: expect.any(Number) as unknown,
        head_yaw_deg: expect.any(Number) as unknown,
      });
      // Uncalibrated: frames without a point, so no WebGazer points.
      expect(result.data[1]?.['webgazer_data']).toEqual([]);
    });
  },
);
