import type { RecordingsApi } from '../../recordings/api';
import { calibrationReports, recordingQuality } from '../../recordings/calibrations';
import { duration, recordingDurationS, startTime } from '../../recordings/format';
import type { RecordingInfo } from 'gazertc-client/protocol';
import { ExportButtons } from './ExportButtons';
import { useLoaded } from './useLoaded';

/** The calibration in use when the recording started, from the reports its metadata keeps. */
function startQuality(recording: RecordingInfo): string {
  const kept = recording.metadata['calibration_reports'];
  const quality = recordingQuality(calibrationReports(Array.isArray(kept) ? kept : []));
  return quality ?? 'none';
}

function RecordingItem(props: { api: RecordingsApi; recording: RecordingInfo; href: string }) {
  const { recording } = props;
  const shortId = recording.recording_id.slice(0, 8);
  return (
    <article
      className="card recording-item"
      data-testid="recording-item"
      data-recording-id={recording.recording_id}
    >
      <h2 className="recording-item-title">
        <a href={props.href}>{recording.name ?? `Recording ${shortId}`}</a> <code>{shortId}</code>
      </h2>
      <dl className="recording-facts">
        <div>
          <dt>Participant</dt>
          <dd>{recording.participant_label ?? '–'}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{startTime(recording.started_unix_ns)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>
            {duration(recordingDurationS(recording.started_unix_ns, recording.stopped_unix_ns))}
          </dd>
        </div>
        <div>
          <dt>Samples</dt>
          <dd>{recording.sample_count}</dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>{recording.event_count}</dd>
        </div>
        <div>
          <dt>Calibration</dt>
          <dd>{startQuality(recording)}</dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>{recording.state}</dd>
        </div>
      </dl>
      <ExportButtons api={props.api} recordingId={recording.recording_id} />
    </article>
  );
}

/** Every stored recording, newest first. */
export function RecordingList(props: { api: RecordingsApi; hrefFor: (id: string) => string }) {
  const loaded = useLoaded((signal) => props.api.list(signal), 'list');
  return (
    <>
      <h1>Recordings</h1>
      {loaded.status === 'loading' && <p aria-live="polite">Loading the recordings…</p>}
      {loaded.status === 'failed' && (
        <p className="notice notice-error" role="alert" data-testid="recordings-problem">
          {loaded.message}
        </p>
      )}
      {loaded.status === 'done' && loaded.value.recordings.length === 0 && (
        <p data-testid="recordings-empty">No recordings yet.</p>
      )}
      {loaded.status === 'done' && loaded.value.recordings.length > 0 && (
        <ul className="recording-list" aria-label="Recordings">
          {[...loaded.value.recordings].reverse().map((recording) => (
            <li key={recording.recording_id}>
              <RecordingItem
                api={props.api}
                recording={recording}
                href={props.hrefFor(recording.recording_id)}
              />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
