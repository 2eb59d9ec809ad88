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

  it('shows the participant’s label instead of the id, the calibration and the units', async () => {
    renderMonitor(`#token=${TOKEN}`);
    await screen.findAllByTestId('monitor-session');
    const labelled = card(RECORDING);
    expect(within(labelled).getByTestId('monitor-session-name').textContent).toBe('P07 Ana');
    expect(labelled.textContent).not.toContain(RECORDING);
    expect(within(card(IDLE)).getByTestId('monitor-session-name').textContent).toBe(
      `Session ${IDLE}`,
    );
    expect(within(labelled).getByTestId('monitor-calibration').textContent).toBe('Good (in use)');
    expect(within(card(IDLE)).getByTestId('monitor-calibration').textContent).toBe(
      'Not calibrated',
    );
    expect(within(labelled).getByTestId('gaze-trace-units').textContent).toMatch(/CSS px/);
    expect(within(labelled).getByTestId('gaze-trace-x-axis').textContent).toContain('1536 px');
    expect(within(card(IDLE)).getByTestId('gaze-trace-units').textContent).toMatch(
      /degrees \(not calibrated/,
    );
    expect(within(card(IDLE)).getByTestId('gaze-trace-x-axis').textContent).toContain('30° left');
  });

  it('names a participant from the monitor, refusing control characters', async () => {
    const server = renderMonitor(`#token=${TOKEN}`);
    await screen.findAllByTestId('monitor-session');
    const input = within(card(IDLE)).getByTestId('monitor-label-input');
    fireEvent.change(input, { target: { value: 'Desk\u00073' } });
    fireEvent.submit(input.closest('form') as HTMLFormElement);
    expect(within(card(IDLE)).getByRole('alert').textContent).toMatch(/letters, digits/);
    expect(server.requests.some((request) => request.url.endsWith('/label'))).toBe(false);
    fireEvent.change(input, { target: { value: '  Desk 3 ' } });
    fireEvent.submit(input.closest('form') as HTMLFormElement);
    await waitFor(() =>
      expect(within(card(IDLE)).getByTestId('monitor-session-name').textContent).toBe('Desk 3'),
    );
    const sent = server.requests.find((request) => request.url.endsWith('/label'));
    expect(sent?.body).toEqual({ participant_label: 'Desk 3' });
  });

  it('ends a session after a confirmation', async () => {
    const server = renderMonitor(`#token=${TOKEN}`);
    await screen.findAllByTestId('monitor-session');
    fireEvent.click(within(card(IDLE)).getByRole('button', { name: 'End session' }));
    expect(server.requests.some((request) => request.url.endsWith('/end'))).toBe(false);
    fireEvent.click(within(card(IDLE)).getByRole('button', { name: 'Yes, end it' }));
    await waitFor(() => expect(screen.getAllByTestId('monitor-session')).toHaveLength(1));
    expect(screen.getByTestId('monitor-notice').textContent).toContain(
      `Ended the session of ${IDLE}.`,
    );
    expect(server.list.sessions.map((session) => session.anon_id)).toEqual([RECORDING]);
  });

  it('shows a camera thumbnail only while the participant shares it', async () => {
    const created: string[] = [];
    const revoked: string[] = [];
    // jsdom has no object URLs: count the ones made and given back.
    const original = Object.getOwnPropertyDescriptors(URL);
    URL.createObjectURL = () => {
      created.push(`blob:thumbnail-${created.length}`);
      return created.at(-1) ?? '';
    };
    URL.revokeObjectURL = (url: string) => {
      revoked.push(url);
    };
    const server = renderMonitor(`#token=${TOKEN}`);
    try {
      await screen.findAllByTestId('monitor-session');
      expect(within(card(IDLE)).queryByTestId('monitor-thumbnail')).toBeNull();
      const image = await within(card(RECORDING)).findByRole('img', { name: /Camera of P07 Ana/ });
      expect(image.getAttribute('src')).toBe('blob:thumbnail-0');
      server.session(RECORDING).thumbnail_shared = false;
      await waitFor(() =>
        expect(within(card(RECORDING)).queryByTestId('monitor-thumbnail')).toBeNull(),
      );
      expect(revoked).toEqual(created);
      const asked = server.thumbnailRequests;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(server.thumbnailRequests).toBe(asked); // no more asking once withdrawn
    } finally {
      Object.defineProperties(URL, original);
    }
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
