// React bindings for the monitor's store, like src/store/react.ts for the main page.

import { bindStore, type StoreContextValue } from '../react/bindStore';
import type { Store } from '../store/store';
import type { MonitorController } from './controller';
import type { MonitorState } from './monitorState';

export type MonitorContextValue = StoreContextValue<Store<MonitorState>, MonitorController>;

const binding = bindStore<Store<MonitorState>, MonitorController>('MonitorContext');

export const MonitorContext = binding.Provider;

/** A slice of the monitor state; selectors return values already held in it (no new objects). */
export const useMonitorState = binding.useSelector;

export const useMonitorController = binding.useController;
