// The monitor's behaviour, without React: polls the session list a few times a second, runs the
// recording, event and drain actions, and writes everything to its store.

import type { Store } from '../store/store';
import { MonitorApi, MonitorError } from './api';
import {
  actionFinished,
  actionStarted,
  listFailed,
  listReceived,
  monitorStarted,
  sessionEnded,
  sessionName,
  type MonitorState,
} from './monitorState';
import { drainAnswered, nodeActionFailed, nodeActionStarted } from './nodesState';

/** 3 Hz: a trace that moves, at about 10 KB/s per session. */
export const POLL_INTERVAL_MS = 333;
/** Slower while the server does not answer. */
export const RETRY_INTERVAL_MS = 2000;

export interface MonitorControllerOptions {
  store: Store<MonitorState>;
  /** The server's origin. */
  serverUrl: string;
  /** From the URL fragment; null when there is none (nothing is requested then). */
  token: string | null;
  fetch?: typeof fetch;
  pollIntervalMs?: number;
  retryIntervalMs?: number;
}

function asMonitorError(error: unknown): MonitorError {
  return error instanceof MonitorError
    ? error
    : new MonitorError(error instanceof Error ? error.message : String(error), 'bad_response');
}

function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

export class MonitorController {
  private readonly store: Store<MonitorState>;
  private readonly api: MonitorApi | null;
  private readonly pollIntervalMs: number;
  private readonly retryIntervalMs: number;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private polling = false;
  private pollAgain = false;
  /** Aborted by stop(): every request in progress listens to it. */
  private lifetime = new AbortController();

  constructor(options: MonitorControllerOptions) {
    this.store = options.store;
    this.api =
      options.token === null
        ? null
        : new MonitorApi({
            serverUrl: options.serverUrl,
            token: options.token,
            ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
          });
    this.pollIntervalMs = options.pollIntervalMs ?? POLL_INTERVAL_MS;
    this.retryIntervalMs = options.retryIntervalMs ?? RETRY_INTERVAL_MS;
  }

