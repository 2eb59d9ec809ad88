// React bindings for the monitor's store, like src/store/react.ts for the main page.

import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Store } from '../store/store';
import type { MonitorController } from './controller';
import type { MonitorState } from './monitorState';

export interface MonitorContextValue {
  store: Store<MonitorState>;
  controller: MonitorController;
}

export const MonitorContext = createContext<MonitorContextValue | null>(null);

function useMonitorContext(): MonitorContextValue {
  const value = useContext(MonitorContext);
  if (value === null)
    throw new Error('MonitorContext is missing: render inside <MonitorContext value=...>');
  return value;
}

/** A slice of the monitor state; selectors return values already held in it (no new objects). */
export function useMonitorState<T>(selector: (state: MonitorState) => T): T {
  const { store } = useMonitorContext();
  return useSyncExternalStore(
    store.subscribe,
    () => selector(store.getState()),
    () => selector(store.getState()),
  );
}

export function useMonitorController(): MonitorController {
  return useMonitorContext().controller;
}
