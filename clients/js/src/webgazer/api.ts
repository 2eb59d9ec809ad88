// `gazertc.webgazer`: WebGazer's public API backed by a gazertc session, so that a page written
// for WebGazer (and jsPsych's WebGazer extension and plugins) switches by replacing one object.
//
// What differs under the same names, and why:
// - Predictions are the server's calibrated point in viewport CSS px; null before a calibration
//   and on frames without a point (no face, blink). `t` is the frame's capture time
//   (performance.now() ms). applyKalmanFilter(true), the default, gives the smoothed point.
// - recordScreenPosition(x, y) trains the server's calibration: calls are collected and sent as
//   one calibration after the fact (recorded_calibration.ts) when they pause, when the page
//   pauses, stops the mouse listeners or asks for a prediction. Mouse moves are not used (a
//   moving pointer is rarely where the eyes are); clicks are, as in WebGazer.
// - A fit the server judges poor is applied anyway (calibration_accept): WebGazer has no verdict
//   and its pages expect predictions after calibrating. getCalibrationQuality() gives the verdict.
// - pause() stops the gaze listener, the gaze dot and training, not the camera: like WebGazer,
//   getCurrentPrediction still answers while paused (jsPsych's extension relies on that).
// - setRegression/setTracker accept WebGazer's names and change nothing: the server fits.

import type { GazeClient, GazeClientOptions } from '../client/gazeClient';
import type { GazeSample } from '../client/sample';
import { PROTOCOL_VERSION } from '../protocol/messages';
import type {
  CalibrationModel,
  CalibrationQuality,
  CalibrationResultMessage,
} from '../protocol/types.gen';
import { WebgazerDom } from './dom';
import { defaultParams, type WebgazerParams } from './params';
import { NextSampleFeed, predictionOf, type WebgazerPrediction } from './predictions';
import {
  RecordedCalibration,
  type RecordedCalibrationOutcome,
  type ToCalibrationPoint,
} from './recorded_calibration';

/** The part of GazeClient this layer uses (a test double implements exactly this). */
export type WebgazerClient = Pick<
  GazeClient,
  'start' | 'stop' | 'state' | 'cameraStream' | 'latestSample' | 'on' | 'send' | 'serverUnixNsAt'
>;

export type GazeListener = (data: WebgazerPrediction | null, elapsedTimeMs: number) => void;

/** WebGazer's regression names (accepted; the server does the fitting). */
export const REGRESSION_NAMES = ['ridge', 'weightedRidge', 'threadedRidge'] as const;
/** WebGazer's tracker names (accepted; the server does the tracking). */
export const TRACKER_NAMES = ['TFFacemesh'] as const;
/** Where a calibration is kept when saveDataAcrossSessions is on. */
export const SAVED_CALIBRATION_KEY = 'gazertc.webgazer.calibration.v1';

/** What getTracker() returns: the fields WebGazer's tracker has that pages read. */
export interface WebgazerTracker {
  readonly name: string;
  /** A face is in the newest frame (jsPsych's faceDetected() reads this). */
  readonly predictionReady: boolean;
  getPositions(): [number, number][] | null;
  reset(): void;
}

export interface WebgazerDependencies {
  createClient(options: GazeClientOptions): WebgazerClient;
  /** Read when needed, so that importing the library outside a browser does not fail. */
  document(): Document;
  storage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  /** Viewport point -> the calibration's coordinates (the client's own mapping). */
  toCalibrationPoint?: ToCalibrationPoint;
}

type NoArgs = () => void;

