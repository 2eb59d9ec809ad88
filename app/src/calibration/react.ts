// React bindings of the calibration store: narrow subscriptions, as src/store/react.ts does for
// the app's store.

import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Store } from '../store/store';
import type { CalibrationController } from './controller';
import type { CalibrationState } from './state';

export interface CalibrationContextValue {
  store: Store<CalibrationState>;
  controller: CalibrationController;
}

export const CalibrationContext = createContext<CalibrationContextValue | null>(null);

function useCalibrationContext(): CalibrationContextValue {
  const value = useContext(CalibrationContext);
  if (value === null) {
    throw new Error('CalibrationContext is missing: render inside <CalibrationContext value=...>');
  }
  return value;
}

/** The slice `selector` picks (primitives or objects held in the state, never new ones). */
export function useCalibrationState<T>(selector: (state: CalibrationState) => T): T {
  const { store } = useCalibrationContext();
  return useSyncExternalStore(
    store.subscribe,
    () => selector(store.getState()),
    () => selector(store.getState()),
  );
}

export function useCalibrationController(): CalibrationController {
  return useCalibrationContext().controller;
}
