import { describe, expect, it } from 'vitest';
import { SILENT_SPEAKER, browserSpeaker } from '../../src/board/speech';

/** The part of speechSynthesis the speaker uses, recording what it is asked. */
class FakeSynthesis {
  readonly spoken: string[] = [];
  cancels = 0;
  speak(utterance: { text: string }): void {
    this.spoken.push(utterance.text);
  }
  cancel(): void {
    this.cancels += 1;
  }
}

class FakeUtterance {
  constructor(readonly text: string) {}
}

function fakeScope(synthesis: FakeSynthesis) {
  return {
    speechSynthesis: synthesis as unknown as SpeechSynthesis,
    SpeechSynthesisUtterance: FakeUtterance as unknown as typeof SpeechSynthesisUtterance,
  };
}

describe('the speaker', () => {
  it('speaks trimmed text through speech synthesis, interrupting the last utterance', () => {
    const synthesis = new FakeSynthesis();
    const speaker = browserSpeaker(fakeScope(synthesis));
    expect(speaker.available).toBe(true);
    speaker.speak('  I need help, please. ');
    speaker.speak('Yes');
    expect(synthesis.spoken).toEqual(['I need help, please.', 'Yes']);
    expect(synthesis.cancels).toBe(2);
  });

  it('says nothing for blank text', () => {
    const synthesis = new FakeSynthesis();
    browserSpeaker(fakeScope(synthesis)).speak('   ');
    expect(synthesis.spoken).toEqual([]);
  });

  it('is silent, and says so, where the browser has no speech synthesis', () => {
    expect(browserSpeaker({})).toBe(SILENT_SPEAKER);
    expect(
      browserSpeaker({ speechSynthesis: new FakeSynthesis() as unknown as SpeechSynthesis }),
    ).toBe(SILENT_SPEAKER);
    expect(() => SILENT_SPEAKER.speak('Yes')).not.toThrow();
    expect(SILENT_SPEAKER.available).toBe(false);
  });
});