/** The object a WebGazer page calls `webgazer`. Setters return it, as WebGazer's do. */
export interface Webgazer {
  params: WebgazerParams;
  begin(onFail?: NoArgs): Promise<Webgazer>;
  isReady(): boolean;
  pause(): Webgazer;
  resume(): Promise<Webgazer>;
  end(): Webgazer;
  stopVideo(): Webgazer;
  detectCompatibility(): boolean;
  setGazeListener(listener: GazeListener): Webgazer;
  clearGazeListener(): Webgazer;
  getCurrentPrediction(regIndex?: number): Promise<WebgazerPrediction | null>;
  recordScreenPosition(x: number, y: number, eventType?: string): Webgazer;
  addMouseEventListeners(): Webgazer;
  removeMouseEventListeners(): Webgazer;
  clearData(): Promise<void>;
  saveDataAcrossSessions(value: boolean): Webgazer;
  applyKalmanFilter(value: boolean): Webgazer;
  showVideoPreview(value: boolean): Webgazer;
  showVideo(value: boolean): Webgazer;
  showFaceOverlay(value: boolean): Webgazer;
  showFaceFeedbackBox(value: boolean): Webgazer;
  showPredictionPoints(value: boolean): Webgazer;
  setVideoViewerSize(widthPx: number, heightPx: number): Webgazer;
  setCameraConstraints(constraints: MediaStreamConstraints): Promise<void>;
  setRegression(name: string): Webgazer;
  getRegression(): { name: string }[];
  setTracker(name: string): Webgazer;
  getTracker(): WebgazerTracker;
  /** gazertc: options for the GazeClient begin() creates (server, transport, ...). */
  setClientOptions(options: GazeClientOptions): Webgazer;
  /** gazertc: use this (started or not) client instead of creating one. */
  useClient(client: WebgazerClient): Webgazer;
  /** gazertc: the session behind the predictions, null before begin(). */
  readonly client: WebgazerClient | null;
  /** gazertc: the outcome of the last calibration made from recordScreenPosition calls. */
  readonly lastCalibration: RecordedCalibrationOutcome | null;
  /**
   * gazertc: the server's verdict on the calibration in use ('poor' ones are used too); null
   * before one, after clearData() and for a saved model loaded at begin() (it has no verdict).
   */
  getCalibrationQuality(): CalibrationQuality | null;
}

/** The client's options: the page's camera constraints (once it set them), then its own options. */
function clientOptionsFor(
  params: WebgazerParams,
  constraintsSet: boolean,
  options: GazeClientOptions,
): GazeClientOptions {
  const video = params.camConstraints.video;
  const camera =
    constraintsSet && typeof video === 'object' ? { camera: { constraints: video } } : {};
  return { ...camera, ...options };
}

