import { describe, expect, it, vi } from 'vitest';
import { createStore } from '../../src/store/store';

describe('createStore', () => {
  it('notifies listeners with the new and previous state', () => {
    const store = createStore({ count: 0 });
    const listener = vi.fn();
    store.subscribe(listener);
    store.update((state) => ({ count: state.count + 1 }));
    expect(store.getState()).toEqual({ count: 1 });
    expect(listener).toHaveBeenCalledExactlyOnceWith({ count: 1 }, { count: 0 });
  });

  it('does not notify when the update returns the same state', () => {
    const store = createStore({ count: 0 });
    const listener = vi.fn();
    store.subscribe(listener);
    store.update((state) => state);
    expect(listener).not.toHaveBeenCalled();
  });

  it('stops notifying after unsubscribe, also during a notification', () => {
    const store = createStore(0);
    const second = vi.fn();
    const unsubscribeSecond = store.subscribe(second);
    const first = vi.fn(() => unsubscribeSecond());
    store.subscribe(first);
    store.update(() => 1);
    store.update(() => 2);
    expect(first).toHaveBeenCalledTimes(2);
    expect(second).toHaveBeenCalledTimes(1);
  });
});
