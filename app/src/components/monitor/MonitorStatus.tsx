import { useMonitorState } from '../../monitor/react';

/** What the page is doing, or what keeps it from showing sessions, in words. */
export function MonitorStatus() {
  const phase = useMonitorState((state) => state.phase);
  const problem = useMonitorState((state) => state.problem);
  const count = useMonitorState((state) => state.sessionIds.length);
  const notice = useMonitorState((state) => state.notice);

  switch (phase) {
    case 'no_token':
      return (
        <div className="notice notice-error" role="alert" data-testid="monitor-problem">
          <p>
            <strong>This page needs the monitor token.</strong> Open the address that{' '}
            <code>gazertc serve</code> printed when it started; it ends in{' '}
            <code>/monitor#token=…</code>.
          </p>
        </div>
      );
    case 'unauthorized':
      return (
        <div className="notice notice-error" role="alert" data-testid="monitor-problem">
          <p>
            <strong>The server did not accept this monitor token.</strong> Use the address printed
            at the server’s latest start: every start makes a new token.
          </p>
          {problem !== null && <p className="hint">The server said: {problem}</p>}
        </div>
      );
    case 'unreachable':
    case 'failed':
      return (
        <div className="notice notice-error" role="alert" data-testid="monitor-problem">
          <p>{problem ?? 'The server is not answering.'} Trying again…</p>
        </div>
      );
    case 'connecting':
      return (
        <p className="hint" role="status" data-testid="monitor-summary">
          Connecting…
        </p>
      );
    case 'live':
      return (
        <p className="hint" role="status" data-testid="monitor-summary">
          {count === 0
            ? 'No live sessions. Sessions appear here as soon as someone starts tracking.'
            : `${count} live session${count === 1 ? '' : 's'}`}
          {notice !== null && <span data-testid="monitor-notice"> · {notice}</span>}
        </p>
      );
  }
}
