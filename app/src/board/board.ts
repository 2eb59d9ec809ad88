// The communication board's content and settings: the buttons a helper sets up (what each shows,
// what it says, its colour) and how the board is laid out. Plain data and pure edits; storage.ts
// keeps it in localStorage and checks what comes back.

/** Colours a button may have: each a dark tint the page's text reads on at 4.5:1 or more. */
export const BUTTON_COLOURS = [
  'blue',
  'green',
  'yellow',
  'orange',
  'red',
  'purple',
  'grey',
] as const;
export type ButtonColour = (typeof BUTTON_COLOURS)[number];

/** What a button shows: short enough to read at a glance on a large target. */
export const MAX_LABEL_CHARS = 40;
/** What a button says: a sentence or two; the typed message has the same bound. */
export const MAX_SPEECH_CHARS = 200;
/** More buttons than this no longer fit on a screen at a size the gaze can pick out. */
export const MAX_BUTTONS = 24;

export interface BoardButton {
  /** Stable across edits and reorders (`button-<n>`). */
  id: string;
  label: string;
  /** Spoken when the button is chosen; the label when empty. */
  speech: string;
  colour: ButtonColour;
}

export const TARGET_SIZES = ['small', 'medium', 'large'] as const;
export type TargetSize = (typeof TARGET_SIZES)[number];
export const COLUMN_CHOICES = [2, 3, 4] as const;
export type Columns = (typeof COLUMN_CHOICES)[number];

export interface BoardSettings {
  /** The buttons' minimum height (board.css maps each to CSS px). */
  targetSize: TargetSize;
  /** Buttons per row on a wide screen (a narrow one shows at most 2). */
  columns: Columns;
  /** A short tone when a target triggers (off by default: not everyone wants sound). */
  audioFeedback: boolean;
}

export interface Board {
  buttons: readonly BoardButton[];
  settings: BoardSettings;
}

/** Short, common requests: the board a new user starts from. */
export const DEFAULT_BUTTONS: readonly BoardButton[] = [
  { id: 'button-1', label: 'Yes', speech: 'Yes', colour: 'green' },
  { id: 'button-2', label: 'No', speech: 'No', colour: 'red' },
  { id: 'button-3', label: 'Help', speech: 'I need help, please.', colour: 'orange' },
  { id: 'button-4', label: 'Water', speech: 'Could I have some water, please?', colour: 'blue' },
  { id: 'button-5', label: 'Music', speech: 'Please put some music on.', colour: 'purple' },
  { id: 'button-6', label: 'Rest', speech: 'I would like to rest now.', colour: 'grey' },
];

export const DEFAULT_BOARD_SETTINGS: BoardSettings = {
  targetSize: 'medium',
  columns: 3,
  audioFeedback: false,
};

export const DEFAULT_BOARD: Board = { buttons: DEFAULT_BUTTONS, settings: DEFAULT_BOARD_SETTINGS };

/** What a button says when chosen. */
export function spokenText(button: BoardButton): string {
  const speech = button.speech.trim();
  return speech === '' ? button.label.trim() : speech;
}

const ID_PATTERN = /^button-(\d{1,6})$/;

/** An id no button of `buttons` has. */
export function nextButtonId(buttons: readonly BoardButton[]): string {
  let highest = 0;
  for (const button of buttons) {
    const number = ID_PATTERN.exec(button.id)?.[1];
    if (number !== undefined) highest = Math.max(highest, Number(number));
  }
  return `button-${highest + 1}`;
}

export function isButtonId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** The board with one more (blank) button at the end; unchanged when it is full. */
export function addButton(board: Board): Board {
  if (board.buttons.length >= MAX_BUTTONS) return board;
  const colour = BUTTON_COLOURS[board.buttons.length % BUTTON_COLOURS.length] ?? 'blue';
  const button: BoardButton = { id: nextButtonId(board.buttons), label: 'New', speech: '', colour };
  return { ...board, buttons: [...board.buttons, button] };
}

/** The board with button `id` changed by `patch` (strings cut to their bounds). */
export function updateButton(
  board: Board,
  id: string,
  patch: Partial<Omit<BoardButton, 'id'>>,
): Board {
  return {
    ...board,
    buttons: board.buttons.map((button) => {
      if (button.id !== id) return button;
      const next = { ...button, ...patch };
      return {
        ...next,
        label: next.label.slice(0, MAX_LABEL_CHARS),
        speech: next.speech.slice(0, MAX_SPEECH_CHARS),
      };
    }),
  };
}

export function removeButton(board: Board, id: string): Board {
  return { ...board, buttons: board.buttons.filter((button) => button.id !== id) };
}

/** The board with button `id` moved `by` places (-1: earlier), kept within the list. */
export function moveButton(board: Board, id: string, by: number): Board {
  const from = board.buttons.findIndex((button) => button.id === id);
  if (from < 0) return board;
  const to = Math.min(board.buttons.length - 1, Math.max(0, from + by));
  if (to === from) return board;
  const buttons = [...board.buttons];
  const [moved] = buttons.splice(from, 1);
  if (moved === undefined) return board;
  buttons.splice(to, 0, moved);
  return { ...board, buttons };
}

export function updateSettings(board: Board, patch: Partial<BoardSettings>): Board {
  return { ...board, settings: { ...board.settings, ...patch } };
}
