import { describe, expect, it } from 'vitest';
import {
  cameraDevices,
  cameraUnavailable,
  describeCameraError,
  grantedVideo,
  videoConstraints,
} from '../../src/rtc/camera';

describe('videoConstraints', () => {
  it('asks for 1280x720 at 30 fps, and a specific camera only when chosen', () => {
    expect(videoConstraints(null)).toEqual({
      width: { ideal: 1280 },
      height: { ideal: 720 },
      frameRate: { ideal: 30 },
    });
    expect(videoConstraints('abc').deviceId).toEqual({ exact: 'abc' });
  });
});

describe('describeCameraError', () => {
  it.each([
    ['NotAllowedError', 'denied', /blocked/],
    ['NotFoundError', 'absent', /No camera was found/],
    ['OverconstrainedError', 'absent', /No camera was found/],
    ['NotReadableError', 'busy', /Another application/],
    ['TypeError', 'other', /could not be started \(boom\)/],
  ] as const)('%s -> %s', (name, kind, message) => {
    const problem = describeCameraError(new DOMException('boom', name));
    expect(problem.kind).toBe(kind);
    expect(problem.message).toMatch(message);
  });

  it('explains an insecure page differently from an old browser', () => {
    expect(cameraUnavailable(false)).toMatchObject({ kind: 'insecure' });
    expect(cameraUnavailable(false).message).toMatch(/https/);
    expect(cameraUnavailable(true)).toMatchObject({ kind: 'unsupported' });
  });
});

describe('what was granted', () => {
  it('reads the track settings', () => {
    const track = {
      label: 'Integrated Camera',
      getSettings: () => ({ width: 640, height: 480, frameRate: 15, deviceId: 'cam-1' }),
    } as unknown as MediaStreamTrack;
    expect(grantedVideo(track)).toEqual({
      widthPx: 640,
      heightPx: 480,
      frameRateFps: 15,
      label: 'Integrated Camera',
      deviceId: 'cam-1',
    });
  });

  it('lists video inputs with a label even before permission', () => {
    const devices = [
      { kind: 'audioinput', deviceId: 'mic', label: 'Mic' },
      { kind: 'videoinput', deviceId: 'a', label: '' },
      { kind: 'videoinput', deviceId: 'b', label: 'USB camera' },
      { kind: 'videoinput', deviceId: '', label: '' },
    ] as unknown as MediaDeviceInfo[];
    expect(cameraDevices(devices)).toEqual([
      { deviceId: 'a', label: 'Camera 1' },
      { deviceId: 'b', label: 'USB camera' },
    ]);
  });
});
