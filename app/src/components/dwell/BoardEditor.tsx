import {
  BUTTON_COLOURS,
  COLUMN_CHOICES,
  MAX_BUTTONS,
  MAX_LABEL_CHARS,
  MAX_SPEECH_CHARS,
  TARGET_SIZES,
  addButton,
  moveButton,
  removeButton,
  updateButton,
  updateSettings,
  type Board,
  type BoardButton,
} from '../../board/board';

/** The choice a select's value names (its options come from `choices`). */
function choiceOf<T extends string | number>(
  choices: readonly T[],
  value: string | number,
): T | undefined {
  return choices.find((choice) => choice === value);
}

export interface BoardEditorProps {
  board: Board;
  edit: (change: (board: Board) => Board) => void;
}

/** Setting up the board, for a helper with a mouse or keyboard (dwell is off meanwhile). */
export function BoardEditor({ board, edit }: BoardEditorProps) {
  const { settings, buttons } = board;
  return (
    <section
      className="board-editor"
      aria-labelledby="board-editor-title"
      data-testid="board-editor"
    >
      <h2 id="board-editor-title">Edit the board</h2>
      <div className="board-editor-settings">
        <label className="field field-inline">
          <span>Button size</span>
          <select
            value={settings.targetSize}
            onChange={(event) => {
              const targetSize = choiceOf(TARGET_SIZES, event.target.value);
              if (targetSize !== undefined)
                edit((current) => updateSettings(current, { targetSize }));
            }}
          >
            {TARGET_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Columns</span>
          <select
            value={settings.columns}
            onChange={(event) => {
              const columns = choiceOf(COLUMN_CHOICES, Number(event.target.value));
              if (columns !== undefined) edit((current) => updateSettings(current, { columns }));
            }}
          >
            {COLUMN_CHOICES.map((columns) => (
              <option key={columns} value={columns}>
                {columns}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ol className="board-editor-list">
        {buttons.map((button, index) => (
          <ButtonEditor
            key={button.id}
            button={button}
            first={index === 0}
            last={index === buttons.length - 1}
            edit={edit}
          />
        ))}
      </ol>
      <button
        type="button"
        className="button"
        disabled={buttons.length >= MAX_BUTTONS}
        onClick={() => edit(addButton)}
      >
        Add a button
      </button>
      {buttons.length >= MAX_BUTTONS && (
        <p className="board-hint">The board holds at most {MAX_BUTTONS} buttons.</p>
      )}
    </section>
  );
}

function ButtonEditor({
  button,
  first,
  last,
  edit,
}: {
  button: BoardButton;
  first: boolean;
  last: boolean;
  edit: BoardEditorProps['edit'];
}) {
  const change = (patch: Partial<Omit<BoardButton, 'id'>>): void =>
    edit((current) => updateButton(current, button.id, patch));
  const name = button.label.trim() === '' ? 'this button' : button.label;
  return (
    <li className="board-editor-item" data-testid="board-editor-item" data-colour={button.colour}>
      <label className="field">
        <span>Label</span>
        <input
          type="text"
          value={button.label}
          maxLength={MAX_LABEL_CHARS}
          onChange={(event) => change({ label: event.target.value })}
        />
      </label>
      <label className="field">
        <span>Says</span>
        <textarea
          value={button.speech}
          maxLength={MAX_SPEECH_CHARS}
          rows={2}
          placeholder="The label, when empty"
          onChange={(event) => change({ speech: event.target.value })}
        />
      </label>
      <label className="field">
        <span>Colour</span>
        <select
          value={button.colour}
          onChange={(event) => {
            const colour = choiceOf(BUTTON_COLOURS, event.target.value);
            if (colour !== undefined) change({ colour });
          }}
        >
          {BUTTON_COLOURS.map((colour) => (
            <option key={colour} value={colour}>
              {colour}
            </option>
          ))}
        </select>
      </label>
      <div className="board-editor-actions">
        <button
          type="button"
          className="button button-quiet"
          disabled={first}
          aria-label={`Move ${name} earlier`}
          onClick={() => edit((current) => moveButton(current, button.id, -1))}
        >
          Earlier
        </button>
        <button
          type="button"
          className="button button-quiet"
          disabled={last}
          aria-label={`Move ${name} later`}
          onClick={() => edit((current) => moveButton(current, button.id, 1))}
        >
          Later
        </button>
        <button
          type="button"
          className="button button-quiet"
          aria-label={`Remove ${name}`}
          onClick={() => edit((current) => removeButton(current, button.id))}
        >
          Remove
        </button>
      </div>
    </li>
  );
}
