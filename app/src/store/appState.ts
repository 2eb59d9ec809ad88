// The app's state and its transitions: pure functions (state, event) -> state, so they can be
// tested without a browser. The controller (src/rtc/controller.ts) applies them to the store.

import type {
  ServerMessage,
  ErrorMessage,
  OutputMode,
  RecordingInfo,
  SampleMessage,
  StatusMessage,
} from 'gazertc-client/protocol';
import type { CameraDevice, CameraProblem, GrantedVideo } from 'gazertc-client/rtc';

export type CameraStatus = 'off' | 'requesting' | 'on' | 'failed';

/** The camera's records belong to the library's camera module; the app's state uses them. */
export type {
  CameraDevice,
  CameraProblem,
  CameraProblemKind,
  GrantedVideo,
} from 'gazertc-client/rtc';

export interface CameraState {
  status: CameraStatus;
  problem: CameraProblem | null;
  devices: readonly CameraDevice[];
  stream: MediaStream | null;
  granted: GrantedVideo | null;
}

/**
 * idle: not connected (start screen); connecting: an attempt is under way; live: samples are
 * arriving; lost: the connection failed or dropped, a retry is scheduled; failed: the server
 * refused in a way a retry cannot fix.
 */
export type ConnectionPhase = 'idle' | 'connecting' | 'live' | 'lost' | 'failed';

export interface ConnectionState {
  phase: ConnectionPhase;
  /** Consecutive attempts that did not reach live. */
  attempt: number;
  /** When the next attempt starts (`Date.now()` clock), while lost. */
  retryAtMs: number | null;
  /** Why the connection is lost or failed, in plain words. */
  problem: string | null;
  sessionId: string | null;
  /** The server can send annotated video in this session. */
  videoAvailable: boolean;
  /** The server's effective output mode. */
  output: OutputMode | null;
  /** The host ended the session from the monitor (failed, and not retried). */
  endedByHost: boolean;
}

/** overlay: the local camera with the overlay drawn here; server: the server's annotated video. */
export type ViewMode = 'overlay' | 'server';

export interface ViewState {
  mode: ViewMode;
  mirrored: boolean;
}

export interface LiveState {
  sample: SampleMessage | null;
  status: StatusMessage | null;
  samplesReceived: number;
  blinkCount: number;
  roundTripMs: number | null;
  /** The last non-fatal error the server reported. */
  lastServerError: ErrorMessage | null;
  remoteStream: MediaStream | null;
}

/** Who started or stopped a recording (recording_info's `started_by` and `stopped_by`). */
export type RecordingActor = NonNullable<RecordingInfo['stopped_by']>;

/**
 * The session's recording, as the server last described it: the participant's page shows it
 * on every page while it runs, and briefly once it has ended.
 */
export interface RecordingState {
  /** The latest `recording_status` of this session's recording; null before any. */
  info: RecordingInfo | null;
  /** The session ended while `info` still said recording: the recording ended with it. */
  endedWithSession: boolean;
  /** This page asked the server to stop the recording and no answer came yet. */
  stopRequested: boolean;
  /** Why the latest recording request from this page failed, in plain words. */
  problem: string | null;
  /** The notice of an ended recording has been shown long enough. */
  noticeExpired: boolean;
}

/**
 * Hands-free start (src/handsfree/). pending: not tried on this page load yet; trying: the camera
 * is being started without a click; started: it was, and tracking began; skipped: not opted in,
 * no camera permission yet, or the camera failed (the start screen is shown as usual).
 */
export type AutoStartOutcome = 'pending' | 'trying' | 'started' | 'skipped';

export interface HandsFreeState {
  /** "Start tracking when this page opens" is ticked (kept in localStorage). */
  autoStart: boolean;
  outcome: AutoStartOutcome;
}

export interface AppState {
  camera: CameraState;
  connection: ConnectionState;
  view: ViewState;
  live: LiveState;
  recording: RecordingState;
  handsFree: HandsFreeState;
}

export const INITIAL_LIVE: LiveState = {
  sample: null,
  status: null,
  samplesReceived: 0,
  blinkCount: 0,
  roundTripMs: null,
  lastServerError: null,
  remoteStream: null,
};

