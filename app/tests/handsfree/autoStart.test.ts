import { describe, expect, it } from 'vitest';
import {
  autoStartTracking,
  cameraPermission,
  chooseAutoStart,
  rememberChosenCamera,
  type TrackingStarter,
} from '../../src/handsfree/autoStart';
import { loadHandsFree, saveHandsFree } from '../../src/handsfree/preference';
import { AppController } from '../../src/rtc/controller';
import { INITIAL_STATE } from '../../src/store/appState';
import { createStore } from '../../src/store/store';
import { MemoryStorage } from '../calibration/fakes';
import { FakeMediaDevices } from '../fakes';

/** A camera list without the camera `goneId`: asking for it exactly fails as in browsers. */
class CamerasWithout extends FakeMediaDevices {
  constructor(private readonly goneId: string) {
    super();
  }
  override getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
    const video = constraints.video as MediaTrackConstraints;
    if ((video.deviceId as { exact?: string } | undefined)?.exact === this.goneId) {
      this.requests.push(constraints);
      return Promise.reject(new DOMException('no such camera', 'OverconstrainedError'));
    }
    return super.getUserMedia(constraints);
  }
}

function permissions(state: PermissionState | 'throws'): Pick<Permissions, 'query'> {
  return {
    query: () =>
      state === 'throws'
        ? Promise.reject(new TypeError("'camera' is not a valid PermissionName"))
        : Promise.resolve({ state } as PermissionStatus),
  };
}

/** The real controller's camera (on fake devices); connecting is only counted. */
function setUp(mediaDevices: FakeMediaDevices = new FakeMediaDevices()) {
  const store = createStore(INITIAL_STATE);
  const storage = new MemoryStorage();
  const controller = new AppController({
    store,
    serverUrl: 'http://localhost:3000',
    mediaDevices: mediaDevices.asMediaDevices(),
    isSecureContext: true,
    clientVersion: '0.1.0',
  });
  let connects = 0;
  const starter: TrackingStarter = {
    startCamera: (deviceId) => controller.startCamera(deviceId),
    stopCamera: () => controller.stopCamera(),
    connect: () => {
      connects += 1;
    },
  };
  return { store, storage, mediaDevices, starter, connects: () => connects };
}

function requestedDevice(devices: FakeMediaDevices, index: number): string | null {
  const video = devices.requests[index]?.video as MediaTrackConstraints | undefined;
  return (video?.deviceId as { exact?: string } | undefined)?.exact ?? null;
}

