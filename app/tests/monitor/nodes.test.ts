import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MonitorNode, MonitorSessionList } from 'gazertc-client/protocol';
import { MonitorController } from '../../src/monitor/controller';
import {
  INITIAL_MONITOR_STATE,
  listReceived,
  type MonitorState,
} from '../../src/monitor/monitorState';
import {
  drainAnswered,
  nodeAction,
  nodeActionFailed,
  nodeActionStarted,
  nodeLoadText,
  nodeStateText,
} from '../../src/monitor/nodesState';
import { createStore, type Store } from '../../src/store/store';
import { fixture } from '../fixtures';

const TOKEN = 'monitor-test-token-0123456789';
const SERVER = 'http://127.0.0.1:3000';
const THIS = 'gaze-a:3000';
const OTHER = 'gaze-b:3000';
const LOST = 'gaze-c:3000';

function baseList(): MonitorSessionList {
  return structuredClone(fixture('monitor_session_list.two_sessions.json')) as MonitorSessionList;
}

/** The fixture's list with node `name` in `state` (the fixture has THIS up, OTHER draining). */
function listWith(name: string, state: MonitorNode['state']): MonitorSessionList {
  const list = baseList();
  list.nodes = list.nodes.map((node) => (node.name === name ? { ...node, state } : node));
  return list;
}

describe('the nodes on the monitor', () => {
  it('takes the nodes from the list, keeping the same array while the set is the same', () => {
    const first = listReceived(INITIAL_MONITOR_STATE, baseList());
    expect(first.nodeName).toBe(THIS);
    expect(first.nodeNames).toEqual([THIS, OTHER, LOST]);
    expect(first.nodes[OTHER]?.state).toBe('draining');
    const second = listReceived(first, baseList());
    expect(second.nodeNames).toBe(first.nodeNames);
    const list = baseList();
    list.nodes = list.nodes.filter((node) => node.name !== LOST);
    expect(listReceived(second, list).nodeNames).toEqual([THIS, OTHER]);
  });

  it('offers drain for an up node, undrain for a draining one, nothing for a lost one', () => {
    const state = listReceived(INITIAL_MONITOR_STATE, baseList());
    expect(nodeAction(state, THIS)).toBe('drain');
    expect(nodeAction(state, OTHER)).toBe('undrain');
    expect(nodeAction(state, LOST)).toBeNull();
    expect(nodeAction(state, 'nobody')).toBeNull();
    expect(nodeStateText(state, THIS)).toBe('Up');
    expect(nodeStateText(state, OTHER)).toBe('Draining');
    expect(nodeStateText(state, LOST)).toBe('Lost (no heartbeat for 37 s)');
    expect(nodeAction(nodeActionStarted(state, THIS), THIS)).toBeNull(); // busy
  });

  it('waits for another node to show a drain asked of it, then offers undrain', () => {
    let state = listReceived(INITIAL_MONITOR_STATE, listWith(OTHER, 'up'));
    state = nodeActionStarted(state, OTHER);
    state = drainAnswered(state, { node: OTHER, draining: true, applied: false });
    expect(state.pendingDrain).toEqual({ [OTHER]: true });
    expect(nodeStateText(state, OTHER)).toBe('Drain requested…');
    expect(nodeAction(state, OTHER)).toBeNull();
    expect(state.nodeFeedback[OTHER]).toEqual({
      busy: false,
      message: `Asked ${OTHER} to drain.`,
      isError: false,
    });
    state = listReceived(state, listWith(OTHER, 'up')); // not taken yet
    expect(state.pendingDrain).toEqual({ [OTHER]: true });
    state = listReceived(state, listWith(OTHER, 'draining'));
    expect(state.pendingDrain).toEqual({});
    expect(nodeAction(state, OTHER)).toBe('undrain');
  });

  it('gives up waiting on a node that is lost or gone', () => {
    let state = listReceived(INITIAL_MONITOR_STATE, listWith(OTHER, 'up'));
    state = drainAnswered(state, { node: OTHER, draining: true, applied: false });
    state = listReceived(state, listWith(OTHER, 'lost'));
    expect(state.pendingDrain).toEqual({});
    state = drainAnswered(state, { node: OTHER, draining: false, applied: false });
    const list = baseList();
    list.nodes = list.nodes.filter((node) => node.name !== OTHER);
    expect(listReceived(state, list).pendingDrain).toEqual({});
  });

  it('does not wait on this node, which drains at once', () => {
    let state = listReceived(INITIAL_MONITOR_STATE, baseList());
    state = drainAnswered(state, { node: THIS, draining: true, applied: true });
    expect(state.pendingDrain).toEqual({});
    expect(state.nodeFeedback[THIS]?.message).toBe(
      `${THIS} is draining: no new sessions; its own go on.`,
    );
    state = nodeActionFailed(state, THIS, 'no node');
    expect(state.nodeFeedback[THIS]).toEqual({ busy: false, message: 'no node', isError: true });
  });

  it('says a node load in words', () => {
    const state = listReceived(INITIAL_MONITOR_STATE, baseList());
    const [first, second] = [state.nodes[THIS], state.nodes[OTHER]];
    if (first === undefined || second === undefined) throw new Error('fixture nodes missing');
    expect(nodeLoadText(first)).toBe('1/8 sessions · 24.6 frames/s · CPU 42 %');
    expect(nodeLoadText(second)).toBe('1/8 sessions · 0.0 frames/s · CPU –');
  });
});

