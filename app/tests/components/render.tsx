import { render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { CalibrationController } from '../../src/calibration/controller';
import { CalibrationContext } from '../../src/calibration/react';
import { initialCalibrationState, type CalibrationState } from '../../src/calibration/state';
import { DEFAULT_SETTINGS } from '../../src/calibration/storage';
import { AppController } from '../../src/rtc/controller';
import { INITIAL_STATE, type AppState } from '../../src/store/appState';
import { AppContext } from '../../src/store/react';
import { createStore, type Store } from '../../src/store/store';
import { FakeSession, MemoryStorage } from '../calibration/fakes';
import { FakeMediaDevices } from '../fakes';

export interface Rendered extends RenderResult {
  store: Store<AppState>;
  controller: AppController;
  mediaDevices: FakeMediaDevices;
}

/** A real store and controller; the camera is a FakeMediaDevices. */
function createApp(state: AppState): Omit<Rendered, keyof RenderResult> {
  const store = createStore(state);
  const mediaDevices = new FakeMediaDevices();
  const controller = new AppController({
    store,
    serverUrl: 'http://localhost:3000',
    mediaDevices: mediaDevices.asMediaDevices(),
    isSecureContext: true,
    clientVersion: '0.1.0',
  });
  return { store, controller, mediaDevices };
}

/** Render `ui` with a real store and controller; the camera is a FakeMediaDevices. */
export function renderWithApp(ui: ReactNode, state: AppState = INITIAL_STATE): Rendered {
  const app = createApp(state);
  const result = render(
    <AppContext value={{ store: app.store, controller: app.controller }}>{ui}</AppContext>,
  );
  return { ...result, ...app };
}

export interface RenderedWithCalibration extends Rendered {
  session: FakeSession;
  calibration: CalibrationController;
  calibrationStore: Store<CalibrationState>;
}

/**
 * Render `ui` inside both the app's and the calibration's context; the calibration talks to a
 * FakeSession and never asks for full screen.
 */
export function renderWithCalibration(
  ui: ReactNode,
  state: AppState = INITIAL_STATE,
): RenderedWithCalibration {
  const app = createApp(state);
  const session = new FakeSession();
  const calibrationStore = createStore(
    initialCalibrationState({ ...DEFAULT_SETTINGS, fullscreen: false }),
  );
  const calibration = new CalibrationController({
    app: session,
    store: calibrationStore,
    storage: new MemoryStorage(),
    viewport: () => ({ widthPx: 1000, heightPx: 700, devicePixelRatio: 1 }),
  });
  calibration.attach();
  const result = render(
    <AppContext value={{ store: app.store, controller: app.controller }}>
      <CalibrationContext value={{ store: calibrationStore, controller: calibration }}>
        {ui}
      </CalibrationContext>
    </AppContext>,
  );
  return { ...result, ...app, session, calibration, calibrationStore };
}
