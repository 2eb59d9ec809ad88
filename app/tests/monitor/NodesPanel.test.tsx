// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorApp } from '../../src/components/monitor/MonitorApp';
import { FakeMonitorServer } from './fakeMonitorServer';

const TOKEN = 'monitor-test-token-0123456789';

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

function renderMonitor(): FakeMonitorServer {
  window.location.hash = `#token=${TOKEN}`;
  const server = new FakeMonitorServer(TOKEN);
  render(<MonitorApp serverUrl="http://127.0.0.1:3000" fetch={server.fetch} pollIntervalMs={50} />);
  return server;
}

function row(name: string): HTMLElement {
  const found = screen
    .getAllByTestId('monitor-node')
    .find((element) => element.dataset['node'] === name);
  if (found === undefined) throw new Error(`no row for node ${name}`);
  return found;
}

describe('the servers panel of the monitor', () => {
  it('lists each node with its state, load and the drain it allows', async () => {
    renderMonitor();
    await screen.findAllByTestId('monitor-node');
    expect(screen.getByTestId('monitor-nodes').querySelector('h2')?.textContent).toBe(
      'Servers (3)',
    );
    const up = row('gaze-a:3000');
    expect(up.textContent).toContain('(this server)');
    expect(within(up).getByTestId('monitor-node-state').textContent).toBe('Up');
    expect(up.textContent).toContain('1/8 sessions · 24.6 frames/s · CPU 42 %');
    expect(within(up).getByRole('button', { name: 'Drain' })).toBeTruthy();
    const draining = row('gaze-b:3000');
    expect(within(draining).getByTestId('monitor-node-state').textContent).toBe('Draining');
    expect(within(draining).getByRole('button', { name: 'Undrain' })).toBeTruthy();
    const lost = row('gaze-c:3000');
    expect(lost.dataset['state']).toBe('lost');
    expect(within(lost).queryByRole('button')).toBeNull();
  });

  it('names the node of each session on its card', async () => {
    renderMonitor();
    const names = (await screen.findAllByTestId('monitor-node-name')).map(
      (element) => element.textContent,
    );
    expect(names).toEqual(['gaze-a:3000', 'gaze-b:3000']);
  });

  it('asks the server to drain the node and shows its refusal on the row', async () => {
    const server = renderMonitor();
    await screen.findAllByTestId('monitor-node');
    fireEvent.click(within(row('gaze-a:3000')).getByRole('button', { name: 'Drain' }));
    await waitFor(() =>
      expect(row('gaze-a:3000').querySelector('.monitor-feedback-error')?.textContent).toMatch(
        /no live session/,
      ),
    );
    const drain = server.requests.find((request) => request.method === 'POST');
    expect(new URL(drain?.url ?? 'http://x/').pathname).toBe(
      '/api/monitor/nodes/gaze-a%3A3000/drain',
    );
    expect(drain?.authorization).toBe(`Bearer ${TOKEN}`);
  });
});
