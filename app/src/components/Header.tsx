import { AutoStartNotice, useHandsFreeStart } from '../handsfree/react';
import { useAppState, useController } from '../store/react';
import { ConnectionBadge } from './ConnectionBadge';
import { NavBar } from './NavBar';

export function Header() {
  const controller = useController();
  const connected = useAppState((state) => state.connection.phase !== 'idle');
  // Here because the header is on every page of the app: a reload starts tracking on any of them.
  useHandsFreeStart();
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">gazertc</span>
      </div>
      <NavBar />
      {connected && (
        <div className="header-actions">
          <ConnectionBadge />
          <button
            type="button"
            className="button button-quiet"
            onClick={() => controller.disconnect()}
          >
            Stop
          </button>
        </div>
      )}
      <AutoStartNotice />
    </header>
  );
}
