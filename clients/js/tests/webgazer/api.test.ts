// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GazeClientOptions } from '../../src/client/gazeClient';
import type { CalibrationResultMessage, SampleMessage } from '../../src/protocol/types.gen';
import { createWebgazer, SAVED_CALIBRATION_KEY, type Webgazer } from '../../src/webgazer/api';
import type { WebgazerPrediction } from '../../src/webgazer/predictions';
import { fixture } from '../fixtures';
import {
  FakeClient,
  acceptedResult,
  calibrationResultMessage,
  poorCalibrationResult,
  sampleMessage,
} from './fake_client';

const IDS = [
  'webgazerVideoContainer',
  'webgazerVideoFeed',
  'webgazerVideoCanvas',
  'webgazerFaceOverlay',
  'webgazerFaceFeedbackBox',
  'webgazerGazeDot',
];

function calibrationResult(): CalibrationResultMessage {
  return calibrationResultMessage();
}

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is not on the page`);
  return element;
}

function click(xPx: number, yPx: number): void {
  document.body.dispatchEvent(
    new MouseEvent('click', { clientX: xPx, clientY: yPx, bubbles: true }),
  );
}

describe('gazertc.webgazer', () => {
  let clients: FakeClient[];
  let optionsSeen: GazeClientOptions[];
  let webgazer: Webgazer;

  beforeEach(() => {
    clients = [];
    optionsSeen = [];
    localStorage.clear();
    webgazer = createWebgazer({
      createClient: (options) => {
        optionsSeen.push(options);
        const client = new FakeClient();
        clients.push(client);
        return client;
      },
      document: () => document,
      storage: () => localStorage,
    });
    // No drawing in jsdom (it has no canvas).
    webgazer.showFaceOverlay(false);
  });

  afterEach(() => {
    webgazer.end();
    document.body.replaceChildren();
  });

  function client(): FakeClient {
    const current = clients.at(-1);
    if (current === undefined) throw new Error('no client was created');
    return current;
  }

  it("begins a session and puts WebGazer's elements on the page", async () => {
    webgazer.setClientOptions({ server: 'http://gaze.example:3000', transport: 'websocket' });
    await expect(webgazer.begin()).resolves.toBe(webgazer);
    expect(client().state).toBe('live');
    expect(optionsSeen).toEqual([{ server: 'http://gaze.example:3000', transport: 'websocket' }]);
    for (const id of IDS) expect(document.getElementById(id), id).not.toBeNull();
    expect(byId('webgazerVideoContainer').style.width).toBe('320px');
    expect(byId('webgazerGazeDot').style.display).toBe('none');
    expect(webgazer.isReady()).toBe(false);
    client().receive(sampleMessage(1, 0, null));
    expect(webgazer.isReady()).toBe(true);
  });

  it('shares one session between begin() calls made while the camera starts', async () => {
    const [first, second] = await Promise.all([webgazer.begin(), webgazer.begin()]);
    expect(first).toBe(webgazer);
    expect(second).toBe(webgazer);
    expect(clients).toHaveLength(1);
    expect(document.querySelectorAll('#webgazerVideoContainer')).toHaveLength(1);
  });

  it('passes camera constraints the page set, and no others', async () => {
    await webgazer.setCameraConstraints({ video: { width: 1280, height: 720 } });
    await webgazer.begin();
    expect(optionsSeen[0]?.camera).toEqual({ constraints: { width: 1280, height: 720 } });
  });

  it('calls onFail and rejects when the session cannot start', async () => {
    const failing = createWebgazer({
      createClient: () => {
        const fake = new FakeClient();
        fake.startFailure = new Error('camera_denied');
        return fake;
      },
      document: () => document,
      storage: () => null,
    });
    let failed = 0;
    await expect(failing.begin(() => failed++)).rejects.toThrow('camera_denied');
    expect(failed).toBe(1);
    expect(document.getElementById('webgazerVideoContainer')).toBeNull();
  });

  it('turns the face feedback box green when both eyes are in the centred box', async () => {
    await webgazer.begin();
    const box = byId('webgazerFaceFeedbackBox');
    client().receive(fixture('sample.no_face.json') as SampleMessage);
    expect(box.style.borderColor).toBe('black');
    client().receive(sampleMessage(2, 40, null));
    expect(box.style.borderColor).toBe('green');
    const offCentre = sampleMessage(3, 80, null);
    offCentre.right_eye =
      offCentre.right_eye === null ? null : { ...offCentre.right_eye, centre_px: [20, 20] };
    client().receive(offCentre);
    expect(box.style.borderColor).toBe('red');
    expect(webgazer.getTracker().predictionReady).toBe(true);
  });

  it('shows and hides the elements as WebGazer does', async () => {
    await webgazer.begin();
    webgazer.showVideo(false).showFaceFeedbackBox(false);
    expect(byId('webgazerVideoContainer').style.display).toBe('none');
    expect(byId('webgazerFaceFeedbackBox').style.display).toBe('none');
    webgazer.showVideoPreview(true);
    expect(byId('webgazerVideoContainer').style.display).toBe('block');
    expect(byId('webgazerFaceFeedbackBox').style.display).toBe('block');
    expect(byId('webgazerFaceOverlay').style.display).toBe('block');
    webgazer.showFaceOverlay(false).showPredictionPoints(true);
    client().receive(sampleMessage(1, 0, { xPx: 300, yPx: 200 }));
    expect(byId('webgazerGazeDot').style.display).toBe('block');
    expect(byId('webgazerGazeDot').style.transform).toBe('translate3d(301px, 201px, 0)');
  });

  it('calls the gaze listener with predictions while running, not while paused', async () => {
    const seen: (WebgazerPrediction | null)[] = [];
    webgazer.setGazeListener((data) => seen.push(data));
    await webgazer.begin();
    client().receive(sampleMessage(1, 0, null));
    client().receive(sampleMessage(2, 40, { xPx: 300, yPx: 200 }));
    webgazer.applyKalmanFilter(false);
    client().receive(sampleMessage(3, 80, { xPx: 310, yPx: 210 }));
    webgazer.pause();
    client().receive(sampleMessage(4, 120, { xPx: 320, yPx: 220 }));
    await webgazer.resume();
    client().receive(sampleMessage(5, 160, { xPx: 330, yPx: 230 }));
    webgazer.clearGazeListener();
    client().receive(sampleMessage(6, 200, { xPx: 340, yPx: 240 }));
    expect(seen.map((data) => (data === null ? null : [data.x, data.y]))).toEqual([
      null,
      [301, 201],
      [310, 210],
      [330, 230],
    ]);
    expect(seen[1]?.t).toBeCloseTo(40, 3);
  });

  it('answers getCurrentPrediction while paused, each frame once', async () => {
    await webgazer.begin();
    webgazer.pause();
    client().receive(sampleMessage(1, 0, { xPx: 300, yPx: 200 }));
    await expect(webgazer.getCurrentPrediction()).resolves.toMatchObject({ x: 301, y: 201 });
    const next = webgazer.getCurrentPrediction();
    client().receive(sampleMessage(2, 40, { xPx: 310, yPx: 210 }));
    await expect(next).resolves.toMatchObject({ x: 311, y: 211 });
  });

  it('turns clicks into a calibration when the mouse listeners are removed', async () => {
    await webgazer.begin();
    const points = [
      [100, 100],
      [700, 100],
      [100, 500],
      [700, 500],
    ] as const;
    for (const [xPx, yPx] of points) click(xPx, yPx);
    expect(client().sent).toEqual([]);
    webgazer.removeMouseEventListeners();
    expect(client().sent.map((message) => message.type)).toEqual([
      'calibration_start',
      ...points.flatMap(() => ['target_shown', 'target_done']),
      'calibration_end',
    ]);
    expect(client().sent[0]).toMatchObject({
      targets: points.map(([x_px, y_px], id) => ({ id, x_px, y_px })),
    });
    client().receive(calibrationResult());
    await new Promise((done) => setTimeout(done, 0));
    expect(webgazer.lastCalibration?.kind).toBe('calibrated');
  });

  it('accepts a poor fit from clicks, predicts with it and gives its verdict', async () => {
    await webgazer.begin();
    expect(webgazer.getCalibrationQuality()).toBeNull();
    for (const [xPx, yPx] of [
      [100, 100],
      [700, 100],
      [100, 500],
      [700, 500],
    ] as const) {
      click(xPx, yPx);
    }
    webgazer.removeMouseEventListeners();
    const poor = poorCalibrationResult();
    client().receive(poor);
    expect(client().sent.at(-1)).toEqual({ v: 1, type: 'calibration_accept' });
    // Not in use until the server answers the accept.
    expect(webgazer.getCalibrationQuality()).toBeNull();
    client().receive(acceptedResult(poor));
    await new Promise((done) => setTimeout(done, 0));
    expect(webgazer.getCalibrationQuality()).toBe('poor');
    expect(webgazer.lastCalibration).toMatchObject({
      kind: 'calibrated',
      result: { quality: 'poor', applied: true, source: 'accept' },
    });
    // A model known to work poorly is not kept for the next session.
    expect(localStorage.getItem(SAVED_CALIBRATION_KEY)).toBeNull();
    client().receive(sampleMessage(1, 0, { xPx: 300, yPx: 200 }));
    await expect(webgazer.getCurrentPrediction()).resolves.toMatchObject({ x: 301 });
    await webgazer.clearData();
    expect(webgazer.getCalibrationQuality()).toBeNull();
    client().receive(calibrationResultMessage({ quality: 'fair' }));
    expect(webgazer.getCalibrationQuality()).toBe('fair');
  });

  it('uses recordScreenPosition only while running, and never mouse moves', async () => {
    await webgazer.begin();
    webgazer.removeMouseEventListeners();
    webgazer.pause();
    webgazer.recordScreenPosition(100, 100);
    await webgazer.resume();
    webgazer.recordScreenPosition(500, 100, 'move');
    webgazer.recordScreenPosition(100, 400, 'click');
    webgazer.recordScreenPosition(500, 400);
    webgazer.recordScreenPosition(300, 300);
    const prediction = webgazer.getCurrentPrediction();
    // Three positions: nothing to send; the prediction call does not wait for a calibration.
    expect(client().sent).toEqual([]);
    client().receive(sampleMessage(1, 0, null));
    await expect(prediction).resolves.toBeNull();
  });

  it('predicts nothing after clearData until the next calibration', async () => {
    await webgazer.begin();
    webgazer.saveDataAcrossSessions(true);
    client().receive(calibrationResult());
    expect(localStorage.getItem(SAVED_CALIBRATION_KEY)).not.toBeNull();
    await webgazer.clearData();
    expect(localStorage.getItem(SAVED_CALIBRATION_KEY)).toBeNull();
    client().receive(sampleMessage(1, 0, { xPx: 300, yPx: 200 }));
    await expect(webgazer.getCurrentPrediction()).resolves.toBeNull();
    client().receive(calibrationResult());
    client().receive(sampleMessage(2, 40, { xPx: 300, yPx: 200 }));
    await expect(webgazer.getCurrentPrediction()).resolves.toMatchObject({ x: 301 });
  });

  it('keeps the calibration across sessions when asked to, and not otherwise', async () => {
    await webgazer.begin();
    client().receive(calibrationResult());
    webgazer.end();
    await webgazer.begin();
    expect(clients).toHaveLength(2);
    expect(client().sent).toEqual([
      { v: 1, type: 'calibration_load', model: calibrationResult().model },
    ]);
    webgazer.end();
    localStorage.clear();
    webgazer.saveDataAcrossSessions(false);
    await webgazer.begin();
    client().receive(calibrationResult());
    expect(localStorage.getItem(SAVED_CALIBRATION_KEY)).toBeNull();
  });

  it('forgets a saved calibration that cannot be sent, and still begins', async () => {
    localStorage.setItem(SAVED_CALIBRATION_KEY, '{"format": "something else"}');
    const refusing = createWebgazer({
      createClient: () => {
        const fake = new FakeClient();
        fake.send = () => {
          throw new Error('not a valid calibration_load');
        };
        return fake;
      },
      document: () => document,
      storage: () => localStorage,
    });
    await expect(refusing.begin()).resolves.toBe(refusing);
    expect(localStorage.getItem(SAVED_CALIBRATION_KEY)).toBeNull();
    refusing.end();
  });

  it('ends: elements gone, session stopped, nothing listening', async () => {
    await webgazer.begin();
    const first = client();
    webgazer.end();
    expect(first.state).toBe('closed');
    expect(first.listenerCount('sample')).toBe(0);
    expect(first.listenerCount('message')).toBe(0);
    for (const id of IDS) expect(document.getElementById(id), id).toBeNull();
    expect(webgazer.client).toBeNull();
  });

  it("accepts WebGazer's regression and tracker names", async () => {
    await webgazer.begin();
    expect(webgazer.setRegression('weightedRidge')).toBe(webgazer);
    expect(webgazer.getRegression()).toEqual([{ name: 'weightedRidge' }]);
    expect(webgazer.setTracker('TFFacemesh')).toBe(webgazer);
    expect(webgazer.params.videoElementId).toBe('webgazerVideoFeed');
  });
});
