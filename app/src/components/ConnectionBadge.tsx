import type { ConnectionPhase } from '../store/appState';
import { useAppState, useController } from '../store/react';
import { useSecondsUntil } from './useSecondsUntil';

const LABELS: Record<ConnectionPhase, string> = {
  idle: 'Not connected',
  connecting: 'Connecting',
  live: 'Live',
  lost: 'Connection lost',
  failed: 'Could not connect',
};

export function ConnectionBadge() {
  const controller = useController();
  const phase = useAppState((state) => state.connection.phase);
  const retryAtMs = useAppState((state) => state.connection.retryAtMs);
  const seconds = useSecondsUntil(phase === 'lost' ? retryAtMs : null);
  return (
    <div className="connection">
      <span className={`badge badge-${phase}`} data-testid="connection-state" data-phase={phase}>
        <span className="badge-dot" aria-hidden="true" />
        {/* Only the phase is announced; the countdown would be read out every second. */}
        <span role="status">{LABELS[phase]}</span>
        {phase === 'lost' && seconds !== null && (
          <span className="badge-detail">
            {seconds > 0 ? ` · retrying in ${seconds} s` : ' · retrying'}
          </span>
        )}
      </span>
      {phase === 'lost' && (
        <button type="button" className="button button-quiet" onClick={() => controller.retryNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}
