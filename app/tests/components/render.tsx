import { render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { AppController } from '../../src/rtc/controller';
import { INITIAL_STATE, type AppState } from '../../src/store/appState';
import { AppContext } from '../../src/store/react';
import { createStore, type Store } from '../../src/store/store';
import { FakeMediaDevices } from '../fakes';

export interface Rendered extends RenderResult {
  store: Store<AppState>;
  controller: AppController;
  mediaDevices: FakeMediaDevices;
}

/** Render `ui` with a real store and controller; the camera is a FakeMediaDevices. */
export function renderWithApp(ui: ReactNode, state: AppState = INITIAL_STATE): Rendered {
  const store = createStore(state);
  const mediaDevices = new FakeMediaDevices();
  const controller = new AppController({
    store,
    serverUrl: 'http://localhost:3000',
    mediaDevices: mediaDevices.asMediaDevices(),
    isSecureContext: true,
    clientVersion: '0.1.0',
  });
  const result = render(<AppContext value={{ store, controller }}>{ui}</AppContext>);
  return { ...result, store, controller, mediaDevices };
}
