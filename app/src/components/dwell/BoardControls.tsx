import type { DwellLoop } from '../../dwell/loop';
import { DwellButton } from './DwellButton';

export type BoardTab = 'phrases' | 'keyboard';

/** Controls rank after the board's own targets when two are equally near the gaze. */
const CONTROL_PRIORITY = 1;

export const CONTROL_IDS = {
  phrases: 'control:phrases',
  keyboard: 'control:keyboard',
  pause: 'control:pause',
  recalibrate: 'control:recalibrate',
} as const;

export interface BoardControlsProps {
  loop: DwellLoop;
  tab: BoardTab;
  paused: boolean;
  onTab: (tab: BoardTab) => void;
  onTogglePause: () => void;
  onRecalibrate: () => void;
}

/**
 * What a user who moves only the eyes needs besides the board: switching between phrases and the
 * keyboard, pausing (while paused only Resume responds, and after a longer look), recalibrating.
 */
export function BoardControls({
  loop,
  tab,
  paused,
  onTab,
  onTogglePause,
  onRecalibrate,
}: BoardControlsProps) {
  return (
    <div className="board-controls" role="group" aria-label="Board controls">
      <DwellButton
        loop={loop}
        targetId={CONTROL_IDS.phrases}
        className="board-control"
        testId="board-tab-phrases"
        pressed={tab === 'phrases'}
        priority={CONTROL_PRIORITY}
        onClick={() => onTab('phrases')}
      >
        Phrases
      </DwellButton>
      <DwellButton
        loop={loop}
        targetId={CONTROL_IDS.keyboard}
        className="board-control"
        testId="board-tab-keyboard"
        pressed={tab === 'keyboard'}
        priority={CONTROL_PRIORITY}
        onClick={() => onTab('keyboard')}
      >
        Keyboard
      </DwellButton>
      <DwellButton
        loop={loop}
        targetId={CONTROL_IDS.pause}
        className="board-control dwell-pause"
        testId="dwell-pause"
        pressed={paused}
        keyShortcuts="P"
        kind={paused ? 'long' : 'normal'}
        whilePaused
        priority={CONTROL_PRIORITY}
        onClick={onTogglePause}
      >
        {paused ? 'Resume' : 'Pause'}
      </DwellButton>
      <DwellButton
        loop={loop}
        targetId={CONTROL_IDS.recalibrate}
        className="board-control"
        testId="board-recalibrate"
        kind="long"
        priority={CONTROL_PRIORITY}
        onClick={onRecalibrate}
      >
        Recalibrate
      </DwellButton>
    </div>
  );
}
