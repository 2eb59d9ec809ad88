import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useCalibrationController, useCalibrationState } from '../../calibration/react';
import { DWELL_MS_CHOICES } from '../../calibration/storage';
import { DwellTracker, type DwellRegion } from '../../dwell/dwell';
import { useAppStore } from '../../store/react';
import { GazeCursor } from '../calibration/GazeCursor';
import { GazeCursorToggle } from '../calibration/GazeCursorToggle';
import { DurationSelect } from '../DurationSelect';
import { TrackingGate } from '../TrackingGate';
import './dwell.css';

/** The demo's choices: short, common requests, each a large target. */
const CHOICES = ['Yes', 'No', 'Help', 'Water', 'Music', 'Rest'] as const;
/** How long a triggered button shows that it was chosen. */
const TRIGGERED_FLASH_MS = 700;
const HISTORY_LENGTH = 5;

const REDUCED_MOTION = '(prefers-reduced-motion: reduce)';

/** The media query, where the environment has one (not every test DOM does). */
function reducedMotionQuery(): MediaQueryList | null {
  return typeof window.matchMedia === 'function' ? window.matchMedia(REDUCED_MOTION) : null;
}

function subscribeReducedMotion(listener: () => void): () => void {
  const query = reducedMotionQuery();
  query?.addEventListener('change', listener);
  return () => query?.removeEventListener('change', listener);
}

function usePrefersReducedMotion(): boolean {
  return useSyncExternalStore(
    subscribeReducedMotion,
    () => reducedMotionQuery()?.matches ?? false,
    () => false,
  );
}

export function DwellPage() {
  return (
    <TrackingGate notice="The dwell buttons follow your gaze. Turn on the camera and start tracking first, then calibrate.">
      <DwellBoard />
    </TrackingGate>
  );
}

function DwellBoard() {
  const store = useAppStore();
  const controller = useCalibrationController();
  const calibrated = useCalibrationState((state) => state.calibrated);
  const dwellMs = useCalibrationState((state) => state.settings.dwellMs);
  const showCursor = useCalibrationState((state) => state.settings.showGazeCursor);
  const reducedMotion = usePrefersReducedMotion();
  const [paused, setPaused] = useState(false);
  const [history, setHistory] = useState<readonly string[]>([]);
  const buttons = useRef(new Map<string, HTMLButtonElement>());

  const choose = (choice: string): void =>
    setHistory((previous) => [choice, ...previous].slice(0, HISTORY_LENGTH));

  // The dwell loop, outside React: each sample moves the fills directly; only a trigger renders.
  useEffect(() => {
    const tracker = new DwellTracker({ dwellMs });
    if (paused) tracker.pause();
    const flashes = new Set<ReturnType<typeof setTimeout>>();
    const draw = (regionId: string | null, progress: number): void => {
      const shown = reducedMotion ? Math.floor(progress * 4) / 4 : progress;
      for (const [id, element] of buttons.current) {
        const active = id === regionId;
        element.style.setProperty('--dwell-progress', String(active ? shown : 0));
        element.dataset['dwell'] = active ? 'active' : 'none';
      }
    };
    const unsubscribe = store.subscribe((state, previous) => {
      const sample = state.live.sample;
      if (sample === previous.live.sample || sample === null) return;
      const regions: DwellRegion[] = [];
      for (const [id, element] of buttons.current) {
        const box = element.getBoundingClientRect();
        regions.push({ id, left: box.left, top: box.top, right: box.right, bottom: box.bottom });
      }
      tracker.setRegions(regions);
      const point = sample.screen_point ?? null;
      const frame = tracker.update(
        point === null ? null : { xPx: point.smoothed_x_px, yPx: point.smoothed_y_px },
        performance.now(),
      );
      draw(frame.regionId, frame.progress);
      const triggered = frame.triggered;
      if (triggered !== null) {
        const element = buttons.current.get(triggered);
        if (element !== undefined) {
          element.dataset['triggered'] = 'true';
          const flash = setTimeout(() => {
            flashes.delete(flash);
            element.dataset['triggered'] = 'false';
          }, TRIGGERED_FLASH_MS);
          flashes.add(flash);
        }
        setHistory((previous) => [triggered, ...previous].slice(0, HISTORY_LENGTH));
      }
    });
    return () => {
      unsubscribe();
      for (const flash of flashes) clearTimeout(flash);
      draw(null, 0);
    };
  }, [store, dwellMs, paused, reducedMotion]);

  // P pauses and resumes from anywhere on the page (except while typing in a field).
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const target = event.target;
      if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement) return;
      if (event.key === 'p' || event.key === 'P') {
        event.preventDefault();
        setPaused((value) => !value);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="dwell" data-testid="dwell-page" data-paused={paused}>
      <div className="dwell-toolbar">
        <h1>Dwell buttons</h1>
        <DurationSelect
          label="Dwell time"
          valueMs={dwellMs}
          choicesMs={DWELL_MS_CHOICES}
          onChange={(ms) => controller.updateSettings({ dwellMs: ms })}
          inline
        />
        <GazeCursorToggle />
        <button
          type="button"
          className="button button-large dwell-pause"
          aria-pressed={paused}
          aria-keyshortcuts="P"
          data-testid="dwell-pause"
          onClick={() => setPaused((value) => !value)}
        >
          {paused ? 'Resume (P)' : 'Pause (P)'}
        </button>
      </div>
      {!calibrated && (
        <p className="notice notice-warning" role="status" data-testid="dwell-uncalibrated">
          The buttons respond to your gaze once this screen is calibrated:{' '}
          <a href="#/calibrate">calibrate now</a>. They also work with a click or the keyboard.
        </p>
      )}
      <p className="visually-hidden" role="status">
        {paused ? 'Dwell selection paused' : ''}
      </p>
      <div className="dwell-grid" aria-label="Choices" role="group">
        {CHOICES.map((choice) => (
          <button
            key={choice}
            type="button"
            className="dwell-button"
            data-testid="dwell-button"
            data-dwell="none"
            data-triggered="false"
            ref={(element) => {
              if (element === null) buttons.current.delete(choice);
              else buttons.current.set(choice, element);
            }}
            onClick={() => choose(choice)}
          >
            <span className="dwell-fill" aria-hidden="true" />
            <span className="dwell-label">{choice}</span>
          </button>
        ))}
      </div>
      <p className="dwell-history" aria-live="polite" data-testid="dwell-history">
        {history.length === 0 ? 'Nothing chosen yet.' : `Chosen: ${history.join(', ')}`}
      </p>
      {showCursor && calibrated && !paused && <GazeCursor />}
    </div>
  );
}
