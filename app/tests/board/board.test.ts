import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BOARD,
  MAX_BUTTONS,
  MAX_LABEL_CHARS,
  MAX_SPEECH_CHARS,
  addButton,
  moveButton,
  nextButtonId,
  removeButton,
  spokenText,
  updateButton,
  updateSettings,
  type Board,
} from '../../src/board/board';

const labels = (board: Board): string[] => board.buttons.map((button) => button.label);

describe('editing the board', () => {
  it('adds a blank button with a fresh id, up to the limit', () => {
    const added = addButton(DEFAULT_BOARD);
    expect(added.buttons).toHaveLength(DEFAULT_BOARD.buttons.length + 1);
    const ids = added.buttons.map((button) => button.id);
    expect(new Set(ids).size).toBe(ids.length);
    let full = DEFAULT_BOARD;
    for (let count = 0; count < MAX_BUTTONS * 2; count += 1) full = addButton(full);
    expect(full.buttons).toHaveLength(MAX_BUTTONS);
    expect(addButton(full)).toBe(full);
  });

  it('changes one button, cutting its strings to their bounds', () => {
    const id = DEFAULT_BOARD.buttons[1]?.id ?? '';
    const edited = updateButton(DEFAULT_BOARD, id, {
      label: 'x'.repeat(MAX_LABEL_CHARS + 10),
      speech: 'y'.repeat(MAX_SPEECH_CHARS + 10),
      colour: 'yellow',
    });
    const button = edited.buttons[1];
    expect(button?.label).toHaveLength(MAX_LABEL_CHARS);
    expect(button?.speech).toHaveLength(MAX_SPEECH_CHARS);
    expect(button?.colour).toBe('yellow');
    expect(edited.buttons[0]).toBe(DEFAULT_BOARD.buttons[0]);
  });

  it('removes and reorders buttons, staying within the list', () => {
    const id = DEFAULT_BOARD.buttons[0]?.id ?? '';
    expect(labels(moveButton(DEFAULT_BOARD, id, 1)).slice(0, 3)).toEqual(['No', 'Yes', 'Help']);
    expect(moveButton(DEFAULT_BOARD, id, -1)).toBe(DEFAULT_BOARD);
    expect(labels(moveButton(DEFAULT_BOARD, id, 100)).at(-1)).toBe('Yes');
    expect(labels(removeButton(DEFAULT_BOARD, id))).not.toContain('Yes');
  });

  it('says the speech text, or the label when there is none', () => {
    expect(spokenText({ id: 'button-1', label: 'Tea', speech: '  ', colour: 'blue' })).toBe('Tea');
    expect(
      spokenText({ id: 'button-1', label: 'Tea', speech: 'Tea, please', colour: 'blue' }),
    ).toBe('Tea, please');
  });

  it('numbers new ids after the highest one', () => {
    expect(nextButtonId([{ id: 'button-7', label: '', speech: '', colour: 'red' }])).toBe(
      'button-8',
    );
    expect(nextButtonId([])).toBe('button-1');
  });

  it('changes settings without touching the buttons', () => {
    const changed = updateSettings(DEFAULT_BOARD, { columns: 4 });
    expect(changed.settings).toEqual({ ...DEFAULT_BOARD.settings, columns: 4 });
    expect(changed.buttons).toBe(DEFAULT_BOARD.buttons);
  });
});
