// The WebSocket fallback for networks that block WebRTC's UDP: the same text protocol as the data
// channel, and the camera as JPEG frames in binary messages (frames.ts). After the upgrade the
// server sends `session` (its id and secret), then the usual `config`; closing the socket closes
// the session.

import {
  makeConfig,
  makeHello,
  parseServerMessage,
  type ClientMessage,
  type ConfigOptions,
  type ServerMessage,
  type SessionMessage,
} from '../protocol';
import { FrameSender, type FrameSenderOptions } from './frames';
import { SessionMessaging, type GazeLink, type MessagingHandlers } from './messaging';
import { SignallingError, isRetryableCode } from './signalling';

export const WEBSOCKET_PATH = 'ws';
/** How long the upgrade and the server's `session` message may take together. */
export const WEBSOCKET_OPEN_TIMEOUT_MS = 10_000;
/** `http://host:port/base` -> `ws://host:port/base/ws` (https -> wss). */
export function webSocketUrl(serverUrl: string): string {
  const url = new URL(WEBSOCKET_PATH, serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export interface WebSocketHandlers extends MessagingHandlers {
  /** The open session ended (never called after `close()`). */
  onClosed(reason: string): void;
}

export interface WebSocketLinkOptions {
  serverUrl: string;
  stream: MediaStream;
  config: ConfigOptions;
  clientVersion: string;
  clientName?: string;
  signal?: AbortSignal;
  createWebSocket?: (url: string) => WebSocket;
  frames?: FrameSenderOptions;
}

/** A session over a WebSocket; `close()` is idempotent and closes the session on the server. */
export class WebSocketLink implements GazeLink {
  readonly transport = 'websocket';
  private closed = false;
  private readonly messaging: SessionMessaging;
  private readonly frames: FrameSender;

  constructor(
    private readonly socket: WebSocket,
    readonly greeting: SessionMessage,
    stream: MediaStream,
    private readonly handlers: WebSocketHandlers,
    frameOptions: FrameSenderOptions = {},
  ) {
    const isOpen = (): boolean => !this.closed && socket.readyState === WebSocket.OPEN;
    this.messaging = new SessionMessaging(
      { isOpen, sendText: (text) => socket.send(text) },
      handlers,
    );
    this.frames = new FrameSender(
      stream,
      {
        get bufferedAmount() {
          return socket.bufferedAmount;
        },
        isOpen,
        send: (data) => socket.send(data),
      },
      frameOptions,
    );
    socket.addEventListener('message', this.onSocketMessage);
    socket.addEventListener('close', this.onSocketClose);
  }

  get sessionId(): string {
    return this.greeting.session_id;
  }

  start(hello: ClientMessage): void {
    this.messaging.start(hello);
    this.frames.start();
  }

  send(message: ClientMessage): void {
    this.messaging.send(message);
  }

  setConfig(options: ConfigOptions): void {
    this.send(makeConfig(options));
  }

  sendVideo(track: MediaStreamTrack | null): Promise<void> {
    if (track === null) this.frames.pause();
    else if (!this.closed) this.frames.start();
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.messaging.stop();
    this.frames.stop();
    this.socket.removeEventListener('message', this.onSocketMessage);
    this.socket.removeEventListener('close', this.onSocketClose);
    this.socket.close(1000, 'client closed the session');
  }

  private readonly onSocketMessage = (event: MessageEvent): void => {
    this.messaging.receive(event.data);
  };

  private readonly onSocketClose = (event: CloseEvent): void => {
    if (this.closed) return;
    this.close();
    const why = event.reason === '' ? '' : ` (${event.reason})`;
    this.handlers.onClosed(
      this.messaging.fatalMessage ?? `The server closed the WebSocket session${why}.`,
    );
  };
}

/** Waits for the upgrade and the `session` message; an `error` before it is a refusal. */
function awaitGreeting(
  socket: WebSocket,
  where: string,
  signal: AbortSignal | undefined,
): Promise<SessionMessage> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeEventListener('message', onMessage);
      socket.removeEventListener('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown): void => {
      cleanup();
      socket.close();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const onMessage = (event: MessageEvent): void => {
      let message: ServerMessage | null = null;
      try {
        message = parseServerMessage(event.data);
      } catch {
        // Described below, like any other unexpected first message.
      }
      if (message?.type === 'session') {
        cleanup();
        resolve(message);
      } else if (message?.type === 'error') {
        fail(new SignallingError(message.message, message.code, isRetryableCode(message.code)));
      } else {
        fail(
          new SignallingError(
            `${where} did not start a gazertc WebSocket session: is this a gazertc server?`,
            'bad_response',
            false,
          ),
        );
      }
    };
    const onClose = (): void => {
      fail(
        new SignallingError(
          `The gazertc server at ${where} did not open a WebSocket session. Is it running, and does it allow this page's origin?`,
          'unreachable',
          true,
        ),
      );
    };
    const onAbort = (): void => {
      fail(signal?.reason);
    };
    const timer = setTimeout(() => {
      fail(
        new SignallingError(
          `The gazertc server at ${where} did not answer on its WebSocket in ${WEBSOCKET_OPEN_TIMEOUT_MS / 1000} s.`,
          'unreachable',
          true,
        ),
      );
    }, WEBSOCKET_OPEN_TIMEOUT_MS);
    socket.addEventListener('message', onMessage);
    socket.addEventListener('close', onClose);
    signal?.addEventListener('abort', onAbort);
  });
}

/**
 * Open a session over the WebSocket fallback, say hello and start sending frames.
 * @throws SignallingError when the server cannot be reached or refuses; the abort reason when
 *   `options.signal` is aborted.
 */
export async function openWebSocketLink(
  options: WebSocketLinkOptions,
  handlers: WebSocketHandlers,
): Promise<WebSocketLink> {
  if (options.signal?.aborted === true) throw options.signal.reason;
  const url = webSocketUrl(options.serverUrl);
  const create = options.createWebSocket ?? ((address: string) => new WebSocket(address));
  const socket = create(url);
  socket.binaryType = 'arraybuffer';
  const greeting = await awaitGreeting(socket, new URL(url).host, options.signal);
  const link = new WebSocketLink(socket, greeting, options.stream, handlers, options.frames);
  link.start(
    makeHello(options.clientVersion, options.config, {
      videoReceive: false,
      ...(options.clientName === undefined ? {} : { clientName: options.clientName }),
    }),
  );
  return link;
}
