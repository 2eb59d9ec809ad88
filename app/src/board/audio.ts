// A short tone when a target triggers, for users who cannot watch the fill to its end. Web Audio
// where there is one; silent (never throwing) where there is none.

export interface TonePlayer {
  /** Call from a click: browsers start audio only after a user gesture. */
  prepare(): void;
  play(): void;
  close(): void;
}

/** Long enough to hear, short enough not to overlap the next selection. */
export const TONE_MS = 120;
/** A mid-high pitch, clear on laptop speakers. */
export const TONE_HZ = 660;
/** Quiet: a confirmation, not an alarm. */
const TONE_GAIN = 0.15;

export type AudioContextFactory = () => AudioContext;

/** The browser's AudioContext constructor as a factory, or undefined where there is none. */
export function browserAudioContext(scope: {
  AudioContext?: typeof AudioContext | undefined;
}): AudioContextFactory | undefined {
  const Context = scope.AudioContext;
  return Context === undefined ? undefined : () => new Context();
}

export function createTonePlayer(createContext: AudioContextFactory | undefined): TonePlayer {
  let context: AudioContext | null = null;
  const ready = (): AudioContext | null => {
    if (createContext === undefined) return null;
    try {
      context ??= createContext();
      if (context.state === 'suspended') void context.resume().catch(() => undefined);
      return context;
    } catch {
      // Too many contexts, or audio disabled by policy: stay silent.
      return null;
    }
  };
  return {
    prepare() {
      ready();
    },
    play() {
      const audio = ready();
      if (audio === null) return;
      const start = audio.currentTime;
      const end = start + TONE_MS / 1000;
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = TONE_HZ;
      // A ramp down to silence: an abrupt stop clicks.
      gain.gain.setValueAtTime(TONE_GAIN, start);
      gain.gain.linearRampToValueAtTime(0, end);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(end);
    },
    close() {
      void context?.close().catch(() => undefined);
      context = null;
    },
  };
}
