// @vitest-environment jsdom
import { act, cleanup } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SampleMessage } from 'gazertc-client/protocol';
import { INITIAL_STATE, connectRequested, serverMessageReceived } from '../../src/store/appState';
import { useAppState } from '../../src/store/react';
import { fixture } from '../fixtures';
import { renderWithApp } from './render';

afterEach(cleanup);

const sample = fixture('sample.face.json') as SampleMessage;

describe('useAppState', () => {
  it('re-renders a component only when its own slice changes', () => {
    const renders = { phase: 0, frame: 0 };
    function Phase() {
      renders.phase += 1;
      return <span>{useAppState((state) => state.connection.phase)}</span>;
    }
    function Frame() {
      renders.frame += 1;
      return <span>{useAppState((state) => state.live.sample?.frame_id ?? -1)}</span>;
    }
    const { store, container } = renderWithApp(
      <>
        <Phase />
        <Frame />
      </>,
      connectRequested(INITIAL_STATE),
    );
    expect(renders).toEqual({ phase: 1, frame: 1 });
    act(() => {
      store.update((state) => serverMessageReceived(state, sample)); // goes live: both change
    });
    expect(renders).toEqual({ phase: 2, frame: 2 });
    for (let frameId = 100; frameId < 130; frameId += 1) {
      act(() => {
        store.update((state) => serverMessageReceived(state, { ...sample, frame_id: frameId }));
      });
    }
    expect(renders).toEqual({ phase: 2, frame: 32 });
    expect(container.textContent).toBe('live129');
  });
});
