import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppController } from '../../src/rtc/controller';
import { INITIAL_STATE } from '../../src/store/appState';
import { createStore } from '../../src/store/store';
import { FakeMediaDevices, FakePeerConnection } from '../fakes';

function setup(
  mediaDevices: FakeMediaDevices | null = new FakeMediaDevices(),
  fetchImpl?: typeof fetch,
) {
  const store = createStore(INITIAL_STATE);
  const controller = new AppController({
    store,
    serverUrl: 'http://localhost:3000',
    mediaDevices: mediaDevices?.asMediaDevices(),
    isSecureContext: mediaDevices !== null,
    clientVersion: '0.1.0',
    screen: () => ({ width_px: 1920, height_px: 1080 }),
    createPeerConnection: () => new FakePeerConnection().asPeerConnection(),
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
    backoff: { baseMs: 1000, maxMs: 8000, jitter: 0 },
  });
  return { store, controller, mediaDevices };
}

describe('camera', () => {
  it('asks for 1280x720 at 30 fps and records what was granted', async () => {
    const { store, controller, mediaDevices } = setup();
    await controller.startCamera();
    expect(mediaDevices?.requests[0]).toEqual({
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
      audio: false,
    });
    const { camera } = store.getState();
    expect(camera.status).toBe('on');
    expect(camera.granted).toEqual({
      widthPx: 640,
      heightPx: 480,
      frameRateFps: 30,
      label: 'Front camera',
      deviceId: 'front',
    });
    expect(camera.devices.map((device) => device.deviceId)).toEqual(['front', 'usb']);
  });

  it('switching cameras releases the previous one', async () => {
    const { store, controller, mediaDevices } = setup();
    await controller.startCamera();
    await controller.startCamera('usb');
    expect(mediaDevices?.streams[0]?.tracks[0]?.readyState).toBe('ended');
    expect(store.getState().camera.granted?.label).toBe('USB camera');
  });

  it('explains a refusal in plain words', async () => {
    const mediaDevices = new FakeMediaDevices();
    mediaDevices.refusal = new DOMException('Permission denied', 'NotAllowedError');
    const { store, controller } = setup(mediaDevices);
    await controller.startCamera();
    expect(store.getState().camera).toMatchObject({
      status: 'failed',
      problem: { kind: 'denied' },
    });
  });

  it('explains a page without camera access (not https)', async () => {
    const { store, controller } = setup(null);
    await controller.startCamera();
    expect(store.getState().camera.problem?.kind).toBe('insecure');
  });

  it('notices when the camera goes away', async () => {
    const { store, controller, mediaDevices } = setup();
    await controller.startCamera();
    mediaDevices?.streams[0]?.tracks[0]?.endByItself();
    expect(store.getState().camera).toMatchObject({ status: 'failed', problem: { kind: 'ended' } });
    expect(store.getState().connection.phase).toBe('idle');
  });

  it('shutdown releases the camera and every listener', async () => {
    const { store, controller, mediaDevices } = setup();
    await controller.startCamera();
    expect(mediaDevices?.listeners).toBe(1);
    controller.shutdown();
    expect(mediaDevices?.listeners).toBe(0);
    expect(mediaDevices?.streams[0]?.tracks[0]?.readyState).toBe('ended');
    expect(store.getState().camera.status).toBe('off');
    controller.shutdown();
  });
});

describe('session', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakePeerConnection.created = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('offers the camera with the chosen output, and retries while the server is down', async () => {
    const bodies: unknown[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fetchImpl: typeof fetch = (_, init) => {
      if (init?.method === 'POST') bodies.push(JSON.parse(init.body as string));
      return Promise.reject(new TypeError('Failed to fetch'));
    };
    const { store, controller } = setup(new FakeMediaDevices(), fetchImpl);
    await controller.startCamera();
    controller.setViewMode('server');
    controller.connect();
    expect(store.getState().connection.phase).toBe('connecting');
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies[0]).toMatchObject({
      type: 'offer',
      options: { output: 'both', screen: { width_px: 1920 } },
    });
    expect(store.getState().connection).toMatchObject({ phase: 'lost', attempt: 1 });
    expect(store.getState().connection.problem).toMatch(/localhost:3000 is not answering/);
    expect(FakePeerConnection.created[0]?.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(bodies).toHaveLength(2);
    expect(store.getState().connection.attempt).toBe(2);
    controller.disconnect();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(bodies).toHaveLength(2);
    expect(store.getState().connection.phase).toBe('idle');
    expect(warn).toHaveBeenCalledTimes(2); // no ICE servers either, for each attempt
  });

  it('stops retrying when the server refuses the offer', async () => {
    const refusal = {
      v: 1,
      type: 'error',
      code: 'invalid_sdp',
      message: 'the offer has no video m-line',
      fatal: true,
    };
    vi.spyOn(console, 'warn').mockImplementation(() => undefined); // no ICE servers either
    const fetchImpl: typeof fetch = () =>
      Promise.resolve(new Response(JSON.stringify(refusal), { status: 400 }));
    const { store, controller } = setup(new FakeMediaDevices(), fetchImpl);
    await controller.startCamera();
    controller.connect();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(store.getState().connection).toMatchObject({
      phase: 'failed',
      problem: 'the offer has no video m-line',
    });
  });
});
