// The stored recordings over HTTP (docs/protocol.md, "Recordings"), for the host: every request
// carries the host token in an Authorization header, so exports and videos are fetched as blobs
// (a plain link could not carry it).

import type { RecordingList, RecordingReplay, RecordingSummary } from 'gazertc-client/protocol';
import { HostHttp, type HostHttpOptions } from '../monitor/hostHttp';

/** The export formats of GET /api/recordings/{id}/export (srv/gazertc/server/recordings_api.py). */
export const EXPORT_FORMATS = ['csv', 'bids'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type RecordingsApiOptions = HostHttpOptions;

export class RecordingsApi {
  private readonly http: HostHttp;

  constructor(options: RecordingsApiOptions) {
    this.http = new HostHttp(options);
  }

  /** Every stored recording, oldest first. */
  list(signal?: AbortSignal): Promise<RecordingList> {
    return this.http.request('GET', 'api/recordings', 'recording_list', null, signal);
  }

  summary(recordingId: string, signal?: AbortSignal): Promise<RecordingSummary> {
    const path = `${this.path(recordingId)}/summary`;
    return this.http.request('GET', path, 'recording_summary', null, signal);
  }

  replay(recordingId: string, signal?: AbortSignal): Promise<RecordingReplay> {
    const path = `${this.path(recordingId)}/replay`;
    return this.http.request('GET', path, 'recording_replay', null, signal);
  }

  /** The recording exported as `format`: a zip. */
  async exportZip(recordingId: string, format: ExportFormat, signal?: AbortSignal): Promise<Blob> {
    const path = `${this.path(recordingId)}/export?format=${format}`;
    return (await this.http.succeeded('GET', path, null, signal)).blob();
  }

  /** The participant's camera video kept with the recording. */
  async video(recordingId: string, signal?: AbortSignal): Promise<Blob> {
    const path = `${this.path(recordingId)}/video`;
    return (await this.http.succeeded('GET', path, null, signal)).blob();
  }

  private path(recordingId: string): string {
    return `api/recordings/${encodeURIComponent(recordingId)}`;
  }
}
