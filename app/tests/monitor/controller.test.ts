import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MonitorController } from '../../src/monitor/controller';
import { INITIAL_MONITOR_STATE, type MonitorState } from '../../src/monitor/monitorState';
import { createStore, type Store } from '../../src/store/store';
import { FakeMonitorServer } from './fakeMonitorServer';

const TOKEN = 'monitor-test-token-0123456789';
const SERVER = 'http://127.0.0.1:3000';
const POLL_MS = 300;
const RETRY_MS = 1000;
const RECORDING = '5e0c9a7d13b2f486';
const IDLE = 'b71f02c4e98a3d65';

let server: FakeMonitorServer;
let store: Store<MonitorState>;

function controllerWith(token: string | null): MonitorController {
  return new MonitorController({
    store,
    serverUrl: SERVER,
    token,
    fetch: server.fetch,
    pollIntervalMs: POLL_MS,
    retryIntervalMs: RETRY_MS,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeMonitorServer(TOKEN);
  store = createStore(INITIAL_MONITOR_STATE);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('monitor controller', () => {
  it('asks nothing without a token and says so', async () => {
    const controller = controllerWith(null);
    controller.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.getState().phase).toBe('no_token');
    expect(server.requests).toEqual([]);
    controller.stop();
  });

  it('polls a few times a second with the token in a header, never in the URL', async () => {
    const controller = controllerWith(TOKEN);
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const state = store.getState();
    expect(state.phase).toBe('live');
    expect(state.sessionIds).toEqual([RECORDING, IDLE]);
    expect(state.sessions[RECORDING]?.trace.length).toBe(8);
    expect(state.serverTimeUnixNs).toBe(server.list.server_time_unix_ns);
    await vi.advanceTimersByTimeAsync(3 * POLL_MS);
    expect(server.listRequests).toBe(4);
    for (const request of server.requests) {
      expect(request.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request.url).not.toContain(TOKEN);
      expect(request.url).toBe(`${SERVER}/api/monitor/sessions`);
    }
    controller.stop();
    await vi.advanceTimersByTimeAsync(5 * POLL_MS);
    expect(server.listRequests).toBe(4);
  });

  it('keeps the list of ids identical while the sessions stay the same', async () => {
    const controller = controllerWith(TOKEN);
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const ids = store.getState().sessionIds;
    const sessions = store.getState().sessions;
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(store.getState().sessionIds).toBe(ids);
    expect(store.getState().sessions).not.toBe(sessions);
    server.list = { ...server.list, sessions: server.list.sessions.slice(1) };
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(store.getState().sessionIds).toEqual([IDLE]);
    controller.stop();
  });

  it('stops asking, and shows nobody, once the token is refused', async () => {
    const controller = controllerWith('wrong-token-0123456789');
    controller.start();
    await vi.advanceTimersByTimeAsync(5 * POLL_MS);
    const state = store.getState();
    expect(state.phase).toBe('unauthorized');
    expect(state.problem).toBe('wrong monitor token');
    expect(state.sessionIds).toEqual([]);
    expect(server.listRequests).toBe(1);
    controller.stop();
  });

  it('retries more slowly while the server is unreachable, and recovers', async () => {
    const controller = controllerWith(TOKEN);
    server.down = true;
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().phase).toBe('unreachable');
    expect(store.getState().problem).toMatch(/not answering/);
    await vi.advanceTimersByTimeAsync(RETRY_MS - 1);
    expect(server.requests.length).toBe(1);
    server.down = false;
    await vi.advanceTimersByTimeAsync(1);
    expect(store.getState().phase).toBe('live');
    expect(store.getState().problem).toBeNull();
    controller.stop();
  });

  it('says so when the answer is not a session list', async () => {
    server.junk = { sessions: 'many' };
    const controller = controllerWith(TOKEN);
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().phase).toBe('failed');
    expect(store.getState().problem).toMatch(/not a valid monitor_session_list/);
    controller.stop();
  });

  it('starts and stops a recording, reports it, and refreshes at once', async () => {
    const controller = controllerWith(TOKEN);
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const polled = server.listRequests;
    const started = controller.setRecording(IDLE, 'start');
    expect(store.getState().feedback[IDLE]?.busy).toBe(true);
    await started;
    await vi.advanceTimersByTimeAsync(0);
    expect(server.requests.at(-2)).toMatchObject({
      method: 'POST',
      url: `${SERVER}/api/monitor/sessions/${IDLE}/recording`,
      body: { action: 'start' },
      authorization: `Bearer ${TOKEN}`,
    });
    expect(server.listRequests).toBe(polled + 1); // without waiting for the next tick
    expect(store.getState().feedback[IDLE]).toEqual({
      busy: false,
      message: 'Recording 01234567 started.',
      isError: false,
    });
    expect(store.getState().sessions[IDLE]?.recording).toBe('recording');

    await controller.setRecording(IDLE, 'stop');
    expect(store.getState().feedback[IDLE]?.message).toBe(
      'Recording 01234567 saved: 1500 samples, 2 events.',
    );
    await controller.setRecording(IDLE, 'stop');
    expect(store.getState().feedback[IDLE]).toEqual({
      busy: false,
      message: 'no recording is running in this session',
      isError: true,
    });
    controller.stop();
  });

  it('adds events and says whether they were stored', async () => {
    const controller = controllerWith(TOKEN);
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    await expect(controller.addEvent(RECORDING, 'stimulus_onset')).resolves.toBe(true);
    expect(server.requests.at(-1)?.body ?? server.requests.at(-2)?.body).toBeDefined();
    expect(store.getState().feedback[RECORDING]?.message).toBe(
      'Event “stimulus_onset” added to recording 9b1e4c2d.',
    );
    await expect(controller.addEvent(IDLE, 'onset')).resolves.toBe(true);
    expect(store.getState().feedback[IDLE]?.message).toMatch(/not stored: no recording runs/);
    await expect(controller.addEvent('ffffffffffffffff', 'onset')).resolves.toBe(false);
    expect(store.getState().feedback['ffffffffffffffff']?.isError).toBe(true);
    controller.stop();
  });

  it('can start again after stop (as React does in strict mode)', async () => {
    const controller = controllerWith(TOKEN);
    controller.start();
    controller.stop();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().phase).toBe('live');
    await vi.advanceTimersByTimeAsync(POLL_MS);
    // One poll chain only: the first start's request was abandoned.
    expect(server.listRequests).toBe(3);
    controller.stop();
  });
});
