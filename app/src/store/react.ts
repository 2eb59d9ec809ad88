// React bindings for the store: components subscribe to narrow slices, so a 30 Hz sample stream
// re-renders only the components whose slice changed.

import { createContext, useContext, useSyncExternalStore } from 'react';
import type { AppController } from '../rtc/controller';
import type { AppState } from './appState';
import type { Store } from './store';

export interface AppContextValue {
  store: Store<AppState>;
  controller: AppController;
}

export const AppContext = createContext<AppContextValue | null>(null);

function useAppContext(): AppContextValue {
  const value = useContext(AppContext);
  if (value === null)
    throw new Error('AppContext is missing: render inside <AppContext value=...>');
  return value;
}

/**
 * The slice of the state that `selector` picks; the component re-renders only when it changes
 * (`Object.is`). Selectors must return primitives or objects already held in the state, never
 * new objects or arrays.
 */
export function useAppState<T>(selector: (state: AppState) => T): T {
  const { store } = useAppContext();
  return useSyncExternalStore(
    store.subscribe,
    () => selector(store.getState()),
    () => selector(store.getState()),
  );
}

/** The store itself, for components that draw outside React's render cycle (the overlay). */
export function useAppStore(): Store<AppState> {
  return useAppContext().store;
}

export function useController(): AppController {
  return useAppContext().controller;
}
