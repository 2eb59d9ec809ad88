// GazeClient: the camera, a session with the server (WebRTC, or the WebSocket fallback), typed
// samples, events, recording and calibration, for any page. The web app builds on the same lower
// layers (rtc/, protocol/) with its own controller.
//
//   idle -> starting (camera) -> connecting -> live <-> paused
//                                    |           |
//                                    |      reconnecting -> live (a new session) | failed
//                                    +-> failed (the first connection failed: start() rejects)
//   any -> closed (stop())

import type { ProcedureOptions } from '../calibration/runner';
import { domTargetDisplay } from '../calibration/targets';
import {
  describeScreen,
  makeConfig,
  makeEvent,
  makeRecording,
  type CalibrationResultMessage,
  type ClientMessage,
  type ConfigOptions,
  type DriftStatusMessage,
  type OutputMode,
  type RecordingInfo,
  type ServerMessage,
  type StoredEvent,
  type ValidationResultMessage,
} from '../protocol';
import {
  CAMERA_ENDED,
  DEFAULT_BACKOFF,
  ReconnectingSession,
  SignallingError,
  cameraUnavailable,
  describeCameraError,
  videoConstraints,
  type BackoffPolicy,
  type CameraProblem,
  type GazeLink,
  type PeerHandlers,
  type PeerOptions,
} from '../rtc';
import {
  SessionCalibration,
  type CalibrateOptions,
  type DwellTarget,
  type SessionCalibrationHost,
} from './calibration';
import { ServerClock } from './clock';
import { GazeClientError } from './errors';
import { AnswerQueue } from './requests';
import { toGazeSample, viewportOrigin, type GazeSample } from './sample';
import { defaultServerUrl } from './serverUrl';
import { TransportOpener, type TransportChoice } from './transport';

export type ClientState =
  'idle' | 'starting' | 'connecting' | 'live' | 'reconnecting' | 'paused' | 'closed' | 'failed';

/** Distinct protocol warnings logged per client; past this a broken server would flood the console. */
const MAX_DISTINCT_WARNINGS = 20;

export interface GazeClientOptions {
  /** The server's URL; default: where the library was loaded from (`defaultServerUrl()`). */
  server?: string;
  transport?: TransportChoice;
  webrtcTimeoutMs?: number;
  camera?: { deviceId?: string; constraints?: MediaTrackConstraints };
  /** Sent in hello (output, status_interval_ms, ...). */
  config?: ConfigOptions;
  /** Reconnect with back-off after a live session is lost (default true). */
  reconnect?: boolean | BackoffPolicy;
  /** The screen reported to the server; default `window.screen`. */
  screen?: () => ConfigOptions['screen'];
  /** Stand-ins for the browser's objects (tests, embedding): */
  mediaDevices?: MediaDevices;
  createPeerConnection?: PeerOptions['createPeerConnection'];
  createWebSocket?: (url: string) => WebSocket;
  fetch?: typeof fetch;
}

type Listener<A extends unknown[]> = (...args: A) => void;

interface ListenerSets {
  sample: Set<Listener<[GazeSample]>>;
  state: Set<Listener<[ClientState, string | null]>>;
  message: Set<Listener<[ServerMessage]>>;
  drift: Set<Listener<[DriftStatusMessage]>>;
}

function cameraError(problem: CameraProblem): GazeClientError {
  return new GazeClientError(`camera_${problem.kind}`, problem.message);
}

function asClientError(error: unknown): GazeClientError {
  if (error instanceof GazeClientError) return error;
  if (error instanceof SignallingError) return new GazeClientError(error.code, error.message);
  return new GazeClientError('unreachable', error instanceof Error ? error.message : String(error));
}

export class GazeClient {
  private stateValue: ClientState = 'idle';
  private detail: string | null = null;
  private stream: MediaStream | null = null;
  private trackEndedCleanup: (() => void) | null = null;
  private session: ReconnectingSession<GazeLink> | null = null;
  private wentLive = false;
  private paused = false;
  private lastOpenError: unknown = null;
  private latest: GazeSample | null = null;
  private calibratedValue = false;
  private config: ConfigOptions;
  private startPromise: Promise<void> | null = null;
  private pendingStart: { resolve(): void; reject(error: GazeClientError): void } | null = null;
  private lifetime = new AbortController();
  private readonly clock = new ServerClock();
  private readonly events = new AnswerQueue<StoredEvent>('event');
  private readonly recordings = new AnswerQueue<RecordingInfo>('recording request');
  private readonly warned = new Set<string>();
  private readonly calibration = new SessionCalibration(() => this.procedureHost());
  private readonly listeners: ListenerSets = {
    sample: new Set(),
    state: new Set(),
    message: new Set(),
    drift: new Set(),
  };
  private readonly transports: TransportOpener;

