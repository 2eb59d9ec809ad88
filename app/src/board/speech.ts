// Speaking the board's words with the browser's speech synthesis, behind a small interface: the
// page works (with a notice) where speechSynthesis is missing, and tests use a fake.

export interface Speaker {
  /** False where the browser cannot speak: the page says so. */
  readonly available: boolean;
  /** Say `text`, interrupting whatever is being said (a new choice replaces the last one). */
  speak(text: string): void;
  cancel(): void;
}

/** What the speaker needs of `window` (its speech members may be absent). */
export interface SpeechScope {
  speechSynthesis?: SpeechSynthesis | undefined;
  SpeechSynthesisUtterance?: typeof SpeechSynthesisUtterance | undefined;
}

/** Says nothing, for browsers without speech synthesis. */
export const SILENT_SPEAKER: Speaker = {
  available: false,
  speak: () => undefined,
  cancel: () => undefined,
};

/** The browser's speech synthesis, or the silent speaker where there is none. */
export function browserSpeaker(scope: SpeechScope): Speaker {
  const synthesis = scope.speechSynthesis;
  const Utterance = scope.SpeechSynthesisUtterance;
  if (synthesis === undefined || Utterance === undefined) return SILENT_SPEAKER;
  return {
    available: true,
    speak(text) {
      const trimmed = text.trim();
      if (trimmed === '') return;
      synthesis.cancel();
      synthesis.speak(new Utterance(trimmed));
    },
    cancel() {
      synthesis.cancel();
    },
  };
}
