// The dwell keyboard: letters in alphabetical order (easier to find by eye than QWERTY for someone
// who does not type) and four commands. Pure: a key and the message in, the new message and what
// to say out.

import { MAX_SPEECH_CHARS } from './board';

export type KeyAction = 'letter' | 'space' | 'delete' | 'speak' | 'clear';

export interface KeyboardKey {
  /** Unique among the keys; also the dwell target's id suffix. */
  id: string;
  action: KeyAction;
  /** What the key shows (and, for a letter, types). */
  label: string;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const KEYBOARD_KEYS: readonly KeyboardKey[] = [
  ...Array.from(LETTERS, (letter) => ({ id: letter, action: 'letter' as const, label: letter })),
  { id: 'space', action: 'space', label: 'Space' },
  { id: 'delete', action: 'delete', label: 'Delete' },
  { id: 'clear', action: 'clear', label: 'Clear' },
  { id: 'speak', action: 'speak', label: 'Speak' },
];

/** The typed message is spoken as one utterance: the same bound as a button's speech. */
export const MAX_MESSAGE_CHARS = MAX_SPEECH_CHARS;

export interface KeyResult {
  message: string;
  /** What to say now, or null. */
  speak: string | null;
}

/** The message after pressing `key`; a full message ignores more letters and spaces. */
export function pressKey(message: string, key: KeyboardKey): KeyResult {
  switch (key.action) {
    case 'letter':
    case 'space': {
      const typed = key.action === 'letter' ? key.label : ' ';
      const full = message.length >= MAX_MESSAGE_CHARS;
      return { message: full ? message : message + typed, speak: null };
    }
    case 'delete':
      return { message: message.slice(0, -1), speak: null };
    case 'clear':
      return { message: '', speak: null };
    case 'speak': {
      const text = message.trim();
      return { message, speak: text === '' ? null : text };
    }
  }
}
