// The app's pages, addressed by the URL's hash (#/calibrate), so any static server serves them
// and a reload stays on the page.

import { useSyncExternalStore } from 'react';

export const ROUTES = [
  { route: 'live', hash: '#/', label: 'Live view' },
  { route: 'calibrate', hash: '#/calibrate', label: 'Calibrate' },
  { route: 'dwell', hash: '#/dwell', label: 'Dwell buttons' },
] as const;

export type Route = (typeof ROUTES)[number]['route'];

export function routeFromHash(hash: string): Route {
  const found = ROUTES.find((entry) => entry.hash === hash && entry.route !== 'live');
  return found?.route ?? 'live';
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

/** The page the URL names; re-renders when it changes. */
export function useRoute(): Route {
  return useSyncExternalStore(
    subscribe,
    () => routeFromHash(window.location.hash),
    () => 'live',
  );
}
