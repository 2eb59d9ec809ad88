// `gazertc.webgazer`: the WebGazer-compatible object (api.ts) on a GazeClient created at begin().

import { GazeClient } from '../client/gazeClient';
import { viewportOrigin } from '../client/sample';
import { createWebgazer, type Webgazer } from './api';

export { createWebgazer, SAVED_CALIBRATION_KEY } from './api';
export type { GazeListener, Webgazer, WebgazerClient, WebgazerTracker } from './api';
export type { WebgazerParams } from './params';
export type { WebgazerPrediction } from './predictions';
export type { RecordedCalibrationOutcome } from './recorded_calibration';

/** localStorage, or null where the page may not use it (sandboxed frames throw on access). */
function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export const webgazer: Webgazer = createWebgazer({
  createClient: (options) => new GazeClient(options),
  document: () => document,
  storage: browserStorage,
  // The session calibrates in screen coordinates: the viewport's origin on the screen is added.
  toCalibrationPoint: (point) => {
    const origin = viewportOrigin(window);
    return { xPx: point.xPx + origin.xPx, yPx: point.yPx + origin.yPx };
  },
});
