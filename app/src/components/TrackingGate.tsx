import type { ReactNode } from 'react';
import { useAppState } from '../store/react';
import { StartScreen } from './StartScreen';

/**
 * `children` once the camera is on and tracking has started; before that, `notice` (why the page
 * needs it) above the start screen, so the user starts from the page they are on.
 */
export function TrackingGate({ notice, children }: { notice: ReactNode; children: ReactNode }) {
  const connected = useAppState((state) => state.connection.phase !== 'idle');
  if (!connected) {
    return (
      <div className="page-gate">
        <p className="notice">{notice}</p>
        <StartScreen />
      </div>
    );
  }
  return children;
}