export const INITIAL_STATE: AppState = {
  camera: { status: 'off', problem: null, devices: [], stream: null, granted: null },
  connection: {
    phase: 'idle',
    attempt: 0,
    retryAtMs: null,
    problem: null,
    sessionId: null,
    videoAvailable: false,
    output: null,
    endedByHost: false,
  },
  view: { mode: 'overlay', mirrored: true },
  live: INITIAL_LIVE,
  recording: {
    info: null,
    endedWithSession: false,
    stopRequested: false,
    problem: null,
    noticeExpired: false,
  },
  handsFree: { autoStart: false, outcome: 'pending' },
};

/** The output mode to ask the server for in a view mode: the status panel needs samples too. */
export function outputForView(mode: ViewMode): OutputMode {
  return mode === 'server' ? 'both' : 'json';
}

// -- camera ---------------------------------------------------------------------------------

export function cameraRequested(state: AppState): AppState {
  return { ...state, camera: { ...state.camera, status: 'requesting', problem: null } };
}

export function cameraGranted(
  state: AppState,
  stream: MediaStream,
  granted: GrantedVideo,
  devices: readonly CameraDevice[],
): AppState {
  return {
    ...state,
    camera: { status: 'on', problem: null, devices, stream, granted },
  };
}

export function cameraFailed(state: AppState, problem: CameraProblem): AppState {
  return {
    ...state,
    camera: { ...state.camera, status: 'failed', problem, stream: null, granted: null },
  };
}

export function cameraDevicesChanged(state: AppState, devices: readonly CameraDevice[]): AppState {
  return { ...state, camera: { ...state.camera, devices } };
}

export function cameraOff(state: AppState): AppState {
  return {
    ...state,
    camera: { ...state.camera, status: 'off', problem: null, stream: null, granted: null },
  };
}

// -- connection -----------------------------------------------------------------------------

/**
 * The session ended: a recording the server still described as running ended with it (the
 * server saves a recording when its session ends; a new session starts none).
 */
function sessionEnded(recording: RecordingState): RecordingState {
  if (recording.info?.state !== 'recording' || recording.endedWithSession) return recording;
  return { ...recording, endedWithSession: true, stopRequested: false, noticeExpired: false };
}

/** The user asked to connect: fresh counters for the new run. */
export function connectRequested(state: AppState): AppState {
  return {
    ...state,
    connection: { ...INITIAL_STATE.connection, phase: 'connecting' },
    live: INITIAL_LIVE,
    recording: sessionEnded(state.recording),
  };
}

/** A new attempt starts (the first, or a retry). */
export function attemptStarted(state: AppState): AppState {
  return {
    ...state,
    connection: {
      ...state.connection,
      phase: 'connecting',
      retryAtMs: null,
      sessionId: null,
      output: null,
    },
    live: { ...state.live, sample: null, status: null, roundTripMs: null, remoteStream: null },
    recording: sessionEnded(state.recording),
  };
}

/** The attempt or session ended; another attempt starts at `retryAtMs`. */
export function connectionLost(state: AppState, problem: string, retryAtMs: number): AppState {
  return {
    ...state,
    connection: {
      ...state.connection,
      phase: 'lost',
      attempt: state.connection.attempt + 1,
      retryAtMs,
      problem,
    },
    live: { ...state.live, sample: null, status: null, roundTripMs: null, remoteStream: null },
    recording: sessionEnded(state.recording),
  };
}

/** The server refused in a way that retrying cannot fix. */
export function connectionFailed(state: AppState, problem: string): AppState {
  return {
    ...state,
    connection: { ...state.connection, phase: 'failed', retryAtMs: null, problem },
    live: { ...state.live, sample: null, status: null, roundTripMs: null, remoteStream: null },
    recording: sessionEnded(state.recording),
  };
}

/** The host ended the session from the monitor: `failed`, so nothing reconnects to it. */
export function sessionEndedByHost(state: AppState, problem: string): AppState {
  const failed = connectionFailed(state, problem);
  return { ...failed, connection: { ...failed.connection, endedByHost: true } };
}

