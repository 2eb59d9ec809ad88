// React bindings for the store: components subscribe to narrow slices, so a 30 Hz sample stream
// re-renders only the components whose slice changed (src/react/bindStore.tsx).

import { bindStore, type StoreContextValue } from '../react/bindStore';
import type { AppController } from '../rtc/controller';
import type { AppState } from './appState';
import type { Store } from './store';

export type AppContextValue = StoreContextValue<Store<AppState>, AppController>;

const binding = bindStore<Store<AppState>, AppController>('AppContext');

export const AppContext = binding.Provider;

/**
 * The slice of the state that `selector` picks; the component re-renders only when it changes
 * (`Object.is`). Selectors must return primitives or objects already held in the state, never
 * new objects or arrays.
 */
export const useAppState = binding.useSelector;

/** The store itself, for components that draw outside React's render cycle (the overlay). */
export const useAppStore = binding.useStore;

export const useController = binding.useController;
