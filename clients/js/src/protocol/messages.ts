// Session messages (data channel or WebSocket): parsing what the server sends, building what the client sends, and the
// ping/pong arithmetic (docs/protocol.md, "ping / pong").

import {
  MESSAGE_TYPES,
  type ConfigMessage,
  type ConfigOptions,
  type EventMessage,
  type HelloMessage,
  type Message,
  type PingMessage,
  type PongMessage,
  type RecordingAction,
  type RecordingMessage,
  type Screen,
} from './types.gen';
import { ProtocolViolation, protocolValidator, type ProtocolValidator } from './validate';

export const PROTOCOL_VERSION = 1;

/**
 * Messages only a client sends (the schema's `message` description lists the directions;
 * tests/protocol/fixtures.test.ts checks this list against it).
 */
export const CLIENT_ONLY_TYPES = [
  'hello',
  'event',
  'recording',
  'calibration_start',
  'validation_start',
  'target_shown',
  'target_done',
  'calibration_end',
  'calibration_load',
  'calibration_accept',
  'dwell_confirmed',
  'drift_reset',
] as const satisfies readonly Message['type'][];

type ClientOnlyType = (typeof CLIENT_ONLY_TYPES)[number];

export type ClientOnlyMessage = Extract<Message, { type: ClientOnlyType }>;
export type ServerMessage = Exclude<Message, ClientOnlyMessage>;
export type ClientMessage = ClientOnlyMessage | ConfigMessage | PingMessage | PongMessage;

type ServerMessageType = ServerMessage['type'];

/** Messages the server sends, in schema order. */
export const SERVER_MESSAGE_TYPES: readonly ServerMessageType[] = MESSAGE_TYPES.filter(
  (type): type is ServerMessageType => !(CLIENT_ONLY_TYPES as readonly string[]).includes(type),
);

function isServerMessageType(type: unknown): type is ServerMessageType {
  return (SERVER_MESSAGE_TYPES as readonly unknown[]).includes(type);
}

/**
 * Parse and validate one data-channel message from the server against the schema definition its
 * `type` names.
 * @throws ProtocolViolation for binary data, invalid JSON, a type the server does not send, or a
 *   message that does not satisfy its definition.
 */
export function parseServerMessage(
  data: unknown,
  validator: ProtocolValidator = protocolValidator(),
): ServerMessage {
  if (typeof data !== 'string') {
    throw new ProtocolViolation('binary data-channel messages are not part of the protocol');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (error) {
    throw new ProtocolViolation(`not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProtocolViolation('a message must be a JSON object');
  }
  const type = (parsed as { type?: unknown }).type;
  if (!isServerMessageType(type)) {
    throw new ProtocolViolation(
      `unexpected message type ${JSON.stringify(type)} from the server; expected one of ${SERVER_MESSAGE_TYPES.join(', ')}`,
    );
  }
  validator.assertValid(type, parsed);
  return parsed;
}

/**
 * Serialise a client message after checking it against the schema (a failure is a bug here).
 * @throws ProtocolViolation when the message does not satisfy its definition.
 */
export function encodeClientMessage(
  message: ClientMessage,
  validator: ProtocolValidator = protocolValidator(),
): string {
  validator.assertValid(message.type, message);
  return JSON.stringify(message);
}

/** The current time in Unix nanoseconds (a double: exact to about 0.25 µs, ample). */
export function nowUnixNs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1e6);
}

/** The client's screen in the schema's shape. */
export function describeScreen(
  widthPx: number,
  heightPx: number,
  devicePixelRatio: number,
): Screen | undefined {
  const width_px = Math.round(widthPx);
  const height_px = Math.round(heightPx);
  if (!(width_px >= 1 && height_px >= 1)) return undefined;
  const screen: Screen = { width_px, height_px };
  if (devicePixelRatio > 0 && devicePixelRatio <= 16) screen.device_pixel_ratio = devicePixelRatio;
  return screen;
}

export interface HelloOptions {
  /** Who is asking, for the server's logs and the monitor (default `gazertc-app`). */
  clientName?: string;
  /** Whether annotated video can come back (false over the WebSocket; default true). */
  videoReceive?: boolean;
}

export function makeHello(
  clientVersion: string,
  config: ConfigOptions,
  { clientName = 'gazertc-app', videoReceive = true }: HelloOptions = {},
): HelloMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'hello',
    client: { name: clientName, version: clientVersion },
    capabilities: { video_receive: videoReceive, protocol_versions: [PROTOCOL_VERSION] },
    config,
  };
}

/** A marked moment; without a time the server uses the message's arrival. */
export function makeEvent(name: string, timestampUnixNs?: number): EventMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'event',
    name,
    ...(timestampUnixNs === undefined ? {} : { timestamp_unix_ns: timestampUnixNs }),
  };
}

export function makeRecording(action: RecordingAction, name?: string): RecordingMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'recording',
    action,
    ...(name === undefined ? {} : { name }),
  };
}

export function makeConfig(options: ConfigOptions): ConfigMessage {
  return { v: PROTOCOL_VERSION, type: 'config', ...options };
}

export function makePing(id: number, sentUnixNs: number): PingMessage {
  return { v: PROTOCOL_VERSION, type: 'ping', id, sent_unix_ns: sentUnixNs };
}

export function makePong(
  ping: PingMessage,
  receivedUnixNs: number,
  sentUnixNs: number,
): PongMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'pong',
    id: ping.id,
    ping_sent_unix_ns: ping.sent_unix_ns,
    received_unix_ns: receivedUnixNs,
    sent_unix_ns: sentUnixNs,
  };
}

export interface ClockEstimate {
  /** Network round trip, without the time the server spent answering. */
  roundTripMs: number;
  /** Server clock minus client clock. */
  serverClockOffsetMs: number;
}

/** Round trip and clock offset from a pong that arrived at `arrivalUnixNs` (client clock). */
export function clockEstimate(pong: PongMessage, arrivalUnixNs: number): ClockEstimate {
  const t0 = pong.ping_sent_unix_ns;
  const t1 = pong.received_unix_ns;
  const t2 = pong.sent_unix_ns;
  const t3 = arrivalUnixNs;
  return {
    roundTripMs: Math.max(0, (t3 - t0 - (t2 - t1)) / 1e6),
    serverClockOffsetMs: (t1 - t0 + (t2 - t3)) / 2 / 1e6,
  };
}
