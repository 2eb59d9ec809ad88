// React bindings of the calibration store: narrow subscriptions, as src/store/react.ts does for
// the app's store.

import { bindStore, type StoreContextValue } from '../react/bindStore';
import type { Store } from '../store/store';
import type { CalibrationController } from './controller';
import type { CalibrationState } from './state';

export type CalibrationContextValue = StoreContextValue<
  Store<CalibrationState>,
  CalibrationController
>;

const binding = bindStore<Store<CalibrationState>, CalibrationController>('CalibrationContext');

export const CalibrationContext = binding.Provider;

/** The slice `selector` picks (primitives or objects held in the state, never new ones). */
export const useCalibrationState = binding.useSelector;

export const useCalibrationController = binding.useController;

/** The store itself, for code that follows it outside React's render cycle. */
export const useCalibrationStore = binding.useStore;
