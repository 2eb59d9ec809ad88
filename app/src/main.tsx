import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { HostPages } from './components/recordings/HostPages';
import { isMonitorPath } from './monitor/token';
import { CalibrationController } from './calibration/controller';
import { CalibrationContext } from './calibration/react';
import { initialCalibrationState } from './calibration/state';
import { loadSettings } from './calibration/storage';
import { AppController } from './rtc/controller';
import { INITIAL_STATE } from './store/appState';
import { AppContext } from './store/react';
import { createStore } from './store/store';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');

const store = createStore(INITIAL_STATE);
const controller = new AppController({
  store,
  serverUrl: window.location.origin,
  // Absent on insecure pages (http other than localhost), although the DOM types say otherwise.
  mediaDevices: 'mediaDevices' in navigator ? navigator.mediaDevices : undefined,
  isSecureContext: window.isSecureContext,
  clientVersion: __APP_VERSION__,
  // The viewport, the space of calibration targets and screen points (calibration below).
  screen: () => calibration.currentScreen(),
});

// Calibration, validation and the saved calibration follow the session (src/calibration/).
const calibrationStore = createStore(initialCalibrationState(loadSettings(window.localStorage)));
const calibration: CalibrationController = new CalibrationController({
  app: controller,
  store: calibrationStore,
  storage: window.localStorage,
  // innerWidth/innerHeight, not clientWidth: a scrollbar coming and going between pages must
  // not make the calibration's screen "change".
  viewport: () => ({
    widthPx: window.innerWidth,
    heightPx: window.innerHeight,
    devicePixelRatio: window.devicePixelRatio,
  }),
  watchViewport: (listener) => {
    window.addEventListener('resize', listener);
    return () => window.removeEventListener('resize', listener);
  },
});
calibration.attach();

createRoot(root).render(
  <StrictMode>
    {/* /monitor (served by the server for deep links) is its own page, with its own store;
        its fragment may name the recordings pages instead (src/recordings/route.ts). */}
    {isMonitorPath(window.location.pathname) ? (
      <HostPages serverUrl={window.location.origin} />
    ) : (
      <AppContext value={{ store, controller }}>
        <CalibrationContext value={{ store: calibrationStore, controller: calibration }}>
          <App />
        </CalibrationContext>
      </AppContext>
    )}
  </StrictMode>,
);
