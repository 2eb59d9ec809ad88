import { useId } from 'react';
import { useMonitorController, useMonitorState } from '../../monitor/react';
import { perSecond } from '../format';
import { EventForm } from './EventForm';
import { GazeTrace } from './GazeTrace';

const RECORDING_TEXT = {
  idle: 'Not recording',
  recording: 'Recording',
  unavailable: 'Unavailable (no data directory)',
} as const;

/** One live session: its figures, its gaze trace, and its recording and event controls. */
export function SessionCard({ anonId }: { anonId: string }) {
  const controller = useMonitorController();
  const session = useMonitorState((state) => state.sessions[anonId]);
  const feedback = useMonitorState((state) => state.feedback[anonId]);
  const nowUnixNs = useMonitorState((state) => state.serverTimeUnixNs);
  const hostRecordingAllowed = useMonitorState((state) => state.hostRecordingAllowed);
  const headingId = useId();
  const noHostRecordingId = useId();
  if (session === undefined) return null;

  const busy = feedback?.busy === true;
  const recording = session.recording === 'recording';
  // Under --no-host-recording the host may still stop a recording the participant started.
  const startRefused = !recording && !hostRecordingAllowed;
  return (
    <section
      className="card monitor-session"
      aria-labelledby={headingId}
      data-testid="monitor-session"
      data-anon-id={anonId}
      data-recording={session.recording}
    >
      <h2 id={headingId} className="monitor-session-title">
        Session <code>{anonId}</code>
      </h2>
      <dl className="monitor-facts">
        <div>
          <dt>State</dt>
          <dd>{session.state === 'live' ? 'Live' : 'Connecting'}</dd>
        </div>
        <div>
          <dt>Frame rate</dt>
          <dd data-testid="monitor-fps">{perSecond(session.processed_fps)}</dd>
        </div>
        <div>
          <dt>Face</dt>
          <dd data-testid="monitor-face" data-state={session.face_found ? 'found' : 'missing'}>
            {session.face_found ? 'Found' : 'Not found'}
          </dd>
        </div>
        <div>
          <dt>Calibrated</dt>
          <dd>{session.calibrated ? 'Yes' : 'No'}</dd>
        </div>
        <div>
          <dt>Recording</dt>
          <dd data-testid="monitor-recording">{RECORDING_TEXT[session.recording]}</dd>
        </div>
      </dl>
      <GazeTrace
        points={session.trace}
        screen={session.calibrated ? session.screen : null}
        nowUnixNs={nowUnixNs}
      />
      <div className="monitor-controls">
        <button
          type="button"
          className={recording ? 'button' : 'button button-primary'}
          disabled={busy || session.recording === 'unavailable' || startRefused}
          aria-describedby={startRefused ? noHostRecordingId : undefined}
          onClick={() => void controller.setRecording(anonId, recording ? 'stop' : 'start')}
        >
          {recording ? 'Stop recording' : 'Start recording'}
        </button>
        <EventForm anonId={anonId} disabled={busy} />
      </div>
      {startRefused && (
        <p id={noHostRecordingId} className="monitor-note" data-testid="monitor-no-host-recording">
          This server does not let the host start recordings (--no-host-recording): only the
          participant can.
        </p>
      )}
      <p
        className={
          feedback?.isError === true
            ? 'monitor-feedback monitor-feedback-error'
            : 'monitor-feedback'
        }
        role="status"
        data-testid="monitor-feedback"
      >
        {feedback?.message ?? ''}
      </p>
    </section>
  );
}