  constructor(private readonly options: GazeClientOptions = {}) {
    this.config = { ...options.config };
    const { server, transport, webrtcTimeoutMs, createPeerConnection, createWebSocket } = options;
    this.transports = new TransportOpener(
      {
        serverUrl: server ?? defaultServerUrl(),
        ...(transport === undefined ? {} : { transport }),
        ...(webrtcTimeoutMs === undefined ? {} : { webrtcTimeoutMs }),
        ...(createPeerConnection === undefined ? {} : { createPeerConnection }),
        ...(createWebSocket === undefined ? {} : { createWebSocket }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      },
      (detail) => this.setState(this.stateValue, detail),
    );
  }

  get state(): ClientState {
    return this.stateValue;
  }
  get stateDetail(): string | null {
    return this.detail;
  }
  get transport(): 'webrtc' | 'websocket' | null {
    return this.session?.current?.transport ?? null;
  }
  get cameraStream(): MediaStream | null {
    return this.stream;
  }
  get sessionId(): string | null {
    return this.session?.current?.sessionId ?? null;
  }
  get latestSample(): GazeSample | null {
    return this.latest;
  }
  /** A calibration is in use: samples carry screen points (a poor fit not accepted is not). */
  get calibrated(): boolean {
    return this.calibratedValue;
  }
  /** The drift correction the server last reported in this session; null before any. */
  get driftStatus(): DriftStatusMessage | null {
    return this.calibration.driftStatus;
  }

  on(event: 'sample', listener: (sample: GazeSample) => void): () => void;
  on(event: 'state', listener: (state: ClientState, detail: string | null) => void): () => void;
  on(event: 'message', listener: (message: ServerMessage) => void): () => void;
  on(event: 'drift', listener: (status: DriftStatusMessage) => void): () => void;
  on(event: keyof ListenerSets, listener: Listener<never[]>): () => void {
    const set = this.listeners[event] as Set<Listener<never[]>>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  // -- lifecycle ----------------------------------------------------------------------------

  /** Ask for the camera and connect; resolves once the session is live. */
  start(): Promise<void> {
    if (this.startPromise !== null && !['closed', 'failed'].includes(this.stateValue)) {
      return this.startPromise;
    }
    this.lifetime = new AbortController();
    this.wentLive = false;
    this.transports.reset();
    this.startPromise = this.run();
    return this.startPromise;
  }

  /** Close the session and release the camera. Idempotent. */
  stop(): void {
    if (this.stateValue === 'closed' || this.stateValue === 'idle') return;
    this.shutDown(new GazeClientError('stopped', 'The client was stopped.'));
    this.setState('closed', null);
  }

  /** Stop sending video; the session stays open (resume() sends again). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    void this.session?.current?.sendVideo(null);
    if (this.stateValue === 'live') this.setState('paused', this.detail);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const track = this.stream?.getVideoTracks()[0] ?? null;
    if (track !== null) void this.session?.current?.sendVideo(track);
    if (this.stateValue === 'paused') this.setState('live', this.detail);
  }

  private async run(): Promise<void> {
    this.setState('starting', null);
    try {
      this.stream = await this.openCamera();
    } catch (error) {
      const failure = asClientError(error);
      this.setState('failed', failure.message);
      throw failure;
    }
    this.setState('connecting', null);
    const policy =
      typeof this.options.reconnect === 'object' ? this.options.reconnect : DEFAULT_BACKOFF;
    return new Promise<void>((resolve, reject) => {
      this.pendingStart = { resolve, reject };
      this.session = new ReconnectingSession<GazeLink>(
        this.openLink,
        {
          onAttempt: () =>
            this.setState(this.wentLive ? 'reconnecting' : 'connecting', this.detail),
          onOpen: () => {
            // A new session knows nothing of the last one: clock, calibration start afresh.
            this.clock.reset();
            this.calibratedValue = false;
            this.calibration.reset();
            if (this.paused) void this.session?.current?.sendVideo(null);
          },
          onLost: (problem, retryAtMs) => this.onLost(problem, retryAtMs),
          onFailed: (problem) => this.fail(asClientError(this.lastOpenError ?? problem)),
        },
        policy,
      );
      this.session.start();
    });
  }

  private async openCamera(): Promise<MediaStream> {
    // Absent on insecure pages and in old browsers, whatever the DOM types say.
    const browserDevices: MediaDevices | undefined =
      typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
    const devices = this.options.mediaDevices ?? browserDevices;
    if (devices?.getUserMedia === undefined) {
      throw cameraError(cameraUnavailable(typeof isSecureContext === 'boolean' && isSecureContext));
    }
    const { deviceId, constraints } = this.options.camera ?? {};
    const video =
      constraints === undefined
        ? videoConstraints(deviceId ?? null)
        : { ...constraints, ...(deviceId === undefined ? {} : { deviceId: { exact: deviceId } }) };
    let stream: MediaStream;
    try {
      stream = await devices.getUserMedia({ video, audio: false });
    } catch (error) {
      throw cameraError(describeCameraError(error));
    }
    const track = stream.getVideoTracks()[0];
    if (track === undefined) {
      throw cameraError(describeCameraError(new DOMException('', 'NotFoundError')));
    }
    const onEnded = (): void => this.fail(cameraError(CAMERA_ENDED));
    track.addEventListener('ended', onEnded);
    this.trackEndedCleanup = () => track.removeEventListener('ended', onEnded);
    return stream;
  }

  private onLost(problem: string, retryAtMs: number): void {
    if (!this.wentLive || this.options.reconnect === false) {
      // The first connection failed, or reconnecting is off: say why, and stop trying.
      this.fail(asClientError(this.lastOpenError ?? problem));
      return;
    }
    const seconds = Math.max(0, Math.round((retryAtMs - Date.now()) / 1000));
    this.setState('reconnecting', `${problem} Trying again in ${seconds} s.`);
  }

  private fail(error: GazeClientError): void {
    if (this.stateValue === 'closed' || this.stateValue === 'failed') return;
    this.shutDown(error);
    this.setState('failed', error.message);
  }

  private shutDown(error: GazeClientError): void {
    this.session?.stop();
    this.session = null;
    this.lifetime.abort(error);
    this.trackEndedCleanup?.();
    this.trackEndedCleanup = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.events.rejectAll(error);
    this.recordings.rejectAll(error);
    this.calibration.rejectAll(error);
    this.pendingStart?.reject(error);
    this.pendingStart = null;
  }

  private setState(state: ClientState, detail: string | null): void {
    if (state === this.stateValue && detail === this.detail) return;
    this.stateValue = state;
    this.detail = detail;
    for (const listener of [...this.listeners.state]) listener(state, detail);
  }

  // -- connecting ---------------------------------------------------------------------------

  private readonly openLink = async (
    signal: AbortSignal,
    onClosed: (reason: string) => void,
  ): Promise<GazeLink> => {
    try {
      const link = await this.openTransport(signal, onClosed);
      this.lastOpenError = null;
      return link;
    } catch (error) {
      this.lastOpenError = error;
      throw error;
    }
  };

  private async openTransport(
    signal: AbortSignal,
    onClosed: (reason: string) => void,
  ): Promise<GazeLink> {
    const stream = this.stream;
    const track = stream?.getVideoTracks()[0];
    if (stream === null || track === undefined) throw cameraError(CAMERA_ENDED);
    const handlers: PeerHandlers = {
      onMessage: (message) => this.onMessage(message),
      onRemoteStream: () => undefined,
      onRoundTrip: (estimate) => this.clock.add(estimate),
      onProtocolViolation: (violation) => this.warnOnce(violation.message),
      onClosed,
    };
    return this.transports.open({ stream, track, config: this.sessionConfig(), handlers, signal });
  }

  private sessionConfig(): ConfigOptions {
    const screen = this.config.screen ?? this.currentScreen();
    return { ...this.config, ...(screen === undefined ? {} : { screen }) };
  }

  private currentScreen(): ConfigOptions['screen'] {
    if (this.options.screen !== undefined) return this.options.screen();
    if (typeof window === 'undefined') return undefined;
    return describeScreen(window.screen.width, window.screen.height, window.devicePixelRatio);
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message) || this.warned.size >= MAX_DISTINCT_WARNINGS) return;
    this.warned.add(message);
    console.warn(`gazertc: ignored a message from the server: ${message}`);
  }

  // -- the session's messages ---------------------------------------------------------------

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'config':
        if (this.stateValue === 'connecting' || this.stateValue === 'reconnecting') {
          this.wentLive = true;
          this.setState(
            this.paused ? 'paused' : 'live',
            this.transports.fellBack ? this.detail : null,
          );
          this.pendingStart?.resolve();
          this.pendingStart = null;
        }
        break;
      case 'sample':
        this.session?.markHealthy();
        if (message.screen_point !== undefined) this.calibratedValue = true;
        this.latest = toGazeSample(
          message,
          (ns) => this.clock.pageMsAt(ns),
          typeof window === 'undefined' ? { xPx: 0, yPx: 0 } : viewportOrigin(window),
        );
        break;
      case 'calibration_result':
        // A poor fit waits for calibration_accept; the model in use, if any, stays.
        if (message.applied) this.calibratedValue = true;
        break;
      case 'event_ack':
        this.events.resolveNext(message.event);
        break;
      case 'recording_status':
        this.recordings.resolveNext(message.recording);
        break;
      case 'error':
        if (message.ref_type === 'event') {
          this.events.rejectNext(new GazeClientError(message.code, message.message));
        } else if (message.ref_type === 'recording') {
          this.recordings.rejectNext(new GazeClientError(message.code, message.message));
        }
        break;
      default:
        break;
    }
    this.calibration.handle(message);
    for (const listener of [...this.listeners.message]) listener(message);
    if (message.type === 'drift_status') {
      for (const listener of [...this.listeners.drift]) listener(message);
    }
    if (message.type === 'sample' && this.latest !== null) {
      const sample = this.latest;
      for (const listener of [...this.listeners.sample]) listener(sample);
    }
  }

  /** Send a message on the open session; false when not connected. */
  send(message: ClientMessage): boolean {
    const link = this.session?.current ?? null;
    if (link === null) return false;
    link.send(message);
    return true;
  }

  /** Change settings (kept for reconnects). */
  configure(options: ConfigOptions): void {
    this.config = { ...this.config, ...options };
    this.send(makeConfig(options));
  }

  setOutput(mode: OutputMode): void {
    this.configure({ output: mode });
  }

  /** Whether samples carry the 68 landmarks (default true; false: `landmarks_px` null, 1.3 KB less each). */
  setLandmarks(wanted: boolean): void {
    this.configure({ landmarks: wanted });
  }

  // -- events and recording -----------------------------------------------------------------

  /** Mark a moment (now, or `atPageMs` on performance.now()); resolves with the stored event. */
  markEvent(name: string, atPageMs?: number): Promise<StoredEvent> {
    const hasClock = this.clock.offsetMs !== null;
    const atMs = atPageMs ?? performance.now();
    // Without a clock estimate yet, the server's arrival time is the better one.
    const timestampUnixNs = hasClock ? Math.round(this.clock.serverUnixNsAt(atMs)) : undefined;
    return this.request(this.events, makeEvent(name, timestampUnixNs));
  }

  startRecording(name?: string): Promise<RecordingInfo> {
    return this.request(this.recordings, makeRecording('start', name));
  }

  stopRecording(): Promise<RecordingInfo> {
    return this.request(this.recordings, makeRecording('stop'));
  }

  private request<T>(queue: AnswerQueue<T>, message: ClientMessage): Promise<T> {
    if ((this.session?.current ?? null) === null) {
      return Promise.reject(
        new GazeClientError('not_connected', 'Not connected: call start() first.'),
      );
    }
    const answer = queue.expect();
    this.send(message);
    return answer;
  }

  // -- clock ----------------------------------------------------------------------------------

  /** Page performance.now() ms -> server clock Unix ns (ping/pong offset applied). */
  serverUnixNsAt(pageMs: number): number {
    return this.clock.serverUnixNsAt(pageMs);
  }

  pageMsAt(serverUnixNs: number): number {
    return this.clock.pageMsAt(serverUnixNs);
  }

  // -- calibration ----------------------------------------------------------------------------

  /**
   * Run a calibration; resolves with the server's report. A fit the server judges poor is not
   * applied (`applied: false`, no screen points from it) unless `acceptPoor` is true, which
   * sends calibration_accept and resolves with the applied report.
   */
  calibrate(options?: CalibrateOptions): Promise<CalibrationResultMessage> {
    return this.calibration.calibrate(options);
  }

  validate(options?: ProcedureOptions): Promise<ValidationResultMessage> {
    return this.calibration.validate(options);
  }

  /** Apply the last poor fit after all; resolves with its report, `applied: true`. */
  acceptCalibration(): Promise<CalibrationResultMessage> {
    return this.calibration.accept();
  }

  /** The user looked at `target` (viewport px) over these page times: corrects drift. */
  confirmDwell(
    target: DwellTarget,
    startPageMs: number,
    endPageMs: number,
  ): Promise<DriftStatusMessage> {
    return this.calibration.confirmDwell(target, startPageMs, endPageMs);
  }

  /** Drop the drift correction. */
  resetDrift(): Promise<DriftStatusMessage> {
    return this.calibration.resetDrift();
  }

  private procedureHost(): SessionCalibrationHost {
    return {
      send: (message) => this.send(message),
      onMessage: (listener) => this.on('message', listener),
      serverUnixNsAt: (pageMs) => this.clock.serverUnixNsAt(pageMs),
      clockOffsetMs: () => this.clock.offsetMs,
      viewportOrigin: () => viewportOrigin(window),
      viewport: () => ({ widthPx: window.innerWidth, heightPx: window.innerHeight }),
      createDisplay: () => domTargetDisplay(document),
      signal: this.lifetime.signal,
    };
  }
}
