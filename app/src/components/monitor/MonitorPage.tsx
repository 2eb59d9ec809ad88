import { useEffect } from 'react';
import { useMonitorState } from '../../monitor/react';
import { RecordingsLink } from '../recordings/RecordingsLink';
import { MonitorStatus } from './MonitorStatus';
import { NodesPanel } from './NodesPanel';
import { SessionCard } from './SessionCard';
import './monitor.css';

const TITLE = 'gazertc · monitor';

export function MonitorPage() {
  const sessionIds = useMonitorState((state) => state.sessionIds);

  useEffect(() => {
    const previous = document.title;
    document.title = TITLE;
    return () => {
      document.title = previous;
    };
  }, []);

  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">gazertc</span>
        </div>
        <RecordingsLink />
        <a className="button button-quiet monitor-page-link" href="/">
          Open the tracking page
        </a>
      </header>
      <main id="main" className="app-main monitor">
        <div className="monitor-heading">
          <h1>Monitor</h1>
          <MonitorStatus />
        </div>
        <NodesPanel />
        {sessionIds.length > 0 && (
          <ul className="monitor-sessions" aria-label="Live sessions">
            {sessionIds.map((anonId) => (
              <li key={anonId}>
                <SessionCard anonId={anonId} />
              </li>
            ))}
          </ul>
        )}
      </main>
      <footer className="app-footer">
        gazertc {__APP_VERSION__} · the monitor shows every live session of this server and of the
        servers it shares a cluster database with
      </footer>
    </div>
  );
}
