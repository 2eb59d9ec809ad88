// One React binding for the app's external stores (src/store, src/monitor, src/calibration):
// a context carrying a store and its controller, and hooks that subscribe to narrow slices, so
// a 30 Hz sample stream re-renders only the components whose slice changed.

import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';

/** What the binding needs of a store: its current state and change notifications. */
export interface ExternalStore<S> {
  readonly getState: () => S;
  /** Returns the unsubscribe function. */
  readonly subscribe: (onStoreChange: () => void) => () => void;
}

/** The state a store holds. */
export type StateOf<St extends ExternalStore<unknown>> = ReturnType<St['getState']>;

/** What the Provider hands down: the store and the controller that drives it. */
export interface StoreContextValue<St, C> {
  readonly store: St;
  readonly controller: C;
}

export interface StoreProviderProps<St, C> {
  readonly value: StoreContextValue<St, C>;
  readonly children?: ReactNode;
}

export interface StoreBinding<St extends ExternalStore<unknown>, C> {
  /** Makes the store and the controller available to the hooks below it. */
  readonly Provider: (props: StoreProviderProps<St, C>) => ReactNode;
  /**
   * The slice of the state that `selector` picks; the component re-renders only when it changes
   * (`Object.is`). Selectors must return primitives or objects already held in the state, never
   * new objects or arrays.
   */
  readonly useSelector: <T>(selector: (state: StateOf<St>) => T) => T;
  /** The store itself, for code that reads it outside React's render cycle. */
  readonly useStore: () => St;
  readonly useController: () => C;
}

/**
 * A Provider and its hooks for one kind of store. `name` is the Provider's display name and
 * appears in the error a hook throws when it is used outside the Provider.
 */
export function bindStore<St extends ExternalStore<unknown>, C>(name: string): StoreBinding<St, C> {
  const Context = createContext<StoreContextValue<St, C> | null>(null);
  Context.displayName = name;

  function Provider({ value, children }: StoreProviderProps<St, C>): ReactNode {
    return <Context value={value}>{children}</Context>;
  }
  Provider.displayName = name;

  function useContextValue(): StoreContextValue<St, C> {
    const value = useContext(Context);
    if (value === null) throw new Error(`${name} is missing: render inside <${name} value=...>`);
    return value;
  }

  function useSelector<T>(selector: (state: StateOf<St>) => T): T {
    const { store } = useContextValue();
    const select = (): T => selector(store.getState() as StateOf<St>);
    return useSyncExternalStore(store.subscribe, select, select);
  }

  function useStore(): St {
    return useContextValue().store;
  }

  function useController(): C {
    return useContextValue().controller;
  }

  return { Provider, useSelector, useStore, useController };
}
