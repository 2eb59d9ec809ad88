// The board's content in React state, loaded once from localStorage and saved on every change;
// the speaker and the tone player the board uses.

import { useEffect, useState } from 'react';
import { createTonePlayer, browserAudioContext, type TonePlayer } from '../../board/audio';
import type { Board } from '../../board/board';
import { browserSpeaker, type Speaker } from '../../board/speech';
import { loadBoard, saveBoard } from '../../board/storage';
import type { KeyValueStorage } from '../../calibration/storage';

/** localStorage, or null where the browser refuses it (some sandboxed or private pages throw). */
function pageStorage(): KeyValueStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export interface BoardState {
  board: Board;
  edit: (change: (board: Board) => Board) => void;
  /** False when the last change could not be stored (it lasts until the page is left). */
  saved: boolean;
}

export function useBoard(): BoardState {
  const [storage] = useState(pageStorage);
  const [board, setBoard] = useState(() => loadBoard(storage));
  const [saved, setSaved] = useState(true);
  const edit = (change: (board: Board) => Board): void => {
    const next = change(board);
    if (next === board) return;
    setBoard(next);
    setSaved(saveBoard(storage, next));
  };
  return { board, edit, saved };
}

/** The browser's speech synthesis (the silent speaker where it has none). */
export function useSpeaker(): Speaker {
  const [speaker] = useState(() => browserSpeaker(window));
  useEffect(() => () => speaker.cancel(), [speaker]);
  return speaker;
}

/** The trigger tone, silent where Web Audio is missing; closed with the page. */
export function useTonePlayer(): TonePlayer {
  const [player] = useState(() => createTonePlayer(browserAudioContext(window)));
  useEffect(() => () => player.close(), [player]);
  return player;
}
