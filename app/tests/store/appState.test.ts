import { describe, expect, it } from 'vitest';
import type {
  ServerMessage,
  ErrorMessage,
  RecordingStatusMessage,
  SampleMessage,
} from 'gazertc-client/protocol';
import {
  INITIAL_STATE,
  attemptStarted,
  connectRequested,
  connectionFailed,
  connectionLost,
  disconnected,
  outputForView,
  recordingNoticeExpired,
  recordingRuns,
  recordingStopRequested,
  serverMessageReceived,
  viewModeChosen,
  type AppState,
} from '../../src/store/appState';
import { fixture } from '../fixtures';

const sampleWithFace = fixture('sample.face.json') as SampleMessage;
const blinkSample = fixture('sample.blink_dark.json') as SampleMessage;

function receive(state: AppState, ...messages: unknown[]): AppState {
  return messages.reduce<AppState>(
    (current, message) => serverMessageReceived(current, message as ServerMessage),
    state,
  );
}

describe('connection phases', () => {
  it('goes live with the first sample, and resets the failure count', () => {
    let state = connectRequested(INITIAL_STATE);
    state = connectionLost(state, 'server down', 1000);
    state = attemptStarted(state);
    expect(state.connection).toMatchObject({ phase: 'connecting', attempt: 1, retryAtMs: null });
    state = receive(state, fixture('config.server_effective.json'));
    expect(state.connection.phase).toBe('connecting');
    state = receive(state, sampleWithFace);
    expect(state.connection).toMatchObject({ phase: 'live', attempt: 0, problem: null });
    expect(state.live.sample).toBe(sampleWithFace);
  });

  it('records what the server config says', () => {
    const state = receive(connectRequested(INITIAL_STATE), fixture('config.server_effective.json'));
    expect(state.connection).toMatchObject({
      sessionId: '3f2a9c0e5b7d41e8a6c4d2b0f9e8a7c6',
      videoAvailable: true,
      output: 'json',
    });
  });

  it('drops the stale sample and remote video when the connection is lost', () => {
    let state = receive(connectRequested(INITIAL_STATE), sampleWithFace);
    state = connectionLost(state, 'The server closed the session.', 5000);
    expect(state.connection).toMatchObject({ phase: 'lost', attempt: 1, retryAtMs: 5000 });
    expect(state.live.sample).toBeNull();
    state = connectionFailed(state, 'refused');
    expect(state.connection).toMatchObject({
      phase: 'failed',
      retryAtMs: null,
      problem: 'refused',
    });
  });

  it('starts from scratch on disconnect', () => {
    const state = disconnected(receive(connectRequested(INITIAL_STATE), sampleWithFace));
    expect(state.connection).toEqual(INITIAL_STATE.connection);
    expect(state.live).toEqual(INITIAL_STATE.live);
  });
});

describe('samples and status', () => {
  it('counts samples, and blinks when they end', () => {
    const start: SampleMessage = {
      ...blinkSample,
      blink_events: [{ phase: 'start', timestamp_unix_ns: 1767225600000000000, duration_ms: null }],
    };
    const end: SampleMessage = {
      ...blinkSample,
      blinking: false,
      blink_events: [{ phase: 'end', timestamp_unix_ns: 1767225600150000000, duration_ms: 150 }],
    };
    const none: SampleMessage = { ...sampleWithFace, blink_events: [] };
    let state = receive(connectRequested(INITIAL_STATE), none, start);
    expect(state.live.blinkCount).toBe(0);
    state = receive(state, end, none, start, end);
    expect(state.live.samplesReceived).toBe(6);
    expect(state.live.blinkCount).toBe(2);
  });

  it('keeps the latest status and non-fatal error', () => {
    const state = receive(
      connectRequested(INITIAL_STATE),
      fixture('status.live.json'),
      fixture('error.unknown_type.json'),
    );
    expect(state.live.status?.advice).toEqual([
      'Your face is too dark: add light in front of you.',
    ]);
    expect(state.live.lastServerError?.code).toBe('unknown_type');
  });

  it('leaves unrelated slices untouched, so their subscribers do not re-render', () => {
    const before = receive(connectRequested(INITIAL_STATE), sampleWithFace);
    const after = receive(before, { ...sampleWithFace, frame_id: 44 });
    expect(after.camera).toBe(before.camera);
    expect(after.view).toBe(before.view);
    expect(after.connection).toBe(before.connection);
  });
});

describe('view', () => {
  it('asks the server for samples in both views, and video only for the server view', () => {
    expect(outputForView('overlay')).toBe('json');
    expect(outputForView('server')).toBe('both');
  });

  it('returns the same state when nothing changes', () => {
    expect(viewModeChosen(INITIAL_STATE, 'overlay')).toBe(INITIAL_STATE);
    expect(viewModeChosen(INITIAL_STATE, 'server').view.mode).toBe('server');
  });
});

