// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingControl } from '../../src/components/monitor/RecordingControl';

type Request = ['start' | 'stop', boolean];

function renderControl(recording: boolean, disabled = false): Request[] {
  const requests: Request[] = [];
  render(
    <RecordingControl
      recording={recording}
      disabled={disabled}
      onRequest={(action, video) => requests.push([action, video])}
    />,
  );
  return requests;
}

const videoBox = (): HTMLInputElement => screen.getByRole('checkbox', { name: /with video/ });

afterEach(cleanup);

describe('the monitor recording control', () => {
  it('starts without video unless the host ticks the box', () => {
    const requests = renderControl(false);
    expect(videoBox().checked).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Start recording' }));
    expect(requests).toEqual([['start', false]]);
  });

  it('starts with video when ticked, and the box is off again for the next start', () => {
    const requests = renderControl(false);
    fireEvent.click(videoBox());
    expect(videoBox().checked).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Start recording' }));
    expect(requests).toEqual([['start', true]]);
    expect(videoBox().checked).toBe(false);
  });

  it('stops a running recording, with no video box', () => {
    const requests = renderControl(true);
    expect(screen.queryByRole('checkbox')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Stop recording' }));
    expect(requests).toEqual([['stop', false]]);
  });

  it('is disabled as a whole', () => {
    renderControl(false, true);
    expect(screen.getByRole('button', { name: 'Start recording' })).toHaveProperty(
      'disabled',
      true,
    );
    expect(videoBox().disabled).toBe(true);
  });
});
