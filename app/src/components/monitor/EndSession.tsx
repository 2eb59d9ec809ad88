import { useState } from 'react';
import { useMonitorController } from '../../monitor/react';

/** End a session, after a confirmation: the participant's page then says the host ended it. */
export function EndSession({ anonId, disabled }: { anonId: string; disabled: boolean }) {
  const controller = useMonitorController();
  const [confirming, setConfirming] = useState(false);

  if (!confirming) {
    return (
      <button
        type="button"
        className="button"
        disabled={disabled}
        onClick={() => setConfirming(true)}
      >
        End session
      </button>
    );
  }
  return (
    <div className="monitor-end" role="group" aria-label="End this session?">
      <span>End this session? A running recording is saved first.</span>
      <button
        type="button"
        className="button button-danger"
        disabled={disabled}
        onClick={() => {
          setConfirming(false);
          void controller.endSession(anonId);
        }}
      >
        Yes, end it
      </button>
      <button type="button" className="button" onClick={() => setConfirming(false)}>
        Keep it
      </button>
    </div>
  );
}
