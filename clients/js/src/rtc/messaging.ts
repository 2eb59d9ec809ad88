// The session's text protocol over whichever transport carries it (WebRTC data channel or
// WebSocket): hello, the ping/pong clock, parsing and validating what the server sends.

import {
  clockEstimate,
  encodeClientMessage,
  makePing,
  makePong,
  nowUnixNs,
  parseServerMessage,
  ProtocolViolation,
  type ClientMessage,
  type ClockEstimate,
  type ConfigOptions,
  type ServerMessage,
} from '../protocol';

export const PING_INTERVAL_MS = 1000;

/** An open session, whichever transport carries it. */
export interface GazeLink {
  readonly transport: 'webrtc' | 'websocket';
  readonly sessionId: string | null;
  send(message: ClientMessage): void;
  setConfig(options: ConfigOptions): void;
  /** Stop (null) or restart (the camera track) the outgoing video; the session stays open. */
  sendVideo(track: MediaStreamTrack | null): Promise<void>;
  close(): void;
}

export interface MessagingHandlers {
  onMessage(message: ServerMessage): void;
  onRoundTrip(estimate: ClockEstimate): void;
  onProtocolViolation(violation: ProtocolViolation): void;
}

/** What the transport offers: sending text while it is open. */
export interface TextTransport {
  isOpen(): boolean;
  sendText(text: string): void;
}

/**
 * One session's messages. `start()` says hello and starts the pings; `receive()` takes each text
 * message from the transport; `stop()` cancels the pings (idempotent).
 */
export class SessionMessaging {
  private pingId = 0;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private fatal: string | null = null;

  constructor(
    private readonly transport: TextTransport,
    private readonly handlers: MessagingHandlers,
  ) {}

  /** Why the server ended the session, when it said so in a fatal `error`. */
  get fatalMessage(): string | null {
    return this.fatal;
  }

  start(hello: ClientMessage): void {
    this.send(hello);
    this.sendPing();
    this.pingTimer = setInterval(this.sendPing, PING_INTERVAL_MS);
  }

  send(message: ClientMessage): void {
    if (this.stopped || !this.transport.isOpen()) return;
    this.transport.sendText(encodeClientMessage(message));
  }

  stop(): void {
    this.stopped = true;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  /** One message from the server (text expected; anything else is a protocol violation). */
  receive(data: unknown): void {
    const arrivalUnixNs = nowUnixNs();
    let message: ServerMessage;
    try {
      message = parseServerMessage(data);
    } catch (error) {
      if (error instanceof ProtocolViolation) {
        this.handlers.onProtocolViolation(error);
        return;
      }
      throw error;
    }
    switch (message.type) {
      case 'ping':
        this.send(makePong(message, arrivalUnixNs, nowUnixNs()));
        return;
      case 'pong':
        if (message.id === this.pingId) {
          this.handlers.onRoundTrip(clockEstimate(message, arrivalUnixNs));
        }
        return;
      case 'error':
        if (message.fatal) this.fatal = `The server ended the session: ${message.message}`;
        break;
      default:
        break;
    }
    this.handlers.onMessage(message);
  }

  private readonly sendPing = (): void => {
    this.pingId += 1;
    this.send(makePing(this.pingId, nowUnixNs()));
  };
}
