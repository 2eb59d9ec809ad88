import { useEffect } from 'react';
import { useRoute } from '../routes';
import { useAppState, useController } from '../store/react';
import { CalibratePage } from './calibration/CalibratePage';
import { DwellPage } from './dwell/DwellPage';
import { Header } from './Header';
import { LiveView } from './LiveView';
import { RecordingIndicator } from './RecordingIndicator';
import { StartScreen } from './StartScreen';

export function App() {
  const controller = useController();
  const connected = useAppState((state) => state.connection.phase !== 'idle');
  const route = useRoute();

  // Leaving the page closes the session and releases the camera (pagehide also covers the
  // back/forward cache, where unmounting never happens).
  useEffect(() => {
    const onPageHide = (): void => controller.shutdown();
    window.addEventListener('pagehide', onPageHide);
    return () => {
      window.removeEventListener('pagehide', onPageHide);
      controller.shutdown();
    };
  }, [controller]);

  return (
    <div className="app app-participant">
      <Header />
      {/* Here, outside every page, so that no page can hide a running recording. */}
      <RecordingIndicator />
      <main id="main" className="app-main">
        {route === 'calibrate' ? (
          <CalibratePage />
        ) : route === 'dwell' ? (
          <DwellPage />
        ) : connected ? (
          <LiveView />
        ) : (
          <StartScreen />
        )}
      </main>
      <footer className="app-footer">
        gazertc {__APP_VERSION__} · webcam gaze estimation · open source (MIT)
      </footer>
    </div>
  );
}