export function createWebgazer(dependencies: WebgazerDependencies): Webgazer {
  const params = defaultParams();
  const feed = new NextSampleFeed();
  let clientOptions: GazeClientOptions = {};
  /** WebGazer's default constraints are not passed on: the client's own defaults suit the server. */
  let constraintsSet = false;
  let client: WebgazerClient | null = null;
  let calibration: RecordedCalibration | null = null;
  let dom: WebgazerDom | null = null;
  let unsubscribe: NoArgs[] = [];
  let listener: GazeListener | null = null;
  let paused = false;
  let mouseListening = false;
  /** After clearData(): no predictions until the next calibration. */
  let cleared = false;
  let clockStartMs = performance.now();
  let regression: string = REGRESSION_NAMES[0];
  let lastCalibration: RecordedCalibrationOutcome | null = null;
  let quality: CalibrationQuality | null = null;
  let beginning: Promise<Webgazer> | null = null;

  const prediction = (sample: GazeSample): WebgazerPrediction | null =>
    cleared ? null : predictionOf(sample, params.applyKalmanFilter);

  const onSample = (sample: GazeSample): void => {
    feed.push(sample);
    dom?.showSample(sample.message);
    if (paused) return;
    const current = prediction(sample);
    dom?.moveGazeDot(current);
    listener?.(current, performance.now() - clockStartMs);
  };

  const onCalibrated = (result: CalibrationResultMessage): void => {
    // A poor fit is not in use until accepted (recorded_calibration.ts accepts it).
    if (!result.applied) return;
    cleared = false;
    quality = result.quality;
    // A model known to work poorly is not worth loading next time.
    if (params.saveDataAcrossSessions && result.source !== 'load' && result.quality !== 'poor') {
      dependencies.storage()?.setItem(SAVED_CALIBRATION_KEY, JSON.stringify(result.model));
    }
  };

  const loadSavedCalibration = (active: WebgazerClient): void => {
    const saved = dependencies.storage()?.getItem(SAVED_CALIBRATION_KEY) ?? null;
    if (saved === null) return;
    let model: CalibrationModel;
    try {
      model = JSON.parse(saved) as CalibrationModel;
    } catch {
      dependencies.storage()?.removeItem(SAVED_CALIBRATION_KEY);
      return;
    }
    try {
      // The server checks the model (and refuses one made for another screen).
      active.send({ v: PROTOCOL_VERSION, type: 'calibration_load', model });
    } catch {
      // Not a model the protocol accepts (stored by another version, or edited): forget it.
      dependencies.storage()?.removeItem(SAVED_CALIBRATION_KEY);
    }
  };

  const onClick = (event: MouseEvent): void => {
    webgazer.recordScreenPosition(event.clientX, event.clientY, 'click');
  };

  const flushCalibration = (): void => {
    if (calibration?.pending === true) void calibration.flush();
  };

  const connect = async (onFail: NoArgs | undefined): Promise<Webgazer> => {
    const active =
      client ?? dependencies.createClient(clientOptionsFor(params, constraintsSet, clientOptions));
    client = active;
    try {
      if (active.state !== 'live') await active.start();
    } catch (error) {
      client = null;
      onFail?.();
      throw error;
    }
    calibration = new RecordedCalibration(
      active,
      undefined,
      dependencies.toCalibrationPoint,
      (outcome) => {
        lastCalibration = outcome;
      },
    );
    unsubscribe = [
      active.on('sample', onSample),
      active.on('message', (message) => {
        if (message.type === 'calibration_result') onCalibrated(message);
      }),
    ];
    if (params.saveDataAcrossSessions) loadSavedCalibration(active);
    dom = new WebgazerDom(params, dependencies.document());
    dom.mount(active.cameraStream);
    paused = false;
    clockStartMs = performance.now();
    webgazer.addMouseEventListeners();
    return webgazer;
  };

  const webgazer: Webgazer = {
    params,

    begin(onFail?: NoArgs): Promise<Webgazer> {
      if (client !== null && dom !== null) return webgazer.resume();
      // A second begin() while the first waits for the camera shares it.
      beginning ??= connect(onFail).finally(() => {
        beginning = null;
      });
      return beginning;
    },

    isReady(): boolean {
      return client?.state === 'live' && client.latestSample !== null;
    },

    pause(): Webgazer {
      paused = true;
      dom?.moveGazeDot(null);
      // Training has stopped: what was recorded is used now.
      flushCalibration();
      return webgazer;
    },

    resume(): Promise<Webgazer> {
      paused = false;
      return Promise.resolve(webgazer);
    },

    end(): Webgazer {
      paused = true;
      webgazer.removeMouseEventListeners();
      for (const stop of unsubscribe) stop();
      unsubscribe = [];
      calibration?.clear();
      calibration = null;
      dom?.unmount();
      dom = null;
      feed.reset();
      client?.stop();
      client = null;
      quality = null;
      return webgazer;
    },

    stopVideo(): Webgazer {
      return webgazer.end();
    },

    detectCompatibility(): boolean {
      // mediaDevices is missing outside secure contexts, whatever the DOM types say.
      return (
        'mediaDevices' in navigator && typeof navigator.mediaDevices.getUserMedia === 'function'
      );
    },

    setGazeListener(newListener: GazeListener): Webgazer {
      listener = newListener;
      return webgazer;
    },

    clearGazeListener(): Webgazer {
      listener = null;
      return webgazer;
    },

    async getCurrentPrediction(): Promise<WebgazerPrediction | null> {
      if (calibration?.pending === true) await calibration.flush();
      const sample = await feed.next();
      return sample === null ? null : prediction(sample);
    },

    recordScreenPosition(x: number, y: number, eventType = 'click'): Webgazer {
      if (paused || eventType === 'move') return webgazer;
      calibration?.record(x, y);
      return webgazer;
    },

    addMouseEventListeners(): Webgazer {
      if (!mouseListening) {
        // Capture phase, as WebGazer: a page's stopPropagation() does not hide the click.
        dependencies.document().addEventListener('click', onClick, true);
        mouseListening = true;
      }
      return webgazer;
    },

    removeMouseEventListeners(): Webgazer {
      if (mouseListening) {
        dependencies.document().removeEventListener('click', onClick, true);
        mouseListening = false;
        flushCalibration();
      }
      return webgazer;
    },

    clearData(): Promise<void> {
      calibration?.clear();
      dependencies.storage()?.removeItem(SAVED_CALIBRATION_KEY);
      cleared = true;
      quality = null;
      return Promise.resolve();
    },

    saveDataAcrossSessions(value: boolean): Webgazer {
      params.saveDataAcrossSessions = value;
      return webgazer;
    },

    applyKalmanFilter(value: boolean): Webgazer {
      params.applyKalmanFilter = value;
      return webgazer;
    },

    showVideoPreview(value: boolean): Webgazer {
      params.showVideoPreview = value;
      params.showVideo = value;
      params.showFaceOverlay = value;
      params.showFaceFeedbackBox = value;
      dom?.applyVisibility();
      return webgazer;
    },

    showVideo(value: boolean): Webgazer {
      params.showVideo = value;
      dom?.applyVisibility();
      return webgazer;
    },

    showFaceOverlay(value: boolean): Webgazer {
      params.showFaceOverlay = value;
      dom?.applyVisibility();
      return webgazer;
    },

    showFaceFeedbackBox(value: boolean): Webgazer {
      params.showFaceFeedbackBox = value;
      dom?.applyVisibility();
      return webgazer;
    },

    showPredictionPoints(value: boolean): Webgazer {
      params.showGazeDot = value;
      dom?.applyVisibility();
      return webgazer;
    },

    setVideoViewerSize(widthPx: number, heightPx: number): Webgazer {
      params.videoViewerWidth = widthPx;
      params.videoViewerHeight = heightPx;
      dom?.setViewerSize(widthPx, heightPx);
      return webgazer;
    },

    setCameraConstraints(constraints: MediaStreamConstraints): Promise<void> {
      // Applied by the next begin(): the session's camera is not reopened mid-stream.
      params.camConstraints = constraints;
      constraintsSet = true;
      return Promise.resolve();
    },

    setRegression(name: string): Webgazer {
      if ((REGRESSION_NAMES as readonly string[]).includes(name)) regression = name;
      else
        console.warn(
          `gazertc.webgazer: unknown regression ${name}; options: ${REGRESSION_NAMES.join(', ')}`,
        );
      return webgazer;
    },

    getRegression(): { name: string }[] {
      return [{ name: regression }];
    },

    setTracker(name: string): Webgazer {
      if (!(TRACKER_NAMES as readonly string[]).includes(name)) {
        console.warn(
          `gazertc.webgazer: unknown tracker ${name}; options: ${TRACKER_NAMES.join(', ')}`,
        );
      }
      return webgazer;
    },

    getTracker(): WebgazerTracker {
      const sample = client?.latestSample ?? null;
      return {
        name: 'gazertc',
        predictionReady: sample?.faceFound ?? false,
        getPositions: () => sample?.message.landmarks_px?.map(([x, y]) => [x, y]) ?? null,
        reset: () => undefined,
      };
    },

    setClientOptions(options: GazeClientOptions): Webgazer {
      clientOptions = options;
      return webgazer;
    },

    useClient(newClient: WebgazerClient): Webgazer {
      if (client !== null && client !== newClient) webgazer.end();
      client = newClient;
      return webgazer;
    },

    get client(): WebgazerClient | null {
      return client;
    },

    get lastCalibration(): RecordedCalibrationOutcome | null {
      return lastCalibration;
    },

    getCalibrationQuality(): CalibrationQuality | null {
      return quality;
    },
  };
  return webgazer;
}
