// The app's behaviour, without React: the camera, the session with the server and the view
// settings. Components call its methods; everything it learns goes into the store.

import {
  describeScreen,
  type ClientMessage,
  type ClockEstimate,
  type ServerMessage,
  type ConfigOptions,
} from 'gazertc-client/protocol';
import {
  attemptStarted,
  cameraDevicesChanged,
  cameraFailed,
  cameraGranted,
  cameraOff,
  cameraRequested,
  connectRequested,
  connectionFailed,
  connectionLost,
  disconnected,
  mirroredChosen,
  outputForView,
  remoteStreamChanged,
  roundTripMeasured,
  serverMessageReceived,
  sessionEndedByHost,
  viewModeChosen,
  type AppState,
  type ViewMode,
} from '../store/appState';
import type { Store } from '../store/store';
import {
  CAMERA_ENDED,
  cameraDevices,
  cameraUnavailable,
  describeCameraError,
  grantedVideo,
  videoConstraints,
  openPeer,
  ReconnectingSession,
  type GazePeer,
  type PeerOptions,
  type BackoffPolicy,
} from 'gazertc-client/rtc';

/** Distinct protocol warnings logged per page; past this, a broken server would flood the console. */
const MAX_DISTINCT_WARNINGS = 20;

export interface ControllerOptions {
  store: Store<AppState>;
  /** The server's base URL; the page's own origin when the server serves the app. */
  serverUrl: string;
  /** `navigator.mediaDevices`: absent on insecure pages and in old browsers. */
  mediaDevices: MediaDevices | undefined;
  isSecureContext: boolean;
  clientVersion: string;
  /** The screen, reported to the server for calibration. */
  screen?: () => ConfigOptions['screen'];
  createPeerConnection?: PeerOptions['createPeerConnection'];
  fetch?: typeof fetch;
  backoff?: BackoffPolicy;
}

/** What the participant lets the host see (sent in every session's config). */
export interface ParticipantSharingChoice {
  /** The name or code the host sees instead of the anonymous id; null: none. */
  readonly participantLabel: string | null;
  /** A small camera thumbnail in the host's monitor (off unless the participant opts in). */
  readonly shareThumbnail: boolean;
}

/** What the server's latest config says the host sees of the participant. */
export interface SharedWithHost {
  /** The label the host sees (the participant's or one the host gave), null when none. */
  readonly label: string | null;
  readonly thumbnail: boolean;
}

/** A feature beyond the live view (e.g. calibration) following the session. */
export interface SessionListener {
  /** A session opened (the first, or after a reconnect): the server knows nothing of earlier ones. */
  onOpen?(): void;
  onMessage?(message: ServerMessage): void;
  /** A round trip was measured, with the server's clock offset. */
  onClock?(estimate: ClockEstimate): void;
}

export class AppController {
  private readonly store: Store<AppState>;
  private session: ReconnectingSession<GazePeer> | null = null;
  private cameraRequest = 0;
  private trackEndedCleanup: (() => void) | null = null;
  private deviceListCleanup: (() => void) | null = null;
  private readonly warned = new Set<string>();
  private readonly sessionListeners = new Set<SessionListener>();
  private sharingChoice: ParticipantSharingChoice = {
    participantLabel: null,
    shareThumbnail: false,
  };
  private hostView: SharedWithHost | null = null;
  /** Views drawing the landmarks now: the server sends them only while one does. */
  private landmarkViews = 0;

  constructor(private readonly options: ControllerOptions) {
    this.store = options.store;
  }

  // -- camera -------------------------------------------------------------------------------

