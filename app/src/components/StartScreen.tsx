import { AutoStartToggle } from '../handsfree/react';
import { useAppState, useController } from '../store/react';
import { CameraPreview } from './CameraPreview';
import { CameraSettings } from './CameraSettings';

export function StartScreen() {
  return (
    <div className="start">
      <section className="start-intro" aria-labelledby="start-title">
        <h1 id="start-title">See where you are looking</h1>
        <p className="lead">
          gazertc follows your face and eyes with an ordinary webcam. It shows your head pose and
          the direction of your gaze, live, and tells you how to improve the picture.
        </p>
        <ul className="checklist">
          <li>Sit about an arm&rsquo;s length from the camera, facing it.</li>
          <li>Have light in front of you, not a bright window behind you.</li>
        </ul>
        <h2 className="start-privacy-title">What happens to your video</h2>
        <ul className="checklist" data-testid="privacy">
          <li>
            It goes only to the gazertc server at <strong>{window.location.host}</strong>, is
            processed there and is not stored.
          </li>
          <li>
            Nothing is recorded unless you or the host of this server starts a recording, and the
            host of this server may start one. A recording keeps the tracking data (face points,
            gaze, blinks), not the video.
          </li>
          <li>
            While a recording runs, this page always shows it and who started it, with a button to
            stop it.
          </li>
          <li>
            The host of this server can see on its monitor page that your session is live and where
            you are looking, but not your video.
          </li>
        </ul>
      </section>
      <CameraStep />
    </div>
  );
}

function CameraStep() {
  const controller = useController();
  const status = useAppState((state) => state.camera.status);
  const problem = useAppState((state) => state.camera.problem);

  return (
    <section className="card camera-step" aria-labelledby="camera-title">
      <h2 id="camera-title">Your camera</h2>
      {status === 'on' ? (
        <>
          <CameraPreview />
          <CameraSettings />
          {/* The button that was pressed to get here is gone: keep the keyboard focus nearby. */}
          <button
            type="button"
            className="button button-primary button-large"
            autoFocus
            onClick={() => controller.connect()}
          >
            Start tracking
          </button>
        </>
      ) : (
        <>
          <div className="camera-placeholder" aria-hidden="true">
            <span className="camera-icon" />
          </div>
          {problem !== null && (
            <p className="notice notice-error" role="alert">
              {problem.message}
            </p>
          )}
          {status === 'requesting' ? (
            <p className="hint" role="status">
              Your browser is asking whether this page may use the camera.
            </p>
          ) : (
            <p className="hint">
              The page asks for 1280&times;720 at 30 frames per second; your camera may give less.
            </p>
          )}
          <button
            type="button"
            className="button button-primary button-large"
            disabled={status === 'requesting'}
            onClick={() => void controller.startCamera()}
          >
            {status === 'requesting'
              ? 'Waiting for permission…'
              : problem === null
                ? 'Turn on camera'
                : 'Try again'}
          </button>
        </>
      )}
      <AutoStartToggle />
    </section>
  );
}
