import { useEffect, useRef } from 'react';
import { useAppStore } from '../../store/react';

/**
 * Where the user looks (the server's smoothed `screen_point`), drawn outside React: a store
 * listener moves the element once per animation frame, so samples never re-render anything.
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
      if (point === null) {
        element.dataset['visible'] = 'false';
        return;
      }
      element.dataset['visible'] = 'true';
      element.style.transform = `translate(${point.smoothed_x_px}px, ${point.smoothed_y_px}px)`;
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
