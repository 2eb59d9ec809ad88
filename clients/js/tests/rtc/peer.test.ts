import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../../src/protocol/messages';
import type { IceServers, PongMessage } from '../../src/protocol/types.gen';
import { PING_INTERVAL_MS } from '../../src/rtc/messaging';
import {
  DISCONNECTED_GRACE_MS,
  openPeer,
  type GazePeer,
  type PeerHandlers,
} from '../../src/rtc/peer';
import { SignallingError } from '../../src/rtc/signalling';
import { FakePeerConnection, FakeStream, FakeTrack } from '../fakes';
import { fixture } from '../fixtures';

const ANSWER = fixture('offer_answer.basic.json');

const ICE_SERVERS = fixture('ice_servers.turn_rest.json') as IceServers;

/** The server: its ICE servers at /api/ice-servers, `body` (with `status`) for the offer. */
function answering(body: unknown = ANSWER, status = 200): typeof fetch {
  return (input) =>
    (input as string).endsWith('/api/ice-servers')
      ? Promise.resolve(new Response(JSON.stringify(ICE_SERVERS), { status: 200 }))
      : Promise.resolve(new Response(JSON.stringify(body), { status }));
}

function recordingHandlers() {
  const received: ServerMessage[] = [];
  const closed: string[] = [];
  const roundTrips: number[] = [];
  const violations: string[] = [];
  const handlers: PeerHandlers = {
    onMessage: (message) => received.push(message),
    onRemoteStream: () => undefined,
    onRoundTrip: (estimate) => roundTrips.push(estimate.roundTripMs),
    onProtocolViolation: (violation) => violations.push(violation.message),
    onClosed: (reason) => closed.push(reason),
  };
  return { handlers, received, closed, roundTrips, violations };
}

async function open(fetchImpl: typeof fetch = answering()) {
  const pc = new FakePeerConnection();
  const configurations: RTCConfiguration[] = [];
  const track = new FakeTrack('Fake camera', { width: 400, height: 300 });
  const recorded = recordingHandlers();
  const opening = openPeer(
    {
      serverUrl: 'http://localhost:3000',
      track: track as unknown as MediaStreamTrack,
      stream: new FakeStream([track]) as unknown as MediaStream,
      config: { output: 'json' },
      clientVersion: '0.1.0',
      createPeerConnection: (configuration) => {
        configurations.push(configuration);
        return pc.asPeerConnection();
      },
      fetch: fetchImpl,
    },
    recorded.handlers,
  );
  await vi.advanceTimersByTimeAsync(0);
  const peer: GazePeer = await opening;
  const channel = pc.channels[0];
  if (channel === undefined) throw new Error('no data channel');
  return { peer, pc, channel, configurations, ...recorded };
}

describe('openPeer and GazePeer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("connects through the server's STUN and TURN servers", async () => {
    const { peer, configurations } = await open();
    expect(configurations).toHaveLength(1);
    expect(configurations[0]?.iceServers).toEqual(ICE_SERVERS.ice_servers);
    peer.close();
  });

  it('offers the camera sendrecv, then says hello and starts pinging', async () => {
    const { peer, pc, channel } = await open();
    expect(pc.transceivers).toHaveLength(1);
    expect(pc.transceivers[0]).toMatchObject({ init: { direction: 'sendrecv' } });
    expect(peer.sessionId).toBe('3f2a9c0e5b7d41e8a6c4d2b0f9e8a7c6');
    expect(channel.sentMessages().map((message) => message.type)).toEqual(['hello', 'ping']);
    expect(channel.sentMessages()[0]).toMatchObject({
      client: { name: 'gazertc-app', version: '0.1.0' },
      config: { output: 'json' },
    });
    await vi.advanceTimersByTimeAsync(3 * PING_INTERVAL_MS);
    expect(channel.sentMessages().filter((message) => message.type === 'ping')).toHaveLength(4);
    peer.close();
  });

  it('passes validated messages on, answers pings, measures round trips from pongs', async () => {
    const { peer, channel, received, roundTrips, violations } = await open();
    channel.receive(fixture('sample.face.json'));
    channel.receive({ v: 1, type: 'ping', id: 5, sent_unix_ns: 1767225600000000000 });
    const ping = channel.sentMessages().find((message) => message.type === 'ping');
    const pong: PongMessage = {
      v: 1,
      type: 'pong',
      id: Number(ping?.['id']),
      ping_sent_unix_ns: Number(ping?.['sent_unix_ns']),
      received_unix_ns: Number(ping?.['sent_unix_ns']) + 1_000_000,
      sent_unix_ns: Number(ping?.['sent_unix_ns']) + 1_100_000,
    };
    channel.receive(pong);
    channel.receive('{"v": 1, "type": "sample"}');
    expect(received.map((message) => message.type)).toEqual(['sample']);
    expect(channel.sentMessages().at(-1)).toMatchObject({ type: 'pong', id: 5 });
    expect(roundTrips).toHaveLength(1);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/not a valid sample/);
    peer.close();
  });

  it('reports the end of the session once, with the fatal error as the reason', async () => {
    const { channel, closed, pc } = await open();
    channel.receive({
      v: 1,
      type: 'error',
      code: 'idle_timeout',
      message: 'no video and no message for 20.1 s; closing the session',
      fatal: true,
    });
    channel.closeByRemote();
    pc.changeState('closed');
    expect(closed).toEqual([
      'The server ended the session: no video and no message for 20.1 s; closing the session',
    ]);
    expect(pc.closed).toBe(true);
  });

  it('gives a disconnected connection time to recover', async () => {
    const { pc, closed, peer } = await open();
    pc.changeState('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS - 1);
    pc.changeState('connected');
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS);
    expect(closed).toEqual([]);
    pc.changeState('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS);
    expect(closed).toEqual(['The connection to the server was interrupted.']);
    peer.close();
  });

  it('close() stops pinging, removes its listeners and reports nothing', async () => {
    const { peer, pc, channel, closed } = await open();
    peer.close();
    peer.close();
    const sent = channel.sent.length;
    await vi.advanceTimersByTimeAsync(10 * PING_INTERVAL_MS);
    expect(channel.sent).toHaveLength(sent);
    expect(channel.listeners).toBe(0);
    expect(pc.closed).toBe(true);
    channel.closeByRemote();
    expect(closed).toEqual([]);
  });

  it('closes the peer connection when the server refuses the offer', async () => {
    const refusal = { v: 1, type: 'error', code: 'invalid_sdp', message: 'no video', fatal: true };
    const pc = new FakePeerConnection();
    const track = new FakeTrack('Fake camera', {});
    const opening = openPeer(
      {
        serverUrl: 'http://localhost:3000',
        track: track as unknown as MediaStreamTrack,
        stream: new FakeStream([track]) as unknown as MediaStream,
        config: {},
        clientVersion: '0.1.0',
        createPeerConnection: () => pc.asPeerConnection(),
        fetch: answering(refusal, 400),
      },
      recordingHandlers().handlers,
    );
    await expect(opening).rejects.toBeInstanceOf(SignallingError);
    expect(pc.closed).toBe(true);
    expect(pc.channels[0]?.listeners).toBe(0);
  });
});