describe('recording', () => {
  const hostStarted = fixture('recording_status.host_started.json') as RecordingStatusMessage;
  const stoppedByParticipant = fixture('recording_status.saved.json') as RecordingStatusMessage;
  const participantStarted: RecordingStatusMessage = {
    ...hostStarted,
    recording: { ...hostStarted.recording, started_by: 'participant', name: 'block 2' },
  };
  const notRecording: ErrorMessage = {
    v: 1,
    type: 'error',
    code: 'not_recording',
    message: 'no recording is running in this session',
    fatal: false,
    ref_type: 'recording',
  };
  const live = (): AppState => receive(connectRequested(INITIAL_STATE), sampleWithFace);

  it('runs from the recording_status that says so, whoever started it', () => {
    const before = live();
    expect(recordingRuns(before.recording)).toBe(false);
    const byHost = receive(before, hostStarted);
    expect(recordingRuns(byHost.recording)).toBe(true);
    expect(byHost.recording.info?.started_by).toBe('host');
    const byParticipant = receive(live(), participantStarted);
    expect(recordingRuns(byParticipant.recording)).toBe(true);
    expect(byParticipant.recording.info).toMatchObject({
      started_by: 'participant',
      name: 'block 2',
    });
    // The live view's slices are not touched.
    expect(byHost.live).toBe(before.live);
    expect(byHost.connection).toBe(before.connection);
  });

  it('ends with the recording_status that says it stopped, and who stopped it', () => {
    let state = receive(live(), hostStarted);
    state = recordingStopRequested(state, true);
    expect(state.recording.stopRequested).toBe(true);
    expect(recordingRuns(state.recording)).toBe(true);
    state = receive(state, stoppedByParticipant);
    expect(recordingRuns(state.recording)).toBe(false);
    expect(state.recording).toMatchObject({ stopRequested: false, problem: null });
    expect(state.recording.info).toMatchObject({ state: 'saved', stopped_by: 'participant' });
    // Stopped by the host this time.
    const byHost: RecordingStatusMessage = {
      ...stoppedByParticipant,
      recording: { ...stoppedByParticipant.recording, stopped_by: 'host' },
    };
    expect(receive(receive(live(), hostStarted), byHost).recording.info?.stopped_by).toBe('host');
  });

  it('says why a stop failed, and does not claim one is under way without a session', () => {
    let state = recordingStopRequested(receive(live(), hostStarted), true);
    state = receive(state, notRecording);
    expect(state.recording).toMatchObject({
      stopRequested: false,
      problem: 'no recording is running in this session',
    });
    expect(state.live.lastServerError).toBe(notRecording);
    const unsent = recordingStopRequested(receive(live(), hostStarted), false);
    expect(unsent.recording.stopRequested).toBe(false);
    expect(unsent.recording.problem).toMatch(/Not connected/);
  });

  it('ignores errors about other messages', () => {
    const before = receive(live(), hostStarted);
    const after = receive(before, { ...notRecording, code: 'unknown_type', ref_type: 'calibrate' });
    expect(after.recording).toBe(before.recording);
  });

  it('ends with the session, however the session ends', () => {
    for (const end of [
      (state: AppState) => connectionLost(state, 'The server closed the session.', 5000),
      (state: AppState) => connectionFailed(state, 'refused'),
      disconnected,
      attemptStarted,
    ]) {
      const state = end(recordingStopRequested(receive(live(), hostStarted), true));
      expect(recordingRuns(state.recording)).toBe(false);
      expect(state.recording).toMatchObject({ endedWithSession: true, stopRequested: false });
      // A new recording in the next session runs again.
      expect(recordingRuns(receive(state, participantStarted).recording)).toBe(true);
    }
    // Nothing to end: the same slice.
    const idle = live();
    expect(disconnected(idle).recording).toBe(idle.recording);
  });

  it('lets the notice of an ended recording expire, and only that one', () => {
    const running = receive(live(), hostStarted);
    const id = hostStarted.recording.recording_id;
    expect(recordingNoticeExpired(running, id)).toBe(running);
    const ended = receive(running, stoppedByParticipant);
    expect(recordingNoticeExpired(ended, 'another recording')).toBe(ended);
    const expired = recordingNoticeExpired(ended, id);
    expect(expired.recording.noticeExpired).toBe(true);
    expect(recordingNoticeExpired(expired, id)).toBe(expired);
    // A new status shows again.
    expect(receive(expired, hostStarted).recording.noticeExpired).toBe(false);
  });
});
