// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorApp } from '../../src/components/monitor/MonitorApp';
import { FakeMonitorServer } from './fakeMonitorServer';

const TOKEN = 'monitor-test-token-0123456789';
const IDLE = 'b71f02c4e98a3d65';
const RECORDING = '5e0c9a7d13b2f486';

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

function renderMonitor(hash: string): FakeMonitorServer {
  window.location.hash = hash;
  const server = new FakeMonitorServer(TOKEN);
  render(<MonitorApp serverUrl="http://127.0.0.1:3000" fetch={server.fetch} pollIntervalMs={50} />);
  return server;
}

function card(anonId: string): HTMLElement {
  const found = screen
    .getAllByTestId('monitor-session')
    .find((element) => element.dataset['anonId'] === anonId);
  if (found === undefined) throw new Error(`no card for ${anonId}`);
  return found;
}

describe('the monitor page', () => {
  it('explains that it needs the token when the link has none', () => {
    const server = renderMonitor('');
    expect(screen.getByRole('alert').textContent).toMatch(/needs the monitor token/);
    expect(server.requests).toEqual([]);
    expect(document.title).toBe('gazertc · monitor');
  });

  it('says when the server refuses the token', async () => {
    renderMonitor('#token=wrong-token-0123456789');
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /did not accept this monitor token/,
    );
    expect(screen.queryAllByTestId('monitor-session')).toEqual([]);
  });

  it('shows every session with its figures and trace', async () => {
    renderMonitor(`#token=${TOKEN}`);
    await screen.findAllByTestId('monitor-session');
    expect(screen.getByTestId('monitor-summary').textContent).toBe('2 live sessions');
    const recording = card(RECORDING);
    expect(within(recording).getByTestId('monitor-fps').textContent).toBe('24.6/s');
    expect(within(recording).getByTestId('monitor-face').dataset['state']).toBe('found');
    expect(within(recording).getByTestId('monitor-recording').textContent).toBe('Recording');
    const trace = within(recording).getByTestId('gaze-trace');
    expect(trace.dataset['mode']).toBe('screen');
    expect(trace.dataset['points']).toBe('4');
    expect(trace.getAttribute('aria-label')).toMatch(/last 4 gaze points on the participant/);
    expect(within(card(IDLE)).getByTestId('gaze-trace').dataset['points']).toBe('0');
    expect(within(recording).getByRole('button', { name: 'Stop recording' })).toBeTruthy();
  });

  it('starts a recording and adds an event from the keyboard-operable controls', async () => {
    const server = renderMonitor(`#token=${TOKEN}`);
    await screen.findAllByTestId('monitor-session');
    const idle = card(IDLE);
    fireEvent.click(within(idle).getByRole('button', { name: 'Start recording' }));
    await waitFor(() =>
      expect(within(card(IDLE)).getByTestId('monitor-feedback').textContent).toBe(
        'Recording 01234567 started.',
      ),
    );
    await within(card(IDLE)).findByRole('button', { name: 'Stop recording' });
    expect(server.session(IDLE).recording).toBe('recording');

    const input = within(card(IDLE)).getByLabelText('Event name');
    fireEvent.change(input, { target: { value: '  trial_1 ' } });
    fireEvent.submit(input.closest('form') as HTMLFormElement);
    await waitFor(() =>
      expect(within(card(IDLE)).getByTestId('monitor-feedback').textContent).toBe(
        'Event “trial_1” added to recording 01234567.',
      ),
    );
    expect((input as HTMLInputElement).value).toBe('');
    expect(server.requests.some((request) => request.url.includes(TOKEN))).toBe(false);
  });

  it('offers no start to the host where the server does not allow it, but still a stop', async () => {
    window.location.hash = `#token=${TOKEN}`;
    const server = new FakeMonitorServer(TOKEN);
    server.list.host_recording_allowed = false;
    render(
      <MonitorApp serverUrl="http://127.0.0.1:3000" fetch={server.fetch} pollIntervalMs={50} />,
    );
    await screen.findAllByTestId('monitor-session');
    const start = within(card(IDLE)).getByRole('button', { name: 'Start recording' });
    expect((start as HTMLButtonElement).disabled).toBe(true);
    const note = within(card(IDLE)).getByTestId('monitor-no-host-recording');
    expect(start.getAttribute('aria-describedby')).toBe(note.id);
    expect(note.textContent).toMatch(/does not let the host start recordings/);
    // A recording the participant started can still be stopped from here.
    const stop = within(card(RECORDING)).getByRole('button', { name: 'Stop recording' });
    expect((stop as HTMLButtonElement).disabled).toBe(false);
    expect(within(card(RECORDING)).queryByTestId('monitor-no-host-recording')).toBeNull();
  });

  it('follows a new token pasted into the fragment', async () => {
    renderMonitor('#token=wrong-token-0123456789');
    await screen.findByRole('alert');
    await act(async () => {
      window.location.hash = `#token=${TOKEN}`;
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    expect(await screen.findAllByTestId('monitor-session')).toHaveLength(2);
  });
});
