import { describe, expect, it } from 'vitest';
import {
  KEYBOARD_KEYS,
  MAX_MESSAGE_CHARS,
  pressKey,
  type KeyboardKey,
} from '../../src/board/keyboard';

function key(id: string): KeyboardKey {
  const found = KEYBOARD_KEYS.find((entry) => entry.id === id);
  if (found === undefined) throw new Error(`no key ${id}`);
  return found;
}

/** Press `ids` in order from an empty message; the message and everything said. */
function type(ids: readonly string[], from = ''): { message: string; said: string[] } {
  let message = from;
  const said: string[] = [];
  for (const id of ids) {
    const result = pressKey(message, key(id));
    message = result.message;
    if (result.speak !== null) said.push(result.speak);
  }
  return { message, said };
}

describe('the dwell keyboard', () => {
  it('has the 26 letters in order and the four commands, each id once', () => {
    const letters = KEYBOARD_KEYS.filter((entry) => entry.action === 'letter');
    expect(letters.map((entry) => entry.label).join('')).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    expect(KEYBOARD_KEYS.filter((entry) => entry.action !== 'letter').map((k) => k.action)).toEqual(
      ['space', 'delete', 'clear', 'speak'],
    );
    expect(new Set(KEYBOARD_KEYS.map((entry) => entry.id)).size).toBe(KEYBOARD_KEYS.length);
  });

  it('types letters and spaces, and speaks the message without the trailing space', () => {
    expect(type(['H', 'I', 'space', 'speak'])).toEqual({ message: 'HI ', said: ['HI'] });
  });

  it('deletes the last character and clears the message', () => {
    expect(type(['N', 'O', 'P', 'delete']).message).toBe('NO');
    expect(type(['delete']).message).toBe('');
    expect(type(['Y', 'E', 'S', 'clear']).message).toBe('');
  });

  it('says nothing for an empty or blank message', () => {
    expect(type(['speak']).said).toEqual([]);
    expect(type(['space', 'space', 'speak']).said).toEqual([]);
  });

  it('stops typing at the bound but still deletes and speaks', () => {
    const full = 'A'.repeat(MAX_MESSAGE_CHARS);
    expect(type(['B', 'space'], full).message).toBe(full);
    expect(type(['delete'], full).message).toHaveLength(MAX_MESSAGE_CHARS - 1);
    expect(type(['speak'], full).said).toEqual([full]);
  });
});
