import { useId } from 'react';
import type { ViewMode } from '../store/appState';
import { useAppState, useController } from '../store/react';
import { MirrorToggle } from './MirrorToggle';

const OPTIONS: ReadonlyArray<{ mode: ViewMode; label: string }> = [
  { mode: 'overlay', label: 'Camera + overlay' },
  { mode: 'server', label: 'Server video' },
];

/** The view switch (a radio group: arrow keys move between options) and the mirror setting. */
export function ViewControls() {
  const controller = useController();
  const mode = useAppState((state) => state.view.mode);
  const videoAvailable = useAppState((state) => state.connection.videoAvailable);
  const sessionKnown = useAppState((state) => state.connection.sessionId !== null);
  const name = useId();

  return (
    <div className="view-controls">
      <fieldset className="segmented">
        <legend className="visually-hidden">View</legend>
        {OPTIONS.map((option) => {
          const unavailable = option.mode === 'server' && sessionKnown && !videoAvailable;
          return (
            <label key={option.mode} className="segmented-option">
              <input
                type="radio"
                name={name}
                value={option.mode}
                checked={mode === option.mode}
                disabled={unavailable}
                onChange={() => controller.setViewMode(option.mode)}
              />
              <span>{option.label}</span>
            </label>
          );
        })}
      </fieldset>
      <MirrorToggle className="field-inline" label="Mirror" />
    </div>
  );
}
