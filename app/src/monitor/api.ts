// The monitor API over HTTP (docs/protocol.md, "Monitor"): every request carries the token in
// an Authorization header, and every answer is checked against the protocol schema.

import {
  protocolValidator,
  type DefinitionName,
  type Definitions,
  type EventRequest,
  type MonitorEvent,
  type MonitorLabelRequest,
  type MonitorNodeDrain,
  type MonitorRecordingInfo,
  type MonitorSession,
  type MonitorSessionEnded,
  type MonitorSessionList,
  type RecordingRequest,
} from 'gazertc-client/protocol';

type RequestBody = RecordingRequest | EventRequest | MonitorLabelRequest;

/**
 * Why a monitor request failed: `unauthorized` (no or wrong token), `unreachable` (no answer),
 * `refused` (a gazertc error such as not_found or recording_in_progress), `bad_response` (not
 * a gazertc answer).
 */
export type MonitorErrorKind = 'unauthorized' | 'unreachable' | 'refused' | 'bad_response';

export class MonitorError extends Error {
  override readonly name = 'MonitorError';

  constructor(
    message: string,
    readonly kind: MonitorErrorKind,
    /** The HTTP status, when an answer came. */
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface MonitorApiOptions {
  /** The server's origin, e.g. `http://127.0.0.1:3000`. */
  serverUrl: string;
  token: string;
  fetch?: typeof fetch;
}

export class MonitorApi {
  private readonly fetchImpl: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: MonitorApiOptions) {
    // Bound: a browser's fetch refuses to run with another `this`.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.serverUrl.endsWith('/') ? options.serverUrl : `${options.serverUrl}/`;
  }

  /** Every live session with its trace. */
  listSessions(signal?: AbortSignal): Promise<MonitorSessionList> {
    return this.request('GET', 'api/monitor/sessions', 'monitor_session_list', null, signal);
  }

  /** Start, stop (and save) or cancel a session's recording. */
  setRecording(
    anonId: string,
    request: RecordingRequest,
    signal?: AbortSignal,
  ): Promise<MonitorRecordingInfo> {
    return this.request(
      'POST',
      `api/monitor/sessions/${encodeURIComponent(anonId)}/recording`,
      'monitor_recording_info',
      request,
      signal,
    );
  }

  /** Mark a moment in a session (stored when it is being recorded). */
  addEvent(anonId: string, request: EventRequest, signal?: AbortSignal): Promise<MonitorEvent> {
    return this.request(
      'POST',
      `api/monitor/sessions/${encodeURIComponent(anonId)}/events`,
      'monitor_event',
      request,
      signal,
    );
  }

  /** Name a session's participant (null clears the name); the participant's page hears of it. */
  setLabel(anonId: string, label: string | null, signal?: AbortSignal): Promise<MonitorSession> {
    return this.request(
      'POST',
      `api/monitor/sessions/${encodeURIComponent(anonId)}/label`,
      'monitor_session',
      { participant_label: label },
      signal,
    );
  }

  /** End a session; its participant's page is told that the host ended it. */
  endSession(anonId: string, signal?: AbortSignal): Promise<MonitorSessionEnded> {
    return this.request(
      'POST',
      `api/monitor/sessions/${encodeURIComponent(anonId)}/end`,
      'monitor_session_ended',
      null,
      signal,
    );
  }

  /**
   * Drain a node (it takes no new sessions and finishes its own) or undrain it. This page's own
   * node applies it at once; another node takes it from the cluster's database a moment later.
   */
  setNodeDraining(
    name: string,
    draining: boolean,
    signal?: AbortSignal,
  ): Promise<MonitorNodeDrain> {
    return this.request(
      'POST',
      `api/monitor/nodes/${encodeURIComponent(name)}/${draining ? 'drain' : 'undrain'}`,
      'monitor_node_drain',
      null,
      signal,
    );
  }

  /**
   * The participant's camera thumbnail (a JPEG), or null when there is none to show: not
   * shared (any more), or no frame yet.
   * @throws MonitorError for anything else; the abort reason when `signal` is aborted.
   */
  async thumbnail(anonId: string, signal?: AbortSignal): Promise<Blob | null> {
    const path = `api/monitor/sessions/${encodeURIComponent(anonId)}/thumbnail`;
    const response = await this.send('GET', path, null, signal);
    const type = response.headers.get('Content-Type') ?? '';
    if (response.ok && type.startsWith('image/jpeg')) return response.blob();
    if (response.status === 404) return null;
    return this.refusal(response);
  }

  /**
   * @throws MonitorError; the abort reason when `signal` is aborted.
   */
  private async send(
    method: 'GET' | 'POST',
    path: string,
    body: RequestBody | null,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const url = new URL(path, this.base).toString();
    const headers: Record<string, string> = { Authorization: `Bearer ${this.options.token}` };
    if (body !== null) headers['Content-Type'] = 'application/json';
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        cache: 'no-store',
        ...(body === null ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch {
      if (signal?.aborted === true) throw signal.reason;
      throw new MonitorError(
        'The gazertc server is not answering. Is it still running?',
        'unreachable',
      );
    }
  }

  /**
   * @throws MonitorError; the abort reason when `signal` is aborted.
   */
  private async request<K extends DefinitionName>(
    method: 'GET' | 'POST',
    path: string,
    definition: K,
    body: RequestBody | null,
    signal: AbortSignal | undefined,
  ): Promise<Definitions[K]> {
    const response = await this.send(method, path, body, signal);
    if (!response.ok) await this.refusal(response);
    let answer: unknown = null;
    try {
      answer = await response.json();
    } catch {
      // Not JSON: described below.
    }
    if (!protocolValidator().isValid(definition, answer)) {
      throw new MonitorError(
        `The server's answer is not a valid ${definition}.`,
        'bad_response',
        response.status,
      );
    }
    return answer;
  }

  /**
   * Throws the MonitorError that a failed answer stands for.
   * @throws MonitorError always.
   */
  private async refusal(response: Response): Promise<never> {
    let answer: unknown = null;
    try {
      answer = await response.json();
    } catch {
      // Not JSON: described below.
    }
    const error = protocolValidator().isValid('error', answer) ? answer : null;
    const message = error?.message ?? null;
    // 401: no token; 403 without ref_type: a token that does not open the monitor. A 403 with
    // ref_type is a refused action (a host start under --no-host-recording), not the token.
    const tokenRefused =
      response.status === 401 || (response.status === 403 && error?.ref_type === undefined);
    if (tokenRefused) {
      throw new MonitorError(
        message ?? 'The monitor token was refused.',
        'unauthorized',
        response.status,
      );
    }
    if (message !== null) throw new MonitorError(message, 'refused', response.status);
    throw new MonitorError(
      `The server answered HTTP ${response.status} without a gazertc error.`,
      'bad_response',
      response.status,
    );
  }
}
