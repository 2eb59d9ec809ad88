// One connection to the server: the camera track goes out, samples and (on request) annotated
// video come back. Plain TypeScript; the controller feeds what it reports into the store.

import {
  makeConfig,
  makeHello,
  type ClientMessage,
  type ClockEstimate,
  type ConfigOptions,
  type ProtocolViolation,
  type ServerMessage,
} from '../protocol';
import { fetchIceServers } from './iceServers';
import { SessionMessaging, type GazeLink } from './messaging';
import { SignallingError, postOffer } from './signalling';

/** How long to wait for ICE candidates before sending the offer with those found so far. */
export const ICE_GATHERING_TIMEOUT_MS = 3000;
/** How long the data channel may take to open once the server has answered. */
export const CHANNEL_OPEN_TIMEOUT_MS = 10_000;
/** A "disconnected" connection often recovers by itself; give it this long before giving up. */
export const DISCONNECTED_GRACE_MS = 4000;

export interface PeerHandlers {
  onMessage(message: ServerMessage): void;
  onRemoteStream(stream: MediaStream): void;
  onRoundTrip(estimate: ClockEstimate): void;
  onProtocolViolation(violation: ProtocolViolation): void;
  /** The open connection ended (never called after `close()`). */
  onClosed(reason: string): void;
}

export interface PeerOptions {
  /** Where the server is, e.g. `http://localhost:3000`. */
  serverUrl: string;
  track: MediaStreamTrack;
  stream: MediaStream;
  config: ConfigOptions;
  clientVersion: string;
  /** The name in `hello` (default `gazertc-app`). */
  clientName?: string;
  signal?: AbortSignal;
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
  fetch?: typeof fetch;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
}

function waitForIceGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    };
    const onChange = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

function waitForOpen(
  channel: RTCDataChannel,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(abortError(signal));
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      channel.removeEventListener('open', onOpen);
      channel.removeEventListener('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    const onOpen = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(
        new SignallingError(
          'The server closed the connection while it was opening.',
          'unreachable',
          true,
        ),
      );
    };
    const onAbort = (): void => {
      cleanup();
      if (signal !== undefined) reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new SignallingError(
          'The server answered but the connection did not open: a firewall may block WebRTC between you and the server.',
          'unreachable',
          true,
        ),
      );
    }, timeoutMs);
    channel.addEventListener('open', onOpen);
    channel.addEventListener('close', onClose);
    signal?.addEventListener('abort', onAbort);
  });
}

/**
 * A session with the server. Created by `openPeer`, which owns it until the data channel opens;
 * `close()` is idempotent and removes every listener and timer it added.
 */
export class GazePeer implements GazeLink {
  readonly transport = 'webrtc';
  private started = false;
  private closed = false;
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  private sessionIdValue: string | null = null;
  private readonly messaging: SessionMessaging;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly channel: RTCDataChannel,
    private readonly handlers: PeerHandlers,
    /** The camera's sender, for pausing the video; null when unknown. */
    private readonly sender: RTCRtpSender | null = null,
  ) {
    this.messaging = new SessionMessaging(
      {
        isOpen: () => !this.closed && channel.readyState === 'open',
        sendText: (text) => channel.send(text),
      },
      handlers,
    );
    pc.addEventListener('track', this.onTrack);
    pc.addEventListener('connectionstatechange', this.onConnectionStateChange);
    channel.addEventListener('message', this.onChannelMessage);
    channel.addEventListener('close', this.onChannelClose);
  }

  /** The server's id for this session, once it has answered. */
  get sessionId(): string | null {
    return this.sessionIdValue;
  }

  /** The channel is open: say hello and start measuring the round trip. */
  start(sessionId: string, hello: ClientMessage): void {
    this.sessionIdValue = sessionId;
    this.started = true;
    this.messaging.start(hello);
  }

  send(message: ClientMessage): void {
    this.messaging.send(message);
  }

  setConfig(options: ConfigOptions): void {
    this.send(makeConfig(options));
  }

  /** Stop (null) or restart (the camera track) the outgoing video; the session stays open. */
  async sendVideo(track: MediaStreamTrack | null): Promise<void> {
    if (this.closed || this.sender === null) return;
    await this.sender.replaceTrack(track);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.messaging.stop();
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.pc.removeEventListener('track', this.onTrack);
    this.pc.removeEventListener('connectionstatechange', this.onConnectionStateChange);
    this.channel.removeEventListener('message', this.onChannelMessage);
    this.channel.removeEventListener('close', this.onChannelClose);
    this.channel.close();
    this.pc.close();
  }

  /** The connection ended by itself; only a started session reports it. */
  private end(reason: string): void {
    if (this.closed) return;
    this.close();
    if (this.started) this.handlers.onClosed(this.messaging.fatalMessage ?? reason);
  }

  private readonly onTrack = (event: RTCTrackEvent): void => {
    this.handlers.onRemoteStream(event.streams[0] ?? new MediaStream([event.track]));
  };

  private readonly onChannelMessage = (event: MessageEvent): void => {
    this.messaging.receive(event.data);
  };

  private readonly onChannelClose = (): void => {
    this.end('The server closed the session.');
  };

  private readonly onConnectionStateChange = (): void => {
    const state = this.pc.connectionState;
    if (state === 'failed' || state === 'closed') {
      this.end('The network connection to the server failed.');
    } else if (state === 'disconnected') {
      this.graceTimer ??= setTimeout(() => {
        this.graceTimer = null;
        if (this.pc.connectionState !== 'connected') {
          this.end('The connection to the server was interrupted.');
        }
      }, DISCONNECTED_GRACE_MS);
    } else if (state === 'connected' && this.graceTimer !== null) {
      clearTimeout(this.graceTimer);
      this.graceTimer = null;
    }
  };
}

/**
 * Connect to the server: ask it for STUN/TURN servers, offer the camera track (sendrecv, so
 * annotated video can come back) and a data channel, wait for ICE gathering (the server does not
 * trickle), exchange SDP, and wait for the channel to open.
 * @throws SignallingError when the server cannot be reached, refuses, or the connection does not
 *   open; the abort reason when `options.signal` is aborted.
 */
export async function openPeer(options: PeerOptions, handlers: PeerHandlers): Promise<GazePeer> {
  const { signal } = options;
  const create =
    options.createPeerConnection ?? ((configuration) => new RTCPeerConnection(configuration));
  const iceServers = await fetchIceServers(options.serverUrl, {
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(signal === undefined ? {} : { signal }),
  });
  const pc = create({ iceServers });
  let peer: GazePeer | null = null;
  try {
    const transceiver = pc.addTransceiver(options.track, {
      direction: 'sendrecv',
      streams: [options.stream],
    });
    const channel = pc.createDataChannel('gaze');
    peer = new GazePeer(pc, channel, handlers, transceiver.sender);
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIceGathering(pc, ICE_GATHERING_TIMEOUT_MS);
    if (signal?.aborted === true) throw abortError(signal);
    const offer = pc.localDescription;
    if (offer === null) throw new Error('the browser produced no local description');
    const answer = await postOffer(
      options.serverUrl,
      { sdp: offer.sdp, type: 'offer', options: options.config },
      {
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        ...(signal === undefined ? {} : { signal }),
      },
    );
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    await waitForOpen(channel, CHANNEL_OPEN_TIMEOUT_MS, signal);
    peer.start(
      answer.session_id,
      makeHello(
        options.clientVersion,
        options.config,
        options.clientName === undefined ? {} : { clientName: options.clientName },
      ),
    );
    return peer;
  } catch (error) {
    if (peer === null) pc.close();
    else peer.close();
    throw error;
  }
}
