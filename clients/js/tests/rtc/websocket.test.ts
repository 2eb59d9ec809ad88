// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../../src/protocol';
import { SignallingError } from '../../src/rtc/signalling';
import {
  WEBSOCKET_OPEN_TIMEOUT_MS,
  openWebSocketLink,
  webSocketUrl,
  type WebSocketHandlers,
} from '../../src/rtc/websocket';
import { FakeStream, FakeTrack, FakeWebSocket } from '../fakes';
import { fixture } from '../fixtures';

const SESSION = fixture('session.websocket.json') as { session_id: string };
const CONFIG = fixture('config.server_effective.json');

function recording(): WebSocketHandlers & { received: ServerMessage[]; closed: string[] } {
  const received: ServerMessage[] = [];
  const closed: string[] = [];
  return {
    received,
    closed,
    onMessage: (message) => received.push(message),
    onRoundTrip: () => undefined,
    onProtocolViolation: () => undefined,
    onClosed: (reason) => closed.push(reason),
  };
}

function open(handlers: WebSocketHandlers, signal?: AbortSignal) {
  const stream = new FakeStream([new FakeTrack('Camera', {})]) as unknown as MediaStream;
  return openWebSocketLink(
    {
      serverUrl: 'http://127.0.0.1:3000',
      stream,
      config: { output: 'json' },
      clientVersion: '0.1.0',
      clientName: 'gazertc-client',
      createWebSocket: (url) => new FakeWebSocket(url).asWebSocket(),
      // The camera is not drawn in these tests: no frame is ever ready.
      frames: { encode: () => Promise.resolve(null) },
      ...(signal === undefined ? {} : { signal }),
    },
    handlers,
  );
}

beforeEach(() => {
  FakeWebSocket.created = [];
  vi.stubGlobal('WebSocket', FakeWebSocket);
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('webSocketUrl', () => {
  it('is /ws on the server, ws for http and wss for https', () => {
    expect(webSocketUrl('http://127.0.0.1:3000')).toBe('ws://127.0.0.1:3000/ws');
    expect(webSocketUrl('https://lab.example.org/gaze/')).toBe('wss://lab.example.org/gaze/ws');
  });
});

describe('openWebSocketLink', () => {
  it('opens on the session message, then says hello without asking for video back', async () => {
    const handlers = recording();
    const opening = open(handlers);
    const socket = FakeWebSocket.created[0];
    if (socket === undefined) throw new Error('no socket');
    expect(socket.url).toBe('ws://127.0.0.1:3000/ws');
    expect(socket.binaryType).toBe('arraybuffer');
    socket.open();
    socket.receive(SESSION);
    const link = await opening;
    expect(link.sessionId).toBe(SESSION.session_id);
    expect(link.transport).toBe('websocket');
    const [hello, ping] = socket.sentMessages();
    expect(hello).toMatchObject({
      type: 'hello',
      client: { name: 'gazertc-client', version: '0.1.0' },
      capabilities: { video_receive: false },
      config: { output: 'json' },
    });
    expect(ping?.type).toBe('ping');
    socket.receive(CONFIG);
    expect(handlers.received.map((message) => message.type)).toEqual(['config']);
    link.close();
    link.close();
    expect(socket.closedWith?.code).toBe(1000);
    expect(handlers.closed).toEqual([]);
  });

  it('reports the session ending when the server closes the socket', async () => {
    const handlers = recording();
    const opening = open(handlers);
    const socket = FakeWebSocket.created[0];
    socket?.open();
    socket?.receive(SESSION);
    await opening;
    socket?.closeByRemote('server shutting down');
    expect(handlers.closed).toEqual([
      'The server closed the WebSocket session (server shutting down).',
    ]);
  });

  it("turns the server's error before the session into a refusal with its code", async () => {
    const opening = open(recording());
    const socket = FakeWebSocket.created[0];
    socket?.open();
    socket?.receive(fixture('error.too_many_sessions.json'));
    const error = (await opening.catch((caught: unknown) => caught)) as SignallingError;
    expect(error).toBeInstanceOf(SignallingError);
    expect(error.code).toBe('too_many_sessions');
    expect(error.retryable).toBe(true);
    expect(socket?.closedWith).not.toBeNull();
  });

  it('refuses a first message that is not a session, and a socket closed before one', async () => {
    const junk = open(recording());
    FakeWebSocket.created[0]?.receive('{"hello": 1}');
    await expect(junk).rejects.toMatchObject({ code: 'bad_response', retryable: false });
    const closed = open(recording());
    FakeWebSocket.created[1]?.closeByRemote();
    await expect(closed).rejects.toMatchObject({ code: 'unreachable', retryable: true });
  });

  it('gives up when no session message comes in time, and on abort', async () => {
    vi.useFakeTimers();
    const silent = open(recording());
    const silentResult = silent.catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(WEBSOCKET_OPEN_TIMEOUT_MS + 1);
    expect(await silentResult).toMatchObject({ code: 'unreachable' });
    const abort = new AbortController();
    const aborted = open(recording(), abort.signal);
    abort.abort(new Error('stopped'));
    await expect(aborted).rejects.toThrow('stopped');
  });
});