export function disconnected(state: AppState): AppState {
  return {
    ...state,
    connection: INITIAL_STATE.connection,
    live: INITIAL_LIVE,
    recording: sessionEnded(state.recording),
  };
}

export function remoteStreamChanged(state: AppState, stream: MediaStream | null): AppState {
  return { ...state, live: { ...state.live, remoteStream: stream } };
}

export function roundTripMeasured(state: AppState, roundTripMs: number): AppState {
  return { ...state, live: { ...state.live, roundTripMs } };
}

function blinksEnded(sample: SampleMessage): number {
  let count = 0;
  for (const event of sample.blink_events) if (event.phase === 'end') count += 1;
  return count;
}

/** Apply one message from the server. */
export function serverMessageReceived(state: AppState, message: ServerMessage): AppState {
  switch (message.type) {
    case 'sample': {
      const connection =
        state.connection.phase === 'live'
          ? state.connection
          : { ...state.connection, phase: 'live' as const, attempt: 0, problem: null };
      return {
        ...state,
        connection,
        live: {
          ...state.live,
          sample: message,
          samplesReceived: state.live.samplesReceived + 1,
          blinkCount: state.live.blinkCount + blinksEnded(message),
        },
      };
    }
    case 'status':
      return { ...state, live: { ...state.live, status: message } };
    case 'config':
      return {
        ...state,
        connection: {
          ...state.connection,
          sessionId: message.session_id ?? state.connection.sessionId,
          videoAvailable: message.video_available ?? state.connection.videoAvailable,
          output: message.output ?? state.connection.output,
        },
      };
    case 'error': {
      const live = { ...state.live, lastServerError: message };
      if (message.ref_type !== 'recording') return { ...state, live };
      return {
        ...state,
        live,
        recording: { ...state.recording, stopRequested: false, problem: message.message },
      };
    }
    case 'recording_status':
      // Sent on every change, whoever made it (this page, the host, the server).
      return {
        ...state,
        recording: {
          info: message.recording,
          endedWithSession: false,
          stopRequested: false,
          problem: null,
          noticeExpired: false,
        },
      };
    default:
      // ping/pong are answered by the peer; events and fixations have no view yet.
      return state;
  }
}

// -- recording ------------------------------------------------------------------------------

/** Whether the session's recording runs (as far as this page knows). */
export function recordingRuns(recording: RecordingState): boolean {
  return recording.info?.state === 'recording' && !recording.endedWithSession;
}

/** The page asked the server to stop the recording; `sent` is false without an open session. */
export function recordingStopRequested(state: AppState, sent: boolean): AppState {
  return {
    ...state,
    recording: sent
      ? { ...state.recording, stopRequested: true, problem: null }
      : {
          ...state.recording,
          stopRequested: false,
          problem: 'Not connected to the server: the recording ends with the session.',
        },
  };
}

/** The notice of the ended recording `recordingId` has been shown long enough. */
export function recordingNoticeExpired(state: AppState, recordingId: string): AppState {
  const { recording } = state;
  if (
    recording.info?.recording_id !== recordingId ||
    recordingRuns(recording) ||
    recording.noticeExpired
  ) {
    return state;
  }
  return { ...state, recording: { ...recording, noticeExpired: true } };
}

// -- view -----------------------------------------------------------------------------------

export function viewModeChosen(state: AppState, mode: ViewMode): AppState {
  return state.view.mode === mode ? state : { ...state, view: { ...state.view, mode } };
}

export function autoStartChosen(state: AppState, autoStart: boolean): AppState {
  if (state.handsFree.autoStart === autoStart) return state;
  return { ...state, handsFree: { ...state.handsFree, autoStart } };
}

export function autoStartProgressed(state: AppState, outcome: AutoStartOutcome): AppState {
  if (state.handsFree.outcome === outcome) return state;
  return { ...state, handsFree: { ...state.handsFree, outcome } };
}

export function mirroredChosen(state: AppState, mirrored: boolean): AppState {
  return state.view.mirrored === mirrored ? state : { ...state, view: { ...state.view, mirrored } };
}
