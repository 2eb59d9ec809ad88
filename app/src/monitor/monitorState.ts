// The monitor page's state and its pure transitions (no I/O: MonitorController does that).

import type { MonitorSession, MonitorSessionList } from 'gazertc-client/protocol';
import type { MonitorError } from './api';
import { INITIAL_NODES_STATE, nodesReceived, type NodesState } from './nodesState';

/**
 * `no_token`: the URL has no token; `connecting`: before the first answer; `live`: polling;
 * `unauthorized`: the server refused the token (polling stops); `unreachable`: no answer
 * (retrying); `failed`: an answer that is not a session list.
 */
export type MonitorPhase =
  'no_token' | 'connecting' | 'live' | 'unauthorized' | 'unreachable' | 'failed';

/** The outcome of the latest action on one session (recording, event). */
export interface SessionFeedback {
  readonly busy: boolean;
  readonly message: string | null;
  readonly isError: boolean;
}

/** The sessions of every live node, and the nodes themselves (NodesState). */
export interface MonitorState extends NodesState {
  readonly phase: MonitorPhase;
  /** What went wrong, in words, for the phases that need it. */
  readonly problem: string | null;
  /** Anonymised ids in the server's order; the same array while the set does not change. */
  readonly sessionIds: readonly string[];
  readonly sessions: Readonly<Record<string, MonitorSession>>;
  /** The server's clock when the latest list was made (for the age of trace points). */
  readonly serverTimeUnixNs: number | null;
  /** Whether the server lets the host start recordings (false under --no-host-recording). */
  readonly hostRecordingAllowed: boolean;
  readonly feedback: Readonly<Record<string, SessionFeedback>>;
  /** What the latest page-wide action did (a session ended), for the page's status line. */
  readonly notice: string | null;
}

export const INITIAL_MONITOR_STATE: MonitorState = {
  phase: 'connecting',
  problem: null,
  sessionIds: [],
  sessions: {},
  serverTimeUnixNs: null,
  hostRecordingAllowed: true,
  feedback: {},
  notice: null,
  ...INITIAL_NODES_STATE,
};

/** How the monitor names a session: the participant's label, else its anonymous id. */
export function sessionName(session: MonitorSession): string {
  return session.participant_label ?? session.anon_id;
}

/** A fresh start, with or without a token in the URL. */
export function monitorStarted(hasToken: boolean): MonitorState {
  return { ...INITIAL_MONITOR_STATE, phase: hasToken ? 'connecting' : 'no_token' };
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

export function listReceived(state: MonitorState, list: MonitorSessionList): MonitorState {
  const ids = list.sessions.map((session) => session.anon_id);
  const sessions: Record<string, MonitorSession> = {};
  for (const session of list.sessions) sessions[session.anon_id] = session;
  // Feedback of sessions that ended goes with them.
  const feedback: Record<string, SessionFeedback> = {};
  for (const id of ids) {
    const kept = state.feedback[id];
    if (kept !== undefined) feedback[id] = kept;
  }
  return {
    ...state,
    phase: 'live',
    problem: null,
    sessionIds: sameIds(ids, state.sessionIds) ? state.sessionIds : ids,
    sessions,
    serverTimeUnixNs: list.server_time_unix_ns,
    hostRecordingAllowed: list.host_recording_allowed,
    feedback,
    ...nodesReceived(state, list),
  };
}

export function listFailed(state: MonitorState, error: MonitorError): MonitorState {
  if (error.kind === 'unauthorized') {
    // Other people's sessions are not shown to someone whose token no longer works.
    return { ...monitorStarted(true), phase: 'unauthorized', problem: error.message };
  }
  return {
    ...state,
    phase: error.kind === 'unreachable' ? 'unreachable' : 'failed',
    problem: error.message,
  };
}

/** The host ended a session: it leaves the page at once (the next list would drop it too). */
export function sessionEnded(state: MonitorState, anonId: string, notice: string): MonitorState {
  const others = <T>(byId: Readonly<Record<string, T>>): Record<string, T> =>
    Object.fromEntries(Object.entries(byId).filter(([id]) => id !== anonId));
  const sessions = others(state.sessions);
  const feedback = others(state.feedback);
  return {
    ...state,
    sessionIds: state.sessionIds.filter((id) => id !== anonId),
    sessions,
    feedback,
    notice,
  };
}

export function actionStarted(state: MonitorState, anonId: string): MonitorState {
  return {
    ...state,
    feedback: { ...state.feedback, [anonId]: { busy: true, message: null, isError: false } },
  };
}

export function actionFinished(
  state: MonitorState,
  anonId: string,
  message: string,
  isError: boolean,
): MonitorState {
  return {
    ...state,
    feedback: { ...state.feedback, [anonId]: { busy: false, message, isError } },
  };
}
