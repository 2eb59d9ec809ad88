// @vitest-environment jsdom
import { act, cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusPanel } from '../../src/components/StatusPanel';
import type { SampleMessage, StatusMessage } from 'gazertc-client/protocol';
import {
  INITIAL_STATE,
  connectRequested,
  connectionLost,
  serverMessageReceived,
  type AppState,
} from '../../src/store/appState';
import { fixture } from '../fixtures';
import { renderWithApp } from './render';

afterEach(cleanup);

const sampleWithFace = fixture('sample.face.json') as SampleMessage;
const sampleWithoutFace = fixture('sample.no_face.json') as SampleMessage;
const liveStatus = fixture('status.live.json') as StatusMessage;

function liveState(...messages: (SampleMessage | StatusMessage)[]): AppState {
  return messages.reduce(serverMessageReceived, connectRequested(INITIAL_STATE));
}

describe('status panel', () => {
  it('waits for the first frame', () => {
    renderWithApp(<StatusPanel />, connectRequested(INITIAL_STATE));
    expect(screen.getByTestId('face-state').textContent).toBe('Waiting for video');
    expect(screen.getByTestId('advice').textContent).toMatch(/Waiting for the first frame/);
  });

  it('shows the face, the server advice, head pose, gaze and the connection figures', () => {
    renderWithApp(<StatusPanel />, liveState(liveStatus, sampleWithFace));
    expect(screen.getByTestId('face-state').textContent).toBe('Face found · tracking');
    expect(screen.getByTestId('advice').textContent).toBe(
      'Your face is too dark: add light in front of you.',
    );
    // sample.face.json: head yaw 4.2, pitch -6.8, roll 1.3 degrees.
    expect(screen.getByTestId('head-pose').textContent).toBe('Yaw+4°Pitch\u22127°Roll+1°');
    const performance = screen.getByTestId('performance').textContent;
    expect(performance).toContain('Frames in29.8/s');
    expect(performance).toContain('Dropped7');
    expect(performance).toContain('Server delay14 ms');
    expect(performance).toContain('Frame size400×300');
  });

  it('asks the person to face the camera when there is no face', () => {
    renderWithApp(<StatusPanel />, liveState(sampleWithoutFace));
    expect(screen.getByTestId('face-state').textContent).toBe('No face found');
    expect(screen.getByTestId('advice').textContent).toMatch(/Sit facing the camera/);
    expect(screen.getByTestId('gaze-summary').textContent).toBe('Eyes not visible');
  });

  it('says when the connection is lost instead of showing stale values', () => {
    renderWithApp(
      <StatusPanel />,
      connectionLost(liveState(liveStatus, sampleWithFace), 'The server closed the session.', 0),
    );
    expect(screen.getByTestId('face-state').textContent).toBe('Not connected');
    expect(screen.getByTestId('head-pose').textContent).toBe('Yaw\u2013Pitch\u2013Roll\u2013');
    expect(screen.getByTestId('performance').textContent).toContain('Dropped\u2013');
  });

  it('says so when lighting and distance are fine', () => {
    const fine: StatusMessage = { ...liveStatus, quality_flags: [], advice: [] };
    renderWithApp(<StatusPanel />, liveState(fine, sampleWithFace));
    expect(screen.getByTestId('advice').textContent).toBe('Lighting and distance look good.');
  });

  it('follows new samples', () => {
    const { store } = renderWithApp(<StatusPanel />, liveState(sampleWithFace));
    const blinking: SampleMessage = { ...sampleWithFace, blinking: true, blink_events: [] };
    act(() => {
      store.update((state) => serverMessageReceived(state, blinking));
    });
    expect(screen.getByTestId('blink').textContent).toContain('Blinking');
  });
});
