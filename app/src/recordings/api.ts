// The stored recordings over HTTP (docs/protocol.md, "Recordings"), for the host: every request
// carries the host token in an Authorization header, so exports and videos are fetched as blobs
// (a plain link could not carry it).

import {
  protocolValidator,
  type RecordingList,
  type RecordingReplay,
  type RecordingSummary,
} from 'gazertc-client/protocol';
import { MonitorError } from '../monitor/api';

/** The export formats of GET /api/recordings/{id}/export (srv/gazertc/server/recordings_api.py). */
export const EXPORT_FORMATS = ['csv', 'bids'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface RecordingsApiOptions {
  /** The server's origin, e.g. `http://127.0.0.1:3000`. */
  serverUrl: string;
  token: string;
  fetch?: typeof fetch;
}

export class RecordingsApi {
  private readonly fetchImpl: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: RecordingsApiOptions) {
    // Bound: a browser's fetch refuses to run with another `this`.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.serverUrl.endsWith('/') ? options.serverUrl : `${options.serverUrl}/`;
  }

  /** Every stored recording, oldest first. */
  async list(signal?: AbortSignal): Promise<RecordingList> {
    const answer = await this.json('api/recordings', signal);
    if (!protocolValidator().isValid('recording_list', answer)) throw this.invalid('list');
    return answer;
  }

  async summary(recordingId: string, signal?: AbortSignal): Promise<RecordingSummary> {
    const answer = await this.json(`${this.path(recordingId)}/summary`, signal);
    if (!protocolValidator().isValid('recording_summary', answer)) throw this.invalid('summary');
    return answer;
  }

  async replay(recordingId: string, signal?: AbortSignal): Promise<RecordingReplay> {
    const answer = await this.json(`${this.path(recordingId)}/replay`, signal);
    if (!protocolValidator().isValid('recording_replay', answer)) throw this.invalid('replay');
    return answer;
  }

  /** The recording exported as `format`: a zip. */
  async exportZip(recordingId: string, format: ExportFormat, signal?: AbortSignal): Promise<Blob> {
    const response = await this.get(`${this.path(recordingId)}/export?format=${format}`, signal);
    return response.blob();
  }

  /** The participant's camera video kept with the recording. */
  async video(recordingId: string, signal?: AbortSignal): Promise<Blob> {
    return (await this.get(`${this.path(recordingId)}/video`, signal)).blob();
  }

  private path(recordingId: string): string {
    return `api/recordings/${encodeURIComponent(recordingId)}`;
  }

  private invalid(what: string): MonitorError {
    return new MonitorError(`The server's recording ${what} is not valid.`, 'bad_response');
  }

  private async json(path: string, signal: AbortSignal | undefined): Promise<unknown> {
    const response = await this.get(path, signal);
    try {
      return await response.json();
    } catch {
      throw new MonitorError('The server answered without JSON.', 'bad_response', response.status);
    }
  }

  /**
   * @throws MonitorError; the abort reason when `signal` is aborted.
   */
  private async get(path: string, signal: AbortSignal | undefined): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(new URL(path, this.base).toString(), {
        headers: { Authorization: `Bearer ${this.options.token}` },
        cache: 'no-store',
        ...(signal === undefined ? {} : { signal }),
      });
    } catch {
      if (signal?.aborted === true) throw signal.reason;
      throw new MonitorError(
        'The gazertc server is not answering. Is it still running?',
        'unreachable',
      );
    }
    if (response.ok) return response;
    let answer: unknown = null;
    try {
      answer = await response.json();
    } catch {
      // Not JSON: described below.
    }
    const error = protocolValidator().isValid('error', answer) ? answer : null;
    if (response.status === 401 || response.status === 403) {
      throw new MonitorError(
        error?.message ?? 'The host token was refused.',
        'unauthorized',
        response.status,
      );
    }
    throw new MonitorError(
      error?.message ?? `The server answered HTTP ${response.status} without a gazertc error.`,
      error === null ? 'bad_response' : 'refused',
      response.status,
    );
  }
}