describe('autoStartTracking', () => {
  it('starts the remembered camera and connects, with no click, when allowed', async () => {
    const app = setUp();
    saveHandsFree(app.storage, { autoStart: true, deviceId: 'usb' });
    const outcome = await autoStartTracking({
      store: app.store,
      controller: app.starter,
      storage: app.storage,
      permissions: permissions('granted'),
    });
    expect(outcome).toEqual({ autoStart: true, outcome: 'started' });
    expect(requestedDevice(app.mediaDevices, 0)).toBe('usb');
    expect(app.store.getState().camera.granted?.deviceId).toBe('usb');
    expect(app.connects()).toBe(1);
  });

  it('does nothing unless opted in', async () => {
    const app = setUp();
    const outcome = await autoStartTracking({
      store: app.store,
      controller: app.starter,
      storage: app.storage,
      permissions: permissions('granted'),
    });
    expect(outcome.outcome).toBe('skipped');
    expect(app.mediaDevices.requests).toHaveLength(0);
    expect(app.connects()).toBe(0);
  });

  it.each(['prompt', 'denied'] as const)(
    'leaves the start screen when the permission is %s: no browser question unasked',
    async (state) => {
      const app = setUp();
      saveHandsFree(app.storage, { autoStart: true, deviceId: null });
      const outcome = await autoStartTracking({
        store: app.store,
        controller: app.starter,
        storage: app.storage,
        permissions: permissions(state),
      });
      expect(outcome).toEqual({ autoStart: true, outcome: 'skipped' });
      expect(app.mediaDevices.requests).toHaveLength(0);
      expect(app.store.getState().camera.status).toBe('off');
    },
  );

  it.each([
    ['cannot query the camera permission', permissions('throws')],
    ['has no permissions API', undefined],
  ])('tries the camera when the browser %s', async (_name, browserPermissions) => {
    const app = setUp();
    saveHandsFree(app.storage, { autoStart: true, deviceId: null });
    const outcome = await autoStartTracking({
      store: app.store,
      controller: app.starter,
      storage: app.storage,
      permissions: browserPermissions,
    });
    expect(outcome.outcome).toBe('started');
    expect(app.connects()).toBe(1);
  });

  it('falls back to the default camera when the remembered one is gone', async () => {
    const app = setUp(new CamerasWithout('old-usb'));
    saveHandsFree(app.storage, { autoStart: true, deviceId: 'old-usb' });
    const outcome = await autoStartTracking({
      store: app.store,
      controller: app.starter,
      storage: app.storage,
      permissions: permissions('granted'),
    });
    expect(outcome.outcome).toBe('started');
    expect(requestedDevice(app.mediaDevices, 0)).toBe('old-usb');
    expect(requestedDevice(app.mediaDevices, 1)).toBeNull();
    expect(app.store.getState().camera.status).toBe('on');
  });

  it('shows the usual start screen, no error, when the camera is refused', async () => {
    const app = setUp();
    app.mediaDevices.refusal = new DOMException('Permission denied', 'NotAllowedError');
    saveHandsFree(app.storage, { autoStart: true, deviceId: null });
    const outcome = await autoStartTracking({
      store: app.store,
      controller: app.starter,
      storage: app.storage,
      permissions: undefined,
    });
    expect(outcome.outcome).toBe('skipped');
    expect(app.store.getState().camera).toMatchObject({ status: 'off', problem: null });
    expect(app.connects()).toBe(0);
  });

  it('runs once per page load, however often it is called', async () => {
    const app = setUp();
    saveHandsFree(app.storage, { autoStart: true, deviceId: null });
    const deps = {
      store: app.store,
      controller: app.starter,
      storage: app.storage,
      permissions: permissions('granted'),
    };
    await Promise.all([autoStartTracking(deps), autoStartTracking(deps)]);
    await autoStartTracking(deps);
    expect(app.mediaDevices.requests).toHaveLength(1);
    expect(app.connects()).toBe(1);
  });

  it('never takes over a camera the person turned on meanwhile', async () => {
    const app = setUp();
    saveHandsFree(app.storage, { autoStart: true, deviceId: 'usb' });
    const started = autoStartTracking({
      store: app.store,
      controller: app.starter,
      storage: app.storage,
      permissions: permissions('granted'),
    });
    // The person presses "Turn on camera" while the permission is being checked.
    const pressed = app.starter.startCamera(null);
    await Promise.all([started, pressed]);
    expect(app.store.getState().handsFree.outcome).toBe('skipped');
    expect(app.mediaDevices.requests).toHaveLength(1);
    expect(app.connects()).toBe(0);
  });
});

describe('cameraPermission', () => {
  it('reports what the browser says, and unknown where it cannot say', async () => {
    await expect(cameraPermission(permissions('granted'))).resolves.toBe('granted');
    await expect(cameraPermission(permissions('throws'))).resolves.toBe('unknown');
    await expect(cameraPermission(undefined)).resolves.toBe('unknown');
  });
});

describe('choosing and remembering', () => {
  it('ticking saves the camera in use, and a camera chosen later replaces it', async () => {
    const app = setUp();
    const stop = rememberChosenCamera(app.store, app.storage);
    await app.starter.startCamera('front');
    chooseAutoStart(app.store, app.storage, true);
    expect(loadHandsFree(app.storage)).toEqual({ autoStart: true, deviceId: 'front' });
    await app.starter.startCamera('usb');
    expect(loadHandsFree(app.storage)).toEqual({ autoStart: true, deviceId: 'usb' });
    chooseAutoStart(app.store, app.storage, false);
    await app.starter.startCamera('front');
    expect(loadHandsFree(app.storage)).toEqual({ autoStart: false, deviceId: null });
    stop();
  });
});
