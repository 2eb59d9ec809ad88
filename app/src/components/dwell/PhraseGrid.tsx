import type { BoardButton } from '../../board/board';
import type { DwellLoop } from '../../dwell/loop';
import { DwellButton } from './DwellButton';

export const PHRASE_PREFIX = 'phrase:';

/** The board's buttons, each chosen by a look, a click or the keyboard. */
export function PhraseGrid({
  loop,
  buttons,
  onChoose,
}: {
  loop: DwellLoop;
  buttons: readonly BoardButton[];
  onChoose: (button: BoardButton) => void;
}) {
  if (buttons.length === 0) {
    return (
      <p className="notice" data-testid="board-empty">
        The board has no buttons: choose Edit board to add some.
      </p>
    );
  }
  return (
    <div className="dwell-grid board-grid" aria-label="Choices" role="group">
      {buttons.map((button) => (
        <DwellButton
          key={button.id}
          loop={loop}
          targetId={PHRASE_PREFIX + button.id}
          className="board-phrase"
          testId="dwell-button"
          colour={button.colour}
          onClick={() => onChoose(button)}
        >
          {button.label.trim() === '' ? button.speech : button.label}
        </DwellButton>
      ))}
    </div>
  );
}
