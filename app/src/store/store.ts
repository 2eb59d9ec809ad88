// A minimal external store: immutable state, synchronous listeners. No React in here; components
// read it through src/store/react.ts with narrow selectors.

export type Listener<T> = (state: T, previous: T) => void;

export interface Store<T> {
  readonly getState: () => T;
  /** Replace the state with `update(state)`; listeners run only when the result differs. */
  readonly update: (update: (state: T) => T) => void;
  /** Returns the unsubscribe function. */
  readonly subscribe: (listener: Listener<T>) => () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<Listener<T>>();
  return {
    getState: () => state,
    update: (update) => {
      const previous = state;
      const next = update(previous);
      if (Object.is(next, previous)) return;
      state = next;
      for (const listener of [...listeners]) listener(next, previous);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
