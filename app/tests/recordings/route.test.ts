import { describe, expect, it } from 'vitest';
import { tokenFromHash } from '../../src/monitor/token';
import { hashForView, hostViewFromHash } from '../../src/recordings/route';

const ID = '0123456789abcdef0123456789abcdef';

describe('host page routes', () => {
  it('reads the page from the fragment, the monitor by default', () => {
    expect(hostViewFromHash('#token=abc')).toEqual({ page: 'monitor' });
    expect(hostViewFromHash('#token=abc&view=recordings')).toEqual({ page: 'recordings' });
    expect(hostViewFromHash(`#token=abc&recording=${ID}`)).toEqual({
      page: 'recording',
      recordingId: ID,
    });
    expect(hostViewFromHash(`#recording=${'a'.repeat(65)}`)).toEqual({ page: 'monitor' });
  });

  it('keeps the token in the links between the pages', () => {
    const list = hashForView('#token=abc', { page: 'recordings' });
    expect(tokenFromHash(list)).toBe('abc');
    const one = hashForView(list, { page: 'recording', recordingId: ID });
    expect(hostViewFromHash(one)).toEqual({ page: 'recording', recordingId: ID });
    expect(tokenFromHash(one)).toBe('abc');
    const back = hashForView(one, { page: 'monitor' });
    expect(back).toBe('#token=abc');
  });
});
