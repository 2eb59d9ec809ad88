// The library's public surface: `window.gazertc` in the classic script, the named exports of the
// ES module (docs/browser-library.md).

export { version } from './version';
export { defaultServerUrl } from './client/serverUrl';
export { GazeClient, type ClientState, type GazeClientOptions } from './client/gazeClient';
export { CLIENT_NAME, DEFAULT_WEBRTC_TIMEOUT_MS, type TransportChoice } from './client/transport';
export type { CalibrateOptions, DwellTarget } from './client/calibration';
export { GazeClientError } from './client/errors';
export type { GazeSample, PointPair, ViewportOrigin } from './client/sample';
export { viewportOrigin } from './client/sample';
export type { ProcedureOptions, RoundStart } from './calibration/runner';
export { ROUND_INSTRUCTIONS, ROUND_PAUSE_MS, type DistanceCount } from './calibration/distances';
export { calibrationTargets, validationTargets } from './calibration/layout';
export type { BackoffPolicy } from './rtc/reconnect';
export * from './protocol';
// Last: webgazer/index.ts builds on GazeClient above (a cycle through this file).
export { webgazer } from './webgazer/index';
