// The cluster's nodes on the monitor page and their drain requests: pure transitions (no I/O).

import type { MonitorNode, MonitorNodeDrain, MonitorSessionList } from 'gazertc-client/protocol';

/** What the host may do with a node now: drain it, undrain it, or nothing (lost, or waiting). */
export type NodeAction = 'drain' | 'undrain' | null;

/** The outcome of the latest drain or undrain of one node. */
export interface NodeFeedback {
  readonly busy: boolean;
  readonly message: string | null;
  readonly isError: boolean;
}

export interface NodesState {
  /** The node that answered the list (this page's server); null before the first list. */
  readonly nodeName: string | null;
  /** Node names in the server's order (by name); the same array while the set does not change. */
  readonly nodeNames: readonly string[];
  readonly nodes: Readonly<Record<string, MonitorNode>>;
  /**
   * Drains asked of other nodes that they have not shown yet (true: drain, false: undrain): such
   * a node takes the request from the cluster's database and drains itself a moment later.
   */
  readonly pendingDrain: Readonly<Record<string, boolean>>;
  readonly nodeFeedback: Readonly<Record<string, NodeFeedback>>;
}

export const INITIAL_NODES_STATE: NodesState = {
  nodeName: null,
  nodeNames: [],
  nodes: {},
  pendingDrain: {},
  nodeFeedback: {},
};

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/** Whether a node shows what was asked of it (a lost node never will: the request is dropped). */
function settled(node: MonitorNode | undefined, draining: boolean): boolean {
  if (node === undefined || node.state === 'lost') return true;
  return (node.state === 'draining') === draining;
}

export function nodesReceived(state: NodesState, list: MonitorSessionList): NodesState {
  const names = list.nodes.map((node) => node.name);
  const nodes: Record<string, MonitorNode> = {};
  for (const node of list.nodes) nodes[node.name] = node;
  const pendingDrain: Record<string, boolean> = {};
  for (const [name, draining] of Object.entries(state.pendingDrain)) {
    if (!settled(nodes[name], draining)) pendingDrain[name] = draining;
  }
  const nodeFeedback: Record<string, NodeFeedback> = {};
  for (const name of names) {
    const kept = state.nodeFeedback[name];
    if (kept !== undefined) nodeFeedback[name] = kept;
  }
  return {
    nodeName: list.node,
    nodeNames: sameNames(names, state.nodeNames) ? state.nodeNames : names,
    nodes,
    pendingDrain,
    nodeFeedback,
  };
}

export function nodeActionStarted<S extends NodesState>(state: S, name: string): S {
  return {
    ...state,
    nodeFeedback: { ...state.nodeFeedback, [name]: { busy: true, message: null, isError: false } },
  };
}

/** The server took a drain or an undrain: said in words, and awaited when another node applies it. */
export function drainAnswered<S extends NodesState>(state: S, answer: MonitorNodeDrain): S {
  const verb = answer.draining ? 'drain' : 'take new sessions again';
  const message = answer.applied
    ? answer.draining
      ? `${answer.node} is draining: no new sessions; its own go on.`
      : `${answer.node} takes new sessions again.`
    : `Asked ${answer.node} to ${verb}.`;
  const others = Object.entries(state.pendingDrain).filter(([name]) => name !== answer.node);
  const pendingDrain: Record<string, boolean> = Object.fromEntries(others);
  if (!answer.applied) pendingDrain[answer.node] = answer.draining;
  return {
    ...state,
    pendingDrain,
    nodeFeedback: {
      ...state.nodeFeedback,
      [answer.node]: { busy: false, message, isError: false },
    },
  };
}

export function nodeActionFailed<S extends NodesState>(state: S, name: string, message: string): S {
  return {
    ...state,
    nodeFeedback: { ...state.nodeFeedback, [name]: { busy: false, message, isError: true } },
  };
}

/** The button a node's row offers: none while lost, busy, or waiting for a request to show. */
export function nodeAction(state: NodesState, name: string): NodeAction {
  const node = state.nodes[name];
  if (node === undefined || node.state === 'lost') return null;
  if (state.nodeFeedback[name]?.busy === true || name in state.pendingDrain) return null;
  return node.state === 'draining' ? 'undrain' : 'drain';
}

/** A node's state in words, with what is awaited of it. */
export function nodeStateText(state: NodesState, name: string): string {
  const node = state.nodes[name];
  if (node === undefined) return 'Unknown';
  const pending = state.pendingDrain[name];
  if (pending !== undefined) return pending ? 'Drain requested…' : 'Undrain requested…';
  switch (node.state) {
    case 'up':
      return 'Up';
    case 'draining':
      return 'Draining';
    case 'lost':
      return `Lost (no heartbeat for ${Math.round(node.heartbeat_age_s)} s)`;
  }
}

/** A node's load in words: sessions, frames per second, CPU (100 % = one core). */
export function nodeLoadText(node: MonitorNode): string {
  const cpu = node.cpu_percent === null ? 'CPU –' : `CPU ${Math.round(node.cpu_percent)} %`;
  return `${node.sessions}/${node.max_sessions} sessions · ${node.processed_fps.toFixed(1)} frames/s · ${cpu}`;
}
