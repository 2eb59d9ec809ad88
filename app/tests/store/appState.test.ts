import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/protocol/messages';
import type { SampleMessage } from '../../src/protocol/types.gen';
import {
  INITIAL_STATE,
  attemptStarted,
  connectRequested,
  connectionFailed,
  connectionLost,
  disconnected,
  outputForView,
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