  /** Begin polling (idempotent; may follow stop()). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lifetime = new AbortController();
    this.store.update(() => monitorStarted(this.api !== null));
    if (this.api !== null) void this.poll();
  }

  /** Stop polling and abandon requests in progress (idempotent). */
  stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pollAgain = false;
    this.polling = false;
    this.lifetime.abort(new DOMException('the monitor stopped', 'AbortError'));
  }

  /** Poll now rather than at the next tick (after an action, so its effect shows at once). */
  refreshNow(): void {
    if (!this.running || this.api === null) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    void this.poll();
  }

  private async poll(): Promise<void> {
    const api = this.api;
    // The lifetime this poll belongs to: after stop() (and a new start()) it only winds down.
    const lifetime = this.lifetime.signal;
    // A call, not a property read: TypeScript would keep `aborted` narrowed across the await.
    const ended = (): boolean => lifetime.aborted;
    if (api === null || ended()) return;
    this.timer = null;
    this.polling = true;
    let delayMs = this.pollIntervalMs;
    try {
      const list = await api.listSessions(lifetime);
      if (ended()) return;
      this.store.update((state) => listReceived(state, list));
    } catch (error) {
      if (ended()) return;
      const failure = asMonitorError(error);
      this.store.update((state) => listFailed(state, failure));
      // A refused token will not become right by asking again.
      if (failure.kind === 'unauthorized') return;
      delayMs = this.retryIntervalMs;
    } finally {
      if (this.lifetime.signal === lifetime) this.polling = false;
    }
    if (this.pollAgain) {
      this.pollAgain = false;
      void this.poll();
    } else {
      this.timer = setTimeout(() => void this.poll(), delayMs);
    }
  }

  /** Start or stop (and save) a session's recording; the outcome goes to its feedback. */
  /** `video`: also store the participant's camera video (starts only; off unless asked). */
  async setRecording(anonId: string, action: 'start' | 'stop', video = false): Promise<void> {
    await this.act(anonId, async (api, signal) => {
      const request = action === 'start' && video ? { action, video: true } : { action };
      const info = await api.setRecording(anonId, request, signal);
      const id = shortId(info.recording_id);
      return action === 'start'
        ? `Recording ${id} started${video ? ' with video' : ''}.`
        : `Recording ${id} saved: ${counted(info.sample_count, 'sample')}, ${counted(info.event_count, 'event')}.`;
    });
  }

  /** Add an event to a session; resolves true when the server took it. */
  addEvent(anonId: string, name: string): Promise<boolean> {
    return this.act(anonId, async (api, signal) => {
      const event = await api.addEvent(anonId, { name }, signal);
      return event.recording_id === null
        ? `Event “${event.name}” marked (not stored: no recording runs).`
        : `Event “${event.name}” added to recording ${shortId(event.recording_id)}.`;
    });
  }

  /** Name a session's participant (null clears it); resolves true when the server took it. */
  setLabel(anonId: string, label: string | null): Promise<boolean> {
    return this.act(anonId, async (api, signal) => {
      const session = await api.setLabel(anonId, label, signal);
      return session.participant_label === null
        ? 'Name cleared.'
        : `Named “${session.participant_label}”.`;
    });
  }

  /** End a session: the participant's page says the host ended it, and it does not reconnect. */
  endSession(anonId: string): Promise<boolean> {
    const session = this.store.getState().sessions[anonId];
    const name = session === undefined ? anonId : sessionName(session);
    return this.act(anonId, async (api, signal) => {
      await api.endSession(anonId, signal);
      const notice = `Ended the session of ${name}.`;
      if (!signal.aborted) this.store.update((state) => sessionEnded(state, anonId, notice));
      return notice;
    });
  }

  /**
   * The participant's camera thumbnail, or null when there is none to show (not shared, no frame
   * yet, or the request failed: the card just shows no picture).
   */
  async thumbnail(anonId: string, signal: AbortSignal): Promise<Blob | null> {
    if (this.api === null || !this.running) return null;
    try {
      return await this.api.thumbnail(anonId, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      return null;
    }
  }

  /** Drain a node of the cluster, or undrain it; the outcome goes to the node's feedback. */
  async setNodeDraining(name: string, draining: boolean): Promise<boolean> {
    const api = this.api;
    if (api === null || !this.running) return false;
    const signal = this.lifetime.signal;
    this.store.update((state) => nodeActionStarted(state, name));
    try {
      const answer = await api.setNodeDraining(name, draining, signal);
      if (signal.aborted) return true;
      this.store.update((state) => drainAnswered(state, answer));
    } catch (error) {
      if (signal.aborted) return false;
      const failure = asMonitorError(error);
      this.store.update((state) =>
        failure.kind === 'unauthorized'
          ? listFailed(state, failure)
          : nodeActionFailed(state, name, failure.message),
      );
      return false;
    }
    this.refreshNow();
    return true;
  }

  private async act(
    anonId: string,
    run: (api: MonitorApi, signal: AbortSignal) => Promise<string>,
  ): Promise<boolean> {
    const api = this.api;
    if (api === null || !this.running) return false;
    const signal = this.lifetime.signal;
    this.store.update((state) => actionStarted(state, anonId));
    let succeeded = false;
    try {
      const message = await run(api, signal);
      succeeded = true;
      if (signal.aborted) return succeeded;
      this.store.update((state) => actionFinished(state, anonId, message, false));
    } catch (error) {
      if (signal.aborted) return false;
      const failure = asMonitorError(error);
      if (failure.kind === 'unauthorized') {
        this.store.update((state) => listFailed(state, failure));
        return false;
      }
      this.store.update((state) => actionFinished(state, anonId, failure.message, true));
    }
    this.refreshNow();
    return succeeded;
  }
}
