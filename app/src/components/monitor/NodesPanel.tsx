import { useId } from 'react';
import { nodeAction, nodeLoadText, nodeStateText } from '../../monitor/nodesState';
import { useMonitorController, useMonitorState } from '../../monitor/react';

/** One node: its state, its load, and a Drain or Undrain button. */
function NodeRow({ name }: { name: string }) {
  const controller = useMonitorController();
  const node = useMonitorState((state) => state.nodes[name]);
  const stateText = useMonitorState((state) => nodeStateText(state, name));
  const action = useMonitorState((state) => nodeAction(state, name));
  const feedback = useMonitorState((state) => state.nodeFeedback[name]);
  const isThisNode = useMonitorState((state) => state.nodeName === name);
  if (node === undefined) return null;

  return (
    <li
      className="monitor-node"
      data-testid="monitor-node"
      data-node={name}
      data-state={node.state}
    >
      <span className="monitor-node-name">
        {name}
        {isThisNode && <span className="hint"> (this server)</span>}
      </span>
      <span className="monitor-node-state" data-testid="monitor-node-state">
        {stateText}
      </span>
      <span className="monitor-node-load">{nodeLoadText(node)}</span>
      {action !== null && (
        <button
          type="button"
          className="button"
          onClick={() => void controller.setNodeDraining(name, action === 'drain')}
        >
          {action === 'drain' ? 'Drain' : 'Undrain'}
        </button>
      )}
      <span
        className={
          feedback?.isError === true
            ? 'monitor-feedback monitor-feedback-error'
            : 'monitor-feedback'
        }
        role="status"
      >
        {feedback?.message ?? ''}
      </span>
    </li>
  );
}

/**
 * The servers behind this monitor: each one's state (up, draining: no new sessions while its
 * own go on, lost: no heartbeat) and load.
 */
export function NodesPanel() {
  const nodeNames = useMonitorState((state) => state.nodeNames);
  const headingId = useId();
  if (nodeNames.length === 0) return null;

  return (
    <section className="card monitor-nodes" aria-labelledby={headingId} data-testid="monitor-nodes">
      <h2 id={headingId} className="monitor-nodes-title">
        {nodeNames.length === 1 ? 'Server' : `Servers (${nodeNames.length})`}
      </h2>
      <ul className="monitor-node-list">
        {nodeNames.map((name) => (
          <NodeRow key={name} name={name} />
        ))}
      </ul>
    </section>
  );
}
