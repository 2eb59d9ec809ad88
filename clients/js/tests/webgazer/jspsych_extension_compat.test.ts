// @vitest-environment jsdom
// jsPsych's own WebGazer extension (@jspsych/extension-webgazer 1.2.0, installed for the app's
// browser tests) driven against gazertc.webgazer with a stand-in session: the calls it makes
// (begin, pause, showVideo, getCurrentPrediction every 34 ms, getTracker().predictionReady, ...)
// find what they expect, and a trial's webgazer_data gets each frame once.

import { afterEach, describe, expect, it } from 'vitest';
import WebGazerExtension from '../../../../app/node_modules/@jspsych/extension-webgazer/dist/index.js';
import { createWebgazer } from '../../src/webgazer/api';
import { FakeClient, sampleMessage } from './fake_client';

interface ExtensionUnderTest {
  initialize(params: { webgazer: unknown }): Promise<void>;
  start(): Promise<void>;
  on_start(params: { targets: string[] }): void;
  on_load(): void;
  on_finish(): { webgazer_data: { x: number; y: number; t: number }[] };
  faceDetected(): boolean;
  isInitialized(): boolean;
}

/** jsPsych's extension polls every 34 ms; frames here come every 40 ms (25 fps). */
const FRAME_MS = 40;

describe("jsPsych's WebGazer extension on gazertc.webgazer", () => {
  const client = new FakeClient();
  const webgazer = createWebgazer({
    createClient: () => client,
    document: () => document,
    storage: () => null,
  });

  afterEach(() => {
    webgazer.end();
  });

  it('starts, sees the face, and records each frame of a trial once', async () => {
    const display = document.createElement('div');
    document.body.append(display);
    const Extension = WebGazerExtension as unknown as new (jsPsych: unknown) => ExtensionUnderTest;
    const extension = new Extension({ getDisplayElement: () => display });
    await extension.initialize({ webgazer });
    expect(document.getElementById('webgazerVideoContainer')).toBeNull();
    await extension.start();
    expect(extension.isInitialized()).toBe(true);
    expect(document.getElementById('webgazerVideoContainer')?.style.display).toBe('none');
    client.receive(sampleMessage(1, performance.now(), null));
    expect(extension.faceDetected()).toBe(true);

    extension.on_start({ targets: [] });
    extension.on_load();
    const startMs = performance.now();
    for (let frame = 0; frame < 10; frame++) {
      await new Promise((done) => setTimeout(done, FRAME_MS));
      client.receive(
        sampleMessage(10 + frame, startMs + frame * FRAME_MS, { xPx: 100 + frame, yPx: 50 }),
      );
    }
    await new Promise((done) => setTimeout(done, FRAME_MS));
    const { webgazer_data: points } = extension.on_finish();
    // The extension rounds; the prediction is the smoothed point (+1 px in the stand-in).
    expect(points.map((point) => point.x)).toEqual([
      101, 102, 103, 104, 105, 106, 107, 108, 109, 110,
    ]);
    const times = points.map((point) => point.t);
    expect(new Set(times).size).toBe(times.length);
  });
});
