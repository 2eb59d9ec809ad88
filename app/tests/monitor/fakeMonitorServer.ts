// A stand-in for the server's monitor API with the real HTTP interface (fetch): it checks the
// bearer token, answers the schema's bodies and records what it was asked.

import type {
  MonitorLabelRequest,
  MonitorSession,
  MonitorSessionList,
  RecordingRequest,
} from 'gazertc-client/protocol';
import { fixture } from '../fixtures';

export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | null;
  body: unknown;
}

const RECORDING_ID = '0123456789abcdef0123456789abcdef';
const LIST_PATH = '/api/monitor/sessions';
/** Not a real picture: the page only hands the bytes to an <img>. */
const THUMBNAIL_BYTES = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

function error(code: string, message: string, status: number): Response {
  return json({ v: 1, type: 'error', code, message, fatal: true }, status);
}

export class FakeMonitorServer {
  readonly requests: SeenRequest[] = [];
  list: MonitorSessionList = structuredClone(
    fixture('monitor_session_list.two_sessions.json'),
  ) as MonitorSessionList;
  /** When set, the next requests fail as a network error would. */
  down = false;
  /** When set, the list answers this instead of a valid body. */
  junk: unknown = null;

  constructor(readonly token: string) {}

  get listRequests(): number {
    return this.requests.filter(
      (request) => request.method === 'GET' && new URL(request.url).pathname === LIST_PATH,
    ).length;
  }

  get thumbnailRequests(): number {
    return this.requests.filter((request) => request.url.endsWith('/thumbnail')).length;
  }

  session(anonId: string): MonitorSession {
    const found = this.list.sessions.find((session) => session.anon_id === anonId);
    if (found === undefined) throw new Error(`no session ${anonId}`);
    return found;
  }

  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const headers = new Headers(init?.headers);
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : null;
    const method = init?.method ?? 'GET';
    this.requests.push({
      method,
      url: url.toString(),
      authorization: headers.get('Authorization'),
      body,
    });
    if (init?.signal?.aborted === true)
      return Promise.reject(new DOMException('aborted', 'AbortError'));
    if (this.down) return Promise.reject(new TypeError('Failed to fetch'));
    return Promise.resolve(this.answer(method, url.pathname, headers, body));
  };

  private answer(method: string, path: string, headers: Headers, body: unknown): Response {
    const authorization = headers.get('Authorization');
    if (authorization === null) return error('unauthorized', 'no token', 401);
    if (authorization !== `Bearer ${this.token}`) {
      return error('forbidden', 'wrong monitor token', 403);
    }
    if (method === 'GET' && path === LIST_PATH) {
      return json(this.junk ?? this.list);
    }
    const match =
      /^\/api\/monitor\/sessions\/([0-9a-f]+)\/(recording|events|label|end|thumbnail)$/.exec(path);
    const session = this.list.sessions.find((entry) => entry.anon_id === match?.[1]);
    if (match?.[2] === 'thumbnail' && method === 'GET' && session !== undefined) {
      if (!session.thumbnail_shared) return error('not_found', 'not shared', 404);
      return new Response(THUMBNAIL_BYTES, { headers: { 'Content-Type': 'image/jpeg' } });
    }
    if (method !== 'POST' || match === null || session === undefined) {
      return error('not_found', `no live session ${match?.[1] ?? path}`, 404);
    }
    if (match[2] === 'label') {
      const { participant_label: label } = body as MonitorLabelRequest;
      session.participant_label = label === null ? null : label.trim();
      return json(session);
    }
    if (match[2] === 'end') {
      this.list.sessions = this.list.sessions.filter((entry) => entry !== session);
      return json({ anon_id: session.anon_id, state: 'closed' });
    }
    if (match[2] === 'events') {
      const { name } = body as { name: string };
      return json({
        anon_id: session.anon_id,
        name,
        timestamp_unix_ns: 1767225600000000000,
        received_unix_ns: 1767225600000000000,
        source: 'arrival',
        recording_id: session.recording_id,
      });
    }
    const { action } = body as RecordingRequest;
    if (action === 'start' && session.recording === 'recording') {
      return error('recording_in_progress', 'a recording is already running', 409);
    }
    if (action !== 'start' && session.recording !== 'recording') {
      return error('not_recording', 'no recording is running in this session', 409);
    }
    session.recording = action === 'start' ? 'recording' : 'idle';
    session.recording_id = action === 'start' ? RECORDING_ID : null;
    return json({
      anon_id: session.anon_id,
      recording_id: RECORDING_ID,
      name: null,
      state: action === 'start' ? 'recording' : 'saved',
      started_unix_ns: 1767225600000000000,
      stopped_unix_ns: action === 'start' ? null : 1767225660000000000,
      sample_count: action === 'start' ? 0 : 1500,
      event_count: action === 'start' ? 0 : 2,
      started_by: 'host',
      stopped_by: action === 'start' ? null : 'host',
    });
  }
}
