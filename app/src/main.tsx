import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { AppController, browserScreen } from './rtc/controller';
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
  screen: browserScreen,
});

createRoot(root).render(
  <StrictMode>
    <AppContext value={{ store, controller }}>
      <App />
    </AppContext>
  </StrictMode>,
);
