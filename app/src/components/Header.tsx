import { useAppState, useController } from '../store/react';
import { ConnectionBadge } from './ConnectionBadge';
import { NavBar } from './NavBar';

export function Header() {
  const controller = useController();
  const connected = useAppState((state) => state.connection.phase !== 'idle');
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
    </header>
  );
}
