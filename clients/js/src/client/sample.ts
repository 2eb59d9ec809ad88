// The typed sample a page gets: the protocol's `sample` with the capture time on both clocks and
// the gaze point in screen and viewport coordinates.

import type { SampleMessage, ScreenPoint } from '../protocol';

export interface PointPair {
  xPx: number;
  yPx: number;
  smoothedXPx: number;
  smoothedYPx: number;
}

export interface GazeSample {
  frameId: number;
  /** Capture time, server clock, Unix ms (float). */
  captureUnixMs: number;
  /** The same on this page's performance.now() clock. */
  capturePageMs: number;
  faceFound: boolean;
  /** 0..1: the mean of the found eyes' iris confidence; null when no eye was found. */
  confidence: number | null;
  /** CSS px, screen coordinates (what the server calibrated); null before calibration. */
  screen: PointPair | null;
  /** CSS px in this page's viewport (clientX/clientY space). */
  viewport: PointPair | null;
  headPose: { yawDeg: number; pitchDeg: number; rollDeg: number } | null;
  gaze: { yawDeg: number; pitchDeg: number } | null;
  blinking: boolean;
  /** The raw protocol message. */
  message: SampleMessage;
}

/** Where the viewport's top-left corner lies on the screen, CSS px. */
export interface ViewportOrigin {
  xPx: number;
  yPx: number;
}

function pointPair(point: ScreenPoint, origin: ViewportOrigin): PointPair {
  return {
    xPx: point.x_px - origin.xPx,
    yPx: point.y_px - origin.yPx,
    smoothedXPx: point.smoothed_x_px - origin.xPx,
    smoothedYPx: point.smoothed_y_px - origin.yPx,
  };
}

function sampleConfidence(message: SampleMessage): number | null {
  const eyes = [message.right_eye, message.left_eye].filter((eye) => eye !== null);
  if (eyes.length === 0) return null;
  return eyes.reduce((total, eye) => total + eye.confidence, 0) / eyes.length;
}

/** The sample for a page whose viewport starts at `origin`; `pageMsAt` maps server Unix ns. */
export function toGazeSample(
  message: SampleMessage,
  pageMsAt: (serverUnixNs: number) => number,
  origin: ViewportOrigin,
): GazeSample {
  const point = message.screen_point ?? null;
  const pose = message.head_pose;
  return {
    frameId: message.frame_id,
    captureUnixMs: message.timestamp_unix_ns / 1e6,
    capturePageMs: pageMsAt(message.timestamp_unix_ns),
    faceFound: message.face_found,
    confidence: sampleConfidence(message),
    screen: point === null ? null : pointPair(point, { xPx: 0, yPx: 0 }),
    viewport: point === null ? null : pointPair(point, origin),
    headPose:
      pose === null
        ? null
        : { yawDeg: pose.yaw_deg, pitchDeg: pose.pitch_deg, rollDeg: pose.roll_deg },
    gaze:
      message.gaze === null
        ? null
        : { yawDeg: message.gaze.yaw_deg, pitchDeg: message.gaze.pitch_deg },
    blinking: message.blinking,
    message,
  };
}

/**
 * The viewport's origin on the screen: the window's position plus its frame (side borders taken
 * as equal; the rest of the extra height is the toolbar above the page). In full screen, 0, 0.
 * An estimate: browsers do not say where the page is; calibration cancels a constant error.
 */
export function viewportOrigin(win: Window): ViewportOrigin {
  const borderPx = Math.max(0, (win.outerWidth - win.innerWidth) / 2);
  const toolbarPx = Math.max(0, win.outerHeight - win.innerHeight - borderPx);
  return { xPx: win.screenX + borderPx, yPx: win.screenY + toolbarPx };
}
