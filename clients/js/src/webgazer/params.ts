// WebGazer's `webgazer.params`: the names and defaults pages and jsPsych read or set. Only the
// ones that mean something here are used; the rest are kept so that pages setting them run.

export interface WebgazerParams {
  videoContainerId: string;
  videoElementId: string;
  videoElementCanvasId: string;
  faceOverlayId: string;
  faceFeedbackBoxId: string;
  gazeDotId: string;
  videoViewerWidth: number;
  videoViewerHeight: number;
  /** Side of the centred box the eyes must be in (feedback box green), relative to the smaller frame side. */
  faceFeedbackBoxRatio: number;
  showVideo: boolean;
  mirrorVideo: boolean;
  showFaceOverlay: boolean;
  showFaceFeedbackBox: boolean;
  showGazeDot: boolean;
  showVideoPreview: boolean;
  camConstraints: MediaStreamConstraints;
  /** true: predictions are the server's smoothed point (One Euro filter); false: the raw point. */
  applyKalmanFilter: boolean;
  /** Keep the calibration in localStorage and load it at begin(). */
  saveDataAcrossSessions: boolean;
  storingPoints: boolean;
  moveTickSize: number;
  dataTimestep: number;
  [other: string]: unknown;
}

/** WebGazer 2.x's defaults for the same names. */
export function defaultParams(): WebgazerParams {
  return {
    videoContainerId: 'webgazerVideoContainer',
    videoElementId: 'webgazerVideoFeed',
    videoElementCanvasId: 'webgazerVideoCanvas',
    faceOverlayId: 'webgazerFaceOverlay',
    faceFeedbackBoxId: 'webgazerFaceFeedbackBox',
    gazeDotId: 'webgazerGazeDot',
    videoViewerWidth: 320,
    videoViewerHeight: 240,
    faceFeedbackBoxRatio: 0.66,
    showVideo: true,
    mirrorVideo: true,
    showFaceOverlay: true,
    showFaceFeedbackBox: true,
    showGazeDot: true,
    showVideoPreview: true,
    camConstraints: {
      video: {
        width: { min: 320, ideal: 640, max: 1920 },
        height: { min: 240, ideal: 480, max: 1080 },
        facingMode: 'user',
      },
    },
    applyKalmanFilter: true,
    saveDataAcrossSessions: true,
    storingPoints: false,
    moveTickSize: 50,
    dataTimestep: 50,
  };
}
