import { describe, expect, it } from 'vitest';
import {
  MAX_AUTOMATIC_RETRIES,
  clearHandsFree,
  followUp,
  handsFreeRetries,
  markHandsFree,
} from '../../src/calibration/handsFree';
import type { KeyValueStorage } from '../../src/calibration/storage';

function memoryStorage(): KeyValueStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

describe('hands-free calibration follow-up', () => {
  it('remembers a calibration started by a look, with its retries, until cleared', () => {
    const storage = memoryStorage();
    expect(handsFreeRetries(storage)).toBeNull();
    markHandsFree(storage);
    expect(handsFreeRetries(storage)).toBe(0);
    markHandsFree(storage, 2);
    expect(handsFreeRetries(storage)).toBe(2);
    clearHandsFree(storage);
    expect(handsFreeRetries(storage)).toBeNull();
  });

  it('ignores stored values it did not write and storage that throws', () => {
    const storage = memoryStorage();
    for (const bad of ['', 'x', '-1', '1.5', '1e9']) {
      storage.items.set('gazertc.calibration.hands-free.v1', bad);
      expect(handsFreeRetries(storage)).toBeNull();
    }
    const broken: KeyValueStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    expect(() => markHandsFree(broken)).not.toThrow();
    expect(handsFreeRetries(broken)).toBeNull();
    expect(() => clearHandsFree(broken)).not.toThrow();
    expect(handsFreeRetries(null)).toBeNull();
  });

  it('returns to the board after a fit in use and retries a poor one a bounded number of times', () => {
    expect(followUp(true, 0)).toBe('return');
    expect(followUp(true, MAX_AUTOMATIC_RETRIES)).toBe('return');
    expect(followUp(false, 0)).toBe('retry');
    expect(followUp(false, MAX_AUTOMATIC_RETRIES - 1)).toBe('retry');
    expect(followUp(false, MAX_AUTOMATIC_RETRIES)).toBe('ask-for-help');
  });
});
