// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/components/App';
import {
  ENDED_NOTICE_MS,
  RecordingIndicator,
  formatElapsed,
  recordingHeadline,
} from '../../src/components/RecordingIndicator';
import {
  encodeClientMessage,
  type ClientMessage,
  type RecordingInfo,
  type RecordingStatusMessage,
} from 'gazertc-client/protocol';
import {
  INITIAL_STATE,
  connectRequested,
  disconnected,
  serverMessageReceived,
  type AppState,
  type RecordingState,
} from '../../src/store/appState';
import { fixture } from '../fixtures';
import { renderWithApp, renderWithCalibration, type Rendered } from './render';

const hostStarted = fixture('recording_status.host_started.json') as RecordingStatusMessage;
const savedByParticipant = fixture('recording_status.saved.json') as RecordingStatusMessage;
/** hostStarted's start, on the server's clock. */
const STARTED_MS = hostStarted.recording.started_unix_ns / 1e6;

function status(patch: Partial<RecordingInfo>): RecordingStatusMessage {
  return { ...hostStarted, recording: { ...hostStarted.recording, ...patch } };
}

function connectedWith(...messages: RecordingStatusMessage[]): AppState {
  return messages.reduce(serverMessageReceived, connectRequested(INITIAL_STATE));
}

function receive(rendered: Rendered, message: RecordingStatusMessage): void {
  act(() => {
    rendered.store.update((state) => serverMessageReceived(state, message));
  });
}

const indicator = (): HTMLElement => screen.getByTestId('recording-indicator');
const headline = (): string => screen.getByTestId('recording-headline').textContent;

beforeEach(() => {
  // 65 s into hostStarted's recording (the test's clock and the server's agree).
  vi.useFakeTimers({ now: STARTED_MS + 65_000, toFake: ['setTimeout', 'setInterval', 'Date'] });
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  window.location.hash = '';
});

describe('recording indicator', () => {
  it('shows nothing without a recording, but keeps its live region in the page', () => {
    renderWithApp(<RecordingIndicator />, connectRequested(INITIAL_STATE));
    expect(indicator().dataset['state']).toBe('none');
    expect(screen.getByRole('status').textContent).toBe('');
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('announces a recording the host started, with its running time and a stop button', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectRequested(INITIAL_STATE));
    const region = screen.getByRole('status');
    receive(rendered, hostStarted);
    // The same live region, now saying it: assistive technology announces the change.
    expect(screen.getByRole('status')).toBe(region);
    expect(region.textContent).toBe('Recording — started by the host of this server');
    expect(indicator().dataset['state']).toBe('recording');
    expect(screen.getByRole('button', { name: 'Stop recording' })).toBeTruthy();
    act(() => {
      vi.advanceTimersByTime(300);
    });
    expect(screen.getByTestId('recording-elapsed').textContent).toBe('Running for 1:05');
    // The running time is not in the live region (it would be read out every second).
    expect(region.contains(screen.getByTestId('recording-elapsed'))).toBe(false);
    act(() => {
      vi.advanceTimersByTime(60_000);
    });
    expect(screen.getByTestId('recording-elapsed').textContent).toBe('Running for 2:05');
  });

  it('says when the participant started it, and names it', () => {
    renderWithApp(
      <RecordingIndicator />,
      connectedWith(status({ started_by: 'participant', name: 'block 2' })),
    );
    expect(headline()).toBe('Recording — started by you · “block 2”');
  });

  it('stops the recording with a recording message, then shows it saved, briefly', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectedWith(hostStarted));
    const sent: ClientMessage[] = [];
    vi.spyOn(rendered.controller, 'send').mockImplementation((message) => {
      sent.push(message);
      return true;
    });
    const stop = screen.getByRole('button', { name: 'Stop recording' });
    stop.focus();
    fireEvent.click(stop);
    expect(sent).toEqual([{ v: 1, type: 'recording', action: 'stop' }]);
    // What the schema accepts (encodeClientMessage throws otherwise).
    expect(encodeClientMessage(sent[0] as ClientMessage)).toBe(
      '{"v":1,"type":"recording","action":"stop"}',
    );
    expect(stop.textContent).toBe('Stopping…');
    expect(stop.getAttribute('aria-disabled')).toBe('true');
    fireEvent.click(stop);
    expect(sent).toHaveLength(1);

    receive(rendered, savedByParticipant);
    expect(indicator().dataset['state']).toBe('ended');
    expect(headline()).toBe('Recording stopped by you — saved · “participant 7, block 2”');
    expect(screen.queryByRole('button')).toBeNull();
    // The button that had the focus is gone: the notice holds it, so it is not lost.
    expect(indicator().contains(document.activeElement)).toBe(true);
    act(() => {
      vi.advanceTimersByTime(ENDED_NOTICE_MS);
    });
    // Not hidden from under the focus...
    expect(indicator().dataset['state']).toBe('ended');
    act(() => {
      (document.activeElement as HTMLElement).blur();
    });
    // ...but once it moves on.
    expect(indicator().dataset['state']).toBe('none');
    expect(headline()).toBe('');
  });

  it('hides the notice of an ended recording after a while', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectedWith(hostStarted));
    receive(rendered, status({ state: 'saved', stopped_by: 'host', stopped_unix_ns: 1 }));
    expect(headline()).toBe('Recording stopped by the host of this server — saved');
    act(() => {
      vi.advanceTimersByTime(ENDED_NOTICE_MS - 1);
    });
    expect(indicator().dataset['state']).toBe('ended');
    act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(indicator().dataset['state']).toBe('none');
  });

  it('says so when a stop cannot be sent or the server refuses it', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectedWith(hostStarted));
    // No session is open in this test: send() answers false.
    fireEvent.click(screen.getByRole('button', { name: 'Stop recording' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Not connected to the server/);
    act(() => {
      rendered.store.update((state) =>
        serverMessageReceived(state, {
          v: 1,
          type: 'error',
          code: 'not_recording',
          message: 'no recording is running in this session',
          fatal: false,
          ref_type: 'recording',
        }),
      );
    });
    expect(screen.getByRole('alert').textContent).toBe('no recording is running in this session');
  });

  it('says the recording ended when the session does', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectedWith(hostStarted));
    act(() => {
      rendered.store.update(disconnected);
    });
    expect(headline()).toBe('Recording ended with the session');
    expect(screen.queryByRole('button')).toBeNull();
  });
});

