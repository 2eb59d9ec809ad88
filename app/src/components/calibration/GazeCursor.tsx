import { useEffect, useRef } from 'react';
import { CURSOR_AVOID_ATTRIBUTE, cursorState, type Rect } from '../../calibration/cursor';
import { useAppStore } from '../../store/react';

function avoidedAreas(): Rect[] {
  return Array.from(document.querySelectorAll(`[${CURSOR_AVOID_ATTRIBUTE}]`), (element) =>
    element.getBoundingClientRect(),
  );
}

/**
 * Where the user looks (the server's smoothed `screen_point`), drawn outside React: a store
 * listener moves the element once per animation frame, so samples never re-render anything.
 * Hidden without a point, and over the result charts (it would cover what they show).
 */
export function GazeCursor() {
  const store = useAppStore();
  const cursor = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let frame: number | null = null;
    const draw = (): void => {
      frame = null;
      const element = cursor.current;
      if (element === null) return;
      const point = store.getState().live.sample?.screen_point ?? null;
      const state = cursorState(
        point === null ? null : { xPx: point.smoothed_x_px, yPx: point.smoothed_y_px },
        point === null ? [] : avoidedAreas(),
      );
      element.dataset['state'] = state;
      element.dataset['visible'] = String(state === 'shown');
      if (point !== null && state === 'shown') {
        element.style.transform = `translate(${point.smoothed_x_px}px, ${point.smoothed_y_px}px)`;
      }
    };
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.live.sample !== previous.live.sample && frame === null) {
        frame = requestAnimationFrame(draw);
      }
    });
    draw();
    return () => {
      unsubscribe();
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [store]);

  return <div ref={cursor} className="gaze-cursor" data-testid="gaze-cursor" aria-hidden="true" />;
}
