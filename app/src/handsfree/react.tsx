// The hands-free start on the page: the opt-in checkbox, the start on page load, and the notice
// that tracking started by itself. The browser's localStorage and permissions are read here only.

import { useEffect, useId } from 'react';
import { useAppState, useAppStore, useController } from '../store/react';
import { autoStartTracking, chooseAutoStart, rememberChosenCamera } from './autoStart';

function browserPermissions(): Pick<Permissions, 'query'> | undefined {
  // Absent in older browsers and on insecure pages, although the DOM types say otherwise.
  return 'permissions' in navigator ? navigator.permissions : undefined;
}

/** Mount once per page: starts tracking with no click when opted in, and keeps the camera chosen. */
export function useHandsFreeStart(): void {
  const store = useAppStore();
  const controller = useController();
  useEffect(() => {
    const storage = window.localStorage;
    // Once per page load: the store remembers that it was tried, across remounts.
    void autoStartTracking({ store, controller, storage, permissions: browserPermissions() });
    return rememberChosenCamera(store, storage);
  }, [store, controller]);
}

/** "Start tracking when this page opens", with what it does. */
export function AutoStartToggle() {
  const store = useAppStore();
  const autoStart = useAppState((state) => state.handsFree.autoStart);
  const id = useId();
  const hintId = useId();
  return (
    <div className="auto-start">
      <div className="field-inline">
        <input
          id={id}
          type="checkbox"
          checked={autoStart}
          aria-describedby={hintId}
          onChange={(event) => chooseAutoStart(store, window.localStorage, event.target.checked)}
        />
        <label htmlFor={id}>Start tracking when this page opens</label>
      </div>
      <p className="hint" id={hintId}>
        For hands-free use: next time, the camera and tracking start with no click, once this
        browser allows the camera. It is remembered in this browser only.
      </p>
    </div>
  );
}

/** Shown while tracking that started by itself: says so, and how to turn that off. */
export function AutoStartNotice() {
  const store = useAppStore();
  const outcome = useAppState((state) => state.handsFree.outcome);
  const autoStart = useAppState((state) => state.handsFree.autoStart);
  const connected = useAppState((state) => state.connection.phase !== 'idle');
  if (outcome !== 'started' || !connected) return null;
  return (
    <p className="notice auto-start-notice" role="status" data-testid="auto-start-notice">
      {autoStart ? (
        <>
          Tracking started by itself because &ldquo;Start tracking when this page opens&rdquo; is
          on.{' '}
          <button
            type="button"
            className="button button-quiet"
            onClick={() => chooseAutoStart(store, window.localStorage, false)}
          >
            Turn off automatic start
          </button>
        </>
      ) : (
        <>Automatic start is off: next time, this page waits for you to start tracking.</>
      )}
    </p>
  );
}
