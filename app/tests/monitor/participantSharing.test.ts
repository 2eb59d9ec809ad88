import { describe, expect, it } from 'vitest';
import { cleanLabel, PARTICIPANT_LABEL_MAX_CHARS } from '../../src/components/ParticipantSharing';

describe('a participant label', () => {
  it('is trimmed, and blank means none', () => {
    expect(cleanLabel('  P07 Ana \t')).toEqual({ label: 'P07 Ana' });
    expect(cleanLabel('   ')).toEqual({ label: null });
  });

  it('is refused past the schema’s length or with control characters', () => {
    expect(cleanLabel('x'.repeat(PARTICIPANT_LABEL_MAX_CHARS))).toEqual({
      label: 'x'.repeat(PARTICIPANT_LABEL_MAX_CHARS),
    });
    expect(cleanLabel('x'.repeat(PARTICIPANT_LABEL_MAX_CHARS + 1))).toHaveProperty('problem');
    for (const bad of ['Ana\u0007', 'A\nB', 'A\u009bB', 'A\u007fB']) {
      expect(cleanLabel(bad)).toHaveProperty('problem');
    }
  });
});
