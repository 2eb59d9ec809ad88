// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GazeClient, type ClientState, type GazeClientOptions } from '../../src/client/gazeClient';
import { GazeClientError } from '../../src/client/errors';
import type { GazeSample } from '../../src/client/sample';
import type { StoredEvent } from '../../src/protocol';
import { FakeDataChannel, FakeMediaDevices, FakePeerConnection, FakeWebSocket } from '../fakes';
import { fixture } from '../fixtures';
import { acceptedResult, poorCalibrationResult } from '../webgazer/fake_client';

const ANSWER = fixture('offer_answer.basic.json');
const CONFIG = fixture('config.server_effective.json');

const answering: typeof fetch = (input) =>
  Promise.resolve(
    (input as string).endsWith('/api/ice-servers')
      ? new Response(JSON.stringify(fixture('ice_servers.none.json')), { status: 200 })
      : new Response(JSON.stringify(ANSWER), { status: 200 }),
  );

function client(options: Partial<GazeClientOptions> = {}) {
  const devices = new FakeMediaDevices();
  const states: string[] = [];
  const gaze = new GazeClient({
    server: 'http://127.0.0.1:3000',
    mediaDevices: devices.asMediaDevices(),
    createPeerConnection: () => new FakePeerConnection().asPeerConnection(),
    createWebSocket: (url) => new FakeWebSocket(url).asWebSocket(),
    fetch: answering,
    screen: () => ({ width_px: 1920, height_px: 1080 }),
    ...options,
  });
  gaze.on('state', (state: ClientState) => states.push(state));
  return { gaze, devices, states };
}

/** The data channel of the latest peer connection, once it exists. */
async function openChannel(): Promise<FakeDataChannel> {
  await vi.waitFor(() => {
    if (FakePeerConnection.created.at(-1)?.channels[0]?.readyState !== 'open') {
      throw new Error('the channel is not open yet');
    }
  });
  const channel = FakePeerConnection.created.at(-1)?.channels[0];
  if (channel === undefined) throw new Error('no channel');
  return channel;
}

