import { useEffect, useState } from 'react';
import { useCalibrationController, useCalibrationStore } from '../../calibration/react';
import {
  FOLLOW_UP_DELAY_MS,
  clearHandsFree,
  followUp,
  handsFreeRetries,
  markHandsFree,
  tabStorage,
  type FollowUp,
} from '../../calibration/handsFree';
import { useSecondsUntil } from '../useSecondsUntil';

interface Pending {
  next: FollowUp;
  retries: number;
  atMs: number | null;
}

/**
 * After a calibration started by a look (from the board): back to the board once a fit is in
 * use, or a new try after a poor one, each after a countdown a helper can stop.
 */
export function HandsFreeFollowUp() {
  const controller = useCalibrationController();
  const store = useCalibrationStore();
  const [pending, setPending] = useState<Pending | null>(null);
  const seconds = useSecondsUntil(pending?.atMs ?? null);

  // A fit that arrives while this page is open (not one already shown when it opened).
  useEffect(() => {
    let seen = store.getState().fit;
    return store.subscribe(() => {
      const { fit, procedure } = store.getState();
      if (fit === null || fit === seen || procedure.phase !== 'idle') return;
      seen = fit;
      const retries = handsFreeRetries(tabStorage());
      if (retries === null) return;
      const next = followUp(fit.applied, retries);
      if (next === 'ask-for-help') clearHandsFree(tabStorage());
      const atMs = next === 'ask-for-help' ? null : Date.now() + FOLLOW_UP_DELAY_MS;
      setPending({ next, retries, atMs });
    });
  }, [store]);

  useEffect(() => {
    if (pending === null || pending.atMs === null) return undefined;
    const timer = setTimeout(() => {
      setPending(null);
      if (pending.next === 'return') {
        clearHandsFree(tabStorage());
        window.location.hash = '#/dwell';
      } else {
        markHandsFree(tabStorage(), pending.retries + 1);
        controller.start('calibration');
      }
    }, pending.atMs - Date.now());
    return () => clearTimeout(timer);
  }, [pending, controller]);

  if (pending === null) return null;
  const stop = (): void => {
    clearHandsFree(tabStorage());
    setPending(null);
  };
  return (
    <div className="notice hands-free-follow-up" role="status" data-testid="hands-free-follow-up">
      <p>
        {pending.next === 'return' && `Back to the board in ${seconds ?? 0} s.`}
        {pending.next === 'retry' &&
          `Trying again by itself in ${seconds ?? 0} s: look at each dot until it disappears.`}
        {pending.next === 'ask-for-help' &&
          'The calibration did not work several times in a row. Ask a helper to check the light and your position, then calibrate again.'}
      </p>
      {pending.atMs !== null && (
        <button type="button" className="button" onClick={stop}>
          {pending.next === 'return' ? 'Stay here' : 'Cancel'}
        </button>
      )}
    </div>
  );
}
