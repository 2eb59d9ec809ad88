// The camera: what to ask for, what was granted, and plain-word explanations when it fails.

export type CameraProblemKind =
  'denied' | 'absent' | 'busy' | 'insecure' | 'unsupported' | 'ended' | 'other';

export interface CameraProblem {
  kind: CameraProblemKind;
  /** What happened and what to do, in plain words. */
  message: string;
}

export interface CameraDevice {
  deviceId: string;
  label: string;
}

/** What the browser actually gave, which may differ from what was asked for. */
export interface GrantedVideo {
  widthPx: number;
  heightPx: number;
  frameRateFps: number | null;
  label: string;
  deviceId: string | null;
}

/** What the client asks for: enough pixels for sub-pixel iris work, at a webcam's usual rate. */
export const REQUESTED_WIDTH_PX = 1280;
export const REQUESTED_HEIGHT_PX = 720;
export const REQUESTED_FRAME_RATE_FPS = 30;

export function videoConstraints(deviceId: string | null): MediaTrackConstraints {
  return {
    width: { ideal: REQUESTED_WIDTH_PX },
    height: { ideal: REQUESTED_HEIGHT_PX },
    frameRate: { ideal: REQUESTED_FRAME_RATE_FPS },
    ...(deviceId === null ? {} : { deviceId: { exact: deviceId } }),
  };
}

/** A property of a thrown value, when it is a string (DOMExceptions are not Errors everywhere). */
function stringProperty(error: unknown, key: 'name' | 'message'): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const value = (error as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
}

/** Why there is no camera, in words a person can act on. */
export function describeCameraError(error: unknown): CameraProblem {
  switch (stringProperty(error, 'name')) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return {
        kind: 'denied',
        message:
          'Camera access was blocked. Allow the camera for this page (the camera icon in the address bar, or the site settings), then try again.',
      };
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return {
        kind: 'absent',
        message: 'No camera was found. Connect a camera, then try again.',
      };
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return {
        kind: 'busy',
        message:
          'The camera could not be started. Another application may be using it: close it, then try again.',
      };
    default:
      return {
        kind: 'other',
        message: `The camera could not be started (${stringProperty(error, 'message') ?? String(error)}).`,
      };
  }
}

/** The problem when the browser offers no camera API at all. */
export function cameraUnavailable(isSecureContext: boolean): CameraProblem {
  return isSecureContext
    ? {
        kind: 'unsupported',
        message:
          'This browser cannot use a camera. Try a current version of Chrome, Edge, Firefox or Safari.',
      }
    : {
        kind: 'insecure',
        message:
          'Browsers allow the camera only on secure pages. Open this page over https, or as http://localhost on the computer running the server.',
      };
}

export const CAMERA_ENDED: CameraProblem = {
  kind: 'ended',
  message:
    'The camera stopped: it was unplugged, or another application took it. Turn it on again to continue.',
};

/** What the browser actually delivers on `track`. */
export function grantedVideo(track: MediaStreamTrack): GrantedVideo {
  const settings = track.getSettings();
  return {
    widthPx: settings.width ?? 0,
    heightPx: settings.height ?? 0,
    frameRateFps: settings.frameRate ?? null,
    label: track.label || 'Camera',
    deviceId: settings.deviceId ?? null,
  };
}

/** The cameras the browser lists (labels appear once access has been granted). */
export function cameraDevices(devices: readonly MediaDeviceInfo[]): CameraDevice[] {
  return devices
    .filter((device) => device.kind === 'videoinput' && device.deviceId !== '')
    .map((device, index) => ({
      deviceId: device.deviceId,
      label: device.label || `Camera ${index + 1}`,
    }));
}
