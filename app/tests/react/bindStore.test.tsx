// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bindStore, type ExternalStore } from '../../src/react/bindStore';
import { createStore, type Store } from '../../src/store/store';

afterEach(cleanup);

interface CounterState {
  readonly count: number;
  readonly label: string;
}

class CounterController {
  constructor(private readonly store: Store<CounterState>) {}
  increment(): void {
    this.store.update((state) => ({ ...state, count: state.count + 1 }));
  }
}

const Counter = bindStore<Store<CounterState>, CounterController>('CounterContext');

function setup(initial: CounterState = { count: 0, label: 'a' }) {
  const store = createStore(initial);
  const controller = new CounterController(store);
  return { store, controller, value: { store, controller } };
}

describe('bindStore', () => {
  it('gives each component its slice and re-renders it only when that slice changes', () => {
    const { store, value } = setup();
    const renders = { count: 0, label: 0 };
    function Count() {
      renders.count += 1;
      return <span data-testid="count">{Counter.useSelector((state) => state.count)}</span>;
    }
    function Label() {
      renders.label += 1;
      return <span data-testid="label">{Counter.useSelector((state) => state.label)}</span>;
    }
    render(
      <Counter.Provider value={value}>
        <Count />
        <Label />
      </Counter.Provider>,
    );
    expect(renders).toEqual({ count: 1, label: 1 });
    for (let step = 0; step < 5; step += 1) {
      act(() => store.update((state) => ({ ...state, count: state.count + 1 })));
    }
    expect(screen.getByTestId('count').textContent).toBe('5');
    expect(screen.getByTestId('label').textContent).toBe('a');
    expect(renders).toEqual({ count: 6, label: 1 });
    act(() => store.update((state) => ({ ...state, label: 'b' })));
    expect(screen.getByTestId('label').textContent).toBe('b');
    expect(renders).toEqual({ count: 6, label: 2 });
  });

  it('hands down the store and the controller given to the Provider', () => {
    const { store, controller, value } = setup();
    let seen: { store: Store<CounterState>; controller: CounterController } | undefined;
    function Probe() {
      seen = { store: Counter.useStore(), controller: Counter.useController() };
      return <span data-testid="count">{Counter.useSelector((state) => state.count)}</span>;
    }
    render(
      <Counter.Provider value={value}>
        <Probe />
      </Counter.Provider>,
    );
    expect(seen?.store).toBe(store);
    expect(seen?.controller).toBe(controller);
    act(() => controller.increment());
    expect(screen.getByTestId('count').textContent).toBe('1');
  });

  it('says which Provider is missing when a hook is used outside it', () => {
    // React logs the error it rethrows; keep the test output quiet.
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    function Orphan() {
      return <span>{Counter.useSelector((state) => state.count)}</span>;
    }
    expect(() => render(<Orphan />)).toThrow(
      'CounterContext is missing: render inside <CounterContext value=...>',
    );
    function OrphanController() {
      Counter.useController();
      return null;
    }
    expect(() => render(<OrphanController />)).toThrow('CounterContext is missing');
  });

  it('works with any subscribe/getState store and unsubscribes on unmount', () => {
    let state = { level: 1 };
    const listeners = new Set<() => void>();
    const store: ExternalStore<{ level: number }> = {
      getState: () => state,
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const Levels = bindStore<ExternalStore<{ level: number }>, null>('LevelContext');
    function Level() {
      return <span data-testid="level">{Levels.useSelector((current) => current.level)}</span>;
    }
    const { unmount } = render(
      <Levels.Provider value={{ store, controller: null }}>
        <Level />
      </Levels.Provider>,
    );
    expect(screen.getByTestId('level').textContent).toBe('1');
    expect(listeners.size).toBe(1);
    act(() => {
      state = { level: 2 };
      for (const listener of listeners) listener();
    });
    expect(screen.getByTestId('level').textContent).toBe('2');
    unmount();
    expect(listeners.size).toBe(0);
  });

  it('keeps separate bindings apart: an inner Provider of one kind does not hide another', () => {
    const outer = setup({ count: 1, label: 'outer' });
    const Other = bindStore<Store<CounterState>, CounterController>('OtherContext');
    const inner = setup({ count: 2, label: 'inner' });
    function Both() {
      const counter = Counter.useSelector((state) => state.label);
      const other = Other.useSelector((state) => state.label);
      return <span data-testid="both">{`${counter}/${other}`}</span>;
    }
    render(
      <Counter.Provider value={outer.value}>
        <Other.Provider value={inner.value}>
          <Both />
        </Other.Provider>
      </Counter.Provider>,
    );
    expect(screen.getByTestId('both').textContent).toBe('outer/inner');
  });
});