describe('draining from the monitor controller', () => {
  let store: Store<MonitorState>;
  let seen: { method: string; path: string; authorization: string | null }[];
  let answer: () => Response;

  beforeEach(() => {
    vi.useFakeTimers();
    store = createStore(INITIAL_MONITOR_STATE);
    seen = [];
    answer = () => new Response('{}', { status: 500 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function controller(): MonitorController {
    const fetchImpl = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      const method = init?.method ?? 'GET';
      seen.push({
        method,
        path: url.pathname,
        authorization: new Headers(init?.headers).get('Authorization'),
      });
      if (method === 'GET') return Promise.resolve(Response.json(listWith(OTHER, 'up')));
      return Promise.resolve(answer());
    };
    return new MonitorController({ store, serverUrl: SERVER, token: TOKEN, fetch: fetchImpl });
  }

  it('posts the drain of the named node with the token and awaits it', async () => {
    answer = () => Response.json({ node: OTHER, draining: true, applied: false });
    const monitor = controller();
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(await monitor.setNodeDraining(OTHER, true)).toBe(true);
    const post = seen.find((request) => request.method === 'POST');
    expect(post).toEqual({
      method: 'POST',
      path: `/api/monitor/nodes/${encodeURIComponent(OTHER)}/drain`,
      authorization: `Bearer ${TOKEN}`,
    });
    expect(store.getState().pendingDrain).toEqual({ [OTHER]: true });
    monitor.stop();
  });

  it('shows the server refusal on the node row', async () => {
    answer = () =>
      Response.json(
        { v: 1, type: 'error', code: 'not_found', message: 'no node', fatal: true },
        { status: 404 },
      );
    const monitor = controller();
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(await monitor.setNodeDraining(OTHER, false)).toBe(false);
    expect(seen.at(-1)?.path).toBe(`/api/monitor/nodes/${encodeURIComponent(OTHER)}/undrain`);
    expect(store.getState().nodeFeedback[OTHER]).toEqual({
      busy: false,
      message: 'no node',
      isError: true,
    });
    expect(store.getState().pendingDrain).toEqual({});
    monitor.stop();
  });

  it('takes an answer that is not a drain as a failure', async () => {
    answer = () => Response.json({ node: OTHER });
    const monitor = controller();
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(await monitor.setNodeDraining(OTHER, true)).toBe(false);
    expect(store.getState().nodeFeedback[OTHER]?.isError).toBe(true);
    monitor.stop();
  });
});