describe('recording indicator in the app shell', () => {
  it('shows a running recording on the live view, and how it ended on the start screen', () => {
    const { store } = renderWithApp(<App />, connectedWith(hostStarted));
    expect(screen.getByTestId('local-video')).toBeTruthy();
    expect(screen.getAllByTestId('recording-indicator')).toHaveLength(1);
    expect(headline()).toBe('Recording — started by the host of this server');
    act(() => {
      store.update(disconnected);
    });
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('See where you are looking');
    expect(headline()).toBe('Recording ended with the session');
  });

  it.each([
    ['#/calibrate', 'Calibration'],
    ['#/dwell', 'Dwell buttons'],
  ])('shows a running recording on %s', (hash, title) => {
    window.location.hash = hash;
    renderWithCalibration(<App />, connectedWith(hostStarted));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(title);
    expect(screen.getAllByTestId('recording-indicator')).toHaveLength(1);
    expect(headline()).toBe('Recording — started by the host of this server');
    expect(screen.getByRole('button', { name: 'Stop recording' })).toBeTruthy();
  });
});

describe('recording texts', () => {
  const ended = (patch: Partial<RecordingInfo>): RecordingState => ({
    ...INITIAL_STATE.recording,
    info: { ...hostStarted.recording, ...patch },
  });

  it('says how a recording ended, and by whom when known', () => {
    expect(recordingHeadline(INITIAL_STATE.recording)).toBeNull();
    expect(recordingHeadline(ended({ state: 'saved', stopped_by: 'server' }))).toBe(
      'Recording stopped by the server — saved',
    );
    expect(recordingHeadline(ended({ state: 'saved', stopped_by: null }))).toBe(
      'Recording stopped — saved',
    );
    expect(recordingHeadline(ended({ state: 'cancelled', stopped_by: 'participant' }))).toBe(
      'Recording cancelled by you — discarded',
    );
    expect(recordingHeadline(ended({ state: 'incomplete', stopped_by: 'server' }))).toBe(
      'Recording ended by the server — incomplete, kept up to its last second',
    );
  });

  it('formats the running time', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(65)).toBe('1:05');
    expect(formatElapsed(3600 + 125)).toBe('1:02:05');
  });
});
