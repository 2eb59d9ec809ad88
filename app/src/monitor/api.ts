// The monitor API over HTTP (docs/protocol.md, "Monitor"): every request carries the token in
// an Authorization header, and every answer is checked against the protocol schema.

import type {
  EventRequest,
  MonitorEvent,
  MonitorNodeDrain,
  MonitorRecordingInfo,
  MonitorSession,
  MonitorSessionEnded,
  MonitorSessionList,
  RecordingRequest,
} from 'gazertc-client/protocol';

import { HostHttp, type HostHttpOptions } from './hostHttp';

export { MonitorError, type MonitorErrorKind } from './hostHttp';

export type MonitorApiOptions = HostHttpOptions;

export class MonitorApi {
  private readonly http: HostHttp;

  constructor(options: MonitorApiOptions) {
    this.http = new HostHttp(options);
  }

  /** Every live session with its trace. */
  listSessions(signal?: AbortSignal): Promise<MonitorSessionList> {
    return this.http.request('GET', 'api/monitor/sessions', 'monitor_session_list', null, signal);
  }

  /** Start, stop (and save) or cancel a session's recording. */
  setRecording(
    anonId: string,
    request: RecordingRequest,
    signal?: AbortSignal,
  ): Promise<MonitorRecordingInfo> {
    return this.http.request(
      'POST',
      `api/monitor/sessions/${encodeURIComponent(anonId)}/recording`,
      'monitor_recording_info',
      request,
      signal,
    );
  }

  /** Mark a moment in a session (stored when it is being recorded). */
  addEvent(anonId: string, request: EventRequest, signal?: AbortSignal): Promise<MonitorEvent> {
    return this.http.request(
      'POST',
      `api/monitor/sessions/${encodeURIComponent(anonId)}/events`,
      'monitor_event',
      request,
      signal,
    );
  }

  /** Name a session's participant (null clears the name); the participant's page hears of it. */
  setLabel(anonId: string, label: string | null, signal?: AbortSignal): Promise<MonitorSession> {
    return this.http.request(
      'POST',
      `api/monitor/sessions/${encodeURIComponent(anonId)}/label`,
      'monitor_session',
      { participant_label: label },
      signal,
    );
  }

  /** End a session; its participant's page is told that the host ended it. */
  endSession(anonId: string, signal?: AbortSignal): Promise<MonitorSessionEnded> {
    return this.http.request(
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
    return this.http.request(
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
    const response = await this.http.send('GET', path, null, signal);
    const type = response.headers.get('Content-Type') ?? '';
    if (response.ok && type.startsWith('image/jpeg')) return response.blob();
    if (response.status === 404) return null;
    return this.http.refusal(response);
  }
}