  /** Ask for the camera (a specific one, or the browser's default). */
  async startCamera(deviceId: string | null = null): Promise<void> {
    const { mediaDevices } = this.options;
    const request = ++this.cameraRequest;
    if (mediaDevices?.getUserMedia === undefined) {
      this.store.update((state) =>
        cameraFailed(state, cameraUnavailable(this.options.isSecureContext)),
      );
      return;
    }
    this.releaseCamera();
    this.store.update(cameraRequested);
    let stream: MediaStream;
    try {
      stream = await mediaDevices.getUserMedia({ video: videoConstraints(deviceId), audio: false });
    } catch (error) {
      if (request === this.cameraRequest) {
        this.store.update((state) => cameraFailed(state, describeCameraError(error)));
      }
      return;
    }
    if (request !== this.cameraRequest) {
      // A newer request (or stopCamera) superseded this one while the browser was asking.
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (track === undefined) {
      this.store.update((state) =>
        cameraFailed(state, describeCameraError(new DOMException('', 'NotFoundError'))),
      );
      return;
    }
    const onEnded = (): void => this.onCameraEnded();
    track.addEventListener('ended', onEnded);
    this.trackEndedCleanup = () => track.removeEventListener('ended', onEnded);
    const devices = cameraDevices(await mediaDevices.enumerateDevices());
    if (request !== this.cameraRequest) return;
    this.store.update((state) => cameraGranted(state, stream, grantedVideo(track), devices));
    this.watchDeviceList(mediaDevices);
  }

  /** Release the camera and forget it. */
  stopCamera(): void {
    this.cameraRequest += 1;
    this.releaseCamera();
    this.store.update(cameraOff);
  }

  private releaseCamera(): void {
    this.trackEndedCleanup?.();
    this.trackEndedCleanup = null;
    for (const track of this.store.getState().camera.stream?.getTracks() ?? []) track.stop();
  }

  private onCameraEnded(): void {
    this.disconnect();
    this.releaseCamera();
    this.store.update((state) => cameraFailed(state, CAMERA_ENDED));
  }

  private watchDeviceList(mediaDevices: MediaDevices): void {
    if (this.deviceListCleanup !== null) return;
    const onChange = (): void => {
      void mediaDevices.enumerateDevices().then((list) => {
        this.store.update((state) => cameraDevicesChanged(state, cameraDevices(list)));
      });
    };
    mediaDevices.addEventListener('devicechange', onChange);
    this.deviceListCleanup = () => mediaDevices.removeEventListener('devicechange', onChange);
  }

  // -- session ------------------------------------------------------------------------------

  /** Start sending the camera to the server; reconnects by itself until `disconnect()`. */
  connect(): void {
    const { stream } = this.store.getState().camera;
    const track = stream?.getVideoTracks()[0];
    if (stream === null || track === undefined) return;
    this.session?.stop();
    this.store.update(connectRequested);
    let offeredConfig: ConfigOptions = {};
    const session = new ReconnectingSession<GazePeer>(
      (signal, onClosed) => {
        offeredConfig = this.sessionConfig();
        return openPeer(
          {
            serverUrl: this.options.serverUrl,
            track,
            stream,
            config: offeredConfig,
            clientVersion: this.options.clientVersion,
            signal,
            ...(this.options.createPeerConnection === undefined
              ? {}
              : { createPeerConnection: this.options.createPeerConnection }),
            ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
          },
          {
            onMessage: (message) => {
              if (message.type === 'sample') session.markHealthy();
              this.store.update((state) => serverMessageReceived(state, message));
              if (message.type === 'config') {
                this.hostView = {
                  label: message.participant_label ?? null,
                  thumbnail: message.share_thumbnail === true,
                };
              }
              if (message.type === 'error' && message.code === 'session_ended_by_host') {
                // The host's decision: reconnecting would undo it.
                session.stop();
                if (this.session === session) this.session = null;
                this.store.update((state) => sessionEndedByHost(state, message.message));
              }
              for (const listener of [...this.sessionListeners]) listener.onMessage?.(message);
            },
            onRemoteStream: (remote) =>
              this.store.update((state) => remoteStreamChanged(state, remote)),
            onRoundTrip: (estimate) => {
              this.store.update((state) => roundTripMeasured(state, estimate.roundTripMs));
              for (const listener of [...this.sessionListeners]) listener.onClock?.(estimate);
            },
            onProtocolViolation: (violation) => this.warnOnce(violation.message),
            onClosed,
          },
        );
      },
      {
        onAttempt: () => {
          this.hostView = null;
          this.store.update(attemptStarted);
        },
        onOpen: (peer) => {
          // The view may have changed while the connection was opening.
          const output = outputForView(this.store.getState().view.mode);
          if (output !== offeredConfig.output) peer.setConfig({ output });
          const landmarks = this.landmarksWanted;
          if (landmarks !== offeredConfig.landmarks) peer.setConfig({ landmarks });
          for (const listener of [...this.sessionListeners]) listener.onOpen?.();
        },
        onLost: (problem, retryAtMs) =>
          this.store.update((state) => connectionLost(state, problem, retryAtMs)),
        onFailed: (problem) => this.store.update((state) => connectionFailed(state, problem)),
      },
      this.options.backoff,
    );
    this.session = session;
    session.start();
  }

  /** Try again now instead of waiting for the scheduled retry. */
  retryNow(): void {
    this.session?.retryNow();
  }

  /** Close the session (the camera stays on, for the start screen's preview). */
  disconnect(): void {
    this.session?.stop();
    this.session = null;
    this.store.update(disconnected);
  }

  /** Follow the sessions (messages, clock, reconnects); returns the unsubscribe function. */
  addSessionListener(listener: SessionListener): () => void {
    this.sessionListeners.add(listener);
    return () => {
      this.sessionListeners.delete(listener);
    };
  }

  /** Send a message on the open session; false when there is none. */
  send(message: ClientMessage): boolean {
    const peer = this.session?.current ?? null;
    if (peer === null) return false;
    peer.send(message);
    return true;
  }

  /** A bad message can repeat 30 times a second: say so once per kind. */
  private warnOnce(message: string): void {
    if (this.warned.has(message) || this.warned.size >= MAX_DISTINCT_WARNINGS) return;
    this.warned.add(message);
    console.warn(`gazertc: ignored a message from the server: ${message}`);
  }

  private sessionConfig(): ConfigOptions {
    const screen = this.options.screen?.();
    const { participantLabel, shareThumbnail } = this.sharingChoice;
    return {
      output: outputForView(this.store.getState().view.mode),
      ...(screen === undefined ? {} : { screen }),
      ...(participantLabel === null ? {} : { participant_label: participantLabel }),
      ...(shareThumbnail ? { share_thumbnail: true } : {}),
      landmarks: this.landmarksWanted,
    };
  }

  /** What the server says the host sees now; null before its first config of this session. */
  get sharedWithHost(): SharedWithHost | null {
    return this.hostView;
  }

  /** What the participant shares with the host. */
  get sharing(): ParticipantSharingChoice {
    return this.sharingChoice;
  }

  /** Change what the participant shares; the open session hears of it at once. */
  setSharing(choice: ParticipantSharingChoice): void {
    this.sharingChoice = choice;
    this.session?.current?.setConfig({
      participant_label: choice.participantLabel,
      share_thumbnail: choice.shareThumbnail,
    });
  }

  // -- view ---------------------------------------------------------------------------------

  setViewMode(mode: ViewMode): void {
    this.store.update((state) => viewModeChosen(state, mode));
    this.session?.current?.setConfig({ output: outputForView(mode) });
  }

  /** Whether samples are to carry the landmarks: a view draws them. */
  get landmarksWanted(): boolean {
    return this.landmarkViews > 0;
  }

  /**
   * A view starts drawing the 68 landmarks: samples carry them (about 1.3 KB of each) until the
   * returned function is called. Without such a view they are left out.
   */
  drawLandmarks(): () => void {
    this.landmarkViews += 1;
    if (this.landmarkViews === 1) this.session?.current?.setConfig({ landmarks: true });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.landmarkViews -= 1;
      if (this.landmarkViews === 0) this.session?.current?.setConfig({ landmarks: false });
    };
  }

  setMirrored(mirrored: boolean): void {
    this.store.update((state) => mirroredChosen(state, mirrored));
  }

  // -- lifecycle ----------------------------------------------------------------------------

  /** Leaving the page: close the session, release the camera, drop every listener. */
  shutdown(): void {
    this.disconnect();
    this.stopCamera();
    this.deviceListCleanup?.();
    this.deviceListCleanup = null;
  }
}

/** The browser's screen in the protocol's shape. */
export function browserScreen(): ConfigOptions['screen'] {
  return describeScreen(window.screen.width, window.screen.height, window.devicePixelRatio);
}
