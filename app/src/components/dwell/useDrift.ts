// The server's drift correction as the board shows it: the latest drift_status, and what went
// wrong with the last confirmation or reset (an error the server answered), cleared by a new
// session (which starts without any correction).

import type { DriftStatusMessage } from 'gazertc-client/protocol';
import { useEffect, useState } from 'react';
import type { SessionLink } from '../../calibration/controller';

export interface DriftState {
  status: DriftStatusMessage | null;
  problem: string | null;
}

const NO_DRIFT: DriftState = { status: null, problem: null };

export function useDrift(link: SessionLink): DriftState {
  const [drift, setDrift] = useState<DriftState>(NO_DRIFT);
  useEffect(
    () =>
      link.addSessionListener({
        onOpen: () => setDrift(NO_DRIFT),
        onMessage: (message) => {
          if (message.type === 'drift_status') {
            setDrift({ status: message, problem: null });
          } else if (
            message.type === 'error' &&
            (message.ref_type === 'dwell_confirmed' || message.ref_type === 'drift_reset')
          ) {
            setDrift((previous) => ({ ...previous, problem: message.message }));
          }
        },
      }),
    [link],
  );
  return drift;
}