beforeEach(() => {
  FakePeerConnection.created = [];
  FakeWebSocket.created = [];
  vi.stubGlobal('WebSocket', FakeWebSocket);
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('GazeClient over WebRTC', () => {
  it('goes live on the first config, then delivers typed samples and answers events', async () => {
    const { gaze, devices, states } = client({ transport: 'webrtc' });
    const starting = gaze.start();
    const channel = await openChannel();
    const hello = channel.sentMessages()[0];
    expect(hello).toMatchObject({
      type: 'hello',
      client: { name: 'gazertc-client' },
      config: { screen: { width_px: 1920, height_px: 1080 } },
    });
    expect(devices.requests[0]?.video).toMatchObject({ width: { ideal: 1280 } });
    channel.receive(CONFIG);
    await starting;
    expect(gaze.state).toBe('live');
    expect(gaze.transport).toBe('webrtc');
    expect(states).toEqual(['starting', 'connecting', 'live']);

    const samples: GazeSample[] = [];
    gaze.on('sample', (sample) => samples.push(sample));
    channel.receive(fixture('sample.calibrated.json'));
    expect(samples).toHaveLength(1);
    expect(samples[0]?.screen).not.toBeNull();
    expect(gaze.latestSample).toBe(samples[0]);
    expect(gaze.calibrated).toBe(true);

    const marked = gaze.markEvent('stimulus_onset');
    const sent = channel.sentMessages().at(-1);
    expect(sent).toMatchObject({ type: 'event', name: 'stimulus_onset' });
    const ack = fixture('event_ack.client_time.json') as { event: StoredEvent };
    channel.receive(ack);
    await expect(marked).resolves.toEqual(ack.event);

    gaze.stop();
    gaze.stop();
    expect(gaze.state).toBe('closed');
    expect(devices.streams[0]?.tracks[0]?.readyState).toBe('ended');
    await expect(gaze.markEvent('late')).rejects.toMatchObject({ code: 'not_connected' });
  });

  it('uses the chosen camera with the page constraints', async () => {
    const { gaze, devices } = client({
      transport: 'webrtc',
      camera: { deviceId: 'usb', constraints: { width: { ideal: 640 } } },
    });
    const starting = gaze.start();
    (await openChannel()).receive(CONFIG);
    await starting;
    expect(devices.requests[0]?.video).toEqual({
      width: { ideal: 640 },
      deviceId: { exact: 'usb' },
    });
    gaze.stop();
  });

  it('rejects with the camera problem when the camera is refused', async () => {
    const { gaze, devices } = client();
    devices.refusal = new DOMException('denied', 'NotAllowedError');
    const error = (await gaze.start().catch((caught: unknown) => caught)) as GazeClientError;
    expect(error).toBeInstanceOf(GazeClientError);
    expect(error.code).toBe('camera_denied');
    expect(gaze.state).toBe('failed');
  });
});

describe('GazeClient transport auto', () => {
  it('falls back to the WebSocket when WebRTC does not connect in time, and says so', async () => {
    const { gaze } = client({
      transport: 'auto',
      webrtcTimeoutMs: 30,
      createPeerConnection: () => {
        const pc = new FakePeerConnection();
        pc.opensOnAnswer = false; // UDP blocked: the answer comes, the channel never opens
        return pc.asPeerConnection();
      },
    });
    const starting = gaze.start();
    await vi.waitFor(() => {
      if (FakeWebSocket.created.length === 0) throw new Error('no WebSocket yet');
    });
    expect(FakePeerConnection.created[0]?.closed).toBe(true);
    expect(gaze.stateDetail).toBe(
      'WebRTC did not connect in 0.03 s; using the WebSocket fallback.',
    );
    const socket = FakeWebSocket.created[0];
    socket?.open();
    socket?.receive(fixture('session.websocket.json'));
    // The link listens once the session message is handled: a later task, as in a browser.
    await vi.waitFor(() => expect(socket?.sentMessages()[0]?.type).toBe('hello'));
    socket?.receive(CONFIG);
    await starting;
    expect(gaze.state).toBe('live');
    expect(gaze.transport).toBe('websocket');
    expect(gaze.stateDetail).toContain('WebSocket fallback');
    gaze.stop();
  });
});

describe('GazeClient calibration verdict and drift', () => {
  it('stays uncalibrated on a poor fit until acceptCalibration(), and reports drift', async () => {
    const { gaze } = client({ transport: 'webrtc' });
    const starting = gaze.start();
    const channel = await openChannel();
    channel.receive(CONFIG);
    await starting;

    const poor = poorCalibrationResult();
    channel.receive(poor);
    expect(gaze.calibrated).toBe(false);
    const accepting = gaze.acceptCalibration();
    expect(channel.sentMessages().at(-1)).toEqual({ v: 1, type: 'calibration_accept' });
    channel.receive(acceptedResult(poor));
    await expect(accepting).resolves.toMatchObject({ applied: true, quality: 'poor' });
    expect(gaze.calibrated).toBe(true);

    const statuses: string[] = [];
    gaze.on('drift', (status) => statuses.push(status.last));
    // Before the first pong the page's times cannot be put on the server's clock.
    await expect(gaze.confirmDwell({ xPx: 10, yPx: 10 }, 0, 500)).rejects.toMatchObject({
      code: 'no_clock',
    });
    const resetting = gaze.resetDrift();
    expect(channel.sentMessages().at(-1)).toEqual({ v: 1, type: 'drift_reset' });
    channel.receive({
      v: 1,
      type: 'drift_status',
      offset_x_px: 0,
      offset_y_px: 0,
      offset_deg: null,
      confirmations_used: 0,
      last: 'reset',
      reason: 'The drift correction was reset.',
    });
    await expect(resetting).resolves.toMatchObject({ last: 'reset' });
    expect(statuses).toEqual(['reset']);
    expect(gaze.driftStatus?.last).toBe('reset');

    gaze.stop();
    await expect(gaze.acceptCalibration()).rejects.toMatchObject({ code: 'not_connected' });
  });
});

describe('GazeClient landmarks', () => {
  it('asks in hello, delivers samples without them, and keeps setLandmarks for reconnects', async () => {
    const { gaze } = client({
      transport: 'webrtc',
      config: { landmarks: false },
      reconnect: { baseMs: 1, maxMs: 1, jitter: 0 },
    });
    const starting = gaze.start();
    const first = await openChannel();
    expect(first.sentMessages()[0]).toMatchObject({ type: 'hello', config: { landmarks: false } });
    first.receive(CONFIG);
    await starting;

    const samples: GazeSample[] = [];
    gaze.on('sample', (sample) => samples.push(sample));
    first.receive(fixture('sample.face_without_landmarks.json'));
    expect(samples).toHaveLength(1);
    expect(samples[0]?.faceFound).toBe(true);
    expect(samples[0]?.message.landmarks_px).toBeNull();

    gaze.setLandmarks(true);
    expect(first.sentMessages().at(-1)).toEqual({ v: 1, type: 'config', landmarks: true });
    first.closeByRemote();
    await vi.waitFor(() => {
      if (FakePeerConnection.created.length < 2) throw new Error('not reconnected yet');
    });
    const second = await openChannel();
    expect(second.sentMessages()[0]).toMatchObject({ type: 'hello', config: { landmarks: true } });
    gaze.stop();
  });
});
