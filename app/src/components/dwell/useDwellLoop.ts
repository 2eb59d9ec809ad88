// React around the dwell loop (src/dwell/loop.ts): one loop per board, fed by the app store's
// samples, following the page's dwell time, pause/edit mode and motion preference; targets
// register through a ref callback.

import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import {
  DwellLoop,
  type DwellTargetOptions,
  type DwellTrigger,
  type LoopMode,
} from '../../dwell/loop';
import { useAppStore } from '../../store/react';

const REDUCED_MOTION = '(prefers-reduced-motion: reduce)';

/** The media query, where the environment has one (not every test DOM does). */
function reducedMotionQuery(): MediaQueryList | null {
  return typeof window.matchMedia === 'function' ? window.matchMedia(REDUCED_MOTION) : null;
}

function subscribeReducedMotion(listener: () => void): () => void {
  const query = reducedMotionQuery();
  query?.addEventListener('change', listener);
  return () => query?.removeEventListener('change', listener);
}

export function usePrefersReducedMotion(): boolean {
  return useSyncExternalStore(
    subscribeReducedMotion,
    () => reducedMotionQuery()?.matches ?? false,
    () => false,
  );
}

export interface DwellLoopSettings {
  dwellMs: number;
  mode: LoopMode;
  onTrigger: (trigger: DwellTrigger) => void;
}

/** The board's dwell loop, running while the component is mounted. */
export function useDwellLoop({ dwellMs, mode, onTrigger }: DwellLoopSettings): DwellLoop {
  const store = useAppStore();
  const reducedMotion = usePrefersReducedMotion();
  const [loop] = useState(() => new DwellLoop({ dwellMs }));
  // The page's latest handler (it closes over the latest board and state).
  useEffect(() => loop.setTriggerHandler(onTrigger));
  useEffect(() => loop.setDwellMs(dwellMs), [loop, dwellMs]);
  useEffect(() => loop.setMode(mode), [loop, mode]);
  useEffect(() => loop.setReducedMotion(reducedMotion), [loop, reducedMotion]);

  useEffect(() => {
    const unsubscribe = store.subscribe((state, previous) => {
      const sample = state.live.sample;
      if (sample === previous.live.sample || sample === null) return;
      const point = sample.screen_point ?? null;
      loop.update(point === null ? null : { xPx: point.smoothed_x_px, yPx: point.smoothed_y_px });
    });
    return () => {
      unsubscribe();
      loop.dispose();
    };
  }, [store, loop]);

  return loop;
}

/** A ref callback making the element target `id` of `loop` while it is mounted. */
export function useDwellTarget(
  loop: DwellLoop,
  id: string,
  { kind, whilePaused, priority }: DwellTargetOptions,
): (element: HTMLElement | null) => (() => void) | undefined {
  return useCallback(
    (element: HTMLElement | null) =>
      element === null ? undefined : loop.register(id, element, { kind, whilePaused, priority }),
    [loop, id, kind, whilePaused, priority],
  );
}
