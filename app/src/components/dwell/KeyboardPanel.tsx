import { KEYBOARD_KEYS, type KeyboardKey } from '../../board/keyboard';
import type { DwellLoop } from '../../dwell/loop';
import { DwellButton } from './DwellButton';

export const KEY_PREFIX = 'key:';

const LETTER_KEYS = KEYBOARD_KEYS.filter((key) => key.action === 'letter');
const COMMAND_KEYS = KEYBOARD_KEYS.filter((key) => key.action !== 'letter');

function KeyButton({
  loop,
  keyboardKey,
  onKey,
}: {
  loop: DwellLoop;
  keyboardKey: KeyboardKey;
  onKey: (key: KeyboardKey) => void;
}) {
  const command = keyboardKey.action !== 'letter';
  return (
    <DwellButton
      loop={loop}
      targetId={KEY_PREFIX + keyboardKey.id}
      className={command ? 'board-key board-key-command' : 'board-key'}
      testId="board-key"
      onClick={() => onKey(keyboardKey)}
    >
      {keyboardKey.label}
    </DwellButton>
  );
}

/** The typed message, shown large, and the dwell keyboard under it. */
export function KeyboardPanel({
  loop,
  message,
  onKey,
}: {
  loop: DwellLoop;
  message: string;
  onKey: (key: KeyboardKey) => void;
}) {
  return (
    <div className="board-keyboard">
      <output className="board-message" data-testid="board-message" aria-live="polite">
        {message === '' ? (
          <span className="board-message-empty">Type with your eyes</span>
        ) : (
          message
        )}
      </output>
      <div className="board-keys-groups" role="group" aria-label="Keyboard">
        {/* The commands in a row of their own: wider keys, and Speak near the message. */}
        <div className="dwell-grid board-commands">
          {COMMAND_KEYS.map((key) => (
            <KeyButton key={key.id} loop={loop} keyboardKey={key} onKey={onKey} />
          ))}
        </div>
        <div className="dwell-grid board-keys">
          {LETTER_KEYS.map((key) => (
            <KeyButton key={key.id} loop={loop} keyboardKey={key} onKey={onKey} />
          ))}
        </div>
      </div>
    </div>
  );
}
