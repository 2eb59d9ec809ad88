import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BOARD,
  DEFAULT_BOARD_SETTINGS,
  DEFAULT_BUTTONS,
  MAX_BUTTONS,
  MAX_LABEL_CHARS,
  MAX_SPEECH_CHARS,
  addButton,
  updateButton,
  updateSettings,
} from '../../src/board/board';
import { BOARD_KEY, MAX_STORED_CHARS, loadBoard, saveBoard } from '../../src/board/storage';
import { MemoryStorage } from '../calibration/fakes';

function stored(value: unknown): MemoryStorage {
  const storage = new MemoryStorage();
  storage.setItem(BOARD_KEY, typeof value === 'string' ? value : JSON.stringify(value));
  return storage;
}

const tea = { id: 'button-3', label: 'Tea', speech: 'Tea, please', colour: 'green' };

describe('the board in storage', () => {
  it('gives back what was saved', () => {
    const storage = new MemoryStorage();
    const board = updateSettings(
      updateButton(addButton(DEFAULT_BOARD), 'button-7', { label: 'Tea', speech: 'Tea!' }),
      { columns: 2, targetSize: 'small', audioFeedback: true },
    );
    expect(saveBoard(storage, board)).toBe(true);
    expect(loadBoard(storage)).toEqual(board);
  });

  it('starts from the defaults with nothing saved or no storage', () => {
    expect(loadBoard(new MemoryStorage())).toBe(DEFAULT_BOARD);
    expect(loadBoard(null)).toBe(DEFAULT_BOARD);
    expect(saveBoard(null, DEFAULT_BOARD)).toBe(false);
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['not an object', '[1,2]'],
    ['another version', { version: 2, buttons: [tea] }],
    ['no version', { buttons: [tea] }],
    ['too long to parse', 'x'.repeat(MAX_STORED_CHARS + 1)],
  ])('falls back to the default board when it is %s', (_, value) => {
    expect(loadBoard(stored(value))).toBe(DEFAULT_BOARD);
  });

  it('falls back to the default buttons for a missing list or too many buttons', () => {
    const many = Array.from({ length: MAX_BUTTONS + 1 }, (_, index) => ({
      ...tea,
      id: `button-${index + 1}`,
    }));
    expect(loadBoard(stored({ version: 1, buttons: many })).buttons).toBe(DEFAULT_BUTTONS);
    expect(loadBoard(stored({ version: 1, buttons: 'Yes' })).buttons).toBe(DEFAULT_BUTTONS);
    expect(loadBoard(stored({ version: 1 })).buttons).toBe(DEFAULT_BUTTONS);
  });

  it('leaves out buttons of the wrong shape, too long, or repeating an id', () => {
    const buttons = [
      tea,
      { ...tea, id: 'button-4', label: 'x'.repeat(MAX_LABEL_CHARS + 1) },
      { ...tea, id: 'button-5', speech: 'y'.repeat(MAX_SPEECH_CHARS + 1) },
      { ...tea, id: 'button-6', colour: 'url(javascript:alert(1))' },
      { ...tea, id: '<img src=x>' },
      { ...tea, id: 'button-8', label: 42 },
      { ...tea, id: 'button-9', speech: null },
      null,
      'Yes',
      { ...tea, label: 'Copy' },
      { ...tea, id: 'button-10', label: 'x'.repeat(MAX_LABEL_CHARS) },
    ];
    const loaded = loadBoard(stored({ version: 1, buttons }));
    expect(loaded.buttons.map((button) => button.id)).toEqual(['button-3', 'button-10']);
    expect(loaded.buttons[0]).toEqual(tea);
  });

  it('keeps an empty board (every button removed)', () => {
    expect(loadBoard(stored({ version: 1, buttons: [] })).buttons).toEqual([]);
  });

  it('checks each setting on its own', () => {
    const loaded = loadBoard(
      stored({
        version: 1,
        buttons: [tea],
        settings: { columns: 7, targetSize: 'small', audioFeedback: 'yes' },
      }),
    );
    expect(loaded.settings).toEqual({
      ...DEFAULT_BOARD_SETTINGS,
      targetSize: 'small',
    });
    expect(loadBoard(stored({ version: 1, buttons: [tea], settings: [] })).settings).toBe(
      DEFAULT_BOARD_SETTINGS,
    );
  });

  it('survives a storage that throws', () => {
    const throwing = {
      getItem: (): string | null => {
        throw new Error('SecurityError');
      },
      setItem: (): void => {
        throw new Error('QuotaExceededError');
      },
      removeItem: (): void => undefined,
    };
    expect(loadBoard(throwing)).toBe(DEFAULT_BOARD);
    expect(saveBoard(throwing, DEFAULT_BOARD)).toBe(false);
  });
});
