// Which link a GazeClient opens: WebRTC, the WebSocket, or ('auto') WebRTC with the WebSocket as
// fallback when WebRTC does not connect in time. Once a client has fallen back it keeps to the
// WebSocket for its reconnects: the network that blocked WebRTC is still there.

import type { ConfigOptions } from '../protocol';
import {
  SignallingError,
  openPeer,
  openWebSocketLink,
  type GazeLink,
  type PeerHandlers,
  type PeerOptions,
} from '../rtc';
import { version } from '../version';
import { GazeClientError } from './errors';

export type TransportChoice = 'auto' | 'webrtc' | 'websocket';

/** 'auto': how long WebRTC may take before the WebSocket fallback (UDP blocked, no TURN). */
export const DEFAULT_WEBRTC_TIMEOUT_MS = 5000;
export const CLIENT_NAME = 'gazertc-client';

export interface TransportOptions {
  serverUrl: string;
  transport?: TransportChoice;
  webrtcTimeoutMs?: number;
  createPeerConnection?: PeerOptions['createPeerConnection'];
  createWebSocket?: (url: string) => WebSocket;
  fetch?: typeof fetch;
}

/** What one link is opened with: the camera, the hello's config, the link's callbacks. */
export interface LinkRequest {
  stream: MediaStream;
  track: MediaStreamTrack;
  config: ConfigOptions;
  handlers: PeerHandlers;
  signal: AbortSignal;
}

export class TransportOpener {
  private fellBackValue = false;

  /** `onNote` hears why the link is not the one asked for (shown as the state's detail). */
  constructor(
    private readonly options: TransportOptions,
    private readonly onNote: (detail: string) => void,
  ) {}

  /** Whether 'auto' has fallen back to the WebSocket since the last `reset()`. */
  get fellBack(): boolean {
    return this.fellBackValue;
  }

  /** A new start: try WebRTC first again. */
  reset(): void {
    this.fellBackValue = false;
  }

  open(request: LinkRequest): Promise<GazeLink> {
    const choice = this.options.transport ?? 'auto';
    if (choice === 'websocket') return this.openSocket(request);
    if (choice === 'webrtc') return this.openRtc(request, request.signal);
    const webrtcAvailable =
      this.options.createPeerConnection !== undefined || typeof RTCPeerConnection === 'function';
    if (!webrtcAvailable) {
      this.onNote('This browser has no WebRTC; using the WebSocket fallback.');
      return this.openSocket(request);
    }
    if (this.fellBackValue) return this.openSocket(request);
    return this.openWithFallback(request);
  }

  private common(request: LinkRequest) {
    return {
      serverUrl: this.options.serverUrl,
      stream: request.stream,
      config: request.config,
      clientVersion: version,
      clientName: CLIENT_NAME,
      ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
    };
  }

  private openSocket(request: LinkRequest): Promise<GazeLink> {
    const { createWebSocket } = this.options;
    return openWebSocketLink(
      {
        ...this.common(request),
        signal: request.signal,
        ...(createWebSocket === undefined ? {} : { createWebSocket }),
      },
      request.handlers,
    );
  }

  private openRtc(request: LinkRequest, signal: AbortSignal): Promise<GazeLink> {
    const { createPeerConnection } = this.options;
    return openPeer(
      {
        ...this.common(request),
        track: request.track,
        signal,
        ...(createPeerConnection === undefined ? {} : { createPeerConnection }),
      },
      request.handlers,
    );
  }

  private async openWithFallback(request: LinkRequest): Promise<GazeLink> {
    const { signal } = request;
    const timeoutMs = this.options.webrtcTimeoutMs ?? DEFAULT_WEBRTC_TIMEOUT_MS;
    const attempt = new AbortController();
    const onAbort = (): void => attempt.abort(signal.reason);
    signal.addEventListener('abort', onAbort);
    const timer = setTimeout(() => {
      attempt.abort(new GazeClientError('timeout', 'WebRTC did not connect in time.'));
    }, timeoutMs);
    try {
      return await this.openRtc(request, attempt.signal);
    } catch (error) {
      if (signal.aborted) throw error;
      // A refusal (origin, limits, bad request) would refuse the WebSocket too.
      if (error instanceof SignallingError && error.code !== 'unreachable') throw error;
      this.fellBackValue = true;
      const why = attempt.signal.aborted
        ? `WebRTC did not connect in ${timeoutMs / 1000} s`
        : `WebRTC failed (${error instanceof Error ? error.message : String(error)})`;
      this.onNote(`${why}; using the WebSocket fallback.`);
      return await this.openSocket(request);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
