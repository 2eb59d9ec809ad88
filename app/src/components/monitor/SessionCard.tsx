import { useId } from 'react';
import type { MonitorSession } from 'gazertc-client/protocol';
import { sessionName } from '../../monitor/monitorState';
import { useMonitorController, useMonitorState } from '../../monitor/react';
import { perSecond } from '../format';
import { EndSession } from './EndSession';
import { EventForm } from './EventForm';
import { RecordingControl } from './RecordingControl';
import { GazeTrace } from './GazeTrace';
import { LabelForm } from './LabelForm';
import { SessionThumbnail } from './SessionThumbnail';

const RECORDING_TEXT = {
  idle: 'Not recording',
  recording: 'Recording',
  unavailable: 'Unavailable (no data directory)',
} as const;

const QUALITY_TEXT = { good: 'Good', fair: 'Fair', poor: 'Poor' } as const;

/** The calibration in use, in words: its verdict, or why there is none. */
export function calibrationText(session: MonitorSession): string {
  const quality = session.calibration_quality;
  if (session.calibration_applied) {
    return quality === null ? 'Loaded (quality not measured)' : `${QUALITY_TEXT[quality]} (in use)`;
  }
  return quality === null ? 'Not calibrated' : `${QUALITY_TEXT[quality]} (not applied)`;
}

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
      <h2 id={headingId} className="monitor-session-title" data-testid="monitor-session-name">
        {session.participant_label === null ? (
          <>
            Session <code>{anonId}</code>
          </>
        ) : (
          session.participant_label
        )}
      </h2>
      {session.thumbnail_shared && <SessionThumbnail anonId={anonId} name={sessionName(session)} />}
      <dl className="monitor-facts">
        <div>
          <dt>Server</dt>
          <dd data-testid="monitor-node-name">{session.node}</dd>
        </div>
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
          <dt>Calibration</dt>
          <dd
            data-testid="monitor-calibration"
            data-quality={session.calibration_quality ?? 'none'}
          >
            {calibrationText(session)}
          </dd>
        </div>
        <div>
          <dt>Recording</dt>
          <dd data-testid="monitor-recording">{RECORDING_TEXT[session.recording]}</dd>
        </div>
      </dl>
      <GazeTrace
        points={session.trace}
        screen={session.calibrated ? session.screen : null}
        calibrated={session.calibration_applied}
        nowUnixNs={nowUnixNs}
      />
      <div className="monitor-controls">
        <RecordingControl
          recording={recording}
          disabled={busy || session.recording === 'unavailable' || startRefused}
          describedBy={startRefused ? noHostRecordingId : undefined}
          onRequest={(action, video) => void controller.setRecording(anonId, action, video)}
        />
        <EventForm anonId={anonId} disabled={busy} />
        <LabelForm anonId={anonId} label={session.participant_label} disabled={busy} />
        <EndSession anonId={anonId} disabled={busy} />
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
