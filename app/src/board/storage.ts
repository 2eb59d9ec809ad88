// The board in localStorage under a versioned key. Storage is user-editable and may hold anything
// (an older app's data, a hand edit, a hostile page on the same origin): what comes back is
// checked field by field, sizes are bounded, and whatever fails falls back to the defaults.

import type { KeyValueStorage } from '../calibration/storage';
import {
  BUTTON_COLOURS,
  COLUMN_CHOICES,
  DEFAULT_BOARD,
  DEFAULT_BOARD_SETTINGS,
  DEFAULT_BUTTONS,
  MAX_BUTTONS,
  MAX_LABEL_CHARS,
  MAX_SPEECH_CHARS,
  TARGET_SIZES,
  isButtonId,
  type Board,
  type BoardButton,
  type BoardSettings,
  type ButtonColour,
  type Columns,
  type TargetSize,
} from './board';

export const BOARD_KEY = 'gazertc.board.v1';
const FORMAT_VERSION = 1;
/**
 * A full board is under 24 × 1,600 characters of JSON even with every character escaped: anything
 * longer is not ours and is not parsed at all (JSON.parse of megabytes would stall the page).
 */
export const MAX_STORED_CHARS = 64_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function boundedString(value: unknown, maxChars: number): value is string {
  return typeof value === 'string' && value.length <= maxChars;
}

function oneOf<T>(choices: readonly T[]) {
  return (value: unknown): value is T => choices.includes(value as T);
}

const isColour = oneOf<ButtonColour>(BUTTON_COLOURS);
const isTargetSize = oneOf<TargetSize>(TARGET_SIZES);
const isColumns = oneOf<Columns>(COLUMN_CHOICES);

/** One stored button, or null when any field is missing, of the wrong type or too long. */
export function buttonFromStored(value: unknown): BoardButton | null {
  if (!isRecord(value)) return null;
  const { id, label, speech, colour } = value;
  if (
    !isButtonId(id) ||
    !boundedString(label, MAX_LABEL_CHARS) ||
    !boundedString(speech, MAX_SPEECH_CHARS) ||
    !isColour(colour)
  ) {
    return null;
  }
  return { id, label, speech, colour };
}

/**
 * The stored buttons: the defaults when the list is missing or longer than allowed; entries that
 * fail their checks (or repeat an id) are left out.
 */
export function buttonsFromStored(value: unknown): readonly BoardButton[] {
  if (!Array.isArray(value) || value.length > MAX_BUTTONS) return DEFAULT_BUTTONS;
  const buttons: BoardButton[] = [];
  const ids = new Set<string>();
  for (const entry of value) {
    const button = buttonFromStored(entry);
    if (button === null || ids.has(button.id)) continue;
    ids.add(button.id);
    buttons.push(button);
  }
  return buttons;
}

/** The stored settings, each field checked on its own. */
export function settingsFromStored(value: unknown): BoardSettings {
  if (!isRecord(value)) return DEFAULT_BOARD_SETTINGS;
  const { targetSize, columns, audioFeedback } = value;
  return {
    targetSize: isTargetSize(targetSize) ? targetSize : DEFAULT_BOARD_SETTINGS.targetSize,
    columns: isColumns(columns) ? columns : DEFAULT_BOARD_SETTINGS.columns,
    audioFeedback:
      typeof audioFeedback === 'boolean' ? audioFeedback : DEFAULT_BOARD_SETTINGS.audioFeedback,
  };
}

/** The board saved earlier, checked; the default board when there is none or it is unusable. */
export function loadBoard(storage: KeyValueStorage | null): Board {
  let text: string | null;
  try {
    text = storage?.getItem(BOARD_KEY) ?? null;
  } catch {
    // Storage disabled (some private modes throw on access).
    return DEFAULT_BOARD;
  }
  if (text === null || text.length > MAX_STORED_CHARS) return DEFAULT_BOARD;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return DEFAULT_BOARD;
  }
  if (!isRecord(value) || value['version'] !== FORMAT_VERSION) return DEFAULT_BOARD;
  return {
    buttons: buttonsFromStored(value['buttons']),
    settings: settingsFromStored(value['settings']),
  };
}

/** Store the board; false when the browser refuses (private mode, quota) or there is no storage. */
export function saveBoard(storage: KeyValueStorage | null, board: Board): boolean {
  if (storage === null) return false;
  try {
    storage.setItem(
      BOARD_KEY,
      JSON.stringify({ version: FORMAT_VERSION, buttons: board.buttons, settings: board.settings }),
    );
    return true;
  } catch {
    return false;
  }
}
