import { describe, expect, it } from 'vitest';
import { TONE_HZ, TONE_MS, browserAudioContext, createTonePlayer } from '../../src/board/audio';

/** The slice of Web Audio the tone uses, recording the nodes it is given. */
class FakeAudioContext {
  state: AudioContextState = 'suspended';
  currentTime = 5;
  readonly destination = { name: 'speakers' };
  resumed = 0;
  closed = false;
  readonly oscillators: { frequency: number; start: number; stop: number }[] = [];
  resume(): Promise<void> {
    this.resumed += 1;
    this.state = 'running';
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  createGain() {
    return {
      gain: { setValueAtTime: () => undefined, linearRampToValueAtTime: () => undefined },
      connect: (node: unknown) => node,
    };
  }
  createOscillator() {
    const record = { frequency: 0, start: 0, stop: 0 };
    this.oscillators.push(record);
    return {
      frequency: {
        set value(hz: number) {
          record.frequency = hz;
        },
      },
      connect: (node: unknown) => node,
      start: (at: number) => (record.start = at),
      stop: (at: number) => (record.stop = at),
    };
  }
}

describe('the trigger tone', () => {
  it('makes one context, resumes it, and plays a short tone', () => {
    const contexts: FakeAudioContext[] = [];
    const player = createTonePlayer(() => {
      const context = new FakeAudioContext();
      contexts.push(context);
      return context as unknown as AudioContext;
    });
    player.prepare();
    player.play();
    player.play();
    expect(contexts).toHaveLength(1);
    const context = contexts[0];
    expect(context?.resumed).toBe(1);
    expect(context?.oscillators).toEqual([
      { frequency: TONE_HZ, start: 5, stop: 5 + TONE_MS / 1000 },
      { frequency: TONE_HZ, start: 5, stop: 5 + TONE_MS / 1000 },
    ]);
    player.close();
    expect(context?.closed).toBe(true);
  });

  it('stays silent without Web Audio, or when the context cannot be made', () => {
    expect(browserAudioContext({})).toBeUndefined();
    expect(() => createTonePlayer(undefined).play()).not.toThrow();
    const refusing = createTonePlayer(() => {
      throw new Error('NotAllowedError');
    });
    expect(() => {
      refusing.prepare();
      refusing.play();
      refusing.close();
    }).not.toThrow();
  });
});
