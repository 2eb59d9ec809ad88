// @vitest-environment jsdom
import { act, cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingIndicator } from '../../src/components/RecordingIndicator';
import type { RecordingInfo, RecordingStatusMessage } from 'gazertc-client/protocol';
import { INITIAL_STATE, connectRequested, serverMessageReceived } from '../../src/store/appState';
import { fixture } from '../fixtures';
import { renderWithApp, type Rendered } from './render';

const hostStarted = fixture('recording_status.host_started.json') as RecordingStatusMessage;

function status(patch: Partial<RecordingInfo>): RecordingStatusMessage {
  return { ...hostStarted, recording: { ...hostStarted.recording, ...patch } };
}

function receive(rendered: Rendered, message: RecordingStatusMessage): void {
  act(() => {
    rendered.store.update((state) => serverMessageReceived(state, message));
  });
}

const indicator = (): HTMLElement => screen.getByTestId('recording-indicator');

afterEach(cleanup);

describe('recording indicator with video', () => {
  it('says the camera video is recorded, with a camera beside the headline', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectRequested(INITIAL_STATE));
    receive(rendered, status({ video: true }));
    expect(screen.getByRole('status').textContent).toBe(
      'Recording with video — started by the host of this server',
    );
    expect(indicator().dataset['video']).toBe('true');
    expect(screen.getByTestId('recording-camera')).toBeTruthy();
  });

  it('looks as before without video', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectRequested(INITIAL_STATE));
    receive(rendered, status({ video: false, started_by: 'participant' }));
    expect(screen.getByRole('status').textContent).toBe('Recording — started by you');
    expect(indicator().dataset['video']).toBe('false');
    expect(screen.queryByTestId('recording-camera')).toBeNull();
  });

  it('says so when the video is lost and the recording goes on', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectRequested(INITIAL_STATE));
    receive(rendered, status({ video: true }));
    // What the server sends when the encoder fails: the new status, then the reason.
    receive(rendered, status({ video: false }));
    const reason = 'recording 9b1e: the video could not be stored (OSError); without video';
    act(() => {
      rendered.store.update((state) =>
        serverMessageReceived(state, {
          v: 1,
          type: 'error',
          code: 'recording_write_failed',
          message: reason,
          fatal: false,
          ref_type: 'recording',
        }),
      );
    });
    expect(screen.getByRole('status').textContent).toBe(
      'Recording — started by the host of this server',
    );
    expect(screen.queryByTestId('recording-camera')).toBeNull();
    expect(screen.getByRole('alert').textContent).toBe(reason);
  });

  it('drops the camera once the recording ends', () => {
    const rendered = renderWithApp(<RecordingIndicator />, connectRequested(INITIAL_STATE));
    receive(rendered, status({ video: true }));
    receive(
      rendered,
      status({ video: true, state: 'saved', stopped_by: 'host', stopped_unix_ns: 1 }),
    );
    expect(screen.getByRole('status').textContent).toBe(
      'Recording stopped by the host of this server — saved',
    );
    expect(screen.queryByTestId('recording-camera')).toBeNull();
  });
});
